// Plaza web UI: small progressive enhancements. Every page works without
// this script; it adds drag-to-reorder of tasks and copy buttons.
"use strict";

document.documentElement.classList.add("js");

document.addEventListener("DOMContentLoaded", () => {
  // On narrow screens the search box and account links fold behind a
  // menu button (without scripts they always show).
  const toggle = document.querySelector(".menu-toggle");
  if (toggle) {
    toggle.hidden = false;
    toggle.addEventListener("click", () => {
      const open = toggle.getAttribute("aria-expanded") !== "true";
      toggle.setAttribute("aria-expanded", String(open));
      document.documentElement.classList.toggle("menu-open", open);
    });
  }
  for (const btn of document.querySelectorAll("[data-copy]")) {
    btn.addEventListener("click", () => {
      const field = document.getElementById(btn.dataset.copy);
      field.select();
      if (navigator.clipboard) {
        navigator.clipboard.writeText(field.value).catch(() => document.execCommand("copy"));
      } else {
        document.execCommand("copy");
      }
    });
  }

  const list = document.querySelector("ol.tasks[data-sortable]");
  if (!list) return;
  let dragged = null;
  list.addEventListener("dragstart", (e) => {
    dragged = e.target.closest("li.task");
    if (dragged) dragged.classList.add("dragging");
  });
  list.addEventListener("dragend", () => {
    if (dragged) dragged.classList.remove("dragging");
    dragged = null;
  });
  list.addEventListener("dragover", (e) => {
    e.preventDefault();
    const over = e.target.closest("li.task");
    if (!dragged || !over || over === dragged) return;
    const box = over.getBoundingClientRect();
    const after = e.clientY > box.top + box.height / 2;
    list.insertBefore(dragged, after ? over.nextSibling : over);
  });
  list.addEventListener("drop", async (e) => {
    e.preventDefault();
    // The tasks of earlier pages stay in front of this page's.
    const before = (list.dataset.before || "").split(",").filter((x) => x).map(Number);
    const order = before.concat([...list.querySelectorAll("li.task")].map((li) => Number(li.dataset.id)));
    const resp = await fetch(`/api/v1/tasklists/${list.dataset.list}/order`, {
      method: "PUT",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": list.dataset.csrf },
      body: JSON.stringify({ order }),
      credentials: "same-origin",
    });
    if (!resp.ok) location.reload();
  });
});
