"""Queue page latency at 1k / 100k / 1M tickets, Calmdesk vs. django-helpdesk.

usage: .venv/bin/python bench/run_queue.py --db sqlite|pg [--sizes 1000,100000,1000000]
           [--hd-sizes 1000,100000] [--runs 3] [--secs 10] [--only calmdesk,helpdesk]

Calmdesk: a logged-in agent (two of the four teams) loads ``/agent/`` — the queue page with its
rows, server-rendered in one response — with one connection (c=1: pure latency), and two more
views of the same page: ``?view=mine`` and ``?view=all`` (every status, the whole history).
django-helpdesk 2.6.1 (anchors' ``hdproj``): its rows come from the DataTables JSON endpoint the
list page calls after it loads (default query: open + reopened, sorted by created, 25 rows), and
the HTML shell ``/tickets/``; a user waits for both.
Data: ``bench/seed_tickets.py topup`` (Calmdesk) and the anchors' ``hd_data.py topup``
(helpdesk), then VACUUM ANALYZE (PostgreSQL) or ANALYZE (SQLite).
Results: $CDBENCH_DIR/results/queue_<db>.json (default /tmp/cdbench).
"""

from __future__ import annotations

import argparse
import base64
import json
import re
import time

import harness as h

ap = argparse.ArgumentParser()
ap.add_argument("--db", default="sqlite", choices=["sqlite", "pg"])
ap.add_argument("--sizes", default="1000,100000,1000000")
ap.add_argument("--hd-sizes", default="1000,100000")
ap.add_argument("--runs", type=int, default=3)
ap.add_argument("--secs", type=int, default=10)
ap.add_argument("--only", default="calmdesk,helpdesk")
a = ap.parse_args()

cfg = h.DbConfig(a.db)
only = set(a.only.split(","))
CD_CASES = {"queue": "/agent/", "mine": "/agent/?view=mine", "all": "/agent/?view=all"}
res: dict[str, object] = {
    "machine": h.machine(),
    **h.describe_db(cfg),
    "runs": a.runs,
    "secs": a.secs,
    "conns": 1,
    "server": "gunicorn sync, 2 workers",
    "calmdesk": {},
    "helpdesk": {},
}


def load_average() -> str:
    return " ".join(open("/proc/loadavg").read().split()[:3])


def measure(label: str, url: str, path: str, cookie: str) -> dict[str, object]:
    h.wrk(url, path, cookie=cookie, conns=1, secs=2)  # warm: both workers, caches
    r = h.repeat(a.runs, lambda: h.wrk(url, path, cookie=cookie, conns=1, secs=a.secs), label)
    r["load_avg_after"] = load_average()
    return r


if "calmdesk" in only:
    print(f"== calmdesk queue / {a.db}", flush=True)
    h.prepare_calmdesk(cfg)
    for size in [int(s) for s in a.sizes.split(",") if s]:
        load_s = h.seed_calmdesk(cfg, size)
        cfg.analyze("calmdesk")
        n = cfg.count("calmdesk")
        in_queue = cfg.scalar(
            "calmdesk", "SELECT count(*) FROM tickets_ticket WHERE status IN ('new', 'open')"
        )
        print(f"== {n} tickets ({in_queue} in the queue; loaded in {load_s:.0f}s)", flush=True)
        entry: dict[str, object] = {"tickets": n, "in_queue": in_queue, "load_secs": round(load_s)}
        srv = h.start_server(cfg, "calmdesk")
        try:
            url = h.base_url("calmdesk")
            browser = h.calmdesk_login(url)
            cookie = browser.cookie_header()
            for name, path in CD_CASES.items():
                page = browser.get(path)
                rows = len(set(re.findall(r"CD-\d{6,}", page)))
                r = measure(f"{n} calmdesk {name}", url, path, cookie)
                r["rows_shown"] = rows
                r["page_bytes"] = len(page.encode())
                entry[name] = r
        finally:
            srv.stop()
        res["calmdesk"][str(size)] = entry  # type: ignore[index]
        h.save(f"queue_{a.db}.json", res)


def dt_query() -> str:
    q = base64.b64encode(
        json.dumps(
            {
                "filtering": {"status__in": [1, 2]},
                "sorting": "created",
                "search_string": "",
                "sortreverse": False,
            }
        ).encode()
    ).decode()
    return (
        f"/datatables_ticket_list/{q}?draw=1&start=0&length=25"
        "&search%5Bvalue%5D=&search%5Bregex%5D=false"
    )


if "helpdesk" in only:
    print(f"== django-helpdesk 2.6.1 rows / {a.db}", flush=True)
    h.prepare_helpdesk(cfg)
    for size in [int(s) for s in a.hd_sizes.split(",") if s]:
        t0 = time.time()
        h.hd_data(cfg, "topup", str(size))
        load_s = time.time() - t0
        cfg.analyze("helpdesk")
        n = cfg.count("helpdesk")
        print(f"== helpdesk {n} tickets (loaded in {load_s:.0f}s)", flush=True)
        entry = {"tickets": n, "load_secs": round(load_s)}
        srv = h.start_server(cfg, "helpdesk")
        try:
            url = h.base_url("helpdesk")
            toks = dict(
                line[len("export ") :].split("=", 1)
                for line in h.hd_data(cfg, "tokens", url).splitlines()
            )
            cookie = toks["COOKIE_STAFF"].strip("'")
            entry["datatables_rows"] = measure(f"{n} helpdesk datatables", url, dt_query(), cookie)
            entry["list_page"] = measure(f"{n} helpdesk /tickets/", url, "/tickets/", cookie)
        finally:
            srv.stop()
        res["helpdesk"][str(size)] = entry  # type: ignore[index]
        h.save(f"queue_{a.db}.json", res)

path = h.save(f"queue_{a.db}.json", res)
for who in ("calmdesk", "helpdesk"):
    for size, entry in res[who].items():  # type: ignore[attr-defined]
        for name, r in entry.items():
            if isinstance(r, dict):
                print(
                    f"{a.db:6} {who:8} {size:>8} {name:16} p50 {r['p50_ms']:7.1f} ms  "
                    f"p95 {r['p95_ms']:7.1f} ms  {r['rps']:.1f} req/s"
                )
