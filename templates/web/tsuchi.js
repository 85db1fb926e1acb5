// tsuchi serve: a little plain JavaScript. Everything works without it; it adds drag and drop
// onto the file fields, copy buttons, table sorting and filtering, and the live progress.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  // Drag and drop a file onto a form holding a file field.
  for (const form of document.querySelectorAll("form.drop")) {
    const input = form.querySelector('input[type="file"]');
    if (!input) continue;
    form.addEventListener("dragover", (e) => { e.preventDefault(); form.classList.add("dragging"); });
    form.addEventListener("dragleave", () => form.classList.remove("dragging"));
    form.addEventListener("drop", (e) => {
      e.preventDefault();
      form.classList.remove("dragging");
      if (e.dataTransfer && e.dataTransfer.files.length > 0) {
        input.files = e.dataTransfer.files;
        form.requestSubmit();
      }
    });
  }

  // Copy buttons: data-copy names the element whose text is copied.
  for (const button of document.querySelectorAll("button[data-copy]")) {
    button.addEventListener("click", async () => {
      const source = document.getElementById(button.dataset.copy);
      if (!source) return;
      try {
        await navigator.clipboard.writeText(source.textContent.trim());
        button.textContent = button.dataset.copied || button.textContent;
      } catch (_) {
        const range = document.createRange();
        range.selectNodeContents(source);
        const selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
      }
    });
  }

  // Sortable tables: a button in each header cell.
  for (const table of document.querySelectorAll("table.sortable")) {
    const headers = table.querySelectorAll("th");
    headers.forEach((th, column) => {
      const button = th.querySelector("button.sort");
      if (!button) return;
      button.addEventListener("click", () => {
        const body = table.tBodies[0];
        const ascending = th.getAttribute("aria-sort") !== "ascending";
        headers.forEach((h) => h.removeAttribute("aria-sort"));
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        const rows = Array.from(body.rows);
        const key = (row) => row.cells[column].textContent.trim();
        rows.sort((a, b) => {
          const x = key(a), y = key(b);
          const nx = Number(x), ny = Number(y);
          const order = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y, "ja");
          return ascending ? order : -order;
        });
        rows.forEach((row) => body.appendChild(row));
      });
    });
  }

  // Filter boxes: data-filter names the table whose rows are filtered.
  for (const box of document.querySelectorAll("input[data-filter]")) {
    const table = document.getElementById(box.dataset.filter);
    if (!table) continue;
    box.addEventListener("input", () => {
      const needle = box.value.trim().toLowerCase();
      for (const row of table.tBodies[0].rows) {
        row.hidden = needle !== "" && !row.textContent.toLowerCase().includes(needle);
      }
    });
  }

  // Live progress: an element with data-progress polls that address until the job is done,
  // then loads data-done.
  const live = document.querySelector("[data-progress]");
  if (live) {
    const bar = live.querySelector("progress");
    const said = live.querySelector(".said");
    const poll = async () => {
      try {
        const response = await fetch(live.dataset.progress, { credentials: "same-origin", cache: "no-store" });
        const state = await response.json();
        if (bar && state.total > 0) { bar.max = state.total; bar.value = state.done; }
        if (said && state.text) said.textContent = state.text;
        if (state.finished) { window.location.assign(live.dataset.done); return; }
      } catch (_) { /* the next poll tries again */ }
      window.setTimeout(poll, 500);
    };
    poll();
  }
});
