// mailcite serve: the only script, shipped inside the binary. Progressive
// enhancement of the message page: select a passage in the text and it is
// put into the cite form (which also works by pasting, without script).
"use strict";
(function () {
  const text = document.getElementById("message-text");
  const passage = document.getElementById("passage");
  if (!text || !passage) return;
  const form = passage.form;
  const button = document.createElement("button");
  button.type = "button";
  button.id = "cite-selection";
  button.textContent = "Cite this passage";
  button.hidden = true;
  document.body.appendChild(button);

  function selected() {
    const sel = window.getSelection();
    if (!sel || sel.rangeCount === 0 || sel.isCollapsed) return null;
    const range = sel.getRangeAt(0);
    if (!text.contains(range.commonAncestorContainer)) return null;
    const s = sel.toString();
    return s.trim() ? { s, range } : null;
  }

  document.addEventListener("selectionchange", function () {
    const got = selected();
    if (!got) { button.hidden = true; return; }
    passage.value = got.s.trim();
    const rect = got.range.getBoundingClientRect();
    button.style.left = (window.scrollX + rect.left) + "px";
    button.style.top = (window.scrollY + rect.bottom + 6) + "px";
    button.hidden = false;
  });

  button.addEventListener("click", function () {
    button.hidden = true;
    const article = document.getElementById("article");
    form.scrollIntoView({ behavior: "smooth", block: "center" });
    (article || passage).focus();
  });
})();
