/* PowerKAM analysis charts: every element with data-pk-chart="<id of a json_script>" becomes an
   ECharts chart with the options the server computed. Works on full pages and on htmx fragments. */
(function () {
  "use strict";
  function render(root) {
    if (!window.echarts) { return; }
    (root || document).querySelectorAll("[data-pk-chart]").forEach(function (el) {
      if (el.dataset.pkDone) { return; }
      var src = document.getElementById(el.dataset.pkChart);
      if (!src) { return; }
      el.dataset.pkDone = "1";
      var chart = window.echarts.init(el, null, { renderer: "canvas" });
      chart.setOption(JSON.parse(src.textContent));
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }
  window.PowerKAMCharts = { render: render };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { render(document); });
  } else {
    render(document);
  }
  document.addEventListener("htmx:afterSettle", function (e) { render(e.target); });
})();
