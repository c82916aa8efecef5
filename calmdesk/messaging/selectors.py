"""Reads of the messaging app: which conversation a handle is in, where a reply goes."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Q, QuerySet

from calmdesk.tickets.enums import ACTIVE_STATUSES, TicketStatus
from calmdesk.tickets.models import Ticket

from .adapters import adapters
from .models import DeliveryStatus, MessagingAccount, ReceivedMessage, WebhookDelivery

# A solved conversation still takes the customer's next message this long ("it didn't work",
# "thanks") — like a reply to a solved ticket's email; after that, a new message is a new
# contact that the hub's de-duplication places.
THREAD_SOLVED_DAYS = 3


def providers_for_channel(channel: str) -> list[str]:
    return [a.provider for a in adapters() if a.channel == channel]


def conversation_ticket(*, channel: str, handle: str, now: datetime) -> Ticket | None:
    """The conversation a new message from ``handle`` on ``channel`` continues.

    Messaging has no subject lines or reply headers: the conversation is the handle's latest
    ticket on this channel that is still active (new, open, pending) or was solved in the last
    ``MESSAGING_THREAD_SOLVED_DAYS`` days. A merged ticket leads to the one it was merged into.
    """
    ticket_ids = list(
        dict.fromkeys(
            ReceivedMessage.objects.filter(
                handle=handle,
                provider__in=providers_for_channel(channel),
                ticket__isnull=False,
            )
            .order_by("-received_at", "-id")
            .values_list("ticket_id", flat=True)[:20]
        )
    )
    if not ticket_ids:
        return None
    tickets = Ticket.objects.in_bulk(ticket_ids)
    days = getattr(settings, "MESSAGING_THREAD_SOLVED_DAYS", THREAD_SOLVED_DAYS)
    for ticket_id in ticket_ids:
        ticket = tickets.get(ticket_id)
        if ticket is None:
            continue
        ticket = _follow_merges(ticket)
        if ticket.status in ACTIVE_STATUSES:
            return ticket
        solved_at = ticket.solved_at or ticket.updated_at
        if ticket.status == TicketStatus.SOLVED and solved_at >= now - timedelta(days=days):
            return ticket
    return None


def _follow_merges(ticket: Ticket) -> Ticket:
    seen = {ticket.pk}
    while ticket.merged_into_id and ticket.merged_into_id not in seen:
        ticket = Ticket.objects.get(pk=ticket.merged_into_id)
        seen.add(ticket.pk)
    return ticket


def reply_route(*, ticket: Ticket, channel: str) -> ReceivedMessage | None:
    """The customer's latest message on ``channel`` in this conversation (or in a ticket
    merged into it): its account and address are where a reply goes."""
    merged = Ticket.objects.filter(merged_into=ticket).values_list("pk", flat=True)
    return (
        ReceivedMessage.objects.filter(
            Q(ticket=ticket) | Q(ticket_id__in=merged),
            provider__in=providers_for_channel(channel),
        )
        .select_related("account")
        .order_by("-received_at", "-id")
        .first()
    )


def last_received_at(*, account: MessagingAccount, handle: str) -> datetime | None:
    """When ``handle`` last wrote to this account (WhatsApp's customer-service window)."""
    row = (
        ReceivedMessage.objects.filter(account=account, handle=handle)
        .order_by("-received_at")
        .values_list("received_at", flat=True)
        .first()
    )
    return row


def deliveries_needing_attention() -> QuerySet[WebhookDelivery]:
    return WebhookDelivery.objects.filter(
        status__in=[DeliveryStatus.RECEIVED, DeliveryStatus.FAILED]
    ).select_related("account")


def account_health() -> QuerySet[MessagingAccount]:
    """Accounts with their counts of failed and unprocessed webhook deliveries."""
    return MessagingAccount.objects.annotate(
        failed=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.FAILED)),
        waiting=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.RECEIVED)),
    )
