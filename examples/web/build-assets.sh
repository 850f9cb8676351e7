#!/usr/bin/env bash
# Copies the built GOV.UK Frontend (CSS, JS, fonts, images) from node_modules into the app's
# static folder; installs the pinned npm packages first (npm ci) when node_modules is missing.
# Usage: bash examples/web/build-assets.sh
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -f node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.css ] \
    || [ ! -f node_modules/axe-core/axe.min.js ]; then
  command -v npm >/dev/null || { echo "npm is needed to fetch govuk-frontend" >&2; exit 2; }
  npm ci --no-audit --no-fund --loglevel=error
fi
src=node_modules/govuk-frontend/dist/govuk
dest=src/sen_disagreement_web/static/govuk
rm -rf "$dest"
mkdir -p "$dest"
cp "$src/govuk-frontend.min.css" "$src/govuk-frontend.min.js" "$dest/"
cp -R "$src/assets" "$dest/assets"
echo "GOV.UK Frontend $(node -p "require('./node_modules/govuk-frontend/package.json').version" 2>/dev/null || echo '?') copied to $dest"
