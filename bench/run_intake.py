"""Intake throughput: Calmdesk's API and web form vs. the bare insert view and django-helpdesk.

usage: .venv/bin/python bench/run_intake.py --db sqlite|pg [--runs 3] [--secs 10] [--conns 8]
                                            [--only bare,calmdesk,helpdesk,worker]
                                            [--file-limit 5000] [--sequential]

In one run, on the same database setting and the same server (gunicorn, 2 sync workers):
  1. bare Django insert view (the anchors' ``bareproj``): POST /rows/ JSON → one row → 201
  2. Calmdesk API: POST /api/v1/requests (JSON, a unique Idempotency-Key and e-mail per request;
     success is 202: the request is accepted in one ``inbox_submission`` row)
  3. Calmdesk form: POST /help (csrftoken cookie + csrfmiddlewaretoken scraped once, a fresh
     single-use form token and unique content per request; success is the 303 redirect)
  4. Calmdesk filing (part of ``calmdesk``, server stopped): ``manage.py intake_file`` files
     the first ``--file-limit`` (default 5,000; 0 = all) of the requests 2. and 3. accepted
     (customer, ticket, events, acknowledgement) in one process; fails (exit 1) unless each of
     them became a ticket and every other one still waits, intact
  5. ``worker``: the API load of 2. with Calmdesk's Huey consumer running beside gunicorn
     (``manage.py run_huey``, same environment): accepted/s, tickets filed/s during each run,
     and after the last run the time until nothing waits to be filed (as long as the backlog
     keeps shrinking; at most 15 minutes)
  6. django-helpdesk 2.6.1 (the anchors' ``hdproj``): its public form and its DRF API
Each server is under load alone, on a database of its own created fresh for the run. The
figure is the number of rows really created per second (counted in the database; for Calmdesk
the accepted ``inbox_submission`` rows), median of ``--runs``.
With both ``bare`` and ``calmdesk`` (the default), 1.–3. run interleaved: both servers up, and
``--runs`` rounds of bare / API / form (the order rotated each round). The ratio to the bare
view is taken within each round and its median reported, so a slow spell of the machine (this
VM's CPU speed drifts by ±10 % from minute to minute) lowers both sides of a ratio alike;
``--sequential`` measures all of bare's runs first, then Calmdesk's, as before.
The first measurement starts once the 1-minute load average is below 1.0 (waiting at most 10
minutes; ``BENCH_NO_WAIT=1`` skips the wait); the load average at the start of each is recorded.
Results: $CDBENCH_DIR/results/intake_<db>.json (default /tmp/cdbench).
"""

from __future__ import annotations

import argparse
import html.parser
import json
import re
import statistics
import time
import urllib.parse
import urllib.request
from datetime import date, timedelta
from pathlib import Path

import harness as h

ap = argparse.ArgumentParser()
ap.add_argument("--db", default="sqlite", choices=["sqlite", "pg"])
ap.add_argument("--runs", type=int, default=3)
ap.add_argument("--secs", type=int, default=10)
ap.add_argument("--conns", type=int, default=8)
ap.add_argument(
    "--only",
    default="bare,calmdesk,helpdesk,worker",
    help="comma-separated: bare, calmdesk (API, form, filing), helpdesk, worker (API + Huey)",
)
ap.add_argument(
    "--file-limit",
    type=int,
    default=5000,
    help="filing: file this many of the accepted backlog (0: all of it; the rest must stay "
    "'received', intact)",
)
ap.add_argument(
    "--sequential",
    action="store_true",
    help="measure the bare view's runs, then Calmdesk's (default with both: interleaved "
    "rounds, bare / API / form in turn, so a drift of the machine hits every side alike)",
)
ap.add_argument(
    "--redis-url",
    default=None,
    help="pg only; default redis://127.0.0.1:6379/15 (Huey queue + cache), '' for none",
)
a = ap.parse_args()

