#!/bin/sh
# Rebuilds assets/dashboard.css (committed; `cargo build` embeds it, so only whoever changes the
# dashboard's templates or assets/dashboard.input.css needs Node). Tailwind CSS v4 CLI from npm,
# installed in a scratch directory outside the repository.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
work=${TAILWIND_DIR:-/tmp/binance-trader-tailwind}
version=4.3.5
mkdir -p "$work"
if [ ! -x "$work/node_modules/.bin/tailwindcss" ]; then
  npm install --prefix "$work" --no-audit --no-fund "@tailwindcss/cli@$version" "tailwindcss@$version"
fi
# The CLI resolves `@import "tailwindcss"` next to the input file, so build from a copy there
# whose @source points at the templates.
sed "s#@source \"../templates/dashboard\";#@source \"$root/templates/dashboard\";#" \
  "$root/assets/dashboard.input.css" > "$work/dashboard.input.css"
"$work/node_modules/.bin/tailwindcss" -i "$work/dashboard.input.css" \
  -o "$root/assets/dashboard.css" --minify
