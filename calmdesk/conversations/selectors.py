"""READS across channels: a ticket's channels and contacts, its merge suggestions, the
customer page. Fixed query counts; every ticket shown goes through ``visible_tickets``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from calmdesk.customers.models import Booking, Customer, CustomerMerge, Identity, IdentityKind
from calmdesk.tickets.enums import ACTIVE_STATUSES, Channel
from calmdesk.tickets.models import Ticket, parse_reference
from calmdesk.tickets.permissions import visible_tickets

from .models import Contact, MergeSuggestion, SuggestionStatus

# The order channels are listed in on a queue row.
CHANNEL_ORDER = {value: i for i, value in enumerate(Channel.values)}


@dataclass
class ContactSummary:
    channels: list[str] = field(default_factory=list)  # distinct, in Channel order
    count: int = 0


def contact_summaries(ticket_ids: Iterable[int]) -> dict[int, ContactSummary]:
    """Per ticket: the distinct channels it was contacted on and how many contacts — one query
    for a whole page of tickets."""
    ids = list(ticket_ids)
    summaries: dict[int, ContactSummary] = {}
    if not ids:
        return summaries
    rows = (
        Contact.objects.filter(ticket_id__in=ids)
        .values("ticket_id", "channel")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in rows:
        summary = summaries.setdefault(row["ticket_id"], ContactSummary())
        summary.channels.append(row["channel"])
        summary.count += row["n"]
    for summary in summaries.values():
        summary.channels.sort(key=lambda c: CHANNEL_ORDER.get(c, 99))
    return summaries


def open_suggestion_exists() -> Exists:
    """For annotating/filtering tickets: the ticket has an open merge suggestion either way."""
    return Exists(
        MergeSuggestion.objects.filter(
            Q(ticket_id=OuterRef("pk")) | Q(candidate_id=OuterRef("pk")),
            status=SuggestionStatus.OPEN,
        )
    )


def contact_on_channel(channel: str) -> Exists:
    return Exists(Contact.objects.filter(ticket_id=OuterRef("pk"), channel=channel))


@dataclass
class SuggestionRow:
    """An open suggestion as the ticket page shows it: the other ticket and the evidence."""

    suggestion: MergeSuggestion
    other: Ticket
    older: Ticket  # the default target (merge into the older one)
    reasons: list[dict[str, Any]]


def ticket_suggestions(*, ticket: Ticket, user: Any) -> list[SuggestionRow]:
    """Open suggestions pairing this ticket with a ticket the agent may see (one query + the
    visibility check in the same query)."""
    visible = visible_tickets(user)
    rows = (
        MergeSuggestion.objects.filter(
            Q(ticket_id=ticket.pk) | Q(candidate_id=ticket.pk), status=SuggestionStatus.OPEN
        )
        .filter(
            Q(ticket_id=ticket.pk, candidate__in=visible.values("pk"))
            | Q(candidate_id=ticket.pk, ticket__in=visible.values("pk"))
        )
        .select_related(
            "ticket",
            "candidate",
            "ticket__customer",
            "candidate__customer",
            "ticket__assignee",
            "candidate__assignee",
        )
        .order_by("-score", "pk")
    )
    result = []
    for row in rows:
        other = row.candidate if row.ticket_id == ticket.pk else row.ticket
        if other.merged_into_id is not None:
            continue
        older = min((ticket, other), key=lambda t: (t.created_at, t.pk))
        reasons = [r for r in (row.evidence or {}).get("reasons") or [] if isinstance(r, dict)]
        result.append(SuggestionRow(suggestion=row, other=other, older=older, reasons=reasons))
    return result


def merge_candidates(*, ticket: Ticket, user: Any, q: str = "", limit: int = 10) -> list[Ticket]:
    """Tickets this one could be merged into: by reference or subject words when ``q`` is
    given, else the customer's other active tickets. Only tickets the agent may see, not
    merged, not closed, not this one."""
    qs = (
        visible_tickets(user)
        .filter(merged_into__isnull=True)
        .exclude(pk=ticket.pk)
        .exclude(status="closed")
        .select_related("customer")
    )
    q = q.strip()
    if q:
        ref = parse_reference(q)
        qs = qs.filter(Q(pk=ref) if ref else Q(subject__icontains=q))
    else:
        qs = qs.filter(customer_id=ticket.customer_id, status__in=ACTIVE_STATUSES)
    return list(qs.order_by("-created_at", "-id")[:limit])


# ------------------------------------------------------------------------------------------
# The customer page
# ------------------------------------------------------------------------------------------

CONTACTS_PER_PAGE = 25


@dataclass
class CustomerPage:
    customer: Customer
    identities: list[Identity]
    contacts: Page[Contact]
    tickets: list[Ticket]  # the ones this agent may see, newest first
    hidden_tickets: int  # tickets in teams the agent does not see
    bookings: list[Booking]
    merges: list[CustomerMerge]  # into this customer and out of it, newest first
    visible_ticket_ids: set[int]


def customer_page(*, customer_id: int, user: Any, page: int = 1) -> CustomerPage:
    """Everything the customer page shows, in a fixed number of queries."""
    customer = Customer.objects.select_related("merged_into").get(pk=customer_id)
    identities = list(customer.identities.order_by("kind", "created_at", "pk"))
    visible = visible_tickets(user)
    all_tickets = Ticket.objects.filter(customer_id=customer.pk)
    tickets = list(
        visible.filter(customer_id=customer.pk)
        .select_related("request_type", "team", "merged_into")
        .order_by("-created_at", "-id")[:200]
    )
    total = all_tickets.count()
    contacts_qs = (
        Contact.objects.filter(customer_id=customer.pk)
        .select_related("ticket", "identity")
        .order_by("-at", "-id")
    )
    contacts = Paginator(contacts_qs, CONTACTS_PER_PAGE).get_page(page)
    ticket_ids = {c.ticket_id for c in contacts.object_list}
    visible_ids = set(visible.filter(pk__in=ticket_ids).values_list("pk", flat=True))
    visible_ids.update(t.pk for t in tickets)
    bookings = list(customer.bookings.order_by("departure_date", "reference"))
    merges = list(
        CustomerMerge.objects.filter(Q(source=customer) | Q(target=customer))
        .select_related("source", "target", "actor__agent", "undone_by__agent")
        .order_by("-at", "-id")
    )
    return CustomerPage(
        customer=customer,
        identities=identities,
        contacts=contacts,
        tickets=tickets,
        hidden_tickets=max(total - len(tickets), 0),
        bookings=bookings,
        merges=merges,
        visible_ticket_ids=visible_ids,
    )


def customer_search(*, q: str, exclude: int | None = None, limit: int = 10) -> list[Customer]:
    """Customers by email, phone or name (not merged ones) for "merge with another customer"."""
    q = q.strip()
    if len(q) < 2:
        return []
    digits = "".join(ch for ch in q if ch.isdigit())
    by_identity = Q(identities__value__icontains=q.lower())
    if len(digits) >= 5:
        by_identity |= Q(identities__kind=IdentityKind.PHONE, identities__value__contains=digits)
    qs: QuerySet[Customer] = Customer.objects.filter(merged_into__isnull=True).filter(
        by_identity | Q(name__icontains=q)
    )
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    ids = list(qs.values_list("pk", flat=True).distinct()[:limit])
    return list(
        Customer.objects.filter(pk__in=ids).prefetch_related("identities").order_by("name", "pk")
    )


@dataclass
class ReplyDestination:
    """Where an agent's reply on this ticket goes (the composer says it)."""

    channel: str  # the channel the reply goes out on
    address: str  # an email address, a phone number, a messaging handle; "" when none
    contact_channel: str  # the channel the customer last wrote on


def reply_destination(ticket: Ticket) -> ReplyDestination:
    """From ``conversations.outbound``: the channel of the customer's last contact when that
    channel can take a reply, else email to the customer's address."""
    from .outbound import last_contact, reply_channel

    contact = last_contact(ticket)
    channel = reply_channel(ticket)
    contact_channel = contact.channel if contact is not None else ticket.channel
    if channel == Channel.EMAIL:
        if contact is not None and contact.channel == Channel.EMAIL and contact.address:
            address = contact.address
        else:
            address = ticket.customer.primary_email
    else:
        address = contact.address if contact is not None else ""
    return ReplyDestination(channel=channel, address=address, contact_channel=contact_channel)
