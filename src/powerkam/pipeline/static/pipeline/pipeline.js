/* Pipeline pages: the board's drag and drop (htmx), print views, chart drill-down.
   No inline script (Content-Security-Policy): behaviour hangs off data- attributes. */
(function () {
  "use strict";

  function csrfHeaders() {
    try { return JSON.parse(document.body.getAttribute("hx-headers") || "{}"); } catch (e) { return {}; }
  }

  // Board: drag a card (data-move-url) onto a column (data-stage). Lost needs a reason: open the card.
  var dragged = null;
  document.addEventListener("dragstart", function (e) {
    var card = e.target.closest && e.target.closest(".pk-card[draggable=true]");
    if (!card) { return; }
    dragged = card;
    e.dataTransfer.effectAllowed = "move";
    e.dataTransfer.setData("text/plain", card.id);
  });
  document.addEventListener("dragover", function (e) {
    var col = e.target.closest && e.target.closest(".pk-column");
    if (col && dragged) { e.preventDefault(); col.classList.add("border-primary"); }
  });
  document.addEventListener("dragleave", function (e) {
    var col = e.target.closest && e.target.closest(".pk-column");
    if (col) { col.classList.remove("border-primary"); }
  });
  document.addEventListener("drop", function (e) {
    var col = e.target.closest && e.target.closest(".pk-column");
    if (!col || !dragged) { return; }
    e.preventDefault();
    col.classList.remove("border-primary");
    var card = dragged;
    dragged = null;
    if (col.dataset.outcome === "lost") { window.location = card.dataset.detailUrl + "#lose"; return; }
    var board = document.getElementById("board");
    window.htmx.ajax("POST", card.dataset.moveUrl + window.location.search, {
      target: "#board", swap: "innerHTML", values: {stage: col.dataset.stage}, headers: csrfHeaders(), source: board
    });
  });

  // Print views: ?print=1 pages carry [data-print-now].
  document.addEventListener("DOMContentLoaded", function () {
    if (document.querySelector("[data-print-now]") && !navigator.webdriver) { window.print(); }
    // Forecast drill-down: a click on a bar opens the records behind it (options.pkLinks).
    if (!window.echarts) { return; }
    document.querySelectorAll("[data-pk-chart]").forEach(function (el) {
      var src = document.getElementById(el.dataset.pkChart);
      if (!src) { return; }
      var links = JSON.parse(src.textContent).pkLinks || [];
      window.setTimeout(function () {
        var chart = window.echarts.getInstanceByDom(el);
        if (!chart) { return; }
        chart.on("click", function (p) { if (links[p.dataIndex]) { window.location = links[p.dataIndex]; } });
      }, 0);
    });
  });
})();
