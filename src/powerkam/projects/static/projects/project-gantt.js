// The project page's Gantt-style timeline (issue #12 item 7): one row per stage, a bar from the
// stage's start to its end (or today), the customer-side pauses as hatched bars on the same row,
// and each stage's deadline as a marker. Data: the page's #gantt-data JSON (no inline script: CSP).
(function () {
  var holder = document.getElementById("project-gantt");
  var source = document.getElementById("gantt-data");
  if (!holder || !source || !window.echarts) return;
  var d = JSON.parse(source.textContent);
  var DAY = 86400000;
  function ms(text) { return text ? new Date(text + "T00:00:00").getTime() : null; }
  var colours = {grid: "#0d6efd", customer: "#adb5bd", pause: "#ffc107", overdue: "#dc3545", done: "#198754"};
  var bars = d.bars.map(function (b) {
    var start = ms(b.start), end = ms(b.end) || ms(d.today);
    return {value: [b.row, start, Math.max(end, start) + DAY, b.label], itemStyle: {color: colours[b.kind] || colours.grid}};
  });
  var deadlines = d.deadlines.map(function (x) { return {value: [ms(x.date) + DAY / 2, x.row], label: x.label}; });
  function renderItem(params, api) {
    var row = api.value(0);
    var start = api.coord([api.value(1), row]);
    var end = api.coord([api.value(2), row]);
    var height = api.size([0, 1])[1] * 0.5;
    var shape = echarts.graphic.clipRectByRect({x: start[0], y: start[1] - height / 2, width: Math.max(end[0] - start[0], 2), height: height},
      {x: params.coordSys.x, y: params.coordSys.y, width: params.coordSys.width, height: params.coordSys.height});
    return shape && {type: "rect", transition: ["shape"], shape: shape, style: api.style()};
  }
  var chart = echarts.init(holder);
  chart.setOption({
    animation: false,
    tooltip: {formatter: function (p) { return p.seriesType === "custom" ? p.value[3] : p.data.label; }},
    grid: {left: 150, right: 40, top: 20, bottom: 40},
    xAxis: {type: "time", axisLabel: {formatter: "{MM}-{dd}", hideOverlap: true}},
    yAxis: {type: "category", data: d.rows, inverse: true},
    series: [
      {type: "custom", renderItem: renderItem, encode: {x: [1, 2], y: 0}, data: bars},
      {type: "scatter", symbol: "path://M0,0 L10,0 L5,10 Z", symbolSize: 12, itemStyle: {color: colours.overdue},
       data: deadlines, z: 5},
      {type: "line", markLine: {symbol: "none", silent: true, lineStyle: {color: "#6c757d", type: "dashed"},
       label: {formatter: d.labels.today}, data: [{xAxis: ms(d.today)}]}, data: []}
    ]
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
