/* 新建考核方案 / 修订: the live sum of the weights, 添加一行 (a copy of the last row, emptied),
   and each row showing only the inputs of its mode and rule. Without it every input shows
   and the server checks the sum anyway. */
(function () {
  "use strict";
  var form = document.getElementById("scheme-form");
  if (!form) return;
  var rowsBox = document.getElementById("item-rows");
  var sumEl = document.getElementById("weight-sum");
  var totalEl = document.getElementById("weight-total");
  var warnEl = document.getElementById("weight-warn");
  var addBtn = document.getElementById("add-row");

  function rows() { return rowsBox.querySelectorAll(".item-row"); }

  function total() {
    var sum = 0;
    form.querySelectorAll("[data-weight]").forEach(function (el) {
      var v = parseFloat(el.value);
      if (!isNaN(v)) sum += v;
    });
    sum = Math.round(sum * 100) / 100;
    sumEl.textContent = String(sum);
    var ok = sum === 100;
    warnEl.hidden = ok;
    totalEl.classList.toggle("banner-warn", !ok);
  }

  function toggle(row) {
    var mode = row.querySelector("[data-mode-select]").value;
    var rule = row.querySelector("[data-rule-select]").value;
    row.querySelectorAll("[data-mode]").forEach(function (el) {
      var show = el.getAttribute("data-mode") === mode;
      if (show && el.hasAttribute("data-rule")) show = el.getAttribute("data-rule") === rule;
      el.hidden = !show;
    });
  }

  function number() {
    rows().forEach(function (row, i) {
      var n = row.querySelector("[data-row-number]");
      if (n) n.textContent = String(i + 1);
    });
  }

  function addRow() {
    var all = rows();
    var last = all[all.length - 1];
    var next = 0;
    all.forEach(function (r) { next = Math.max(next, parseInt(r.getAttribute("data-row"), 10) + 1); });
    var old = "item-" + last.getAttribute("data-row") + "-";
    var neu = "item-" + next + "-";
    var copy = last.cloneNode(true);
    copy.setAttribute("data-row", String(next));
    copy.querySelectorAll(".field-error, [data-preview]").forEach(function (el) { el.remove(); });
    copy.querySelectorAll("[name], [id], label[for]").forEach(function (el) {
      ["name", "id", "for"].forEach(function (a) {
        var v = el.getAttribute(a);
        if (v && v.indexOf(old) === 0) el.setAttribute(a, neu + v.slice(old.length));
      });
    });
    copy.querySelectorAll("input, textarea").forEach(function (el) { el.value = ""; });
    copy.querySelectorAll("select").forEach(function (el) {
      el.selectedIndex = 0;
    });
    rowsBox.appendChild(copy);
    number();
    toggle(copy);
    total();
    var first = copy.querySelector("input[type=text]");
    if (first) first.focus();
  }

  form.addEventListener("input", function (e) {
    if (e.target.hasAttribute("data-weight")) total();
  });
  form.addEventListener("change", function (e) {
    var row = e.target.closest(".item-row");
    if (row && (e.target.hasAttribute("data-mode-select") || e.target.hasAttribute("data-rule-select"))) toggle(row);
  });
  addBtn.hidden = false;
  addBtn.addEventListener("click", addRow);
  rows().forEach(toggle);
  total();
})();
