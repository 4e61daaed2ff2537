// binance-trader price chart: candles with the active basket's levels and fills, drawn by
// the vendored TradingView lightweight-charts (assets/vendor/lightweight-charts). Used by the
// dashboard (data from /api/chart) and by the backtest report (data embedded in the page).
// window.btChart exposes the chart, its series, lines and markers (the browser test reads
// the library's own data from it).
(function () {
  "use strict";
  var LC = window.LightweightCharts;
  var el = document.querySelector("[data-price-chart]");
  if (!el || !LC) return;

  var COLORS = {
    anchor: "#64748b", buy: "#059669", ext: "#0d9488", tp1: "#2563eb", tp2: "#7c3aed",
    stop: "#dc2626", trail: "#d97706", range: "#475569", level: "#94a3b8", sell: "#2563eb"
  };
  function dark() { return document.documentElement.classList.contains("dark") ||
    (!document.documentElement.classList.contains("light") &&
      window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches); }
  function theme() {
    var d = dark();
    return {
      layout: { background: { color: "transparent" }, textColor: d ? "#cbd5e1" : "#334155" },
      grid: { vertLines: { color: d ? "#1e293b" : "#e2e8f0" }, horzLines: { color: d ? "#1e293b" : "#e2e8f0" } }
    };
  }

  var chart = LC.createChart(el, Object.assign({
    autoSize: true,
    timeScale: { timeVisible: true, secondsVisible: false },
    handleScroll: true, handleScale: true,
    localization: { locale: document.documentElement.lang || "en" }
  }, theme()));
  var series = chart.addSeries(LC.CandlestickSeries, {
    upColor: "#10b981", downColor: "#ef4444", borderVisible: false,
    wickUpColor: "#10b981", wickDownColor: "#ef4444"
  });
  var markers = LC.createSeriesMarkers(series, []);
  // The page's words for the lines and the tooltip (English when the page gives none).
  var words = {
    Anchor: el.getAttribute("data-label-anchor") || "Anchor",
    "Hard stop": el.getAttribute("data-label-stop") || "Hard stop",
    Lower: el.getAttribute("data-label-lower") || "Lower",
    Upper: el.getAttribute("data-label-upper") || "Upper",
    "Stop loss": el.getAttribute("data-label-stop-loss") || "Stop loss",
    fee: el.getAttribute("data-label-fee") || "fee"
  };
  var state = { chart: chart, series: series, markers: markers, lines: [], data: null, range: null };
  window.btChart = state;

  var tip = document.getElementById("chart-tip");
  function fmtTime(ms) { return new Date(ms).toLocaleString(document.documentElement.lang || undefined, { timeZone: "UTC" }) + " UTC"; }
  chart.subscribeCrosshairMove(function (param) {
    if (!tip) return;
    var here = (state.data && param.time !== undefined) ? state.data.markers.filter(function (m) { return m.time === param.time; }) : [];
    if (!here.length) { tip.hidden = true; tip.textContent = ""; return; }
    tip.textContent = here.map(function (m) {
      return m.side + " " + m.slot + ": " + m.qty + " @ " + m.price + ", " + words.fee + " " + m.fee + " (" + fmtTime(m.time_ms) + ")";
    }).join("\n");
    tip.hidden = false;
  });

  function draw(data) {
    state.data = data;
    var dp = data.price_dp;
    series.applyOptions({ priceFormat: { type: "price", precision: dp, minMove: Math.pow(10, -dp) } });
    var locale = document.documentElement.lang || "en";
    chart.applyOptions({ localization: { locale: locale, priceFormatter: function (p) {
      return p.toLocaleString(locale, { minimumFractionDigits: dp, maximumFractionDigits: dp });
    } } });
    series.setData(data.candles.map(function (c) {
      return { time: c.time, open: Number(c.open), high: Number(c.high), low: Number(c.low), close: Number(c.close) };
    }));
    state.lines.forEach(function (l) { series.removePriceLine(l); });
    state.lines = data.lines.map(function (l) {
      return series.createPriceLine({
        price: Number(l.price), color: COLORS[l.kind] || "#64748b", lineWidth: (l.kind === "anchor" || l.kind === "range") ? 2 : 1,
        lineStyle: l.state === "planned" ? LC.LineStyle.Dashed : (l.state === "filled" ? LC.LineStyle.Solid : LC.LineStyle.Dotted),
        axisLabelVisible: true, title: (words[l.label] || l.label) + (l.state === "filled" ? " ✓" : "")
      });
    });
    var times = {};
    data.candles.forEach(function (c) { times[c.time] = true; });
    markers.setMarkers(data.markers.filter(function (m) { return times[m.time]; }).map(function (m) {
      var buy = m.side === "BUY";
      return { time: m.time, position: buy ? "belowBar" : "aboveBar", color: buy ? "#059669" : "#dc2626",
        shape: buy ? "arrowUp" : "arrowDown", text: m.slot };
    }));
    chart.timeScale().fitContent();
    el.setAttribute("data-candles", String(data.candles.length));
    el.setAttribute("data-lines", String(data.lines.length));
    el.setAttribute("data-markers", String(data.markers.length));
    var err = document.getElementById("chart-error");
    if (err) { err.textContent = data.candles_error || ""; err.hidden = !data.candles_error; }
  }
  state.draw = draw;

  // Only the newest request draws: two reloads in flight (a fill, then another) may answer
  // out of order, and the older answer must not overwrite the newer chart.
  var latest = 0;
  function load(range) {
    var url = el.getAttribute("data-src");
    if (!url) return;
    state.range = range;
    var mine = ++latest;
    fetch(url + "?range=" + encodeURIComponent(range), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data && mine === latest) { draw(data); el.setAttribute("data-range", range); } })
      .catch(function () {});
  }
  state.reload = function () { if (state.range) load(state.range); };

  document.addEventListener("click", function (e) {
    var b = e.target.closest("[data-range]");
    if (!b || b === el) return;
    e.preventDefault();
    document.querySelectorAll("button[data-range]").forEach(function (x) { x.setAttribute("aria-pressed", String(x === b)); });
    load(b.getAttribute("data-range"));
  });
  if (window.matchMedia) {
    window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", function () { chart.applyOptions(theme()); });
  }
  document.addEventListener("bt-theme", function () { chart.applyOptions(theme()); });

  var embedded = document.getElementById("chart-data");
  if (embedded) draw(JSON.parse(embedded.textContent));
  else load(el.getAttribute("data-initial-range") || "1d");
})();
