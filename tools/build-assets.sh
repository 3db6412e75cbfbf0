#!/usr/bin/env bash
# Build GOV.UK Frontend (npm govuk-frontend, pinned in package.json) into static/assets, served at /assets.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d node_modules/govuk-frontend ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
src=node_modules/govuk-frontend/dist/govuk
rm -rf static/assets
mkdir -p static/assets
cp -R "$src/assets/." static/assets/
cp "$src/govuk-frontend.min.css" "$src/govuk-frontend.min.js" static/assets/
echo "GOV.UK Frontend $(node -p "require('./node_modules/govuk-frontend/package.json').version") built into static/assets"
