// A list of check boxes with a search box ([data-pk-checklist]): typing hides the items whose
// text does not match (checked ones stay visible), and the legend counts the ticked boxes.
// Used by the outage form's supply lines; no inline script (Content-Security-Policy).
(function () {
  "use strict";
  function setup(box) {
    var search = box.querySelector("[data-pk-checklist-search]");
    var items = Array.prototype.slice.call(box.querySelectorAll("[data-pk-checklist-item]"));
    var count = box.querySelector("[data-pk-checklist-count]");
    var none = box.querySelector("[data-pk-checklist-none]");
    function recount() {
      var n = box.querySelectorAll("input[type=checkbox]:checked").length;
      if (count) { count.textContent = n ? "(" + n + ")" : ""; }
    }
    function filter() {
      var words = (search.value || "").trim().toLowerCase().split(/\s+/).filter(Boolean);
      var shown = 0;
      items.forEach(function (item) {
        var text = item.textContent.toLowerCase();
        var checked = item.querySelector("input:checked");
        var match = checked || words.every(function (w) { return text.indexOf(w) !== -1; });
        item.classList.toggle("d-none", !match);
        if (match) { shown += 1; }
      });
      if (none) { none.classList.toggle("d-none", shown > 0); }
    }
    if (search) {
      search.addEventListener("input", filter);
      // Enter in the search box narrows the list; it must not submit the form.
      search.addEventListener("keydown", function (e) { if (e.key === "Enter") { e.preventDefault(); } });
    }
    box.addEventListener("change", recount);
    recount();
  }
  function init() { document.querySelectorAll("[data-pk-checklist]").forEach(setup); }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
