/* cityloop project pages: the new-project form shows the chosen type's stages and adds work
   item rows ("添加一行" clones the last row, emptied). Without JS the shown rows still work. */
(function () {
  "use strict";
  var form = document.querySelector('[data-form="project-new"]');
  if (!form) return;
  var type = form.querySelector('select[name="type"]');
  function showStages() {
    form.querySelectorAll("[data-stages-for]").forEach(function (el) {
      el.hidden = el.getAttribute("data-stages-for") !== type.value;
    });
  }
  if (type) type.addEventListener("change", showStages);
  var body = form.querySelector("[data-item-rows]"), add = form.querySelector("[data-add-row]");
  if (!body || !add) return;
  add.hidden = false;
  add.addEventListener("click", function () {
    var rows = body.querySelectorAll("[data-item-row]");
    var row = rows[rows.length - 1].cloneNode(true);
    row.querySelectorAll("input").forEach(function (input) {
      input.value = input.name === "item_weight" ? "1" : "";
    });
    row.querySelector("[data-row-number]").textContent = String(rows.length + 1);
    body.appendChild(row);
    row.querySelector("input").focus();
  });
})();
