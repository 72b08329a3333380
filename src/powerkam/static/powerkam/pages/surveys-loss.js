// Moved out of the page so the Content-Security-Policy can forbid inline script.
(function () {
  var d = JSON.parse(document.getElementById("loss-data").textContent);
  var el = document.getElementById("loss-chart");
  if (!window.echarts || !el) return;
  var chart = echarts.init(el);
  chart.setOption({tooltip: {trigger: "axis"}, grid: {left: 48, right: 16, bottom: 60},
    xAxis: {type: "category", data: d.labels, axisLabel: {rotate: d.labels.length > 6 ? 30 : 0}},
    yAxis: {type: "value", name: d.name}, series: [{name: d.name, type: "bar", data: d.rates, label: {show: true, position: "top"}}]});
  window.addEventListener("resize", function () { chart.resize(); });
})();
