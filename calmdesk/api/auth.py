"""Bearer-token authentication for the agent endpoints."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer

from calmdesk.accounts.models import ApiToken
from calmdesk.accounts.permissions import is_agent
from calmdesk.core.errors import PermissionDenied

# last_used_at is written at most this often per token, so reads stay read-only.
LAST_USED_RESOLUTION = timedelta(minutes=1)
MAX_TOKEN_LENGTH = 200


class ApiTokenAuth(HttpBearer):
    """``Authorization: Bearer cdk_…`` — a token created with ``manage.py create_api_token``.

    Only the SHA-256 of a token is stored; it is looked up by that hash. An unknown or revoked
    token is a 401; a token whose user is not an active agent (or superuser) is a 403.
    """

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        token = token.strip()
        if not token or len(token) > MAX_TOKEN_LENGTH:
            return None
        row = (
            ApiToken.objects.select_related("user")
            .filter(key_hash=ApiToken.hash_key(token), revoked_at__isnull=True)
            .first()
        )
        if row is None:
            return None
        user = row.user
        if not is_agent(user):
            raise PermissionDenied()
        now = timezone.now()
        if row.last_used_at is None or now - row.last_used_at >= LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
            row.last_used_at = now
        request.user = user
        request.api_token = row  # type: ignore[attr-defined]
        return user


api_token_auth = ApiTokenAuth()
