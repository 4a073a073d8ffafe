// Agenda: turning a calendar on or off shows the agenda again at once.
// Without this script the "Show" button does the same.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("agenda-cals");
  if (!form) return;
  form.addEventListener("change", (e) => {
    if (e.target.matches("input[type=checkbox]")) form.submit();
  });
});
