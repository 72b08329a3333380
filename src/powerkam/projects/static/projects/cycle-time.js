// The cycle-time analysis charts (issue #12 item 8): the 12-month trend of the whole cycle
// (mean / median / P90 working days, share within commitment) and the per-stage comparison of
// grid-side against customer-side days. Data: #cycle-data JSON (no inline script: CSP).
(function () {
  var source = document.getElementById("cycle-data");
  if (!source || !window.echarts) return;
  var d = JSON.parse(source.textContent);
  function chart(id, option) {
    var el = document.getElementById(id); if (!el) return;
    var c = echarts.init(el); c.setOption(option); window.addEventListener("resize", function () { c.resize(); });
  }
  chart("chart-trend", {
    tooltip: {trigger: "axis"}, legend: {top: 0}, grid: {left: 45, right: 50, top: 50, bottom: 30},
    xAxis: {type: "category", data: d.trend.labels},
    yAxis: [{type: "value", name: d.labels.days}, {type: "value", name: "%", max: 100}],
    series: [
      {name: d.labels.mean, type: "line", data: d.trend.mean, connectNulls: false},
      {name: d.labels.median, type: "line", data: d.trend.median},
      {name: d.labels.p90, type: "line", data: d.trend.p90, lineStyle: {type: "dashed"}},
      {name: d.labels.within, type: "bar", yAxisIndex: 1, data: d.trend.within, itemStyle: {opacity: 0.35}}
    ]
  });
  chart("chart-stages", {
    tooltip: {trigger: "axis"}, legend: {top: 0}, grid: {left: 45, right: 20, top: 50, bottom: 90},
    xAxis: {type: "category", data: d.stages.labels, axisLabel: {interval: 0, rotate: 30}},
    yAxis: {type: "value", name: d.labels.days},
    series: [
      {name: d.labels.grid, type: "bar", stack: "days", data: d.stages.grid},
      {name: d.labels.customer, type: "bar", stack: "days", data: d.stages.customer},
      {name: d.labels.commitment, type: "scatter", data: d.stages.commitment, symbol: "rect", symbolSize: [18, 3]}
    ]
  });
})();
