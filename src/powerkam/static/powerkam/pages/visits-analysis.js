// Moved out of the page so the Content-Security-Policy can forbid inline script.
(function () {
  var data = JSON.parse(document.getElementById("completion-data").textContent);
  var el = document.getElementById("completion-chart");
  if (!window.echarts || !el) return;
  var chart = echarts.init(el);
  var colors = ["#198754", "#fd7e14", "#dc3545", "#0d6efd"];
  chart.setOption({
    tooltip: {trigger: "axis"}, legend: {top: 0},
    grid: {left: 40, right: 20, bottom: 80, top: 40},
    xAxis: {type: "category", data: data.labels, axisLabel: {rotate: 30}},
    yAxis: {type: "value", minInterval: 1},
    series: data.series.map(function (s, i) { return {name: s.name, type: "bar", stack: "total", data: s.data, itemStyle: {color: colors[i]}}; })
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
