"""Queue page latency at 1k / 100k / 1M tickets, Calmdesk vs. django-helpdesk.

usage: .venv/bin/python bench/run_queue.py --db sqlite|pg [--phase load|measure|all]
           [--sizes 1000,100000,1000000] [--hd-sizes 1000,100000] [--runs 3] [--secs 10]
           [--only calmdesk,helpdesk]

Calmdesk: a logged-in agent (two of the four teams) loads ``/agent/`` — the queue page with its
rows, server-rendered in one response — with one connection (c=1: pure latency), and two more
views of the same page: ``?view=mine`` and ``?view=all`` (every status, the whole history).
django-helpdesk 2.6.1 (anchors' ``hdproj``): its rows come from the DataTables JSON endpoint the
list page calls after it loads (default query: open + reopened, sorted by created, 25 rows), and
the HTML shell ``/tickets/``; a user waits for both.

One database per size (``calmdesk_q<size>.sqlite3`` / ``calmdesk_bench_q<size>``, helpdesk's
``helpdesk_q<size>.sqlite3`` / ``calmdesk_bench_hd_q<size>``), so loading and timing can be
separated: ``--phase load`` builds them (each size a copy of the one below it, topped up with
``bench/seed_tickets.py topup`` / the anchors' ``hd_data.py topup``, then ANALYZE on SQLite or
VACUUM ANALYZE on PostgreSQL); ``--phase measure`` times them, the first page only once the
1-minute load average is below 1.0 (waiting at most 10 minutes; ``BENCH_NO_WAIT=1`` skips the
wait), and records the load average at the start of each. ``--phase all`` (the default) does both.
Results: $CDBENCH_DIR/results/queue_<db>.json (loading times: queue_<db>_load.json).
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
ap.add_argument("--phase", default="all", choices=["load", "measure", "all"])
a = ap.parse_args()

only = set(a.only.split(","))
phases = {"load", "measure"} if a.phase == "all" else {a.phase}
CD_CASES = {"queue": "/agent/", "mine": "/agent/?view=mine", "all": "/agent/?view=all"}
SIZES = {
    "calmdesk": sorted(int(s) for s in a.sizes.split(",") if s) if "calmdesk" in only else [],
    "helpdesk": sorted(int(s) for s in a.hd_sizes.split(",") if s) if "helpdesk" in only else [],
}


def cfg_for(size: int) -> h.DbConfig:
    return h.DbConfig(a.db, tag=f"_q{size}")


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


# ------------------------------------------------------------------------------------------
# Loading
# ------------------------------------------------------------------------------------------
load_path = h.RESULTS / f"queue_{a.db}_load.json"
loads: dict[str, dict[str, int]] = (
    json.loads(load_path.read_text()) if load_path.exists() else {"calmdesk": {}, "helpdesk": {}}
)

if "load" in phases:
    for who in ("helpdesk", "calmdesk"):  # helpdesk's sizes are small: ready first
        prev: h.DbConfig | None = None
        for size in SIZES[who]:
            cfg = cfg_for(size)
            t0 = time.time()
            if prev is None:
                (h.prepare_calmdesk if who == "calmdesk" else h.prepare_helpdesk)(cfg)
            else:
                cfg.clone_from(who, prev)
            if who == "calmdesk":
                h.seed_calmdesk(cfg, size)
            else:
                h.hd_data(cfg, "topup", str(size))
            cfg.analyze(who)
            secs = round(time.time() - t0)
            count = cfg.count("calmdesk_tickets" if who == "calmdesk" else who)
            print(f"== {who} {a.db} {count} tickets: built in {secs}s", flush=True)
            loads[who][str(size)] = secs
            load_path.write_text(json.dumps(loads, indent=1))
            prev = cfg


# ------------------------------------------------------------------------------------------
# Timing
# ------------------------------------------------------------------------------------------
def measure(label: str, url: str, path: str, cookie: str) -> dict[str, object]:
    load_start = h.wait_quiet()
    print(f"  {label}: load average at start {load_start}", flush=True)
    h.wrk(url, path, cookie=cookie, conns=1, secs=2)  # warm: both workers, caches
    r = h.repeat(a.runs, lambda: h.wrk(url, path, cookie=cookie, conns=1, secs=a.secs), label)
    r["load_avg_start"] = load_start
    r["load_avg_after"] = h.load_average()
    return r


res: dict[str, object] = {
    "machine": h.machine(),
    **h.describe_db(h.DbConfig(a.db)),
    "runs": a.runs,
    "secs": a.secs,
    "conns": 1,
    "server": "gunicorn sync, 2 workers",
    "calmdesk": {},
    "helpdesk": {},
}

if "measure" in phases:
    for size in SIZES["calmdesk"]:
        cfg = cfg_for(size)
        if not cfg.exists("calmdesk"):
            print(f"== calmdesk {a.db} {size}: no database (run --phase load)", flush=True)
            continue
        n = cfg.count("calmdesk_tickets")  # "calmdesk" counts accepted intake requests
        in_queue = cfg.scalar(
            "calmdesk", "SELECT count(*) FROM tickets_ticket WHERE status IN ('new', 'open')"
        )
        print(f"== calmdesk {a.db}: {n} tickets ({in_queue} in the queue)", flush=True)
        entry: dict[str, object] = {
            "tickets": n,
            "in_queue": in_queue,
            "load_secs": loads["calmdesk"].get(str(size)),
        }
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

    for size in SIZES["helpdesk"]:
        cfg = cfg_for(size)
        if not cfg.exists("helpdesk"):
            print(f"== helpdesk {a.db} {size}: no database (run --phase load)", flush=True)
            continue
        n = cfg.count("helpdesk")
        print(f"== helpdesk {a.db}: {n} tickets", flush=True)
        entry = {"tickets": n, "load_secs": loads["helpdesk"].get(str(size))}
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

    h.save(f"queue_{a.db}.json", res)
    for who in ("calmdesk", "helpdesk"):
        for size, entry in res[who].items():  # type: ignore[attr-defined]
            for name, r in entry.items():
                if isinstance(r, dict):
                    print(
                        f"{a.db:6} {who:8} {size:>8} {name:16} p50 {r['p50_ms']:7.1f} ms  "
                        f"p95 {r['p95_ms']:7.1f} ms  {r['rps']:.1f} req/s  "
                        f"load at start {r['load_avg_start']}"
                    )
