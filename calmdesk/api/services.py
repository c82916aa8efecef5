"""API tokens: created and revoked here; only the SHA-256 of a key is ever stored."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from calmdesk.accounts.models import ApiToken

PREFIX_LENGTH = 12


@transaction.atomic
def api_token_create(*, user: Any, name: str) -> tuple[ApiToken, str]:
    """A new token for ``user``; returns the row and the raw key, which is not kept anywhere."""
    raw = ApiToken.generate_key()
    token = ApiToken.objects.create(
        user=user,
        name=name.strip()[:100],
        prefix=raw[:PREFIX_LENGTH],
        key_hash=ApiToken.hash_key(raw),
    )
    return token, raw


@transaction.atomic
def api_token_revoke(*, token: ApiToken) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token
