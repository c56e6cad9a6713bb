// Charts of the supervision pages (ECharts, vendored). Data comes from json_script tags.
(function () {
  "use strict";
  function data(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }
  var COLOURS = { red: "#c62828", yellow: "#f9a825", blue: "#1565c0" };
  var NAMES = { red: "红", yellow: "黄", blue: "蓝" };
  var trend = data("trend-data"), trendEl = document.getElementById("trend");
  if (trend && trendEl && window.echarts) {
    var chart = echarts.init(trendEl);
    chart.setOption({
      tooltip: { trigger: "axis" },
      legend: { top: 4 },
      grid: { left: 40, right: 16, top: 36, bottom: 28 },
      xAxis: { type: "category", data: trend.dates },
      yAxis: { type: "value", minInterval: 1 },
      series: ["red", "yellow", "blue"].map(function (c) {
        return { name: NAMES[c], type: "line", stack: "lights", areaStyle: {}, symbol: "none",
                 color: COLOURS[c], data: trend.series[c] };
      })
    });
    window.addEventListener("resize", function () { chart.resize(); });
    trendEl.setAttribute("data-ready", "1");
  }
  var progress = data("progress-data"), progressEl = document.getElementById("progress-chart");
  if (progress && progressEl && window.echarts) {
    var p = echarts.init(progressEl);
    p.setOption({
      tooltip: { trigger: "axis" },
      grid: { left: 40, right: 16, top: 16, bottom: 28 },
      xAxis: { type: "category", data: progress.dates },
      yAxis: { type: "value", min: 0, max: 100 },
      series: [{ type: "line", data: progress.percent, color: "#1d4e89" }]
    });
    window.addEventListener("resize", function () { p.resize(); });
    progressEl.setAttribute("data-ready", "1");
  }
  // 编排节点计划: "添加一行" copies the last row, emptied (without JS the rows shown still post).
  var addRow = document.querySelector("[data-add-row]");
  var planRows = document.querySelector("[data-plan-rows]");
  if (addRow && planRows) {
    addRow.hidden = false;
    addRow.addEventListener("click", function () {
      var last = planRows.querySelector("[data-plan-row]:last-child");
      if (!last) return;
      var row = last.cloneNode(true);
      row.querySelectorAll("input").forEach(function (input) { input.value = ""; });
      planRows.appendChild(row);
      row.querySelector("input").focus();
    });
  }
})();
