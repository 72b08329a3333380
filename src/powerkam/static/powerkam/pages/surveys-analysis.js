// Moved out of the page so the Content-Security-Policy can forbid inline script.
(function () {
  var d = JSON.parse(document.getElementById("analysis-data").textContent);
  var el = document.getElementById("analysis-chart");
  if (!window.echarts || !el) return;
  var chart = echarts.init(el);
  chart.setOption({
    tooltip: {trigger: "axis"},
    legend: {data: [d.series_names.overall, d.series_names.responses]},
    grid: {left: 48, right: 48, bottom: 60},
    xAxis: {type: "category", data: d.labels, axisLabel: {rotate: d.labels.length > 6 ? 30 : 0}},
    yAxis: [{type: "value", min: 0, max: 5, name: d.series_names.overall}, {type: "value", name: d.series_names.responses}],
    series: [
      {name: d.series_names.overall, type: "bar", data: d.overall, label: {show: true, position: "top"}},
      {name: d.series_names.responses, type: "line", yAxisIndex: 1, data: d.responses}
    ]
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
