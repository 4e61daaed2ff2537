// binance-trader dashboard: live updates of #live (pushed over /events, polled while the
// stream is down) and the confirmation modals. No libraries.
(function () {
  "use strict";
  var live = document.getElementById("live");
  if (live) {
    var url = live.getAttribute("data-refresh");
    var every = parseInt(live.getAttribute("data-every"), 10) || 3000;
    var key = function () {
      var k = document.getElementById("live-key");
      return k ? k.getAttribute("data-key") : "";
    };
    // Swaps in a new live part; the chart reloads when fills or orders changed.
    var swap = function (html) {
      var before = key();
      live.innerHTML = html;
      live.setAttribute("data-updated", String(Date.now()));
      if (key() !== before && window.btChart) window.btChart.reload();
    };
    var streaming = false;
    var status = function (text) {
      var el = document.getElementById("stream-status");
      if (!el) return;
      el.textContent = el.getAttribute("data-" + text) || text;
      el.setAttribute("data-state", text);
    };
    var fetchLive = function () {
      return fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } })
        .then(function (r) {
          if (r.status === 401) { window.location.reload(); return null; }
          return r.ok ? r.text() : null;
        })
        .then(function (html) { if (html !== null) swap(html); });
    };
    // Polling is the fallback: it fetches only while the push stream is down.
    var tick = function () {
      (streaming ? Promise.resolve() : fetchLive())
        .catch(function () {})
        .then(function () { setTimeout(tick, every); });
    };
    setTimeout(tick, every);
    if (window.EventSource && live.getAttribute("data-stream")) {
      var source = new EventSource(live.getAttribute("data-stream"));
      source.addEventListener("hello", function () {
        streaming = true;
        status("live");
        fetchLive().catch(function () {}); // what changed while connecting
      });
      source.addEventListener("live", function (e) {
        var push = JSON.parse(e.data);
        swap(push.html);
        live.setAttribute("data-seq", String(push.seq));
        live.setAttribute("data-kinds", push.kinds.join(" "));
      });
      source.onerror = function () {
        streaming = false;
        status("disconnected");
        // The browser reconnects by itself unless the server refused the stream.
        if (source.readyState === 2) fetchLive().catch(function () {});
      };
    } else {
      status("polling");
    }
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
