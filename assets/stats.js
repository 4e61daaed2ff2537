// binance-trader /stats: equity, drawdown, daily realised P&L and P&L per basket, drawn with
// the vendored lightweight-charts from /api/stats. window.btStats holds the charts' series.
(function () {
  "use strict";
  var LC = window.LightweightCharts;
  var box = document.getElementById("stats-charts");
  if (!box || !LC) return;
  var dark = function () { return document.documentElement.classList.contains("dark"); };
  var theme = function () {
    return {
      layout: { background: { color: "transparent" }, textColor: dark() ? "#cbd5e1" : "#334155" },
      grid: { vertLines: { color: dark() ? "#1e293b" : "#e2e8f0" }, horzLines: { color: dark() ? "#1e293b" : "#e2e8f0" } }
    };
  };
  var num = function (v) { return Number(v); };
  var sign = function (v) { return num(v) >= 0 ? "#10b981" : "#ef4444"; };
  var charts = [];
  var series = {};
  window.btStats = series;
  fetch(box.getAttribute("data-src"), { credentials: "same-origin" })
    .then(function (r) { return r.ok ? r.json() : null; })
    .then(function (data) {
      if (!data) return;
      box.querySelectorAll("[data-series]").forEach(function (el) {
        var name = el.getAttribute("data-series");
        var chart = LC.createChart(el, Object.assign({ autoSize: true, timeScale: { timeVisible: name !== "daily" } }, theme()));
        charts.push(chart);
        var s;
        if (name === "equity") {
          s = chart.addSeries(LC.LineSeries, { color: "#0284c7", lineWidth: 2 });
          s.setData(data.equity.map(function (p) { return { time: p.time, value: num(p.value) }; }));
        } else if (name === "drawdown") {
          s = chart.addSeries(LC.AreaSeries, { lineColor: "#dc2626", topColor: "rgba(220,38,38,0.05)", bottomColor: "rgba(220,38,38,0.35)", invertFilledArea: true });
          s.setData(data.drawdown.map(function (p) { return { time: p.time, value: num(p.value) }; }));
        } else if (name === "daily") {
          s = chart.addSeries(LC.HistogramSeries, {});
          s.setData(data.daily.map(function (p) { return { time: p.time, value: num(p.value), color: sign(p.value) }; }));
        } else {
          s = chart.addSeries(LC.HistogramSeries, {});
          s.setData(data.per_basket.map(function (b) { return { time: b.time, value: num(b.pnl), color: sign(b.pnl) }; }));
        }
        chart.timeScale().fitContent();
        series[name] = s;
      });
      box.setAttribute("data-ready", "1");
    })
    .catch(function () {});
  document.addEventListener("bt-theme", function () { charts.forEach(function (c) { c.applyOptions(theme()); }); });
})();
