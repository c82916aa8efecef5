"""Where an agent's reply goes: back on the channel the customer last wrote on.

Each channel app registers a reply sender in its ``AppConfig.ready`` (``register_reply_sender``).
A sender is called inside the reply's transaction and must queue its delivery through the
outbox (or push it live and still leave a durable fallback). It returns True when it took the
reply; False (the chat visitor has left, the handle is gone) falls back to email. Channels with
no sender (form, API, phone) are answered by email to the customer's address.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from calmdesk.tickets.enums import Channel
from calmdesk.tickets.models import Message, Ticket

from .models import Contact


class ReplySender(Protocol):
    def __call__(self, *, ticket: Ticket, message: Message, contact: Contact | None) -> bool: ...


_SENDERS: dict[str, ReplySender | Callable[..., bool]] = {}


def register_reply_sender(channel: str, sender: ReplySender | Callable[..., bool]) -> None:
    _SENDERS[channel] = sender


def last_contact(ticket: Ticket) -> Contact | None:
    """The customer's latest contact on this ticket (its channel and identity)."""
    if hasattr(ticket, "_last_contact"):
        cached: Contact | None = ticket._last_contact
        return cached
    contact = (
        Contact.objects.filter(ticket_id=ticket.pk)
        .select_related("identity")
        .order_by("-at", "-id")
        .first()
    )
    ticket._last_contact = contact  # type: ignore[attr-defined]
    return contact


def reply_channel(ticket: Ticket) -> str:
    """The channel a reply on this ticket goes out on (what the reply message is marked with)."""
    contact = last_contact(ticket)
    channel = contact.channel if contact is not None else ticket.channel
    return channel if channel in _SENDERS else Channel.EMAIL


def deliver_reply(*, ticket: Ticket, message: Message) -> None:
    """Queue the reply on the customer's channel; email when that channel cannot take it."""
    contact = last_contact(ticket)
    channel = contact.channel if contact is not None else ticket.channel
    sender = _SENDERS.get(channel)
    if sender is not None and sender(ticket=ticket, message=message, contact=contact):
        return
    email = _SENDERS.get(Channel.EMAIL)
    if email is None:  # no mail app installed: the team's addresses
        email_reply_default(ticket=ticket, message=message)
    elif email is not sender:
        email(ticket=ticket, message=message, contact=None)


def email_reply_default(*, ticket: Ticket, message: Message) -> bool:
    """The reply by email to the customer's address (the team's From and Reply-To)."""
    from calmdesk.replies.services import agent_reply_queue

    email = ticket.customer.primary_email
    if not email:
        return False
    agent_reply_queue(ticket=ticket, message=message, to=email)
    return True
