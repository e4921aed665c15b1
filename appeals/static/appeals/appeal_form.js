// The appeal form on one screen: "Review my appeal" shows what will be sent (reasons,
// statement, file) above the submit button, without a page load; "Change my answers" goes
// back. A button disables on the first tap so a second tap cannot send the form twice.
// Progressive enhancement only: without JavaScript the form submits directly.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    // Every form on the page: the first tap sends it, the buttons then disable.
    document.querySelectorAll("form[method=post]").forEach(function (each) {
      each.addEventListener("submit", function (event) {
        if (each.getAttribute("data-sending")) { event.preventDefault(); return; }
        each.setAttribute("data-sending", "1");
        window.setTimeout(function () {
          each.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
        }, 0);
      });
    });
    // A chosen file's name, next to our own "Choose a file" button.
    document.querySelectorAll("[data-file-name]").forEach(function (label) {
      var input = label.parentNode.querySelector("input[type=file]");
      if (!input) { return; }
      var limit = parseInt(input.getAttribute("data-max-bytes") || "0", 10);
      input.addEventListener("change", function () {
        var file = input.files.length ? input.files[0] : null;
        label.classList.remove("file-pick__name--error");
        if (file && limit && file.size > limit) {
          // Refused before uploading; the message names the file, where the borrower looks.
          label.textContent = label.getAttribute("data-too-big").replace("{name}", file.name);
          label.classList.add("file-pick__name--error");
          label.setAttribute("role", "alert");
          input.value = "";
          return;
        }
        label.textContent = file ? file.name : label.getAttribute("data-none");
      });
    });
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
  });
})();
