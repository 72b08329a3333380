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
