// Markdown editor: a small toolbar and a preview over any textarea that
// follows a .md-toolbar (templates/partials/editor.html). The preview is
// rendered and sanitized by the server (POST /api/v1/markup), the same
// code that renders the saved text, so what is previewed is what shows.
"use strict";
(() => {
  const wrap = {
    bold: ["**", "**"],
    italic: ["_", "_"],
    code: ["`", "`"],
    link: ["[", "](https://)"],
    image: ["![", "](/s/SPACE/files/ID/raw)"],
  };
  const line = {
    heading: "## ",
    list: "- ",
    numbered: "1. ",
    quote: "> ",
  };
  const blocks = {
    table: "\n| Column | Column |\n| --- | --- |\n| | |\n",
    video: "\nhttps://www.youtube.com/watch?v=\n",
  };
  function edit(ta, action) {
    const s = ta.selectionStart, e = ta.selectionEnd, v = ta.value;
    const sel = v.slice(s, e);
    let text, caret;
    if (wrap[action]) {
      const [a, b] = wrap[action];
      text = a + sel + b;
      caret = s + a.length + sel.length;
    } else if (line[action]) {
      const start = v.lastIndexOf("\n", s - 1) + 1;
      ta.setSelectionRange(start, e);
      text = v.slice(start, e).split("\n").map((l) => line[action] + l).join("\n");
      caret = start + text.length;
      ta.setRangeText(text, start, e, "end");
      ta.focus();
      ta.setSelectionRange(caret, caret);
      ta.dispatchEvent(new Event("input", { bubbles: true }));
      return;
    } else if (blocks[action]) {
      text = sel + blocks[action];
      caret = s + text.length - 1;
    } else {
      return;
    }
    ta.setRangeText(text, s, e, "end");
    ta.focus();
    ta.setSelectionRange(caret, caret);
    ta.dispatchEvent(new Event("input", { bubbles: true }));
  }
  async function preview(bar, ta, btn) {
    const box = document.getElementById(bar.dataset.for + "-preview");
    const on = btn.getAttribute("aria-pressed") !== "true";
    btn.setAttribute("aria-pressed", on ? "true" : "false");
    if (!on) {
      box.hidden = true;
      ta.hidden = false;
      return;
    }
    const form = ta.closest("form");
    const csrf = form && form.querySelector("input[name=_csrf]");
    const resp = await fetch("/api/v1/markup", {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf ? csrf.value : "" },
      body: JSON.stringify({ text: ta.value }),
      credentials: "same-origin",
    });
    if (!resp.ok) {
      btn.setAttribute("aria-pressed", "false");
      return;
    }
    const data = await resp.json();
    // Sanitized by the server with the policy every page uses.
    box.innerHTML = data.html;
    box.hidden = false;
    ta.hidden = true;
  }
  document.querySelectorAll(".md-toolbar").forEach((bar) => {
    const ta = document.getElementById(bar.dataset.for);
    if (!ta) return;
    bar.hidden = false;
    bar.addEventListener("click", (ev) => {
      const btn = ev.target.closest("button[data-md]");
      if (!btn) return;
      ev.preventDefault();
      if (btn.dataset.md === "preview") preview(bar, ta, btn);
      else edit(ta, btn.dataset.md);
    });
  });
})();
