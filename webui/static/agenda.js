// Agenda: turning a calendar on or off shows the agenda again at once
// (without this script the "Show" button does the same), and an event
// dragged to another day of the week view moves there (without this
// script the event's own form moves it).
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("agenda-cals");
  if (form) {
    form.addEventListener("change", (e) => {
      if (e.target.matches("input[type=checkbox]")) form.submit();
    });
  }
  const week = document.getElementById("agenda-week");
  if (!week) return;
  let dragged = null;
  week.addEventListener("dragstart", (e) => {
    dragged = e.target.closest("li[data-shift]");
    if (!dragged) return;
    e.dataTransfer.effectAllowed = "move";
    e.dataTransfer.setData("text/plain", dragged.dataset.shift);
  });
  week.addEventListener("dragend", () => {
    dragged = null;
    week.querySelectorAll(".drop").forEach((d) => d.classList.remove("drop"));
  });
  week.addEventListener("dragover", (e) => {
    const day = e.target.closest("[data-day]:not(li)");
    if (!dragged || !day) return;
    e.preventDefault();
    week.querySelectorAll(".drop").forEach((d) => d !== day && d.classList.remove("drop"));
    day.classList.add("drop");
  });
  week.addEventListener("drop", async (e) => {
    const day = e.target.closest("[data-day]:not(li)");
    if (!dragged || !day) return;
    e.preventDefault();
    const ms = Date.parse(day.dataset.day + "T00:00:00Z") - Date.parse(dragged.dataset.day + "T00:00:00Z");
    const days = Math.round(ms / 86400000);
    if (days === 0) return;
    const body = new URLSearchParams({ _csrf: week.dataset.csrf, at: dragged.dataset.at, days: String(days) });
    const resp = await fetch(dragged.dataset.shift, { method: "POST", body, credentials: "same-origin" });
    if (resp.ok) {
      location.reload();
    } else {
      week.setAttribute("data-error", String(resp.status));
      alert(await resp.text().then((t) => t.replace(/<[^>]*>/g, " ").replace(/\s+/g, " ").trim().slice(0, 300)));
    }
  });
});
