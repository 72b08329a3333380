/* The load page's year heatmap (day × 15-minute slot): fetched as JSON after the page has drawn,
   so the rest of the page does not wait for 35,000 values. And the print button. */
(function () {
  "use strict";
  function heatmap(el) {
    if (!window.echarts || !el) { return; }
    fetch(el.dataset.url, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (d) {
      if (!d.points) { el.textContent = el.dataset.empty; el.style.height = "auto"; el.dataset.pkEmpty = "1"; return; }
      var data = [];
      d.values.forEach(function (row, y) {
        row.forEach(function (v, x) { if (v !== null) { data.push([x, y, v]); } });
      });
      var chart = window.echarts.init(el, null, { renderer: "canvas" });
      chart.setOption({
        tooltip: { position: "top", formatter: function (p) { return d.days[p.value[1]] + " " + d.slots[p.value[0]] + ": " + p.value[2] + " kW"; } },
        grid: { left: 80, right: 20, top: 10, bottom: 60 },
        xAxis: { type: "category", data: d.slots, axisLabel: { interval: 7 } },
        yAxis: { type: "category", data: d.days, inverse: true, axisLabel: { interval: 30 } },
        visualMap: { min: 0, max: d.max || 1, calculable: true, orient: "horizontal", left: "center", bottom: 0,
                     inRange: { color: ["#f7fbff", "#6baed6", "#08306b", "#fd8d3c", "#a50f15"] } },
        series: [{ type: "heatmap", data: data, progressive: 5000, animation: false }]
      });
      el.dataset.pkDone = "1";
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }
  function start() {
    heatmap(document.getElementById("load-heatmap"));
    document.querySelectorAll("[data-pk-print]").forEach(function (b) {
      b.addEventListener("click", function () { window.print(); });
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
