// Staff desk: choosing a canned response fills the reply box at once, in the borrower's
// language. Progressive enhancement only: without JavaScript the "Insert" button reloads
// the page with the text filled in.
(function () {
  "use strict";
  // Presence: who else has this case open, and whether it changed since the page loaded.
  document.addEventListener("DOMContentLoaded", function () {
    var box = document.querySelector("[data-desk-presence]");
    if (!box || !window.fetch) { return; }
    var viewing = box.querySelector("[data-desk-viewing]");
    var changed = box.querySelector("[data-desk-changed]");
    var every = (parseInt(box.getAttribute("data-every"), 10) || 10) * 1000;
    var url = box.getAttribute("data-url") + "?loaded=" + encodeURIComponent(box.getAttribute("data-loaded")) +
      "&seen=" + encodeURIComponent(box.getAttribute("data-seen"));
    function refresh() {
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (!data) { return; }
          viewing.textContent = data.viewing;
          changed.textContent = data.message;
          box.classList.toggle("desk-presence-changed", !!data.changed);
        })
        .catch(function () {});
    }
    refresh();
    window.setInterval(refresh, every);
  });
  // Macros: choosing one fills its panel's text at once, in the borrower's language, picks
  // the outcome it goes with and brings the panel's button into view. Progressive
  // enhancement only: without JavaScript the "Insert" button reloads the page filled in.
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-desk-canned]").forEach(function (picker) {
      var panel = picker.getAttribute("data-panel");
      var form = document.querySelector("form.desk-form[data-panel='" + panel + "']");
      var select = picker.querySelector("select");
      var box = form && form.querySelector("textarea");
      if (!select || !box) { return; }
      picker.classList.add("desk-js");
      var language = form.getAttribute("data-desk-language") || "zh-hans";
      select.addEventListener("change", function () {
        var option = select.options[select.selectedIndex];
        if (!option || !option.value) { return; }
        var text = language.indexOf("en") === 0 ? option.getAttribute("data-body-en") : option.getAttribute("data-body-zh");
        box.value = box.value ? box.value.replace(/\s+$/, "") + "\n\n" + text : text;
        var outcome = option.getAttribute("data-outcome");
        if (outcome) {
          var radio = form.querySelector("input[type=radio][value='" + outcome + "']");
          if (radio) { radio.checked = true; }
        }
        var button = form.querySelector("button[type=submit]");
        if (button) { button.scrollIntoView({ block: "nearest" }); }
        box.focus();
      });
    });
  });
})();
