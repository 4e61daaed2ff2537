// binance-trader: light or dark. Follows the system unless the operator chose one with
// #theme-toggle (remembered in localStorage as bt-theme = light | dark). Loaded in <head>
// so the page never flashes the wrong colours.
(function () {
  "use strict";
  var KEY = "bt-theme";
  var root = document.documentElement;
  var media = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;
  function stored() { try { return localStorage.getItem(KEY); } catch (e) { return null; } }
  function apply() {
    var choice = stored();
    var dark = choice === "dark" || (choice !== "light" && !!(media && media.matches));
    root.classList.toggle("dark", dark);
    root.classList.toggle("light", !dark);
    root.setAttribute("data-theme", choice || "system");
    var b = document.getElementById("theme-toggle");
    if (b) b.textContent = b.getAttribute("data-" + (choice || "system")) || (choice || "system");
    document.dispatchEvent(new Event("bt-theme"));
  }
  apply();
  if (media && media.addEventListener) media.addEventListener("change", apply);
  document.addEventListener("DOMContentLoaded", apply);
  document.addEventListener("click", function (e) {
    if (!e.target.closest || !e.target.closest("#theme-toggle")) return;
    var next = { system: "light", light: "dark", dark: "system" }[stored() || "system"];
    try {
      if (next === "system") localStorage.removeItem(KEY); else localStorage.setItem(KEY, next);
    } catch (err) { /* private mode: the choice lasts this page only */ }
    apply();
  });
})();
