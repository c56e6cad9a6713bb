// Bulletins pages: the new-issue form proposes the next number of the chosen series and
// year; the generated-item form shows the chosen generator's pickers only, and a scheme's
// own computed periods.
(function () {
  "use strict";
  function proposeNumber(form) {
    var series = form.querySelector("select[name=series]");
    var day = form.querySelector("input[name=date]");
    var number = form.querySelector("input[name=number]");
    if (!series || !day || !number) { return; }
    var opt = series.options[series.selectedIndex];
    var numbers = opt ? JSON.parse(opt.getAttribute("data-numbers") || "{}") : {};
    var year = (day.value || "").slice(0, 4);
    if (year.length === 4) { number.value = numbers[year] || 1; }
  }
  function showGenerator(form) {
    var chosen = form.querySelector("select[name=generator]").value;
    form.querySelectorAll("fieldset[data-generator]").forEach(function (fs) {
      var on = fs.getAttribute("data-generator") === chosen;
      fs.hidden = !on;
      fs.disabled = !on;
    });
  }
  function showPeriods(fs) {
    var scheme = fs.querySelector("select[data-param=scheme]");
    var period = fs.querySelector("select[data-param=period]");
    if (!scheme || !period) { return; }
    var first = null;
    period.querySelectorAll("optgroup").forEach(function (g) {
      var on = g.getAttribute("data-scheme") === scheme.value;
      g.hidden = !on;
      g.disabled = !on;
      if (on && !first && g.querySelector("option")) { first = g.querySelector("option"); }
    });
    var current = period.options[period.selectedIndex];
    if (!current || current.parentNode.disabled) {
      if (first) { first.selected = true; } else { period.value = ""; }
    }
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-new-issue]").forEach(function (form) {
      form.querySelector("select[name=series]").addEventListener("change", function () { proposeNumber(form); });
      form.querySelector("input[name=date]").addEventListener("change", function () { proposeNumber(form); });
    });
    document.querySelectorAll("form[data-generate]").forEach(function (form) {
      form.querySelector("select[name=generator]").addEventListener("change", function () { showGenerator(form); });
      showGenerator(form);
      form.querySelectorAll("fieldset[data-generator]").forEach(function (fs) {
        var scheme = fs.querySelector("select[data-param=scheme]");
        if (scheme) { scheme.addEventListener("change", function () { showPeriods(fs); }); showPeriods(fs); }
      });
    });
  });
})();
