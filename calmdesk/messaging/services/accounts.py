"""Messaging accounts: credentials as the provider declares them, the webhook set by API."""

from __future__ import annotations

import secrets

from django.utils.translation import gettext as _

from ..adapters import (
    Adapter,
    CredentialField,
    get_adapter,
)
from ..models import MessagingAccount

# ------------------------------------------------------------------------------------------
# Accounts
# ------------------------------------------------------------------------------------------


def credentials_complete(
    *, adapter: Adapter, credentials: dict[str, str]
) -> tuple[dict[str, str], dict[str, str]]:
    """Credentials with generated values filled in, and per-field problems (missing, bad)."""
    filled = {k: str(v).strip() for k, v in credentials.items() if v not in (None, "")}
    problems: dict[str, str] = {}
    for spec in adapter.credential_fields:
        if not filled.get(spec.key) and spec.generate:
            filled[spec.key] = _generated(spec)
        if spec.required and not filled.get(spec.key):
            problems[spec.key] = _("This field is required.")
    problems.update(adapter.check_credentials(filled))
    return filled, problems


def _generated(spec: CredentialField) -> str:
    return secrets.token_urlsafe(32).replace("-", "_")


def account_set_webhook(*, account: MessagingAccount) -> str:
    """Register the account's webhook URL with the provider (Telegram); NotSupported where the
    provider's console is the only way (Twilio, Meta)."""
    adapter = get_adapter(account.provider)
    return adapter.set_webhook(account, account.webhook_url)
