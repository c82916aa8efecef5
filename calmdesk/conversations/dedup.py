"""One conversation per problem: is a new contact the same matter as a ticket already open?

``dedup_decide`` looks at the customer's active tickets (and, where the contact names a booking
reference, other customers' open tickets on that booking) and answers:

- ``follow_up``: certain enough to add the contact to that ticket (automatic merge);
- ``suggest``: maybe — open a new ticket, and show the agent a merge suggestion with evidence;
- ``new``: a different problem.

Precision of automatic follow-ups and recall of duplicates are measured on the labelled corpus
in ``bench/dedup/`` (``docs/performance.md``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from rapidfuzz import fuzz

from calmdesk.customers.models import Customer
from calmdesk.tickets.enums import ACTIVE_STATUSES
from calmdesk.tickets.models import RequestType, Ticket

Action = Literal["new", "follow_up", "suggest", "thread"]

# An open ticket older than this is not assumed to be the same matter without other evidence.
RECENT = timedelta(days=14)


@dataclass
class Candidate:
    ticket: Ticket
    score: float
    reasons: list[dict[str, Any]] = field(default_factory=list)

    @property
    def evidence(self) -> dict[str, Any]:
        return {"score": round(self.score, 3), "reasons": self.reasons}


@dataclass
class DedupDecision:
    action: Action
    ticket: Ticket | None = None  # the ticket the contact joins (follow_up, thread)
    score: float = 0.0
    evidence: dict[str, Any] = field(default_factory=dict)
    suggestions: list[Candidate] = field(default_factory=list)  # for "suggest"


@dataclass
class ContactFeatures:
    """What a new contact tells us for matching."""

    customer: Customer | None
    text: str
    request_type: RequestType | None = None
    booking_reference: str = ""  # upper-cased
    name: str = ""
    channel: str = ""
    # The customer was recognised by the identity the contact came by (not by a secondary one
    # it typed, such as a form's phone): only then may a follow-up be automatic.
    by_primary_identity: bool = True


def dedup_decide(features: ContactFeatures, *, now: datetime) -> DedupDecision:
    customer = features.customer
    if customer is None or customer.pk is None:
        return DedupDecision(action="new")
    tickets = list(
        Ticket.objects.filter(
            customer_id=customer.pk,
            status__in=ACTIVE_STATUSES,
            merged_into__isnull=True,
        ).order_by("-created_at")[:10]
    )
    best: Candidate | None = None
    for ticket in tickets:
        reasons: list[dict[str, Any]] = [{"kind": "same_customer"}]
        score = 0.5
        if features.request_type is not None and ticket.request_type_id == features.request_type.pk:
            score += 0.2
            reasons.append({"kind": "same_request_type"})
        ref = str((ticket.custom_fields or {}).get("booking_reference") or "").strip().upper()
        if features.booking_reference and ref and ref != features.booking_reference:
            continue  # another booking: another matter
        if features.booking_reference and ref == features.booking_reference:
            score += 0.3
            reasons.append({"kind": "booking_reference", "value": ref})
        similarity = fuzz.token_set_ratio(features.text, ticket.subject) / 100
        if similarity >= 0.6:
            score += 0.2 * similarity
            reasons.append({"kind": "similar_text", "value": round(similarity, 2)})
        if now - ticket.created_at > RECENT:
            score -= 0.2
        if best is None or score > best.score:
            best = Candidate(ticket=ticket, score=score, reasons=reasons)
    if best is None:
        return DedupDecision(action="new")
    if best.score >= 0.9 and features.by_primary_identity:
        return DedupDecision(
            action="follow_up", ticket=best.ticket, score=best.score, evidence=best.evidence
        )
    if best.score >= 0.6:
        return DedupDecision(action="suggest", score=best.score, suggestions=[best])
    return DedupDecision(action="new")
