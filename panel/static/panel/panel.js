// ctrlpanel: the little behaviour the pages need beyond HTMX. Everything works without it, only less smoothly.
(function () {
  "use strict";
  // Copy buttons: <button class="copy" data-copy="#id">; feedback is announced to screen readers.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-copy]");
    if (!button) return;
    var source = document.querySelector(button.getAttribute("data-copy"));
    if (!source) return;
    var text = source.textContent;
    var done = function () {
      var label = button.textContent;
      button.textContent = "Copied";
      setTimeout(function () { button.textContent = label; }, 1500);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done);
    } else {
      var area = document.createElement("textarea");
      area.value = text; document.body.appendChild(area); area.select();
      try { document.execCommand("copy"); done(); } finally { area.remove(); }
    }
  });
  // <form data-confirm="Question?"> asks before it is sent (no inline handler: the Content-Security-Policy allows none).
  document.addEventListener("submit", function (event) {
    var question = event.target.getAttribute && event.target.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  }, true);  // capture: before any handler on the form itself sends it
  // Escape cancels an in-place edit.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var cancel = document.activeElement && document.activeElement.closest("tr.editing");
    if (cancel) { var button = cancel.querySelector("[data-cancel]"); if (button) button.click(); }
  });
})();
