"""Contacts through the real hub (``contact_receive``), for the dedup and hub tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from calmdesk.conversations.services import ContactResult, InboundContact, contact_receive
from calmdesk.customers.models import IdentityKind

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def receive(
    *,
    channel: str = "email",
    email: str = "",
    phone: str = "",
    identities: list[tuple[str, str]] | None = None,
    now: datetime = NOW,
    reference: str = "",
    **fields: Any,
) -> ContactResult:
    """One inbound contact: by ``email`` (then ``phone``) unless ``identities`` are given."""
    if identities is None:
        identities = [
            pair for pair in ((IdentityKind.EMAIL, email), (IdentityKind.PHONE, phone)) if pair[1]
        ]
        if channel in ("sms", "whatsapp", "phone") and phone:
            identities = [(IdentityKind.PHONE, phone)]
    custom_fields = dict(fields.pop("custom_fields", {}))
    if reference:
        custom_fields["booking_reference"] = reference
    fields.setdefault("name", "Ayşe Yılmaz")
    return contact_receive(
        InboundContact(
            channel=channel, identities=identities, custom_fields=custom_fields, **fields
        ),
        now=now,
    )
