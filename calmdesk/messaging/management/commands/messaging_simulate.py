"""Post a correctly signed sample webhook to a running desk, as the provider would.

python manage.py messaging_simulate --provider twilio --from +905321234567 --text "Hello"
python manage.py messaging_simulate --provider telegram --from 700100200 --name "Ayşe Y"
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import httpx
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from calmdesk.messaging.models import MessagingAccount, Provider
from calmdesk.messaging.simulate import sample_request, twilio_message


class Command(BaseCommand):
    help = "Post a signed sample message (Twilio SMS, WhatsApp or Telegram) to the webhook."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--provider", choices=Provider.values, required=True)
        parser.add_argument(
            "--from", dest="sender", required=True, help="E.164 number, or a Telegram chat id."
        )
        parser.add_argument("--text", default="Hello, I need help with my booking.")
        parser.add_argument("--name", default="", help="Profile name (WhatsApp, Telegram).")
        parser.add_argument("--account", default="", help="Account id or name (else the first).")
        parser.add_argument(
            "--base-url",
            default="",
            help=f"Where the desk runs (default SITE_URL: {settings.SITE_URL}).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        accounts = MessagingAccount.objects.filter(provider=options["provider"], active=True)
        ref = options["account"]
        if ref:
            accounts = accounts.filter(pk=int(ref)) if ref.isdigit() else accounts.filter(name=ref)
        account = accounts.order_by("pk").first()
        if account is None:
            raise CommandError(
                f"No active {options['provider']} account; add one in the admin "
                "(Messaging accounts) or load the demo data."
            )
        base = (options["base_url"] or settings.SITE_URL).rstrip("/")
        url = base + account.webhook_path
        if account.provider == Provider.TWILIO:
            # Twilio signs the URL it calls.
            request = twilio_message(
                account, sender=options["sender"], text=options["text"], url=url
            )
        else:
            request = replace(
                sample_request(
                    account, sender=options["sender"], text=options["text"], name=options["name"]
                ),
                url=url,
            )
        try:
            response = httpx.post(
                request.url,
                content=request.body,
                headers={"Content-Type": request.content_type, **request.headers},
                timeout=20,
            )
        except httpx.HTTPError as exc:
            raise CommandError(f"{request.url}: {exc}") from exc
        self.stdout.write(f"POST {request.url} → {response.status_code} {response.text[:200]}")
        if response.status_code >= 400:
            raise CommandError("The desk refused the webhook.")
