"""The phone-system webhook's input: who is calling (token, signature) and what they say
(``parse_call_event``), numbers as E.164, agents by email or extension."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from calmdesk.core.errors import DomainError
from calmdesk.customers.services import normalize_phone

from ..conf import conf
from ..models import CallDirection, CallEventType, Extension, PhoneSystem

# Caller ids phone systems send for a withheld or unknown number.
WITHHELD = {"", "anonymous", "unknown", "private", "restricted", "withheld", "unavailable"}
# Shorter digit strings are internal extensions, not phone numbers.
MAX_EXTENSION_DIGITS = 6


class WebhookError(DomainError):
    """A refused webhook request; ``status`` is the HTTP status the API answers with."""

    def __init__(self, message: str, *, status: int, code: str, field: str | None = None) -> None:
        super().__init__(message, field=field, code=code)
        self.status = status


# ------------------------------------------------------------------------------------------
# Numbers and agents
# ------------------------------------------------------------------------------------------


def phone_number_or_blank(raw: str, *, region: str | None = None) -> str:
    """A caller id as E.164, or '' for a withheld, internal (extension) or invalid number."""
    value = (raw or "").strip()
    if value.lower() in WITHHELD:
        return ""
    digits = "".join(ch for ch in value if ch.isdigit())
    if len(digits) <= MAX_EXTENSION_DIGITS and not value.startswith("+"):
        return ""
    if value.startswith("00"):
        value = "+" + value[2:]
    try:
        return normalize_phone(value, region=region or None)
    except DomainError:
        return ""


def resolve_agent(system: PhoneSystem | None, ref: str) -> int | None:
    """The agent (user id) an event names by email address or extension; None if unknown."""
    ref = (ref or "").strip()
    if not ref:
        return None
    if "@" in ref:
        user = (
            get_user_model()
            .objects.filter(email__iexact=ref, is_active=True, agent__isnull=False)
            .only("pk")
            .first()
        )
        return user.pk if user is not None else None
    if system is None:
        return None
    extension = Extension.objects.filter(phone_system=system, number=ref).first()
    return extension.agent_id if extension is not None else None


# ------------------------------------------------------------------------------------------
# The webhook: authentication and parsing
# ------------------------------------------------------------------------------------------


def phone_system_authenticate(*, authorization: str, signature: str, body: bytes) -> PhoneSystem:
    """The phone system behind ``Authorization: Bearer <token>``, its signature checked.

    ``X-Calmdesk-Signature: sha256=<hex of HMAC-SHA256(body, token)>`` is checked whenever it is
    sent, and required for systems set to require it.
    """
    scheme, _space, token = (authorization or "").strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise WebhookError(
            _("Send the phone system's token as 'Authorization: Bearer <token>'."),
            status=401,
            code="unauthorized",
        )
    system = PhoneSystem.objects.select_related("team").filter(token=token).first()
    if system is None or not hmac.compare_digest(system.token, token):
        raise WebhookError(_("Unknown token."), status=401, code="unauthorized")
    if not system.active:
        raise WebhookError(_("This phone system is disabled."), status=403, code="forbidden")
    signature = (signature or "").strip()
    if signature:
        expected = hmac.new(system.token.encode(), body, hashlib.sha256).hexdigest()
        given = signature.removeprefix("sha256=").strip().lower()
        if not hmac.compare_digest(expected, given):
            raise WebhookError(
                _("The X-Calmdesk-Signature does not match the body."),
                status=401,
                code="bad_signature",
            )
    elif system.require_signature:
        raise WebhookError(
            _("This phone system must sign its requests (X-Calmdesk-Signature)."),
            status=401,
            code="signature_required",
        )
    return system


@dataclass
class CallEventInput:
    """One call event as a phone system posts it (``parse_call_event``)."""

    call_id: str
    event: str
    at: datetime
    from_raw: str = ""
    to_raw: str = ""
    agent: str = ""
    queue: str = ""
    transfer_to: str = ""
    recording_url: str = ""
    direction: str = ""  # "in" / "out"; "" keeps what the call has (inbound by default)
    event_id: str = ""


def _text(payload: dict[str, Any], key: str, *, limit: int) -> str:
    value = payload.get(key)
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise WebhookError(
            _("'%(field)s' must be a string.") % {"field": key},
            status=422,
            code="unprocessable",
            field=key,
        )
    text = str(value).strip()
    if len(text) > limit or "\x00" in text:
        raise WebhookError(
            _("'%(field)s' is too long or not text.") % {"field": key},
            status=422,
            code="unprocessable",
            field=key,
        )
    return text


def parse_call_event(payload: Any, *, now: datetime | None = None) -> CallEventInput:
    """Check a decoded JSON body; raises WebhookError (422) with the field at fault."""
    now = now or timezone.now()
    if not isinstance(payload, dict):
        raise WebhookError(_("The body must be a JSON object."), status=400, code="invalid_json")
    call_id = _text(payload, "call_id", limit=120)
    if not call_id:
        raise WebhookError(
            _("'call_id' is required."), status=422, code="unprocessable", field="call_id"
        )
    event = _text(payload, "event", limit=20).lower()
    if event not in CallEventType.values:
        raise WebhookError(
            _("Unknown event '%(event)s'; use one of: %(events)s.")
            % {"event": event, "events": ", ".join(CallEventType.values)},
            status=422,
            code="unprocessable",
            field="event",
        )
    raw_at = _text(payload, "at", limit=40)
    if raw_at:
        try:
            at = parse_datetime(raw_at.replace("Z", "+00:00") if raw_at.endswith("Z") else raw_at)
        except ValueError:  # well formed but impossible, e.g. month 13
            at = None
        if at is None:
            raise WebhookError(
                _("'at' must be an ISO 8601 time, e.g. 2026-03-01T14:05:09+03:00."),
                status=422,
                code="unprocessable",
                field="at",
            )
        if timezone.is_naive(at):
            raise WebhookError(
                _("'at' needs a UTC offset (Z or +03:00)."),
                status=422,
                code="unprocessable",
                field="at",
            )
    else:
        at = now
    if at > now + timedelta(seconds=conf("PHONE_EVENT_MAX_FUTURE_SECONDS")):
        raise WebhookError(
            _("'at' is in the future; check the phone system's clock."),
            status=422,
            code="unprocessable",
            field="at",
        )
    if at < now - timedelta(hours=conf("PHONE_EVENT_MAX_AGE_HOURS")):
        raise WebhookError(
            _("'at' is too old to be a call event."),
            status=422,
            code="unprocessable",
            field="at",
        )
    direction = _text(payload, "direction", limit=10).lower()
    direction = {"inbound": "in", "outbound": "out"}.get(direction, direction)
    if direction and direction not in CallDirection.values:
        raise WebhookError(
            _("'direction' is 'in' or 'out'."),
            status=422,
            code="unprocessable",
            field="direction",
        )
    recording_url = _text(payload, "recording_url", limit=500)
    if recording_url:
        try:
            URLValidator(schemes=["http", "https"])(recording_url)
        except ValidationError as exc:
            raise WebhookError(
                _("'recording_url' must be an http(s) URL."),
                status=422,
                code="unprocessable",
                field="recording_url",
            ) from exc
    transfer_to = _text(payload, "transfer_to", limit=80)
    if event == CallEventType.TRANSFER and not transfer_to:
        raise WebhookError(
            _("A transfer needs 'transfer_to'."),
            status=422,
            code="unprocessable",
            field="transfer_to",
        )
    return CallEventInput(
        call_id=call_id,
        event=event,
        at=at,
        from_raw=_text(payload, "from", limit=80),
        to_raw=_text(payload, "to", limit=80),
        agent=_text(payload, "agent", limit=254),
        queue=_text(payload, "queue", limit=80),
        transfer_to=transfer_to,
        recording_url=recording_url,
        direction=direction,
        event_id=_text(payload, "event_id", limit=120),
    )
