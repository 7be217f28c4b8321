// Small progressive enhancements; every page works without this file.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // Ask before submitting forms marked with data-confirm (retire, delete, ...).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var message = form.getAttribute && form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  });

  // Collapsible navigation on narrow screens.
  var toggle = document.querySelector(".nav-toggle");
  var menu = document.getElementById("nav-menu");
  if (toggle && menu) {
    var narrow = window.matchMedia("(max-width: 48rem)");
    var sync = function () {
      toggle.hidden = !narrow.matches;
      menu.setAttribute("data-collapsed", narrow.matches && toggle.getAttribute("aria-expanded") !== "true" ? "true" : "false");
    };
    toggle.addEventListener("click", function () {
      toggle.setAttribute("aria-expanded", toggle.getAttribute("aria-expanded") === "true" ? "false" : "true");
      sync();
    });
    narrow.addEventListener("change", sync);
    sync();
  }

  // Long text fields show their limit ("Up to 20,000 characters"); once someone types,
  // the line counts what is there. Nothing is cut: the server refuses text over the limit.
  var format = function (n) { return n.toLocaleString("en-US"); };
  Array.prototype.forEach.call(document.querySelectorAll("[data-limit-for]"), function (note) {
    var box = document.getElementById(note.getAttribute("data-limit-for"));
    var limit = parseInt(note.textContent.replace(/[^0-9]/g, ""), 10);
    if (!box || !limit) { return; }
    var update = function () {
      var over = box.value.length - limit;
      note.textContent = format(box.value.length) + " of " + format(limit) + " characters" +
        (over > 0 ? ": " + format(over) + " too many" : "");
      note.classList.toggle("field-limit-over", over > 0);
    };
    box.addEventListener("input", update);
    if (box.value) { update(); }
  });

  // A "Copy" button next to a secret address copies it (hidden without scripts: the
  // field itself can always be selected and copied).
  Array.prototype.forEach.call(document.querySelectorAll("[data-copy-from]"), function (button) {
    var field = document.getElementById(button.getAttribute("data-copy-from"));
    if (!field || !navigator.clipboard) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(field.value).then(function () {
        button.textContent = "Copied";
      });
    });
  });

  // Move focus to the first field with an error, so keyboard and screen-reader
  // users land where the fix is needed.
  var invalid = document.querySelector("[aria-invalid='true']");
  if (invalid) {
    invalid.focus();
  }
})();
