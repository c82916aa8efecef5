"""Where the agent queue page's time goes: statements, CPU per page, and a cProfile summary.

usage: .venv/bin/python bench/profile_queue.py [--db sqlite|pg] [--size 100000]
           [--path /agent/] [--requests 200] [--top 30] [--explain] [--redis]

Runs in-process with Django's test client (no server, no wrk) against the queue bench database
of that size that ``run_queue.py --phase load`` built (``$CDBENCH_DIR/calmdesk_q<size>.sqlite3``
or PostgreSQL ``calmdesk_bench_q<size>``), with the same environment as the bench server
(``harness.DbConfig.calmdesk_env()``: ``DEBUG=0``, no Redis unless ``--redis``, as
``run_queue.py`` runs it). Pending migrations are applied first, as ``harness.start_server``
does. The bench agent (two of the four teams) signs in with its password, as ``run_queue.py``
does, then loads ``--path`` again and again. Prints:

* SQL statements per page (``CaptureQueriesContext``), each one with its time; ``--explain``
  adds each statement's plan (``EXPLAIN ANALYZE`` on PostgreSQL, ``EXPLAIN QUERY PLAN`` on
  SQLite);
* CPU time (``time.process_time``) and wall time per page without the profiler, median of
  3 batches;
* cProfile over ``--requests`` pages: Calmdesk's and Django's functions by cumulative time,
  self time by area, the top functions by self time.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import statistics
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(BENCH))

import harness as h  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--db", default="sqlite", choices=["sqlite", "pg"])
ap.add_argument("--size", type=int, default=100000)
ap.add_argument("--path", default="/agent/")
ap.add_argument("--requests", type=int, default=200)
ap.add_argument("--top", type=int, default=30)
ap.add_argument("--explain", action="store_true", help="print every statement's plan")
ap.add_argument("--redis", action="store_true", help="pg: Redis db 15 for the cache")
a = ap.parse_args()

cfg = h.DbConfig(a.db, tag=f"_q{a.size}", redis_url="redis://127.0.0.1:6379/15" if a.redis else "")
if not cfg.exists("calmdesk"):
    raise SystemExit(f"no {a.db} queue database for {a.size} (run_queue.py --phase load)")
env = cfg.calmdesk_env()
subprocess.run([h.CD_PY, "manage.py", "migrate", "-v0"], cwd=REPO, env=env, check=True)
os.environ.update(env)
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
sys.path.insert(0, str(REPO))

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

client = Client(REMOTE_ADDR="127.0.0.1")
if not client.login(username=h.AGENT_USER, password=h.AGENT_PASSWORD):
    raise SystemExit("the bench agent could not sign in")


def get() -> int:
    resp = client.get(a.path)
    if resp.status_code != 200:
        raise SystemExit(f"{a.path} answered {resp.status_code}: {resp.content[:500]!r}")
    return len(resp.content)


for _ in range(20):  # warm: imports, caches, compiled templates
    size = get()

with CaptureQueriesContext(connection) as ctx:
    get()
print(f"{a.db} {a.size}: {a.path} ({size:,} bytes)")
print(f"SQL statements per page: {len(ctx.captured_queries)}")
for q in ctx.captured_queries:
    print(f"  {float(q['time']) * 1000:6.2f} ms  {q['sql'][:400]}")
    if a.explain and q["sql"].lstrip().upper().startswith("SELECT"):
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + q["sql"])
            else:
                cursor.execute("EXPLAIN QUERY PLAN " + q["sql"])
            for row in cursor.fetchall():
                print("        " + " | ".join(str(c) for c in row))

batches, walls = [], []
for _ in range(3):
    t0, w0 = time.process_time(), time.perf_counter()
    for _ in range(50):
        get()
    batches.append((time.process_time() - t0) * 1000 / 50)
    walls.append((time.perf_counter() - w0) * 1000 / 50)
print(
    f"CPU per page, no profiler: {statistics.median(batches):.2f} ms "
    f"(batches of 50: {', '.join(f'{b:.2f}' for b in batches)}); "
    f"wall {statistics.median(walls):.2f} ms (includes the database's own time)"
)

prof = cProfile.Profile(time.process_time)
prof.enable()
for _ in range(a.requests):
    get()
prof.disable()
out = io.StringIO()
stats = pstats.Stats(prof, stream=out)
total = stats.total_tt  # type: ignore[attr-defined]
print(f"cProfile: {a.requests} pages, {1000 * total / a.requests:.2f} ms CPU each (profiled)")
rows = []
for (filename, line, name), (_cc, _nc, _tt, ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
    if "/calmdesk/" in filename or "/django/" in filename:
        short = filename.split("/site-packages/")[-1].replace(str(REPO) + "/", "")
        rows.append((ct, f"{short}:{line} {name}"))
rows.sort(reverse=True)
for ct, label in rows[: a.top]:
    print(f"  {100 * ct / total:5.1f} %  {1000 * ct / a.requests:6.2f} ms  {label}")

AREAS = (
    ("database driver (sqlite3 / psycopg)", ("sqlite3.", "_sqlite3", "psycopg")),
    ("Django templates (parsing, rendering)", ("django/template/",)),
    ("Django ORM (query building, compiling, model init)", ("django/db/",)),
    ("Django translations, formats, dates", ("django/utils/translation", "django/utils/formats")),
    ("Django forms and widgets", ("django/forms/",)),
    ("Django other (request/response, middleware, test client)", ("django/",)),
    ("Calmdesk code itself", ("/calmdesk/",)),
)
by_area: dict[str, float] = {}
for (filename, _line, name), (_cc, _nc, tt, _ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
    where = f"{filename} {name}"
    area = next((label for label, keys in AREAS if any(k in where for k in keys)), "other")
    by_area[area] = by_area.get(area, 0.0) + tt
print("Self time by area (profiled):")
for area, tt in sorted(by_area.items(), key=lambda kv: -kv[1]):
    print(f"  {100 * tt / total:5.1f} %  {area}")
print("Top functions by self time (profiled):")
selfs = sorted(
    (
        (tt, f"{fn.split('/site-packages/')[-1].split('/lib/python3.11/')[-1]}:{ln} {nm}")
        for (fn, ln, nm), (_cc, _nc, tt, _ct, _c) in stats.stats.items()
    ),  # type: ignore[attr-defined]
    reverse=True,
)
for tt, label in selfs[:25]:
    print(f"  {100 * tt / total:5.1f} %  {label}")
