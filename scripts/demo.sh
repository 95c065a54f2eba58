#!/usr/bin/env bash
# Opens the demo notebook in JupyterLab, running against the local Workato sandbox (no account needed).
# Arguments go to `workato-ipywidget demo`, e.g. --voila for a dashboard, --no-browser, --port N.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh
exec workato-ipywidget demo "$@"
