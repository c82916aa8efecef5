"""``manage.py smtpd``: receive mail by SMTP or LMTP straight from an MTA (or for testing)."""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from calmdesk.mail.imap import max_message_bytes
from calmdesk.mail.smtpd import start_smtpd


class Command(BaseCommand):
    help = (
        "Receive mail for the desk's mailboxes by SMTP (or LMTP with --lmtp): only addresses a "
        "mailbox takes are accepted; each message is stored before it is acknowledged."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Address to listen on.")
        parser.add_argument("--port", type=int, default=2525, help="Port to listen on.")
        parser.add_argument(
            "--lmtp", action="store_true", help="Speak LMTP (one status per recipient)."
        )
        parser.add_argument(
            "--max-size",
            type=int,
            default=None,
            help="Largest message in bytes (default: MAIL_MAX_MESSAGE_BYTES, 50 MB).",
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
        protocol = "LMTP" if options["lmtp"] else "SMTP"
        try:
            controller = start_smtpd(
                host=options["host"],
                port=options["port"],
                lmtp=options["lmtp"],
                max_bytes=options["max_size"],
            )
        except (OSError, RuntimeError) as exc:
            raise CommandError(
                f"Cannot listen on {options['host']}:{options['port']}: {exc}"
            ) from exc
        limit = options["max_size"] or max_message_bytes()
        self.stdout.write(
            f"{protocol} receiver on {options['host']}:{options['port']} "
            f"(messages up to {limit} bytes); Ctrl-C to stop."
        )
        try:
            stop.wait()
        finally:
            controller.stop()
        self.stdout.write(f"{protocol} receiver stopped.")
