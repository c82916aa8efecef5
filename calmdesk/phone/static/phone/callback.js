// The callback forms: preselect the visitor's own time zone (when they have not chosen one)
// and keep the date picker from offering past days. The form works without this script.
(function () {
  "use strict";
  var zone = "";
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch (e) {
    zone = "";
  }
  document.querySelectorAll("fieldset.callback-window").forEach(function (fieldset) {
    var select = fieldset.querySelector("select[name$='timezone']");
    if (select && zone && !select.dataset.touched && !fieldset.querySelector(".has-error")) {
      var option = select.querySelector("option[value='" + zone.replace(/'/g, "") + "']");
      if (option) {
        select.value = zone;
      }
      select.addEventListener("change", function () {
        select.dataset.touched = "1";
      });
    }
    var date = fieldset.querySelector("input[type='date']");
    if (date && !date.min) {
      var now = new Date();
      var pad = function (n) {
        return (n < 10 ? "0" : "") + n;
      };
      date.min = now.getFullYear() + "-" + pad(now.getMonth() + 1) + "-" + pad(now.getDate());
    }
  });
})();
