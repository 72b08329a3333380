// The one-time notice's print button (no inline script: CSP).
document.addEventListener("click", function (e) {
  var button = e.target.closest ? e.target.closest("[data-print]") : null;
  if (button) { e.preventDefault(); window.print(); }
});
