// The appeal form on one screen: "Review my appeal" shows what will be sent (reasons,
// statement, file) above the submit button, without a page load; "Change my answers" goes
// back. A button disables on the first tap so a second tap cannot send the form twice.
// Progressive enhancement only: without JavaScript the form submits directly.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("[data-appeal-form]");
    if (!form) { return; }
    var review = form.querySelector("[data-appeal-review]");
    var open = form.querySelector("[data-appeal-review-open]");
    var close = form.querySelector("[data-appeal-review-close]");
    var send = form.querySelector("[data-appeal-send]");
    if (review && open && close && send) {
      var show = function (reviewing) {
        review.hidden = !reviewing;
        open.hidden = reviewing;
        send.hidden = !reviewing;
        close.hidden = !reviewing;
      };
      var fill = function () {
        var grounds = [];
        form.querySelectorAll("input[name=grounds]:checked").forEach(function (box) {
          var label = form.querySelector("label[for='" + box.id + "'] .choice__label");
          grounds.push(label ? label.textContent.trim() : box.value);
        });
        var statement = form.querySelector("textarea[name=statement]");
        var file = form.querySelector("input[type=file]");
        var none = review.querySelector("[data-review=file]").getAttribute("data-none");
        review.querySelector("[data-review=grounds]").textContent = grounds.join(" · ") || "—";
        review.querySelector("[data-review=statement]").textContent =
          (statement && statement.value.trim()) || "—";
        review.querySelector("[data-review=file]").textContent =
          file && file.files.length ? file.files[0].name : none;
      };
      show(false);
      open.addEventListener("click", function () {
        fill();
        show(true);
        review.focus();
      });
      close.addEventListener("click", function () {
        show(false);
        open.focus();
      });
    }
    form.addEventListener("submit", function (event) {
      if (form.getAttribute("data-sending")) { event.preventDefault(); return; }
      form.setAttribute("data-sending", "1");
      var pressed = event.submitter;
      form.querySelectorAll("button").forEach(function (button) {
        if (button === pressed) { button.setAttribute("aria-disabled", "true"); }
      });
      window.setTimeout(function () {
        form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
      }, 0);
    });
  });
})();