redis = (
    a.redis_url
    if a.redis_url is not None
    else ("redis://127.0.0.1:6379/15" if a.db == "pg" else "")
)
cfg = h.DbConfig(a.db, redis_url=redis)
only = set(a.only.split(","))
if unknown := only - {"bare", "calmdesk", "helpdesk", "worker", "calmdesk_api_worker"}:
    raise SystemExit(f"unknown --only {sorted(unknown)}")
DEPARTURE = (date.today() + timedelta(days=5)).isoformat()  # within 7 days: the urgent rule fires
MESSAGE = (
    f"My flight TK1234 on {DEPARTURE} was cancelled and I need to know whether I get a refund "
    "or can rebook for the same week. Reference __U__."
)

res: dict[str, object] = {
    "machine": h.machine(),
    **h.describe_db(cfg),
    "runs": a.runs,
    "secs": a.secs,
    "conns": a.conns,
    "server": "gunicorn sync, 2 workers",
    "results": {},
}
results: dict[str, object] = res["results"]  # type: ignore[assignment]
problems: list[str] = []  # any of these fails the script (exit 1) once the results are saved


def measure(label: str, which: str, fn, **counting) -> dict[str, object]:
    """``counting``: further ``counters`` / ``gauges`` for ``h.repeat``."""
    load_start = h.wait_quiet()  # the 1-minute load average below 1.0 (at most 10 min)
    print(f"  {label}: load average at start {load_start}", flush=True)
    fn_warm = fn(conns=2, secs=2)
    fn_warm()  # both workers import and compile everything first
    r = h.repeat(
        a.runs,
        fn(conns=a.conns, secs=a.secs),
        label,
        created=lambda: cfg.count(which),
        **counting,
    )
    r["load_avg_start"] = load_start
    r["load_avg_after"] = h.load_average()
    return r


def measure_interleaved(loads: list[tuple[str, str, str, object]]) -> dict[str, object]:
    """Every load once per round, ``--runs`` rounds, the order rotated each round (servers
    all up, idle but for the one under load). ``loads``: (result key, label, database, load
    as for ``measure``). Each key gets the medians of its rounds, as ``measure`` gives; the
    ratio of each load to the first one is taken within each round, and its median reported
    under ``ratios`` (a slow spell of the machine lowers both sides of a round alike)."""
    load_start = h.wait_quiet()
    print(f"  interleaved: load average at start {load_start}", flush=True)
    for _key, _label, _which, fn in loads:
        fn(conns=2, secs=2)()  # type: ignore[operator]  # every worker warm first
    rounds: dict[str, list[dict[str, object]]] = {key: [] for key, *_ in loads}
    for i in range(a.runs):
        shift = i % len(loads)
        for key, label, which, fn in loads[shift:] + loads[:shift]:
            r = h.repeat(
                1,
                fn(conns=a.conns, secs=a.secs),  # type: ignore[operator]
                f"{label} round{i + 1}",
                created=lambda which=which: cfg.count(which),
            )
            rounds[key].append(r["runs"][0])  # type: ignore[index]
    out: dict[str, object] = {}
    keys = list(rounds[loads[0][0]][0])
    for key, runs in rounds.items():
        out[key] = {**h.medians(runs, keys), "load_avg_start": load_start, "interleaved": True}
    base = rounds[loads[0][0]]
    ratios: dict[str, object] = {}
    for key, runs in list(rounds.items())[1:]:
        each = [
            round(r["created_per_s"] / b["created_per_s"], 3)  # type: ignore[operator]
            for r, b in zip(runs, base, strict=True)
        ]
        ratios[key] = {"of": loads[0][0], "median": statistics.median(each), "rounds": each}
    out["ratios"] = ratios
    out[loads[-1][0]]["load_avg_after"] = h.load_average()  # type: ignore[index]
    return out


# ---------------------------------------------------------------------------------------------
# 1. bare insert view
# ---------------------------------------------------------------------------------------------
def post_load(url: str, path: str, ctype: str, body: str, **wrk: str):
    """A load as ``measure`` takes it: ``(conns, secs)`` → one wrk run of POSTs to ``path``."""
    return lambda conns, secs: (
        lambda: h.wrk(
            url, path, method="POST", ctype=ctype, body=body, conns=conns, secs=secs, **wrk
        )
    )


