"""Register an account's webhook URL with its provider (Telegram's setWebhook).

python manage.py messaging_set_webhook "Support bot"
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from calmdesk.messaging.adapters import ProviderError
from calmdesk.messaging.models import MessagingAccount
from calmdesk.messaging.services import account_set_webhook


class Command(BaseCommand):
    help = "Call the provider's API to point its webhook at this desk (Telegram bots)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("account", help="Account id or name.")

    def handle(self, *args: Any, **options: Any) -> None:
        ref = options["account"]
        accounts = MessagingAccount.objects.all()
        accounts = accounts.filter(pk=int(ref)) if ref.isdigit() else accounts.filter(name=ref)
        account = accounts.first()
        if account is None:
            raise CommandError(f"No messaging account {ref!r}.")
        try:
            answer = account_set_webhook(account=account)
        except ProviderError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{account}: {answer} → {account.webhook_url}")
