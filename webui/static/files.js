// Upload with a progress bar: the form is sent by XMLHttpRequest, whose
// upload events report progress; the CSRF token goes in a header so the
// server streams the body. Without scripts the form posts as usual.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("upload");
  if (!form) return;
  const bar = document.getElementById("upload-progress");
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("X-CSRF-Token", form.dataset.csrf);
    bar.hidden = false;
    bar.value = 0;
    xhr.upload.addEventListener("progress", (ev) => {
      if (ev.lengthComputable) bar.value = Math.round((ev.loaded / ev.total) * 100);
    });
    xhr.addEventListener("load", () => {
      bar.value = 100;
      if (xhr.status >= 200 && xhr.status < 400) {
        location.href = xhr.responseURL || location.href;
      } else {
        document.open();
        document.write(xhr.responseText);
        document.close();
      }
    });
    xhr.send(new FormData(form));
  });
});
