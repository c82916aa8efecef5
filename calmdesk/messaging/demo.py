"""Demo messaging accounts for ``make run`` (placeholder credentials; see
docs/channels-messaging.md to make them real)."""

from __future__ import annotations

from calmdesk.accounts.models import Team

from .adapters import get_adapter
from .models import MessagingAccount, Provider
from .services import credentials_complete

DEMO_ACCOUNTS = [
    (
        Provider.TWILIO,
        "Demo SMS",
        {
            "account_sid": "AC00000000000000000000000000000000",
            "auth_token": "demo-twilio-auth-token",
            "from_number": "+15005550006",
        },
    ),
    (
        Provider.WHATSAPP,
        "Demo WhatsApp",
        {
            "phone_number_id": "100000000000001",
            "access_token": "demo-whatsapp-access-token",
            "app_secret": "demo-whatsapp-app-secret",
            "verify_token": "demo-verify-token",
        },
    ),
    (
        Provider.TELEGRAM,
        "Demo Telegram bot",
        {"bot_token": "100000001:demo-telegram-bot-token", "secret_token": "demo-telegram-secret"},
    ),
]


def demo_messaging(team: Team | None = None) -> list[MessagingAccount]:
    """One account per provider bound to ``team`` (else the first team); idempotent by name."""
    team = team or Team.objects.order_by("pk").first()
    accounts = []
    for provider, name, credentials in DEMO_ACCOUNTS:
        filled, _problems = credentials_complete(
            adapter=get_adapter(provider), credentials=credentials
        )
        account, _created = MessagingAccount.objects.get_or_create(
            name=name, defaults={"provider": provider, "team": team, "credentials": filled}
        )
        accounts.append(account)
    return accounts
