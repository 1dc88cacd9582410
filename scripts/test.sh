#!/usr/bin/env bash
# Runs every test of the solution on a fresh machine: set-up first (Azurite from npm, Chromium from apt), then
# `dotnet test`, then one summary line.
# Usage: scripts/test.sh [extra dotnet test arguments, e.g. --filter Category=Unit]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

# The Bicep templates in infra/ first: they must build and lint clean (scripts/bicep.sh).
bash "$root/scripts/bicep.sh"

# Azurite, the storage emulator the integration tests start (pinned in package.json / package-lock.json).
if [ ! -x "$root/node_modules/.bin/azurite" ]; then
  command -v npm >/dev/null || { echo "test: npm is needed to install Azurite (apt-get install nodejs npm)" >&2; exit 1; }
  npm ci --no-audit --no-fund --loglevel=error
fi

# Chromium for the dashboard's browser tests: Playwright drives the Debian package and downloads no browser of its
# own. Skipped when a chromium is installed, or PLAYWRIGHT_CHROMIUM_EXECUTABLE_PATH names another Chromium-based browser.
if [ ! -x "${PLAYWRIGHT_CHROMIUM_EXECUTABLE_PATH:-/usr/bin/chromium}" ]; then
  command -v apt-get >/dev/null || { echo "test: install chromium for the dashboard tests, or set PLAYWRIGHT_CHROMIUM_EXECUTABLE_PATH" >&2; exit 1; }
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q chromium
fi

# Python with requests, for the service's own Python sample (tests/Samples): python3 if it has requests, else Debian's.
if ! python3 -c 'import requests' 2>/dev/null; then
  if ! /usr/bin/python3 -c 'import requests' 2>/dev/null; then
    command -v apt-get >/dev/null || { echo "test: install Python 3 with requests (python3-requests)" >&2; exit 1; }
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -q
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q python3-requests
  fi
  export VACE_TEST_PYTHON=/usr/bin/python3
fi

results="$root/TestResults"
rm -rf "$results"
status=0
dotnet test VaceFunctions.sln -c Release --logger "trx" --results-directory "$results" "$@" || status=$?

passed=0 failed=0 skipped=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  counters="$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)"
  count() { echo "$counters" | sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p"; }
  total=$(count total); executed=$(count executed)
  passed=$((passed + $(count passed))); failed=$((failed + $(count failed)))
  skipped=$((skipped + total - executed))
done
echo "tests: $passed passed, $failed failed, $skipped skipped"
if [ "$status" -eq 0 ] && [ $((passed + failed)) -eq 0 ]; then
  echo "tests: no test ran" >&2
  exit 1
fi
exit "$status"
