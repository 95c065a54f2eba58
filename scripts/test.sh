#!/usr/bin/env bash
# Runs every check: ruff, mypy (strict), tsc, vitest, pytest (unit, the docs build with warnings as
# errors in tests/test_docs.py, real-browser e2e).
# Installs what it needs: .venv, node_modules, and Debian's chromium when run as root.
# Extra arguments go to pytest, e.g. `bash scripts/test.sh -m "not e2e"`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh

if ! command -v chromium >/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    echo "==> apt-get install chromium (for the real-browser tests)"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
  elif [ -n "${CI:-}" ]; then
    die "chromium is missing and this is CI: install it (apt-get install chromium) so the browser tests run"
  else
    echo "note: chromium is missing, so the browser tests will be skipped (sudo apt-get install chromium)"
  fi
fi

echo "==> ruff";   ruff check src tests benchmarks docs/hooks && ruff format --check src tests benchmarks docs/hooks
echo "==> mypy";   mypy
echo "==> tsc";    npx --no-install tsc --noEmit
echo "==> vitest"; npx --no-install vitest run
echo "==> pytest"; pytest "$@"
