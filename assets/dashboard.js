// binance-trader dashboard: live refresh of #live and the confirmation modals. No libraries.
(function () {
  "use strict";
  var live = document.getElementById("live");
  if (live) {
    var url = live.getAttribute("data-refresh");
    var every = parseInt(live.getAttribute("data-every"), 10) || 3000;
    var tick = function () {
      fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } })
        .then(function (r) {
          if (r.status === 401) { window.location.reload(); return null; }
          return r.ok ? r.text() : null;
        })
        .then(function (html) {
          if (html !== null) {
            live.innerHTML = html;
            live.setAttribute("data-updated", String(Date.now()));
          }
        })
        .catch(function () {})
        .then(function () { setTimeout(tick, every); });
    };
    setTimeout(tick, every);
  }
  function open(dialog) {
    if (!dialog) return;
    if (typeof dialog.showModal === "function") dialog.showModal();
    else dialog.setAttribute("open", "");
  }
  document.addEventListener("click", function (e) {
    var t = e.target.closest("[data-open]");
    if (t) {
      e.preventDefault();
      open(document.getElementById(t.getAttribute("data-open")));
      return;
    }
    var c = e.target.closest("[data-confirm]");
    if (c) {
      e.preventDefault();
      var m = document.getElementById("confirm-modal");
      m.querySelector("[data-text]").textContent = c.getAttribute("data-confirm");
      m.querySelector("form").setAttribute("action", c.getAttribute("data-action"));
      m.querySelector("[data-submit]").textContent = c.getAttribute("data-label") || "Confirm";
      open(m);
      return;
    }
    var x = e.target.closest("[data-close]");
    if (x) {
      e.preventDefault();
      var d = x.closest("dialog");
      if (d && typeof d.close === "function") d.close(); else if (d) d.removeAttribute("open");
    }
  });
})();
