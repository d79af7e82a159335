// Small progressive enhancement; every page works without it.
// - filter forms submit when a select changes;
// - label buttons post in the background and mark the chosen verdict in place.
"use strict";
document.addEventListener("change", (event) => {
  const form = event.target.closest("form[data-autosubmit]");
  if (form && event.target.tagName === "SELECT") form.requestSubmit();
});
document.addEventListener("submit", async (event) => {
  const form = event.target.closest("form[data-label]");
  if (!form) return;
  event.preventDefault();
  const button = event.submitter;
  const data = new FormData(form);
  if (button && button.name) data.set(button.name, button.value);
  const response = await fetch(form.action, {
    method: "POST", body: data, headers: { "X-Requested-With": "fetch" }, credentials: "same-origin",
  });
  if (response.ok) {
    form.querySelectorAll("button.verdict").forEach((b) => b.classList.toggle("chosen", b === button));
    form.dataset.saved = button ? button.value : "";
  } else {
    form.dataset.error = await response.text();
    form.classList.add("failed");
  }
});
