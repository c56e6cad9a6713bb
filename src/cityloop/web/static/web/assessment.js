// Charts of the assessment pages and the leaders' overview (ECharts, vendored). Data comes
// from json_script tags; every bar and slice links to the records behind it.
(function () {
  "use strict";
  function data(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }
  function bars(el, d, opts) {
    if (!el || !d || !window.echarts) { return; }
    var chart = echarts.init(el);
    var horizontal = opts && opts.horizontal;
    var cat = { type: "category", data: d.labels, axisLabel: { interval: 0, rotate: horizontal ? 0 : 30 } };
    var val = { type: "value" };
    chart.setOption({
      animation: false,  // drawn at once: what a screenshot or a print shows is final
      tooltip: { trigger: "axis" },
      grid: { left: horizontal ? 90 : 40, right: 24, top: 16, bottom: horizontal ? 24 : 60 },
      xAxis: horizontal ? val : cat,
      yAxis: horizontal ? Object.assign(cat, { inverse: true }) : val,
      series: [{ type: "bar",
                 // one colour per bar where given (the lights), else one for the series
                 data: (opts && opts.colours) ? d.values.map(function (v, i) {
                   return { value: v, itemStyle: { color: opts.colours[i % opts.colours.length] } };
                 }) : d.values,
                 color: (opts && opts.colour) || "#c00000",
                 label: { show: true, position: horizontal ? "right" : "top" } }]
    });
    if (d.links) {
      chart.on("click", function (p) { if (d.links[p.dataIndex]) { window.location = d.links[p.dataIndex]; } });
    }
    window.addEventListener("resize", function () { chart.resize(); });
    el.setAttribute("data-ready", "1");
  }
  function lines(el, t) {
    if (!el || !t || !window.echarts || !t.periods.length) { return; }
    var chart = echarts.init(el);
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis" }, legend: { top: 0 },
      grid: { left: 40, right: 16, top: 36, bottom: 28 },
      xAxis: { type: "category", data: t.periods }, yAxis: { type: "value" },
      series: Object.keys(t.series).map(function (k) { return { name: k, type: "line", data: t.series[k] }; })
    });
    el.setAttribute("data-ready", "1");
  }
  var ranking = data("ranking-data");
  bars(document.getElementById("ranking-chart"), ranking, { horizontal: true });
  var dash = data("dashboard-data");
  if (dash) {
    bars(document.getElementById("states-chart"), dash.states, { colour: "#1a73e8" });
    // red, yellow, blue, done: the order the overview lists them in
    bars(document.getElementById("colours-chart"), dash.colours,
         { colours: ["#c62828", "#f9a825", "#1565c0", "#2e7d32"] });
    (dash.rankings || []).forEach(function (r, i) {
      bars(document.getElementById("rank-chart-" + i), r, { horizontal: true });
      lines(document.getElementById("trend-chart-" + i), r.trend);
    });
  }
})();
