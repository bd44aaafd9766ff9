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
  // Account pickers (panel/widgets/account_picker.html): HTMX puts the accounts matching what is typed in the list
  // under the input; a click, or Enter on an option reached with the arrow keys, puts the account's name in the input.
  // Without this script the input still takes a name typed in full.
  function pickerOf(element) { return element && element.closest ? element.closest(".picker") : null; }
  function pickerClose(picker) {
    picker.querySelector("[role=listbox]").innerHTML = "";
    picker.querySelector("input").setAttribute("aria-expanded", "false");
  }
  function pick(option) {
    var picker = pickerOf(option);
    var input = picker.querySelector("input");
    input.value = option.getAttribute("data-pick");
    pickerClose(picker);
    input.focus();
  }
  document.addEventListener("click", function (event) {
    var option = event.target.closest && event.target.closest(".picker [data-pick]");
    if (option) pick(option);
  });
  document.addEventListener("keydown", function (event) {
    var picker = pickerOf(event.target);
    if (!picker) return;
    var options = Array.prototype.slice.call(picker.querySelectorAll("[data-pick]"));
    var at = options.indexOf(event.target);
    if ((event.key === "ArrowDown" || event.key === "ArrowUp") && options.length) {
      event.preventDefault();
      var next = event.key === "ArrowDown" ? Math.min(at + 1, options.length - 1) : at - 1;
      options.forEach(function (option, i) { option.setAttribute("aria-selected", i === next ? "true" : "false"); });
      (next < 0 ? picker.querySelector("input") : options[next]).focus();
    } else if (event.key === "Enter" && at >= 0) {
      event.preventDefault();  // Enter picks; it does not send the form
      pick(options[at]);
    } else if (event.key === "Escape" && options.length) {
      pickerClose(picker);
      picker.querySelector("input").focus();
    }
  });
  document.addEventListener("focusout", function (event) {
    var picker = pickerOf(event.target);
    if (picker && !picker.contains(event.relatedTarget)) pickerClose(picker);
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    var picker = pickerOf(event.target);
    if (!picker) return;
    var open = picker.querySelector("[role=listbox]").children.length > 0;
    picker.querySelector("input").setAttribute("aria-expanded", open ? "true" : "false");
  });
})();
