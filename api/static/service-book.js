// The service book's CSV import: a chosen file fills the form's textarea (the form is posted
// as it is, so the page also works without this script).
"use strict";
document.querySelectorAll("input[type=file][data-fills]").forEach(function (input) {
  input.addEventListener("change", function () {
    var target = input.form.querySelector("textarea[name=" + input.dataset.fills + "]");
    var file = input.files && input.files[0];
    if (!target || !file) { return; }
    file.text().then(function (text) { target.value = text; });
  });
});
