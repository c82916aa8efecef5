"""Post a whole realistic call to a running Calmdesk, as a phone system would.

    python manage.py phone_simulate --token cdp_... [--url http://127.0.0.1:8000]
        [--from +905321234567] [--agent 201] [--transfer-to 305] [--sign] [--missed]

ringing → answered → hold → resume → transfer → ended (or ringing → ended with --missed), with
timestamps ending now, posted to ``/hooks/phone/events/``. For demos and for checking that a
phone system's token (and signature) work end to end.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from datetime import timedelta
from typing import Any

import httpx
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

# (event, seconds after the call started, extra fields)
Step = tuple[str, int, dict[str, str]]
WHOLE_CALL: tuple[Step, ...] = (
    ("ringing", 0, {}),
    ("answered", 14, {"agent": "{agent}"}),
    ("hold", 95, {}),
    ("resume", 140, {}),
    ("transfer", 210, {"agent": "{agent}", "transfer_to": "{transfer_to}"}),
    ("ended", 425, {"recording_url": "{recording}"}),
)
MISSED_CALL: tuple[Step, ...] = (("ringing", 0, {}), ("ended", 32, {}))


class Command(BaseCommand):
    help = "Post a whole call (ringing → … → ended) to a running server's phone webhook."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--url", default="http://127.0.0.1:8000", help="The server.")
        parser.add_argument("--token", required=True, help="The phone system's token.")
        parser.add_argument("--from", dest="caller", default="+905321234567")
        parser.add_argument("--to", dest="called", default="+902125550000")
        parser.add_argument("--agent", default="201", help="Extension or agent email.")
        parser.add_argument("--transfer-to", default="305")
        parser.add_argument("--queue", default="support")
        parser.add_argument("--call-id", default="", help="Default: a new one.")
        parser.add_argument("--sign", action="store_true", help="Send X-Calmdesk-Signature.")
        parser.add_argument("--missed", action="store_true", help="Nobody answers.")
        parser.add_argument(
            "--pace", type=float, default=0.5, help="Seconds to wait between events."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        steps = MISSED_CALL if options["missed"] else WHOLE_CALL
        call_id = options["call_id"] or f"sim-{uuid.uuid4().hex[:12]}"
        start = timezone.now() - timedelta(seconds=steps[-1][1])
        endpoint = options["url"].rstrip("/") + "/hooks/phone/events/"
        values = {
            "agent": options["agent"],
            "transfer_to": options["transfer_to"],
            "recording": f"https://pbx.example.com/recordings/{call_id}.wav",
        }
        with httpx.Client(timeout=15) as client:
            for index, (event, offset, extra) in enumerate(steps):
                payload: dict[str, Any] = {
                    "call_id": call_id,
                    "event": event,
                    "at": (start + timedelta(seconds=offset)).isoformat(),
                    "from": options["caller"],
                    "to": options["called"],
                    "queue": options["queue"],
                }
                payload.update({k: v.format(**values) for k, v in extra.items()})
                body = json.dumps(payload).encode()
                headers = {
                    "Authorization": f"Bearer {options['token']}",
                    "Content-Type": "application/json",
                }
                if options["sign"]:
                    digest = hmac.new(options["token"].encode(), body, hashlib.sha256)
                    headers["X-Calmdesk-Signature"] = "sha256=" + digest.hexdigest()
                try:
                    response = client.post(endpoint, content=body, headers=headers)
                except httpx.HTTPError as exc:
                    raise CommandError(f"{endpoint}: {exc}") from exc
                if response.status_code >= 400:
                    raise CommandError(f"{event}: {response.status_code} {response.text}")
                call = response.json().get("call", {})
                self.stdout.write(
                    f"{event:<9} {response.status_code} state={call.get('state')} "
                    f"duration={call.get('duration')}s holds={call.get('holds')} "
                    f"transfers={call.get('transfers')}"
                )
                if index < len(steps) - 1 and options["pace"] > 0:
                    time.sleep(options["pace"])
        self.stdout.write(
            self.style.SUCCESS(
                f"Call {call_id} posted; it reaches its ticket a few seconds after 'ended' "
                "(PHONE_FINALIZE_DELAY_SECONDS) while the task worker runs."
            )
        )
