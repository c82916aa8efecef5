"""Which conversation an inbound email continues.

In order of trust:

1. **Headers** — an id in In-Reply-To/References that is a ``tickets.Message.external_id`` (a
   mail we received or sent on the ticket) or the Message-ID of an outbox row we sent. An id
   with a random part is proof of having seen that mail, so it threads whoever writes. Our
   older ids carry only numbers (``<cd-<ticket>-ack@…>``, ``<cd-<ticket>-m<message>@…>``):
   anyone can write them, so they count only like a subject reference (below).
2. **Tracking link** — ``/t/<token>`` in the body: the token is secret, so it is proof.
3. **Reference** — ``CD-000123`` in the subject, only when the sender is an email identity of
   that ticket's customer. From anyone else it is a new contact, which the conversation dedup
   may suggest merging.

A reply to a broadcast (its ``<cd-broadcast-<b>-<r>@…>`` id in the headers, or ``[INC-<slug>]``
in the subject) threads to no ticket but names the incident (``incident_slug``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q

from calmdesk.core.models import OutboxMessage
from calmdesk.customers.models import Identity, IdentityKind
from calmdesk.tickets.models import REFERENCE_PREFIX, Message, Ticket

from .parsing import ParsedEmail

HEADERS = "headers"
TOKEN = "token"  # noqa: S105 (how a mail was threaded, not a secret)
SUBJECT = "subject"
WEAK_HEADERS = "headers_weak"

# Our ids that carry no secret: numbers only.
_GUESSABLE = re.compile(r"^<cd-(\d+)-(?:ack|m\d+)@[^<>]+>$", re.IGNORECASE)
_BROADCAST_ID = re.compile(r"^<cd-broadcast-(\d+)-(\d+)@[^<>]+>$", re.IGNORECASE)
_INCIDENT_TAG = re.compile(r"\[INC-([a-z0-9][a-z0-9_-]{0,99})\]", re.IGNORECASE)
_REFERENCE = re.compile(rf"(?<![A-Z0-9]){re.escape(REFERENCE_PREFIX)}(\d{{1,12}})(?!\d)", re.I)
# A longer number in an id is made up and is no primary key (a bigint has 19 digits at most).
_MAX_PK_DIGITS = 18
_TRACKING = re.compile(r"/t/([A-Za-z0-9_-]{20,64})(?![A-Za-z0-9_-])")


@dataclass
class ThreadMatch:
    ticket: Ticket | None = None
    by: str = ""  # HEADERS, TOKEN, SUBJECT, WEAK_HEADERS
    incident_slug: str | None = None


def header_ids(parsed: ParsedEmail) -> list[str]:
    """In-Reply-To first, then References newest first; each once."""
    seen: list[str] = []
    for value in [*parsed.in_reply_to, *reversed(parsed.references)]:
        if value not in seen:
            seen.append(value)
    return seen[:50]


def find_thread(*, parsed: ParsedEmail, sender: str) -> ThreadMatch:
    """The ticket ``parsed`` continues, by the rules of the module docstring. ``sender`` is the
    normalised address the mail is from (the customer's, for the identity checks)."""
    ids = header_ids(parsed)
    strong = [i for i in ids if not _GUESSABLE.match(i) and not _BROADCAST_ID.match(i)]
    ticket = _ticket_by_ids(strong)
    if ticket is not None:
        return ThreadMatch(ticket, HEADERS)
    ticket = _ticket_by_token(f"{parsed.text}\n{parsed.html}")
    if ticket is not None:
        return ThreadMatch(ticket, TOKEN)
    weak = [i for i in ids if _GUESSABLE.match(i)]
    for candidate in _tickets_by_weak_ids(weak):
        if _is_customer_identity(candidate, sender):
            return ThreadMatch(candidate, WEAK_HEADERS)
    for pk in _references(parsed.subject):
        found = Ticket.objects.filter(pk=pk).first()
        if found is not None and _is_customer_identity(found, sender):
            return ThreadMatch(found, SUBJECT)
    return ThreadMatch(incident_slug=_incident_slug(parsed, ids))


def _ticket_by_ids(ids: list[str]) -> Ticket | None:
    if not ids:
        return None
    rank = {value: index for index, value in enumerate(ids)}
    best: tuple[int, int] | None = None
    for external_id, ticket_id in Message.objects.filter(external_id__in=ids).values_list(
        "external_id", "ticket_id"
    ):
        key = (rank.get(external_id, len(ids)), ticket_id)
        best = key if best is None or key < best else best
    outbox = OutboxMessage.objects.filter(
        Q(provider_id__in=ids) | Q(**{"headers__Message-ID__in": ids}), ticket__isnull=False
    ).values_list("provider_id", "headers", "ticket_id")
    for provider_id, headers, ticket_id in outbox:
        header_id = headers.get("Message-ID", "") if isinstance(headers, dict) else ""
        position = min(rank.get(provider_id, len(ids)), rank.get(header_id, len(ids)))
        key = (position, ticket_id)
        best = key if best is None or key < best else best
    if best is None:
        return None
    return Ticket.objects.select_related("customer").filter(pk=best[1]).first()


def _ticket_by_token(text: str) -> Ticket | None:
    tokens = list(dict.fromkeys(_TRACKING.findall(text)))[:10]
    if not tokens:
        return None
    return Ticket.objects.select_related("customer").filter(tracking_token__in=tokens).first()


def _tickets_by_weak_ids(ids: list[str]) -> Iterable[Ticket]:
    pks = []
    for value in ids:
        match = _GUESSABLE.match(value)
        if match and len(match.group(1)) <= _MAX_PK_DIGITS:
            pks.append(int(match.group(1)))
    found = {t.pk: t for t in Ticket.objects.filter(pk__in=pks).select_related("customer")}
    return [found[pk] for pk in dict.fromkeys(pks) if pk in found]


def _references(subject: str) -> list[int]:
    return [int(m) for m in dict.fromkeys(_REFERENCE.findall(subject))][:5]


def _is_customer_identity(ticket: Ticket, sender: str) -> bool:
    """Is ``sender`` an email identity of the ticket's customer (or of a customer merged into
    it, or the customer it was merged into)?"""
    if not sender:
        return False
    identity = (
        Identity.objects.filter(kind=IdentityKind.EMAIL, value=sender)
        .select_related("customer")
        .first()
    )
    if identity is None:
        return False
    owner = identity.customer
    if owner.pk == ticket.customer_id:
        return True
    # Customers merged since the mail went out: follow the merge chain both ways.
    chain = {owner.pk}
    current = owner
    while current.merged_into_id and current.merged_into_id not in chain:
        chain.add(current.merged_into_id)
        current = type(owner).objects.get(pk=current.merged_into_id)
    if ticket.customer_id in chain:
        return True
    return bool(
        type(owner).objects.filter(pk=ticket.customer_id, merged_into_id__in=chain).exists()
    )


def _incident_slug(parsed: ParsedEmail, ids: list[str]) -> str | None:
    from calmdesk.incidents.models import Broadcast

    broadcast_ids = [
        int(m.group(1))
        for i in ids
        if (m := _BROADCAST_ID.match(i)) and len(m.group(1)) <= _MAX_PK_DIGITS
    ]
    if broadcast_ids:
        slug = (
            Broadcast.objects.filter(pk__in=broadcast_ids, incident__isnull=False)
            .values_list("incident__slug", flat=True)
            .first()
        )
        if slug:
            return str(slug)
    tag = _INCIDENT_TAG.search(parsed.subject)
    return tag.group(1).lower() if tag else None
