#!/usr/bin/env bash
# Build GOV.UK Frontend (npm govuk-frontend, pinned in package.json) into static/assets, served at /assets.
# Does nothing when static/assets already holds the installed version's build (a stamp names it), so two
# `make test` runs at once (.ci/run: SQLite and PostgreSQL side by side) never empty the folder under each other.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d node_modules/govuk-frontend ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
src=node_modules/govuk-frontend/dist/govuk
version=$(node -p "require('./node_modules/govuk-frontend/package.json').version")
stamp=static/assets/.built
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$version" ] && [ "$stamp" -nt node_modules/.package-lock.json ]; then
  exit 0
fi
rm -rf static/assets
mkdir -p static/assets
cp -R "$src/assets/." static/assets/
cp "$src/govuk-frontend.min.css" "$src/govuk-frontend.min.js" static/assets/
echo "$version" > "$stamp"
echo "GOV.UK Frontend $version built into static/assets"
