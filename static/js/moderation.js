// Moderation queue: choosing a reason template fills the reason box, where the
// moderator can still change it. Without this script the server uses the
// template's text when the box is left empty.
(function () {
  "use strict";
  var select = document.querySelector("[data-reason-template]");
  var reason = document.getElementById("reason");
  if (!select || !reason) { return; }
  select.addEventListener("change", function () {
    var option = select.options[select.selectedIndex];
    if (option && option.dataset.body) { reason.value = option.dataset.body; }
  });
}());
