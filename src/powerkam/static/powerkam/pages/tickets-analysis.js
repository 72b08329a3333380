// Moved out of the page so the Content-Security-Policy can forbid inline script.
(function () {
  if (!window.echarts) return;
  var d = JSON.parse(document.getElementById("analysis-data").textContent);
  function chart(id, option) { var el = document.getElementById(id); if (!el) return; var c = echarts.init(el); c.setOption(option); window.addEventListener("resize", function () { c.resize(); }); }
  chart("chart-monthly", {tooltip: {trigger: "axis"}, legend: {}, grid: {left: 40, right: 40, bottom: 30},
    xAxis: {type: "category", data: d.monthly.labels}, yAxis: [{type: "value"}, {type: "value", name: d.labels.avg_close}],
    series: [{name: d.labels.tickets, type: "bar", data: d.monthly.tickets}, {name: d.labels.complaints, type: "bar", data: d.monthly.complaints},
             {name: d.labels.avg_close, type: "line", yAxisIndex: 1, data: d.monthly.avg_close}]});
  chart("chart-stages", {tooltip: {trigger: "axis"}, legend: {}, grid: {left: 40, right: 20, bottom: 30},
    xAxis: {type: "category", data: d.stages.labels}, yAxis: {type: "value"},
    series: [{name: d.labels.avg, type: "bar", data: d.stages.avg}, {name: d.labels.p90, type: "bar", data: d.stages.p90}]});
  chart("chart-type", {tooltip: {trigger: "item"}, series: [{type: "pie", radius: ["35%", "70%"], data: d.by_type}]});
  chart("chart-cause", {tooltip: {trigger: "item"}, series: [{type: "pie", radius: ["35%", "70%"], data: d.by_cause}]});
  chart("chart-unit", {tooltip: {trigger: "axis"}, grid: {left: 90, right: 20, bottom: 30},
    xAxis: {type: "value"}, yAxis: {type: "category", data: d.by_unit.labels}, series: [{type: "bar", data: d.by_unit.values}]});
})();