def bare_load(url: str):
    return post_load(url, "/rows/", "application/json", '{"subject":"hello __U__","body":"x"}')


interleave = {"bare", "calmdesk"} <= only and not a.sequential
if "bare" in only and not interleave:
    print(f"== bare insert view / {a.db}", flush=True)
    h.prepare_bare(cfg)
    srv = h.start_server(cfg, "bare")
    try:
        results["bare_insert"] = measure("bare POST /rows/", "bare", bare_load(h.base_url("bare")))
    finally:
        srv.stop()


# ---------------------------------------------------------------------------------------------
# 2./3. Calmdesk API and form
# ---------------------------------------------------------------------------------------------
class FormFields(html.parser.HTMLParser):
    """Names of the inputs of the request form, with their first value / first option."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, dict[str, str]] = {}
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        at = {k: v or "" for k, v in attrs}
        name = at.get("name")
        if tag in ("input", "textarea") and name and name not in self.fields:
            self.fields[name] = {
                "tag": tag,
                "type": at.get("type", "text"),
                "value": at.get("value", ""),
            }
        elif tag == "select" and name:
            self._select = name
            self.fields[name] = {"tag": "select", "type": "select", "value": ""}
        elif (
            tag == "option"
            and self._select
            and at.get("value")
            and not self.fields[self._select]["value"]
        ):
            self.fields[self._select]["value"] = at["value"]

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


def form_body(page: str) -> str:
    parser = FormFields()
    parser.feed(page)
    f = parser.fields
    values = {
        # Every request from another passenger with their own booking, as in a surge (one
        # person writing thousands of times on one booking would be one conversation).
        "name": "Bench __A__",
        "email": "form-__U__@example.com",
        "phone": "",
        "subject": "",
        "departure_date": DEPARTURE,
        "booking_reference": "B__S__",
        "message": MESSAGE,
        "form_token": "__H__",
        "website_address": "",  # the honeypot stays empty
    }
    body = {}
    for name, spec in f.items():
        if spec["type"] in ("file", "submit", "button") or name in ("language", "next"):
            continue
        body[name] = values.get(name, spec["value"])
    missing = {"form_token", "csrfmiddlewaretoken", "message", "email"} - set(body)
    if missing:
        raise RuntimeError(f"the /help form has no {sorted(missing)}")
    return urllib.parse.urlencode(body, safe="_")


def api_body() -> str:
    with urllib.request.urlopen(h.base_url("calmdesk") + "/api/v1/form", timeout=30) as resp:
        form = json.load(resp)
    top: dict[str, object] = {
        "name": "Bench __A__",
        "email": "api-__U__@example.com",
        "message": MESSAGE,
        "language": "en",
    }
    fields: dict[str, str] = {}
    for fld in form["fields"]:
        if fld["key"] == "request_type":
            top["request_type"] = fld["choices"][0]["value"]
        elif fld["location"] == "fields":
            fields[fld["key"]] = {"departure_date": DEPARTURE, "booking_reference": "B__S__"}.get(
                fld["key"], ""
            )
            if fld["type"] == "choice" and fld["choices"]:
                fields[fld["key"]] = fld["choices"][0]["value"]
            if not fields[fld["key"]] and not fld["required"]:
                del fields[fld["key"]]
    top["fields"] = fields
    return json.dumps(top, ensure_ascii=False)


def api_load(url: str, body: str):
    return post_load(
        url, "/api/v1/requests", "application/json", body, headers="Idempotency-Key: __U__"
    )


def submissions(where: str) -> int:
    return cfg.scalar("calmdesk", f"SELECT count(*) FROM inbox_submission WHERE {where}")


def waiting() -> int:
    """Accepted and not filed yet: waiting for the worker, or claimed by it right now."""
    return submissions("state IN ('received', 'filing')")


def filing_state() -> dict[str, int]:
    """Where the accepted requests stand (the Calmdesk database, any time)."""
    return {
        "accepted": cfg.count("calmdesk"),
        "tickets": cfg.count("calmdesk_tickets"),
        "outbox_rows": cfg.scalar("calmdesk", "SELECT count(*) FROM core_outboxmessage"),
        "outbox_sent": cfg.scalar(
            "calmdesk", "SELECT count(*) FROM core_outboxmessage WHERE status = 'sent'"
        ),
        "not_filed": submissions("state <> 'filed'"),
        "failed_rows": submissions("state = 'failed'"),
    }


def check_filed(label: str, state: dict[str, int]) -> None:
    if state["not_filed"]:
        problems.append(
            f"{label}: {state['not_filed']} of {state['accepted']} accepted requests not filed "
            f"({state['failed_rows']} failed); see the Submission rows' error column"
        )


INTAKE_FILE_LINE = re.compile(
    r"filed (\d+) of (\d+) waiting in ([\d.]+) s \(([\d.]+)/s\); failed in all: (\d+)"
)


def measure_filing() -> dict[str, object]:
    """``manage.py intake_file --quiet [--limit N]``: one process files the backlog, or its
    first ``--file-limit`` requests (server off); the rest must still wait, intact."""
    load_start = h.load_average()
    started = time.perf_counter()
    limit = ["--limit", str(a.file_limit)] if a.file_limit else []
    out = h.run(
        [h.CD_PY, "manage.py", "intake_file", "--quiet", *limit],
        cwd=h.REPO,
        env=cfg.calmdesk_env(),
        quiet=True,
    )
    wall = time.perf_counter() - started
    m = INTAKE_FILE_LINE.search(out)
    if not m:
        raise SystemExit(f"intake_file printed no summary line:\n{out}")
    filed, waited, secs, rate, failed = m.groups()
    r: dict[str, object] = {
        "waiting": int(waited),
        "filed": int(filed),
        "seconds": float(secs),
        "filed_per_s": float(rate),
        "failed": int(failed),
        "command_wall_s": round(wall, 2),  # with Django's start-up
        **filing_state(),
        "load_avg_start": load_start,
        "load_avg_after": h.load_average(),
    }
    print(
        f"  filing (intake_file): {r['filed']} of {r['waiting']} in {r['seconds']} s "
        f"= {r['filed_per_s']:.1f}/s; failed {r['failed']}; tickets {r['tickets']} of "
        f"{r['accepted']} accepted; outbox rows {r['outbox_rows']}; not filed {r['not_filed']}",
        flush=True,
    )
    left = int(r["waiting"]) - int(r["filed"])  # type: ignore[call-overload]
    r["left_waiting"] = submissions("state = 'received'")
    # Each bench request is another passenger: every filing opens a ticket of its own.
    if r["left_waiting"] != left or r["tickets"] != r["filed"]:
        problems.append(
            f"filing: {r['filed']} filed and {left} left of {r['waiting']}, but "
            f"{r['left_waiting']} still received and {r['tickets']} tickets"
        )
    if not left:
        check_filed("filing", r)  # type: ignore[arg-type]
    if r["failed"]:
        problems.append(f"filing: intake_file reports {r['failed']} failed")
    return r


def drain(stall: float = 60.0, limit: float = 900.0, poll: float = 0.5) -> dict[str, object]:
    """After the last run: how long until nothing waits to be filed. Waits as long as the
    backlog keeps shrinking (a surge accepted several times faster than one worker files it
    takes minutes to file), and gives up only when nothing was filed for ``stall`` seconds
    (or after ``limit``): then the rows left are reported as not filed."""
    started = last_progress = time.monotonic()
    at_start = left = waiting()
    while left:
        now = time.monotonic()
        if now - last_progress >= stall or now - started >= limit:
            break
        time.sleep(poll)
        now_left = waiting()
        if now_left < left:
            last_progress = time.monotonic()
        left = now_left
    secs = time.monotonic() - started
    r: dict[str, object] = {
        "backlog_after_last_run": at_start,
        "drain_s": round(secs, 2) if not left else None,
        "drain_filed_per_s": round(at_start / secs, 1) if at_start and not left else None,
        "left_after_drain": left,
    }
    if left:
        print(
            f"  NOT DRAINED: {left} of {at_start} still waiting after {secs:.0f} s "
            f"(nothing filed for {stall:.0f} s, or {limit:.0f} s in all)",
            flush=True,
        )
    else:
        print(f"  backlog {at_start} filed {secs:.1f} s after the last run", flush=True)
    return r


def form_load(url: str):
    browser = h.Browser(url)
    fbody = form_body(browser.get("/help"))
    cookie = browser.cookie_header()
    return post_load(url, "/help", "application/x-www-form-urlencoded", fbody, cookie=cookie)


def calmdesk_loads(url: str) -> list[tuple[str, str, str, object]]:
    """The API and form loads that can run (a missing one is recorded as missing)."""
    loads: list[tuple[str, str, str, object]] = []
    try:
        loads.append(
            (
                "calmdesk_api",
                "calmdesk POST /api/v1/requests",
                "calmdesk",
                api_load(url, api_body()),
            )
        )
    except Exception as exc:  # the endpoint is not there (yet)
        print(f"  API intake not available: {exc}", flush=True)
        results["calmdesk_api"] = {"missing": str(exc)}
    try:
        loads.append(("calmdesk_form", "calmdesk POST /help", "calmdesk", form_load(url)))
    except Exception as exc:
        print(f"  form intake not available: {exc}", flush=True)
        results["calmdesk_form"] = {"missing": str(exc)}
    return loads


if "calmdesk" in only:
    servers = []
    try:
        if interleave:
            print(f"== bare insert view, Calmdesk API and form, interleaved / {a.db}", flush=True)
            h.prepare_bare(cfg)
            servers.append(h.start_server(cfg, "bare"))
        else:
            print(f"== calmdesk / {a.db} (redis: {redis or 'none'})", flush=True)
        h.prepare_calmdesk(cfg)
        cfg.analyze("calmdesk")  # planner statistics, as the worker's hourly refresh would have
        servers.append(h.start_server(cfg, "calmdesk"))
        loads = calmdesk_loads(h.base_url("calmdesk"))
        if interleave:
            bare = ("bare_insert", "bare POST /rows/", "bare", bare_load(h.base_url("bare")))
            results.update(measure_interleaved([bare, *loads]))
        else:
            for key, label, which, load in loads:
                results[key] = measure(label, which, load)
        # Before filing: what intake itself wrote to the outbox (the acknowledgement comes
        # with the filing).
        results["calmdesk_outbox_rows"] = cfg.scalar(
            "calmdesk", "SELECT count(*) FROM core_outboxmessage"
        )
    finally:
        for srv in servers:
            srv.stop()
    results["calmdesk_filing"] = measure_filing()


# ---------------------------------------------------------------------------------------------
# 5. Calmdesk API with the Huey consumer filing beside it
# ---------------------------------------------------------------------------------------------
if only & {"worker", "calmdesk_api_worker"}:
    print(f"== calmdesk API + Huey worker / {a.db} (redis: {redis or 'none'})", flush=True)
    h.prepare_calmdesk(cfg)  # a fresh database and an empty Huey queue
    cfg.analyze("calmdesk")
    srv = h.start_server(cfg, "calmdesk")
    consumer = None
    try:
        consumer = h.start_consumer(cfg)
        started = re.search(r"consumer started with (\d+ \w+)", Path(consumer.log.name).read_text())
        url = h.base_url("calmdesk")
        r = measure(
            "calmdesk POST /api/v1/requests + worker",
            "calmdesk",
            api_load(url, api_body()),
            counters={"filed": lambda: cfg.count("calmdesk_tickets")},
            gauges={"backlog": waiting},
        )
        r.update(drain())
        r["consumer"] = f"manage.py run_huey, {started.group(1) if started else '?'}"
        r.update(filing_state())
        check_filed("worker", r)  # type: ignore[arg-type]
        results["calmdesk_api_worker"] = r
    finally:
        if consumer is not None:
            h.stop_consumer(consumer)
        srv.stop()


# ---------------------------------------------------------------------------------------------
# 6. django-helpdesk 2.6.1 (anchors' hdproj and wrk script)
# ---------------------------------------------------------------------------------------------
if "helpdesk" in only:
    print(f"== django-helpdesk 2.6.1 / {a.db}", flush=True)
    h.prepare_helpdesk(cfg)
    srv = h.start_server(cfg, "helpdesk")
    try:
        url = h.base_url("helpdesk")
        toks = {}
        for line in h.hd_data(cfg, "tokens", url).splitlines():
            k, v = line[len("export ") :].split("=", 1)
            toks[k] = v.strip("'")
        anon = {"COOKIE": toks["COOKIE_ANON"], "CSRF": toks["CSRF_ANON"], "QUEUE_ID": "1"}
        staff = {"COOKIE": toks["COOKIE_STAFF"], "CSRF": toks["CSRF_STAFF"], "QUEUE_ID": "1"}
        for key, mode, path, env in (
            ("helpdesk_form", "form", "/tickets/submit/", anon),
            ("helpdesk_api", "api", "/api/tickets/", staff),
        ):
            results[key] = measure(
                f"helpdesk {mode} {path}",
                "helpdesk",
                lambda conns, secs, mode=mode, path=path, env=env: (
                    lambda: h.common.wrk(url, path, mode, conns=conns, secs=secs, env=env)
                ),
            )
    finally:
        srv.stop()

# ---------------------------------------------------------------------------------------------
if redis:  # drop what the bench queued in Redis (only the bench's own keys)
    import redis as redis_lib

    r = redis_lib.Redis.from_url(redis)
    for pattern in ("huey.*calmdeskbench*", "*calmdesk-bench*", "cdbench*"):
        for key in r.scan_iter(pattern):
            r.delete(key)

path = h.save(f"intake_{a.db}.json", res)
bare = results.get("bare_insert", {})
ratios: dict[str, dict] = results.get("ratios", {})  # type: ignore[assignment]
for key, val in results.items():
    if isinstance(val, dict) and "created_per_s" in val:
        ratio = ""
        paired = ratios.get(key)
        if paired:
            ratio = (
                f"  = {100 * paired['median']:.0f}% of bare (median of the rounds' ratios: "
                + ", ".join(f"{100 * x:.0f}" for x in paired["rounds"])
                + ")"
            )
        elif isinstance(bare, dict) and bare.get("created_per_s"):
            ratio = f"  = {100 * val['created_per_s'] / bare['created_per_s']:.0f}% of bare"
        print(
            f"{a.db:6} {key:19} {val['created_per_s']:8.1f} created/s  p50 {val['p50_ms']:.1f} ms"
            f"  p95 {val['p95_ms']:.1f} ms{ratio}"
        )
        if "filed_per_s" in val:
            drained = (
                f"backlog {val['backlog_after_last_run']} filed in {val['drain_s']} s"
                if val["drain_s"] is not None
                else f"NOT drained: {val['left_after_drain']} left"
            )
            print(f"{'':6} {'':19} {val['filed_per_s']:8.1f} filed/s by the worker; {drained}")
filing = results.get("calmdesk_filing")
if isinstance(filing, dict):
    print(
        f"{a.db:6} {'calmdesk_filing':19} {filing['filed_per_s']:8.1f} filed/s  "
        f"({filing['filed']} of {filing['accepted']} accepted in {filing['seconds']} s, one "
        f"process; tickets {filing['tickets']}, not filed {filing['not_filed']}, "
        f"failed {filing['failed']})"
    )
if problems:
    raise SystemExit("FAILED:\n  " + "\n  ".join(problems))
