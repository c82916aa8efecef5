"""``manage.py imap_idle``: fetch IMAP mailboxes the moment mail arrives (IDLE), for ever."""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from calmdesk.mail.imap import IdleWorker, imap_mailboxes, run_idle_workers

log = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Keep a connection to each active IMAP mailbox (or only --mailbox ID) in IDLE and fetch "
        "new mail as soon as the server announces it; poll where the server has no IDLE. "
        "Reconnects with backoff. Run it as a service next to the worker."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--mailbox",
            type=int,
            action="append",
            dest="mailboxes",
            help="Only this mailbox (its id; repeat for several). Default: every IMAP mailbox.",
        )
        parser.add_argument(
            "--poll-seconds",
            type=float,
            default=60,
            help="Poll interval for servers without IDLE (default 60).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()

        def on_signal(signum: int, frame: FrameType | None) -> None:
            stop.set()

        previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            self._run(stop, options)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _run(self, stop: threading.Event, options: dict[str, Any]) -> None:
        known = {m.pk: m for m in imap_mailboxes()}
        wanted = options["mailboxes"] or sorted(known)
        missing = [pk for pk in wanted if pk not in known]
        if missing:
            raise CommandError(
                f"No active IMAP mailbox with id {', '.join(map(str, missing))} "
                "(set its IMAP host in the admin)."
            )
        if not wanted:
            raise CommandError("No active mailbox has an IMAP host; nothing to watch.")
        for pk in wanted:
            mailbox = known[pk]
            self.stdout.write(f"Watching {mailbox} ({mailbox.imap_host}:{mailbox.imap_port})")
        if len(wanted) == 1:
            # One mailbox: in this thread (simplest to supervise and to stop).
            IdleWorker(mailbox_id=wanted[0], stop=stop, poll_seconds=options["poll_seconds"]).run()
        else:
            threads = run_idle_workers(wanted, stop=stop, poll_seconds=options["poll_seconds"])
            while any(t.is_alive() for t in threads) and not stop.is_set():
                stop.wait(5)
            stop.set()
            for thread in threads:
                thread.join(timeout=10)
        self.stdout.write("Stopped.")
