#!/bin/bash
# One-time set-up for bench/run_all.sh (what ../shared/bench-anchors/setup.sh does, minus its
# own PostgreSQL cluster: our benchmarks use the PostgreSQL on 127.0.0.1:5432 for everything).
#   - apt: wrk
#   - /tmp/anchors/venv: django-helpdesk 2.6.1 (+ Django 5.2, DRF), gunicorn, psycopg
set -euo pipefail
A=${ANCHORS:-/tmp/anchors}
mkdir -p "$A/results"
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; }
if [ ! -x "$A/venv/bin/python" ]; then
  python3 -m venv "$A/venv"
  "$A/venv/bin/pip" install -q --upgrade pip
  "$A/venv/bin/pip" install -q "django-helpdesk==2.6.1" gunicorn "psycopg[binary]"
fi
"$A/venv/bin/pip" freeze > "$A/results/pip-freeze.txt"
pg_isready -h 127.0.0.1 -p 5432 >/dev/null || { echo "PostgreSQL is not running on 127.0.0.1:5432"; exit 1; }
echo "bench set-up done"
