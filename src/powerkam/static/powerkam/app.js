// PowerKAM page helpers (no framework; htmx does the fetching).
// Tabs remember themselves in the address (?tab=...), so a reload or a shared link opens
// the same tab, and a link to "#tab-x" opens tab x.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll('[data-bs-toggle="tab"][data-tab-key]').forEach(function (btn) {
    btn.addEventListener("shown.bs.tab", function () {
      var url = new URL(window.location.href);
      url.searchParams.set("tab", btn.dataset.tabKey);
      url.hash = "";
      window.history.replaceState(null, "", url);
    });
  });
  // The 360 overview's figures link to their tab (?tab=x#tab-x): on this page, switch tab
  // without a reload.
  document.querySelectorAll("a[data-glance-tab]").forEach(function (link) {
    link.addEventListener("click", function (e) {
      var btn = document.getElementById("tab-" + link.dataset.glanceTab + "-btn");
      if (!btn || !window.bootstrap) { return; }
      e.preventDefault();
      window.bootstrap.Tab.getOrCreateInstance(btn).show();
      btn.scrollIntoView({block: "nearest"});
    });
  });
  if (window.location.hash.indexOf("#tab-") === 0 && window.bootstrap) {
    var btn = document.querySelector('[data-bs-target="' + window.location.hash + '"]');
    if (btn) { window.bootstrap.Tab.getOrCreateInstance(btn).show(); }
  }
});

// Behaviour that used to be inline (onchange=, onsubmit=, <script> in htmx partials) lives here,
// so the Content-Security-Policy can forbid inline script (issue #9 item 9).
(function () {
  // <select data-autosubmit>: submit its form on change.
  document.addEventListener("change", function (e) {
    if (e.target.matches && e.target.matches("[data-autosubmit]") && e.target.form) { e.target.form.submit(); }
  });
  // <form data-confirm="Question?">: ask before submitting.
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) { e.preventDefault(); }
  }, true);
  // <div data-load-scripts="a.js b.js"> in an htmx partial: load the scripts (once each, in order),
  // then draw the partial's charts.
  function loadScripts(root) {
    (root.querySelectorAll ? root.querySelectorAll("[data-load-scripts]") : []).forEach(function (holder) {
      var need = holder.dataset.loadScripts.split(/\s+/).filter(function (src) {
        return src && !document.querySelector('script[src="' + src + '"]');
      });
      function next() {
        if (!need.length) { if (window.PowerKAMCharts) { window.PowerKAMCharts.render(holder.parentNode || document); } return; }
        var s = document.createElement("script"); s.src = need.shift(); s.onload = next; document.head.appendChild(s);
      }
      next();
    });
  }
  document.addEventListener("htmx:afterSettle", function (e) { loadScripts(e.target); });
  document.addEventListener("DOMContentLoaded", function () { loadScripts(document); });
})();
