#!/bin/bash
# The crisis-page benchmark: /crisis/<slug> vs a static file (WhiteNoise) on the same gunicorn,
# wrk -c32, 3 runs × 10 s, median; plus both with If-None-Match (304). About 3 minutes.
#   bash bench/run_crisis.sh                 # results in /tmp/cdcrisis/results/crisis_page.json
#   RUNS=1 SECS=3 bash bench/run_crisis.sh   # a smoke run
# Needs wrk (installed here if missing). Scratch and SQLite database: $CDCRISIS_DIR (/tmp/cdcrisis).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; }
export CDCRISIS_DIR=${CDCRISIS_DIR:-/tmp/cdcrisis}
mkdir -p "$CDCRISIS_DIR/logs"
.venv/bin/python bench/crisis_page.py --runs "${RUNS:-3}" --secs "${SECS:-10}" --conns "${CONNS:-32}" \
  2>&1 | tee "$CDCRISIS_DIR/logs/crisis_page.log"
