"""Where one API intake spends its time: statements, CPU per request, and a cProfile summary.

usage: .venv/bin/python bench/profile_intake.py [--db sqlite|pg] [--path api|form]
                                                [--requests 300] [--top 30] [--keep]

Runs in-process with Django's test client (no server, no wrk) against a bench database of its
own, built fresh: ``$CDBENCH_DIR/calmdesk_profile.sqlite3`` or PostgreSQL
``calmdesk_bench_profile`` with Redis db 15 (migrations, the seed's base data, then ANALYZE /
VACUUM ANALYZE), with the same bench-only environment as ``run_intake.py`` (``DEBUG=0``, Huey
queued but no worker, intake rate limits out of the way). Every request posts the same body as
the API benchmark (unique e-mail and ``Idempotency-Key`` each time, departure 5 days ahead so
the urgent rule fires). Prints:

* SQL statements per request (``CaptureQueriesContext``), with the statements of one request;
* CPU time (``time.process_time``) and wall time per request without the profiler, median of
  3 batches, and the Redis commands per request (``INFO`` before and after; pg only);
* cProfile over ``--requests`` requests: the functions by cumulative time, Calmdesk's and
  Django's, the share of the request's CPU each one takes.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import statistics
import subprocess
import sys
import time
import urllib.parse
import uuid
from datetime import date, timedelta
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(BENCH))

import harness as h  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--db", default="sqlite", choices=["sqlite", "pg"])
ap.add_argument("--path", default="api", choices=["api", "form"])
ap.add_argument("--requests", type=int, default=300)
ap.add_argument("--top", type=int, default=30)
ap.add_argument("--keep", action="store_true", help="reuse the profile database if it exists")
a = ap.parse_args()

cfg = h.DbConfig(
    a.db, tag="_profile", redis_url="redis://127.0.0.1:6379/15" if a.db == "pg" else ""
)
env = cfg.calmdesk_env()
if not (a.keep and cfg.exists("calmdesk")):
    h.prepare_calmdesk(cfg)
    cfg.analyze("calmdesk")
else:
    subprocess.run([h.CD_PY, "manage.py", "migrate", "-v0"], cwd=REPO, env=env, check=True)
os.environ.update(env)
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
sys.path.insert(0, str(REPO))

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

DEPARTURE = (date.today() + timedelta(days=5)).isoformat()
MESSAGE = (
    f"My flight TK1234 on {DEPARTURE} was cancelled and I need to know whether I get a refund "
    "or can rebook for the same week. Reference {u}."
)
client = Client(REMOTE_ADDR="127.0.0.1")
form = client.get("/api/v1/form").json()
# Every request from another passenger (their own name and booking), as in a surge: one
# person sending thousands of requests on one booking would be one conversation (dedup).
top: dict[str, object] = {"language": "en"}
fields: dict[str, str] = {}
for fld in form["fields"]:
    if fld["key"] == "request_type":
        top["request_type"] = fld["choices"][0]["value"]
    elif fld["location"] == "fields":
        value = {"departure_date": DEPARTURE, "booking_reference": "{ref}"}.get(fld["key"], "")
        if fld["type"] == "choice" and fld["choices"]:
            value = fld["choices"][0]["value"]
        if value or fld["required"]:
            fields[fld["key"]] = value
top["fields"] = fields


def post() -> int:
    u = uuid.uuid4().hex
    fields = {k: v.replace("{ref}", "B" + u[:9].upper()) for k, v in top["fields"].items()}  # type: ignore[attr-defined]
    body = dict(
        top,
        # A family name of its own (name keys keep letters only).
        name="Bench " + "".join(c if c.isalpha() else chr(97 + int(c)) for c in u[:12]),
        email=f"api-{u}@example.com",
        message=MESSAGE.format(u=u),
        fields=fields,
    )
    resp = client.post(
        "/api/v1/requests",
        data=json.dumps(body),
        content_type="application/json",
        headers={"Idempotency-Key": u},
    )
    if resp.status_code != 202:
        raise SystemExit(f"intake answered {resp.status_code}: {resp.content[:500]!r}")
    return resp.status_code


if a.path == "form":
    import re

    client = Client(REMOTE_ADDR="127.0.0.1", enforce_csrf_checks=True)
    page = client.get("/help").content.decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if csrf is None:
        raise SystemExit("no CSRF token on /help")
    request_type = top["request_type"]

    def post() -> int:
        u = uuid.uuid4().hex
        # Urlencoded, as a browser (and the benchmark's wrk script) posts a form without files;
        # the test client's default would be multipart, whose parser is a third of the cost.
        resp = client.post(
            "/help",
            content_type="application/x-www-form-urlencoded",
            data=urllib.parse.urlencode(
                {
                    "csrfmiddlewaretoken": csrf.group(1),
                    "name": "Bench "
                    + "".join(c if c.isalpha() else chr(97 + int(c)) for c in u[:12]),
                    "email": f"form-{u}@example.com",
                    "request_type": request_type,
                    "departure_date": DEPARTURE,
                    "booking_reference": "B" + u[:9].upper(),
                    "message": MESSAGE.format(u=u),
                    "form_token": u,
                }
            ),
        )
        if resp.status_code != 303:
            raise SystemExit(f"the form answered {resp.status_code}: {resp.content[:500]!r}")
        return resp.status_code


for _ in range(30):  # warm: imports, caches, compiled templates
    post()

with CaptureQueriesContext(connection) as ctx:
    post()
print(f"SQL statements in one {a.path} intake: {len(ctx.captured_queries)}")
for q in ctx.captured_queries:
    print("   ", q["sql"][:150])


def redis_commands() -> int:
    if not cfg.redis_url:
        return 0
    import redis as redis_lib

    return int(redis_lib.Redis.from_url(cfg.redis_url).info("stats")["total_commands_processed"])


batches, walls = [], []
commands_before = redis_commands()
for _ in range(3):
    t0, w0 = time.process_time(), time.perf_counter()
    for _ in range(100):
        post()
    batches.append((time.process_time() - t0) * 1000 / 100)
    walls.append((time.perf_counter() - w0) * 1000 / 100)
redis_per_request = (redis_commands() - commands_before - 1) / 300
print(
    f"CPU per {a.path} intake, no profiler: {statistics.median(batches):.2f} ms "
    f"(batches of 100: {', '.join(f'{b:.2f}' for b in batches)}); wall "
    f"{statistics.median(walls):.2f} ms"
    + (f"; Redis commands per request: {redis_per_request:.1f}" if cfg.redis_url else "")
)

prof = cProfile.Profile(time.process_time)
prof.enable()
for _ in range(a.requests):
    post()
prof.disable()
out = io.StringIO()
stats = pstats.Stats(prof, stream=out)
total = stats.total_tt  # type: ignore[attr-defined]
print(f"cProfile: {a.requests} requests, {1000 * total / a.requests:.2f} ms CPU each (profiled)")
rows = []
for (filename, line, name), (_cc, _nc, _tt, ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
    if "/calmdesk/" in filename or "/django/" in filename or "/ninja/" in filename:
        short = filename.split("/site-packages/")[-1].replace(str(REPO) + "/", "")
        rows.append((ct, f"{short}:{line} {name}"))
rows.sort(reverse=True)
for ct, label in rows[: a.top]:
    print(f"  {100 * ct / total:5.1f} %  {1000 * ct / a.requests:6.2f} ms  {label}")

AREAS = (
    ("SQLite itself (execute/commit in C)", ("sqlite3.", "_sqlite3")),
    ("Django ORM (query building, compiling, model save)", ("django/db/",)),
    ("Django request/response, middleware, test client", ("django/",)),
    ("Ninja + pydantic (parsing, validation, output)", ("ninja/", "pydantic")),
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

if cfg.redis_url:  # drop what the profile queued in Redis (only the bench's own keys)
    import redis as redis_lib

    r = redis_lib.Redis.from_url(cfg.redis_url)
    for pattern in ("huey.*calmdeskbench*", "*calmdesk-bench*", "cdbench*"):
        for key in r.scan_iter(pattern):
            r.delete(key)
