"""Crisis page under a crowd: requests per second for ``/crisis/<slug>`` as a ratio to a static
file served by the same server stack, in the same run.

Both are served by one Calmdesk gunicorn (2 sync workers, 127.0.0.1, ``DEBUG=0``, the same
``GUNICORN_ARGS`` as the other benchmarks): the crisis page by the crisis-page cache
middleware, the static file (``/static/calmdesk/base.css``) by WhiteNoise in the same
middleware stack. wrk ``-t1 -c32``, 3 runs × 10 s each after a 2 s warm-up, median. Four
cases, interleaved per round so that load from elsewhere on the machine hits them alike:

* ``page``          GET /crisis/<slug>                       (200, full body)
* ``static``        GET /static/calmdesk/base.css            (200, full body)
* ``page_304``      the same with ``If-None-Match: <its ETag>``  (304)
* ``static_304``    the same with ``If-None-Match: <its ETag>``  (304)

Target: ``page / static ≥ 0.5``. Separate scratch directory and SQLite database:
``/tmp/cdcrisis`` (``CDCRISIS_DIR``). Usage::

    .venv/bin/python bench/crisis_page.py                # the full run (≈ 3 minutes)
    .venv/bin/python bench/crisis_page.py --runs 1 --secs 3   # a smoke run
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

WORK = Path(os.environ.get("CDCRISIS_DIR", "/tmp/cdcrisis"))
os.environ["CDBENCH_DIR"] = str(WORK)  # harness.py puts its results and logs there

import harness  # noqa: E402  (bench/harness.py: wrk runner with the Calmdesk lua script)

PORT = 8013
BASE = f"http://127.0.0.1:{PORT}"
SLUG = "aurora-fire"
STATIC = "/static/calmdesk/base.css"
DB = WORK / "calmdesk.sqlite3"

SEED = """
import django
django.setup()
from calmdesk.core.demo.loader import install_defaults
from calmdesk.core.demo.crisis import seed_incident
install_defaults()
seed_incident()
"""


def calmdesk_env() -> dict[str, str]:
    env = dict(
        os.environ,
        DATABASE_URL=f"sqlite:///{DB}",
        CALMDESK_VAR_DIR=str(WORK / "var"),
        SECRET_KEY="bench-only-secret-key-not-for-production-0123456789abcdef",
        DEBUG="0",
        LOG_LEVEL="WARNING",
        CALMDESK_TESTING="0",
        HUEY_IMMEDIATE="0",
        DJANGO_SETTINGS_MODULE="config.settings",
        PYTHONDONTWRITEBYTECODE="1",
    )
    env.pop("REDIS_URL", None)
    return env


def prepare() -> None:
    """Fresh SQLite database, migrations, static files, the seed's configuration and one
    active incident with texts in four languages and three updates."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{DB}{suffix}").unlink(missing_ok=True)
    env = calmdesk_env()
    harness.run([harness.CD_PY, "manage.py", "migrate", "-v0"], cwd=harness.REPO, env=env)
    harness.run(
        [harness.CD_PY, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=harness.REPO,
        env=env,
    )
    harness.run([harness.CD_PY, "-c", SEED], cwd=harness.REPO, env=env)


def start_server() -> harness.common.Server:
    server = harness.common.Server(
        [
            harness.CD_GUNICORN,
            "config.wsgi",
            "-b",
            f"127.0.0.1:{PORT}",
            *harness.GUNICORN_ARGS,
        ],
        cwd=str(harness.REPO),
        env=calmdesk_env(),
        log=str(harness.LOGS / "gunicorn_crisis.log"),
    )
    try:
        harness.common.wait_http(BASE + STATIC, secs=60)
    except Exception:
        server.stop()
        raise
    return server


def head(path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], int]:
    req = urllib.request.Request(BASE + path, headers={"Host": "127.0.0.1", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, dict(resp.headers.items()), len(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers.items()), 0


def check(path: str) -> dict[str, object]:
    """The response as wrk will get it: status, size, ETag, and that the ETag gives a 304."""
    status, headers, size = head(path)
    if status != 200:
        raise SystemExit(f"GET {path} answered {status}, not 200")
    etag = headers.get("ETag", "")
    if not etag:
        raise SystemExit(f"GET {path} has no ETag: no conditional GET to measure")
    status_304, _h, _n = head(path, {"If-None-Match": etag})
    if status_304 != 304:
        raise SystemExit(f"GET {path} with If-None-Match answered {status_304}, not 304")
    return {
        "bytes": size,
        "etag": etag,
        "cache_control": headers.get("Cache-Control", ""),
        "content_type": headers.get("Content-Type", ""),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--secs", type=int, default=10)
    parser.add_argument("--conns", type=int, default=32)
    parser.add_argument("--no-prepare", action="store_true", help="reuse the database")
    args = parser.parse_args()

    if not args.no_prepare:
        prepare()
    server = start_server()
    try:
        page = f"/crisis/{SLUG}"
        responses = {"page": check(page), "static": check(STATIC)}
        cases = {
            "page": (page, ""),
            "static": (STATIC, ""),
            "page_304": (page, f"If-None-Match: {responses['page']['etag']}"),
            "static_304": (STATIC, f"If-None-Match: {responses['static']['etag']}"),
        }
        for path, extra in cases.values():  # warm-up: workers up, caches filled
            harness.wrk(BASE, path, headers=extra, conns=args.conns, secs=2)
        runs: dict[str, list[dict[str, float]]] = {name: [] for name in cases}
        for round_no in range(args.runs):
            for name, (path, extra) in cases.items():
                r = harness.wrk(BASE, path, headers=extra, conns=args.conns, secs=args.secs)
                wanted = "s3xx" if name.endswith("_304") else "s2xx"
                if r["errors"] or r[wanted] != r["requests"]:
                    raise SystemExit(f"{name}: not every answer was {wanted[1:]}: {r}")
                runs[name].append(r)
                print(
                    f"  round {round_no + 1} {name:<10} rps={r['rps']:8.1f} "
                    f"p50={r['p50_ms']:.2f}ms p99={r['p99_ms']:.2f}ms n={int(r['requests'])}",
                    flush=True,
                )
    finally:
        server.stop()

    med: dict[str, dict[str, Any]] = {
        name: {
            "rps": statistics.median(r["rps"] for r in rs),
            "p50_ms": statistics.median(r["p50_ms"] for r in rs),
            "p99_ms": statistics.median(r["p99_ms"] for r in rs),
            "runs_rps": [round(r["rps"], 1) for r in rs],
        }
        for name, rs in runs.items()
    }
    ratio = med["page"]["rps"] / med["static"]["rps"]
    ratio_304 = med["page_304"]["rps"] / med["static_304"]["rps"]
    result = {
        "machine": harness.machine(),
        "load": f"wrk -t1 -c{args.conns} -d{args.secs}s, {args.runs} runs, median",
        "server": "gunicorn config.wsgi " + " ".join(harness.GUNICORN_ARGS) + ", DEBUG=0, SQLite",
        "responses": responses,
        "median": med,
        "ratio_page_to_static": round(ratio, 3),
        "ratio_page_304_to_static_304": round(ratio_304, 3),
        "when": time.strftime("%Y-%m-%d %H:%M %Z"),
    }
    harness.save("crisis_page.json", result)
    print()
    print("| Request | req/s (median) | p50 | p99 | runs |")
    print("|---|---:|---:|---:|---|")
    for name, m in med.items():
        print(
            f"| {name} | {m['rps']:,.0f} | {m['p50_ms']:.2f} ms | {m['p99_ms']:.2f} ms "
            f"| {', '.join(f'{x:,.0f}' for x in m['runs_rps'])} |"
        )
    print()
    print(f"crisis page / static file: {ratio:.2f} (target ≥ 0.5)")
    print(f"crisis page 304 / static file 304: {ratio_304:.2f}")
    print(json.dumps(responses, indent=1))
    if ratio < 0.5:
        sys.exit(1)


if __name__ == "__main__":
    main()
