// Moved out of the page so the Content-Security-Policy can forbid inline script.
(function () {
  var form = document.getElementById("assessment-form");
  var thresholds = JSON.parse(document.getElementById("grade-thresholds").textContent);
  var max = parseInt(form.dataset.characteristicMax, 10), scoreMax = parseInt(form.dataset.scoreMax, 10);
  var totalLabel = form.dataset.totalLabel, gradeLabel = form.dataset.gradeLabel;
  function recompute() {
    var total = 0;
    form.querySelectorAll("table[data-cat]").forEach(function (table) {
      var catTotal = 0, catMax = 0;
      table.querySelectorAll("tr[data-item]").forEach(function (row) {
        var sum = 0;
        row.querySelectorAll("select.score").forEach(function (s) { sum += parseInt(s.value || "0", 10); catMax += scoreMax; });
        row.querySelector("[data-item-total]").textContent = sum;
        catTotal += sum;
      });
      document.querySelector("[data-cat-total='" + table.dataset.cat + "']").textContent = catTotal + " / " + catMax;
      total += catTotal;
    });
    var pct = Math.round(total * 10000 / max) / 100, grade = 6;
    for (var i = 0; i < thresholds.length; i++) { if (pct >= parseFloat(thresholds[i][1])) { grade = thresholds[i][0]; break; } }
    document.getElementById("score-total").textContent = totalLabel + " " + total + " / " + max + " (" + pct + " %) · " + gradeLabel + " " + grade;
  }
  form.addEventListener("change", function (e) { if (e.target.classList.contains("score")) recompute(); });
  recompute();
})();
