"""Broadcast send rate and memory: N recipients to a local SMTP sink (not a test).

    .venv/bin/python bench/broadcast_bench.py                 # 5,000 and 50,000 recipients
    .venv/bin/python bench/broadcast_bench.py --sizes 1000    # a quick run

Each size runs in its own process (so peak RSS is that size's own) on a fresh SQLite database
in a temporary directory: N customers with an email and a booking on one ship are inserted,
then a broadcast to that ship is started (recipients materialised in chunks) and advanced at
100,000/min; every outbox row is delivered over SMTP to an aiosmtpd sink in a thread, through
the real path (outbox row → on-commit task → Django's SMTP backend). Reported: the time to
materialise, the time to queue and deliver, messages per second, the peak RSS of the process
and the peak of Python allocations (tracemalloc) during the broadcast. Memory that does not
grow with N shows the recipients are streamed, not held.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WORKERS = 4  # delivery threads, like HUEY_WORKERS with Redis


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _seed(n: int) -> None:
    from datetime import date

    from calmdesk.customers.models import Booking, Customer, Identity, IdentityKind

    languages = ("en", "tr", "fa", "lt")
    for start in range(0, n, 5000):
        size = min(5000, n - start)
        customers = Customer.objects.bulk_create(
            Customer(name=f"Passenger {start + i}", language=languages[(start + i) % 4])
            for i in range(size)
        )
        Identity.objects.bulk_create(
            Identity(customer=c, kind=IdentityKind.EMAIL, value=f"p{c.pk}@example.com")
            for c in customers
        )
        Booking.objects.bulk_create(
            Booking(
                customer=c,
                reference=f"BK{c.pk:07d}",
                ship="Ege Star",
                departure_date=date(2025, 7, 14),
            )
            for c in customers
        )


def _start_sink(port: int) -> subprocess.Popen[bytes]:
    """aiosmtpd in its own process (in a thread it would compete for our GIL)."""
    sink = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            f"127.0.0.1:{port}",
            "-c",
            "aiosmtpd.handlers.Sink",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    import socket

    for _attempt in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return sink
        except OSError:
            time.sleep(0.05)
    sink.kill()
    raise RuntimeError("the SMTP sink did not start")


def child(n: int, trace: bool) -> dict[str, Any]:
    import django

    port = _free_port()
    sink = _start_sink(port)
    os.environ["EMAIL_URL"] = f"smtp://127.0.0.1:{port}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    _seed(n)

    from calmdesk.incidents import broadcasts
    from calmdesk.incidents.broadcasts import (
        broadcast_advance,
        broadcast_create,
        broadcast_progress,
        broadcast_start,
    )
    from calmdesk.incidents.models import Broadcast

    templates = {
        code: {
            "subject": "{{ name }}: your trip {{ booking }}",
            "body": (
                "Dear {{ name }},\nDeparture {{ departure }}.\n{{ tracking_url }}\n{{ crisis_url }}"
            ),
        }
        for code in ("en", "tr", "fa", "lt")
    }
    broadcast = broadcast_create(
        actor=None,
        name="bench",
        channel="email",
        segment={"ship": "Ege Star"},
        templates=templates,
        rate_per_minute=100_000,
    )
    # The bench drives the sender itself instead of the on-commit kick, and delivers the outbox
    # rows after queueing them (as the worker pool would), to time each phase.
    from calmdesk.core import outbox

    broadcasts._kick = lambda broadcast_id: None
    outbox._schedule = lambda outbox_id: None
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start_peak = send_peak = 0
    if trace:
        tracemalloc.start()
    t0 = time.perf_counter()
    broadcast_start(broadcast=broadcast, actor=None)
    t1 = time.perf_counter()
    if trace:
        _, start_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
    queued = 0
    while Broadcast.objects.get(pk=broadcast.pk).status == "sending":
        queued += broadcast_advance(broadcast_id=broadcast.pk)
    t2 = time.perf_counter()
    if trace:
        _, send_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    # Delivery as the Huey workers do it: outbox_deliver per row, WORKERS in parallel.
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    from calmdesk.core.models import OutboxMessage
    from calmdesk.core.outbox import outbox_deliver

    def deliver(ids: list[int]) -> None:
        try:
            for outbox_id in ids:
                outbox_deliver(outbox_id=outbox_id)
        finally:
            connection.close()

    ids = list(OutboxMessage.objects.order_by("pk").values_list("pk", flat=True))
    with ThreadPoolExecutor(WORKERS) as pool:
        list(pool.map(deliver, [ids[i::WORKERS] for i in range(WORKERS)]))
    t3 = time.perf_counter()
    progress = broadcast_progress(Broadcast.objects.get(pk=broadcast.pk))
    sink.terminate()
    sink.wait()
    return {
        "recipients": n,
        "queued": queued,
        "sent": progress.sent,
        "materialise_s": round(t1 - t0, 2),
        "queue_s": round(t2 - t1, 2),
        "deliver_s": round(t3 - t2, 2),
        "total_s": round(t3 - t0, 2),
        "queued_per_s": round(queued / (t2 - t1), 1) if t2 > t1 else 0,
        "delivered_per_s": round(progress.sent / (t3 - t2), 1) if t3 > t2 else 0,
        "messages_per_s": round(progress.sent / (t3 - t0), 1) if t3 > t0 else 0,
        "peak_rss_mb_before": round(rss_before / 1024, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "tracemalloc_peak_materialise_mb": round(start_peak / 2**20, 1),
        "tracemalloc_peak_send_mb": round(send_peak / 2**20, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[5_000, 50_000])
    parser.add_argument(
        "--tracemalloc", action="store_true", help="also report Python allocation peaks (slower)"
    )
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.tracemalloc)))
        return
    results = []
    for n in args.sizes:
        with tempfile.TemporaryDirectory(prefix="calmdesk-bc-bench-") as var:
            env = {
                **os.environ,
                "CALMDESK_VAR_DIR": var,
                "HUEY_IMMEDIATE": "true",  # deliver on commit, in this process
                "REDIS_URL": "",
                "DATABASE_URL": f"sqlite:///{var}/bench.sqlite3",
                "LOG_LEVEL": "WARNING",
                "SITE_URL": "https://help.example.com",
            }
            out = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--child",
                    str(n),
                    *(["--tracemalloc"] if args.tracemalloc else []),
                ],
                env=env,
                cwd=ROOT,
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            result = json.loads(out.strip().splitlines()[-1])
            results.append(result)
            print(json.dumps(result), flush=True)
    print()
    print(
        "| recipients | materialise | queue (per s) | deliver, "
        f"{WORKERS} workers (per s) | total | messages/s end to end | peak RSS |"
        + (" Python peak materialise / queue |" if args.tracemalloc else "")
    )
    print(
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
        + (" ---: |" if args.tracemalloc else "")
    )
    for r in results:
        print(
            f"| {r['recipients']:,} | {r['materialise_s']} s "
            f"| {r['queue_s']} s ({r['queued_per_s']}) "
            f"| {r['deliver_s']} s ({r['delivered_per_s']}) | {r['total_s']} s "
            f"| {r['messages_per_s']} | {r['peak_rss_mb']} MB |"
            + (
                f" {r['tracemalloc_peak_materialise_mb']} / {r['tracemalloc_peak_send_mb']} MB |"
                if args.tracemalloc
                else ""
            )
        )


if __name__ == "__main__":
    main()
