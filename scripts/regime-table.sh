#!/usr/bin/env bash
# The regime table of README "Shipped defaults": a basket-grid strategy file against buy-and-hold
# on every bundled regime (the FILUSDT crash and rally quarters, the NEARUSDT range quarter and
# the five symbols of February 2026), one backtest per regime, 10 000 USDT, the file's budget.
#
#   scripts/regime-table.sh [--config F] [--bin PATH] [--sweep key=v1,v2 …]
#
# The binary: --bin, else `binance-trader` on the PATH, else target/release/binance-trader
# (`cargo build --release` first).
# The file's symbol is replaced by each regime's. With --sweep, every combination runs on every
# regime (one row per regime and point), so a neighbourhood of the defaults can be checked.
# Prints Markdown rows: regime | parameters | P&L | max DD | P&L/DD | hold P&L | hold max DD |
# hold P&L/DD | goal (P&L/DD at least hold's; in the crash also a loss at most half of hold's).
set -euo pipefail
cd "$(dirname "$0")/.."

config=config/backtest.toml
bin=$(command -v binance-trader || echo target/release/binance-trader)
sweep=()
label=""
while [ $# -gt 0 ]; do
  case "$1" in
    --config) config=$2; shift 2 ;;
    --bin) bin=$2; shift 2 ;;
    --sweep) sweep+=(--sweep "$2"); shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
if [ ${#sweep[@]} -eq 0 ]; then
  # One point that changes nothing: the file's own budget, so every run writes sweep.csv.
  budget=$(sed -n 's/^quote_budget *= *"\{0,1\}\([0-9.]*\)"\{0,1\}.*/\1/p' "$config")
  sweep=(--sweep "quote_budget=$budget")
  label="as in $config"
fi
[ -x "$bin" ] || { echo "build first: cargo build --release (or pass --bin)" >&2; exit 2; }

k=data/klines
regimes=(
  "crash FILUSDT 2023-04..06|FILUSDT|$k/FILUSDT-1m-2023-04.csv.gz $k/FILUSDT-1m-2023-05.csv.gz $k/FILUSDT-1m-2023-06.csv.gz"
  "rally FILUSDT 2024-09..11|FILUSDT|$k/FILUSDT-1m-2024-09.csv.gz $k/FILUSDT-1m-2024-10.csv.gz $k/FILUSDT-1m-2024-11.csv.gz"
  "range NEARUSDT 2023-08..10|NEARUSDT|$k/NEARUSDT-1m-2023-08.csv.gz $k/NEARUSDT-1m-2023-09.csv.gz $k/NEARUSDT-1m-2023-10.csv.gz"
)
for s in AVAXUSDT FILUSDT LINKUSDT LTCUSDT NEARUSDT; do
  regimes+=("$s 2026-02|$s|$k/$s-1m-2026-02.csv.gz")
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "| regime | parameters | P&L | max DD | P&L/DD | hold P&L | hold max DD | hold P&L/DD | goal |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---|"
for r in "${regimes[@]}"; do
  IFS='|' read -r name symbol files <<<"$r"
  sed "s/^symbol *=.*/symbol = \"$symbol\"/" "$config" >"$work/strategy.toml"
  # shellcheck disable=SC2086 # the file list splits on purpose
  "$bin" backtest --quiet --config "$work/strategy.toml" --data $files --out "$work/out" \
    "${sweep[@]}" >"$work/log" 2>&1 || { cat "$work/log" >&2; exit 1; }
  # Columns by header name, so a new column in sweep.csv does not shift them.
  awk -F, -v name="$name" -v label="$label" -v crash="${name%% *}" '
    NR == 1 { for (i = 1; i <= NF; i++) { col[$i] = i; key[i] = $i }; first = col["total_pnl"] - 1; next }
    {
      params = ""
      for (i = 2; i <= first; i++) params = params (i > 2 ? " " : "") key[i] "=" $i
      if (label != "") params = label
      pnl = $col["total_pnl"]; dd = $col["max_drawdown"]; pdd = $col["pnl_over_max_drawdown"]
      hp = $col["hold_pnl"]; hd = $col["hold_max_drawdown"]; hpdd = $col["hold_pnl_over_max_drawdown"]
      ok = (pdd + 0 >= hpdd + 0)
      if (crash == "crash" && pnl + 0 < hp / 2) ok = 0
      printf "| %s | %s | %+.2f | %.2f | %.2f | %+.2f | %.2f | %.2f | %s |\n", \
        name, params, pnl, dd, pdd, hp, hd, hpdd, (ok ? "met" : "MISSED")
    }' "$work/out/sweep.csv"
done
