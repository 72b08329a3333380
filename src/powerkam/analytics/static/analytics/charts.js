/* PowerKAM analysis charts: every element with data-pk-chart="<id of a json_script>" becomes an
   ECharts chart with the options the server computed. Works on full pages and on htmx fragments.

   Figures: an axis (or a pie series) the server marked with "pkUnit" gets label and tooltip
   formatters that write numbers as core/numbers.py does — thousands separators everywhere, and
   in Chinese (<html lang="zh-…">) 万元 / 万kWh from 10,000 up. */
(function () {
  "use strict";
  var WAN = 10000;

  function chinese() { return /^zh/i.test(document.documentElement.lang || ""); }

  function grouped(value, digits, minDigits) {
    return Number(value).toLocaleString("en-US", {
      maximumFractionDigits: digits, minimumFractionDigits: minDigits === undefined ? 0 : minDigits
    });
  }

  // The text of one figure; `short` (axis labels) leaves the unit to the axis name.
  function format(value, unit, short) {
    if (value === null || value === undefined || value === "" || isNaN(value)) { return "—"; }
    var v = Number(value), zh = chinese(), big = zh && Math.abs(v) >= WAN;
    switch (unit) {
      case "yuan":
        if (short) { return big ? grouped(v / WAN, 2) + "万" : grouped(v, 2); }
        if (big) { return grouped(v / WAN, 2, 2) + "万元"; }
        return grouped(v, 2, 2) + (zh ? "元" : " yuan");
      case "kwh":
        if (short) { return big ? grouped(v / WAN, 2) + "万" : grouped(v, 2); }
        return big ? grouped(v / WAN, 2, 2) + "万kWh" : grouped(v, 2) + " kWh";
      case "price":
        return grouped(v, 4);
      case "pct":
        return grouped(v, 1) + (short ? "" : " %");
      default:
        return grouped(v, 2);
    }
  }

  function list(x) { return x === undefined ? [] : (Array.isArray(x) ? x : [x]); }

  // Attach the formatters the JSON options cannot carry (functions) to marked axes and series.
  function decorate(options) {
    var axes = { x: list(options.xAxis), y: list(options.yAxis) };
    ["x", "y"].forEach(function (k) {
      axes[k].forEach(function (axis) {
        if (!axis || !axis.pkUnit) { return; }
        axis.axisLabel = axis.axisLabel || {};
        axis.axisLabel.formatter = function (v) { return format(v, axis.pkUnit, true); };
      });
    });
    list(options.series).forEach(function (s) {
      var unit = s.pkUnit;
      if (!unit) {
        var y = axes.y[s.yAxisIndex || 0], x = axes.x[s.xAxisIndex || 0];
        unit = (y && y.pkUnit) || (x && x.pkUnit);
      }
      if (!unit) { return; }
      s.tooltip = s.tooltip || {};
      s.tooltip.valueFormatter = function (v) { return format(v, unit, false); };
    });
    return options;
  }

  function render(root) {
    if (!window.echarts) { return; }
    (root || document).querySelectorAll("[data-pk-chart]").forEach(function (el) {
      if (el.dataset.pkDone) { return; }
      var src = document.getElementById(el.dataset.pkChart);
      if (!src) { return; }
      el.dataset.pkDone = "1";
      var chart = window.echarts.init(el, null, { renderer: "canvas" });
      chart.setOption(decorate(JSON.parse(src.textContent)));
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }
  window.PowerKAMCharts = { render: render, format: format, decorate: decorate };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { render(document); });
  } else {
    render(document);
  }
  document.addEventListener("htmx:afterSettle", function (e) { render(e.target); });
})();
