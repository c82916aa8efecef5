"""Load the demo desk: the seed's configuration, demo agents and a few hundred tickets.

For trying Calmdesk on one machine (``make run`` calls it with ``--if-empty``). Production
deployments do not run it: it creates users with a published password.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from calmdesk.core.demo.accounts import DEMO_PASSWORD
from calmdesk.core.demo.loader import Step, load_demo
from calmdesk.core.maintenance import sqlite_refresh_statistics
from calmdesk.tickets.models import Ticket


class Command(BaseCommand):
    help = "Load demo data (agents, customers, tickets in en/fa/tr/lt) through the services."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--tickets", type=int, default=300, help="How many tickets (default 300)."
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when the database already has users or tickets.",
        )
        parser.add_argument(
            "--seed", type=int, default=2024, help="Random seed (same seed, same desk)."
        )
        parser.add_argument(
            "--no-channels",
            action="store_true",
            help="Leave out the channel demos (mailbox, chat, messaging, phone calls).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        count: int = options["tickets"]
        if count < 0:
            raise CommandError("--tickets must be 0 or more.")
        if options["if_empty"] and (Ticket.objects.exists() or get_user_model().objects.exists()):
            self.stdout.write("The database already has data; demo data not loaded.")
            return
        started = time.monotonic()

        def progress(steps: Iterable[Step], total: int) -> Iterable[Step]:
            return tqdm(
                steps,
                total=total,
                desc="Demo data",
                unit="step",
                file=sys.stderr,
                disable=None if options["verbosity"] >= 1 else True,
            )

        summary = load_demo(
            tickets=count,
            seed=options["seed"],
            progress=progress,
            channels=not options["no_channels"],
        )
        sqlite_refresh_statistics()  # the planner picks the queue indexes from the start
        took = time.monotonic() - started
        languages = ", ".join(f"{k} {v}" for k, v in sorted(summary.by_language.items()))
        statuses = ", ".join(f"{k} {v}" for k, v in sorted(summary.by_status.items()))
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data loaded in {took:.1f}s: {summary.tickets} tickets from "
                f"{summary.customers} customers ({languages}); {statuses}; "
                f"{summary.urgent_in_queue} urgent in the queue."
            )
        )
        self.stdout.write(
            f"Demo logins: lead (team lead + admin), agent1 … agent6; password {DEMO_PASSWORD}"
        )
