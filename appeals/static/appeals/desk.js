// Staff desk: choosing a canned response fills the reply box at once, in the borrower's
// language. Progressive enhancement only: without JavaScript the "Insert" button reloads
// the page with the text filled in.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var picker = document.querySelector("[data-desk-canned]");
    var form = document.querySelector("form[data-desk-language]");
    if (!picker || !form) { return; }
    var select = picker.querySelector("select");
    var box = form.querySelector("textarea");
    if (!select || !box) { return; }
    picker.classList.add("desk-js");
    var language = form.getAttribute("data-desk-language") || "zh-hans";
    select.addEventListener("change", function () {
      var option = select.options[select.selectedIndex];
      if (!option || !option.value) { return; }
      var text = language.indexOf("en") === 0 ? option.getAttribute("data-body-en") : option.getAttribute("data-body-zh");
      box.value = box.value ? box.value.replace(/\s+$/, "") + "\n\n" + text : text;
      box.focus();
    });
  });
})();
