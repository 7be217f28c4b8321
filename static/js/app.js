// Small progressive enhancements; every page works without this file.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // Ask before submitting forms (or pressing buttons) marked with data-confirm
  // (retire, delete, remove, ...).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var button = event.submitter;
    var message = (button && button.getAttribute("data-confirm")) ||
      (form.getAttribute && form.getAttribute("data-confirm"));
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  });

  // Menus (<details data-menu>) open and close by themselves; this only closes an open
  // one when its reader presses Escape inside it (the focus goes back to its summary)
  // or clicks elsewhere on the page.
  var openMenus = function () {
    return Array.prototype.slice.call(document.querySelectorAll("details[data-menu][open]"));
  };
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    var menu = event.target.closest && event.target.closest("details[data-menu][open]");
    if (menu) {
      menu.open = false;
      menu.querySelector("summary").focus();
    }
  });
  document.addEventListener("click", function (event) {
    openMenus().forEach(function (menu) {
      if (!menu.contains(event.target)) { menu.open = false; }
    });
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
