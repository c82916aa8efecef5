"""Print the side-by-side tables (markdown) from $CDBENCH_DIR/results/{intake,queue}_*.json.

usage: .venv/bin/python bench/report.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path

RESULTS = Path(os.environ.get("CDBENCH_DIR", "/tmp/cdbench")) / "results"


def load(name: str) -> dict:
    path = RESULTS / name
    return json.loads(path.read_text()) if path.exists() else {}


def rate(r: dict | None) -> float | None:
    return r.get("created_per_s") if isinstance(r, dict) else None


def fmt(x: float | None, unit: str = "") -> str:
    return "–" if x is None else f"{x:.1f}{unit}"


def pct(a: float | None, b: float | None) -> str:
    return "–" if not a or not b else f"{100 * a / b:.0f} %"


def times(a: float | None, b: float | None) -> str:
    return "–" if not a or not b else f"{a / b:.2f}×"


def verdict(ok: bool | None) -> str:
    return "–" if ok is None else ("met" if ok else "**missed**")


def intake_table() -> None:
    print(
        "### Intake, c=8, rows created per second (Calmdesk: requests accepted, filed later "
        "by the worker), median of runs\n"
    )
    print(
        "| DB | bare insert | Calmdesk API | API ÷ bare | Calmdesk form | form ÷ bare "
        "| helpdesk form | helpdesk API | Calmdesk form ÷ helpdesk form "
        "| Calmdesk API ÷ helpdesk API |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for db in ("sqlite", "pg"):
        r = load(f"intake_{db}.json").get("results", {})
        if not r:
            continue
        bare, api, form = (
            rate(r.get("bare_insert")),
            rate(r.get("calmdesk_api")),
            rate(r.get("calmdesk_form")),
        )
        hd_form, hd_api = rate(r.get("helpdesk_form")), rate(r.get("helpdesk_api"))
        print(
            f"| {db} | {fmt(bare)} | {fmt(api)} | {pct(api, bare)} | {fmt(form)} "
            f"| {pct(form, bare)} | {fmt(hd_form)} | {fmt(hd_api)} | {times(form, hd_form)} "
            f"| {times(api, hd_api)} |"
        )
    print(
        "\n| DB | latency p50 / p95 ms: bare | Calmdesk API | Calmdesk form | helpdesk form "
        "| helpdesk API |"
    )
    print("|---|---|---|---|---|---|")
    for db in ("sqlite", "pg"):
        r = load(f"intake_{db}.json").get("results", {})
        if not r:
            continue
        cells = []
        for key in (
            "bare_insert",
            "calmdesk_api",
            "calmdesk_form",
            "helpdesk_form",
            "helpdesk_api",
        ):
            v = r.get(key)
            cells.append(f"{v['p50_ms']:.0f} / {v['p95_ms']:.0f}" if v and "p50_ms" in v else "–")
        print(f"| {db} | " + " | ".join(cells) + " |")
    print()
    filing_table()


def filing_table() -> None:
    """How fast the accepted requests become tickets: one ``intake_file`` process after the
    load (server stopped), and the Huey consumer filing beside the API load."""
    print("### Calmdesk: from accepted to filed (tickets per second)\n")
    print(
        "| DB | filing alone (`intake_file`, one process) | API + worker: accepted/s "
        "| filed/s during the load | backlog after the last run | emptied after "
        "| p50 / p95 ms |"
    )
    print("|---|---|---|---|---|---|---|")
    for db in ("sqlite", "pg"):
        r = load(f"intake_{db}.json").get("results", {})
        f, w = r.get("calmdesk_filing"), r.get("calmdesk_api_worker")
        if not f and not w:
            continue
        alone = (
            f"{f['filed_per_s']:.1f} ({f['filed']} in {f['seconds']:.1f} s)"
            if f and "filed_per_s" in f
            else "–"
        )
        if w and "filed_per_s" in w:
            drained = (
                f"{w['drain_s']:.1f} s"
                if w.get("drain_s") is not None
                else f"not in 120 s ({w.get('left_after_drain')} left)"
            )
            cells = [
                fmt(rate(w)),
                fmt(w["filed_per_s"]),
                str(w.get("backlog_after_last_run", "–")),
                drained,
                f"{w['p50_ms']:.0f} / {w['p95_ms']:.0f}",
            ]
        else:
            cells = ["–"] * 5
        print(f"| {db} | {alone} | " + " | ".join(cells) + " |")
    print()


def queue_table() -> None:
    print("### Queue page, c=1, latency in ms (p50 / p95), median of runs\n")
    print(
        "| DB | tickets | in queue | Calmdesk /agent/ | ?view=mine | ?view=all "
        "| helpdesk rows (DataTables JSON) | helpdesk /tickets/ shell "
        "| helpdesk rows p95 ÷ Calmdesk p95 |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for db in ("sqlite", "pg"):
        q = load(f"queue_{db}.json")
        if not q:
            continue
        sizes = sorted({*q.get("calmdesk", {}), *q.get("helpdesk", {})}, key=int)
        for size in sizes:
            c = q.get("calmdesk", {}).get(size, {})
            hd = q.get("helpdesk", {}).get(size, {})

            def pp(r: dict | None) -> str:
                return f"{r['p50_ms']:.1f} / {r['p95_ms']:.1f}" if r else "–"

            ratio = times(
                hd.get("datatables_rows", {}).get("p95_ms"), c.get("queue", {}).get("p95_ms")
            )
            print(
                f"| {db} | {c.get('tickets', hd.get('tickets', size))} | "
                f"{c.get('in_queue', '–')} | {pp(c.get('queue'))} | {pp(c.get('mine'))} | "
                f"{pp(c.get('all'))} | {pp(hd.get('datatables_rows'))} | "
                f"{pp(hd.get('list_page'))} | {ratio} |"
            )
    print()


def targets() -> None:
    print("### Targets (issue 2, item 11)\n")
    print("| Target | DB | measured | verdict |")
    print("|---|---|---|---|")
    for db in ("sqlite", "pg"):
        r = load(f"intake_{db}.json").get("results", {})
        bare = rate(r.get("bare_insert"))
        for key, label in (("calmdesk_api", "API"), ("calmdesk_form", "form")):
            v = rate(r.get(key))
            ok = None if not v or not bare else v >= 0.5 * bare
            print(
                f"| intake ({label}) ≥ 50 % of the bare insert view | {db} | {pct(v, bare)} "
                f"| {verdict(ok)} |"
            )
    r = load("intake_pg.json").get("results", {})
    for key, hd_key, label in (
        ("calmdesk_form", "helpdesk_form", "form vs. helpdesk form"),
        ("calmdesk_api", "helpdesk_api", "API vs. helpdesk API"),
    ):
        a, b = rate(r.get(key)), rate(r.get(hd_key))
        ok = None if not a or not b else a >= 4 * b
        print(f"| intake ≥ 4× django-helpdesk ({label}) | pg | {times(a, b)} | {verdict(ok)} |")
    for db in ("sqlite", "pg"):
        c = load(f"queue_{db}.json").get("calmdesk", {})
        small, big = c.get("1000", {}).get("queue"), c.get("1000000", {}).get("queue")
        ok = None if not small or not big else big["p95_ms"] <= 2 * small["p95_ms"]
        val = times(big and big["p95_ms"], small and small["p95_ms"])
        print(f"| queue p95 at 1M ≤ 2× p95 at 1k | {db} | {val} | {verdict(ok)} |")
        hd = load(f"queue_{db}.json").get("helpdesk", {}).get("100000", {}).get("datatables_rows")
        mid = c.get("100000", {}).get("queue")
        ok = None if not hd or not mid else hd["p95_ms"] >= 10 * mid["p95_ms"]
        val = times(hd and hd["p95_ms"], mid and mid["p95_ms"])
        print(
            f"| queue at 100k ≥ 10× faster than helpdesk rows (p95) | {db} | {val} "
            f"| {verdict(ok)} |"
        )
    print()


def load_averages() -> None:
    """The load average (1, 5, 15 min) at the start of every measurement."""
    print("### Load average at the start of each measurement\n")
    for db in ("sqlite", "pg"):
        r = load(f"intake_{db}.json").get("results", {})
        cells = [
            f"{key} {v['load_avg_start']}"
            for key, v in r.items()
            if isinstance(v, dict) and "load_avg_start" in v
        ]
        if cells:
            print(f"- intake {db}: " + "; ".join(cells))
        q = load(f"queue_{db}.json")
        cells = [
            f"{who} {size} {name} {v['load_avg_start']}"
            for who in ("calmdesk", "helpdesk")
            for size, entry in q.get(who, {}).items()
            for name, v in entry.items()
            if isinstance(v, dict) and "load_avg_start" in v
        ]
        if cells:
            print(f"- queue {db}: " + "; ".join(cells))
    print()


def settings() -> None:
    for name in ("intake_sqlite.json", "intake_pg.json"):
        d = load(name)
        if d:
            m = d.get("machine", {})
            print(
                f"- {d['db']}: {json.dumps(d.get('settings'))}; redis={d.get('redis')}; "
                f"{d.get('server')}; runs={d.get('runs')}×{d.get('secs')}s c={d.get('conns')}; "
                f"{m.get('cpu')} ×{m.get('cores')}, {m.get('ram_gib')} GiB, "
                f"kernel {m.get('kernel')}, {m.get('when')}"
            )
    print()


if __name__ == "__main__":
    intake_table()
    queue_table()
    targets()
    load_averages()
    settings()
