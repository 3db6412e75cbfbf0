#!/usr/bin/env bash
# Check (and, as root, install) the Debian packages a make target needs.
# Usage: tools/system-packages.sh run|test|bench|ci
set -euo pipefail

want=(nodejs npm libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 libfontconfig1 fonts-dejavu-core)
case "${1:-run}" in
  run) ;;
  test) want+=(chromium poppler-utils) ;;
  bench) want+=(wrk) ;;  # the pages' load, from a second process on loopback
  ci) want+=(chromium poppler-utils postgresql wrk) ;;
  *) echo "usage: $0 run|test|bench|ci" >&2; exit 2 ;;
esac

missing=()
for pkg in "${want[@]}"; do
  case "$pkg" in
    # Node may come from NodeSource or nvm rather than Debian: the commands are what matter.
    nodejs) command -v node >/dev/null 2>&1 && continue ;;
    npm) command -v npm >/dev/null 2>&1 && continue ;;
  esac
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
  echo "Installing system packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "Remedy needs these system packages. Install them, then run the command again:" >&2
  echo "  sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
