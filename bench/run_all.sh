#!/bin/bash
# Every Calmdesk benchmark in one run, then the side-by-side table with the ratios.
#   bash bench/run_all.sh            # about 50 minutes on the 2-core bench machine
#   RUNS=1 SECS=5 SIZES=1000,100000 bash bench/run_all.sh   # a quick smoke run
# Needs: wrk, PostgreSQL on 127.0.0.1:5432 (user postgres, trust), Redis on 127.0.0.1:6379,
# the anchors' venv in /tmp/anchors/venv (bench/setup.sh). Scratch: $CDBENCH_DIR (/tmp/cdbench).
# Order: the queue databases are built first (loading is not sensitive to noise), then every
# timing script waits for a quiet machine (1-minute load average < 1.0, at most 10 minutes;
# BENCH_NO_WAIT=1 skips the wait) before its first measurement; each records the load average.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}; SECS=${SECS:-10}
SIZES=${SIZES:-1000,100000,1000000}; HD_SIZES=${HD_SIZES:-1000,100000}
export CDBENCH_DIR=${CDBENCH_DIR:-/tmp/cdbench}
mkdir -p "$CDBENCH_DIR/logs"
PY=.venv/bin/python
for db in sqlite pg; do
  $PY bench/run_queue.py --db $db --phase load --sizes "$SIZES" --hd-sizes "$HD_SIZES" \
    2>&1 | tee "$CDBENCH_DIR/logs/queue_load_$db.log"
done
for db in sqlite pg; do
  $PY bench/run_intake.py --db $db --runs "$RUNS" --secs "$SECS" 2>&1 | tee "$CDBENCH_DIR/logs/intake_$db.log"
done
for db in sqlite pg; do
  $PY bench/run_queue.py --db $db --phase measure --runs "$RUNS" --secs "$SECS" --sizes "$SIZES" \
    --hd-sizes "$HD_SIZES" 2>&1 | tee "$CDBENCH_DIR/logs/queue_$db.log"
done
$PY bench/report.py | tee "$CDBENCH_DIR/results/report.md"
