"""Writes of the mail app: what a stored inbound email becomes."""

from __future__ import annotations

from datetime import datetime
from email import message_from_bytes
from email.policy import default as default_policy
from email.utils import parseaddr

from django.utils import timezone

from calmdesk.conversations.services import InboundContact, contact_receive
from calmdesk.customers.models import IdentityKind
from calmdesk.customers.services import normalize_email
from calmdesk.tickets.enums import Channel

from .models import InboundEmail, InboundStatus


def inbound_process(inbound: InboundEmail, *, now: datetime | None = None) -> InboundEmail:
    """First version: the From address, subject and plain text become a contact."""
    now = now or timezone.now()
    msg = message_from_bytes(bytes(inbound.raw), policy=default_policy)
    name, address = parseaddr(str(msg.get("From", "")))
    address = normalize_email(address or inbound.envelope_from)
    body = msg.get_body(preferencelist=("plain",))
    text = body.get_content() if body is not None else ""
    result = contact_receive(
        InboundContact(
            channel=Channel.EMAIL,
            identities=[(IdentityKind.EMAIL, address)],
            name=name,
            subject=str(msg.get("Subject", "")),
            body_text=text,
            team=inbound.mailbox.team,
            external_key=f"email:{inbound.mailbox_id}:{inbound.dedup_key}",
            external_id=inbound.header_message_id[:255],
        ),
        now=now,
    )
    inbound.status = InboundStatus.PROCESSED
    inbound.ticket = result.ticket
    inbound.message = result.message
    inbound.processed_at = now
    inbound.error = ""
    inbound.save()
    return inbound
