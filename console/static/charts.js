// Draws the dashboard's charts with ECharts from the JSON each chart's script holds.
// The tables on the page carry the same numbers, so nothing is lost without JavaScript.
(function () {
  "use strict";
  if (typeof echarts === "undefined") { return; }

  function option(data) {
    if (data.kind === "pie") {
      var series = data.series[0];
      return {
        tooltip: { trigger: "item" },
        legend: { bottom: 0, type: "scroll" },
        series: [{
          type: "pie", radius: ["35%", "65%"], name: series.name,
          data: data.labels.map(function (label, i) { return { name: label, value: series.values[i] }; })
        }]
      };
    }
    return {
      tooltip: { trigger: "axis" },
      legend: { show: data.series.length > 1, top: 0 },
      grid: { left: 40, right: 16, top: data.series.length > 1 ? 32 : 16, bottom: 56, containLabel: true },
      xAxis: { type: "category", data: data.labels, axisLabel: { rotate: data.labels.length > 8 ? 40 : 0 } },
      yAxis: { type: "value", minInterval: 1 },
      series: data.series.map(function (s) {
        return { type: data.kind, name: s.name, data: s.values, connectNulls: true };
      })
    };
  }

  var charts = [];
  document.querySelectorAll("[data-chart-source]").forEach(function (element) {
    var source = document.getElementById(element.getAttribute("data-chart-source"));
    if (!source) { return; }
    var chart = echarts.init(element, null, { renderer: "canvas" });
    chart.setOption(option(JSON.parse(source.textContent)));
    charts.push(chart);
  });
  window.addEventListener("resize", function () {
    charts.forEach(function (chart) { chart.resize(); });
  });
})();
