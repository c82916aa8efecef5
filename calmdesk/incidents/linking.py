"""Auto-linking: which public incident a new request belongs to.

A request belongs to an incident when its customer (already known to us) has a booking in the
incident's segment, when the booking reference it gives is one of the segment's bookings, or
when its subject or message mentions one of the incident's keywords. Intake asks this for every
request, so it reads the cached public incidents and makes at most one query — none when no
incident is public or when the newest one is mentioned by keyword.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Upper

from calmdesk.core.errors import DomainError
from calmdesk.customers.models import Booking, Customer
from calmdesk.customers.segments import bookings_in_segment
from calmdesk.tickets.models import Ticket

from .models import Incident
from .selectors import public_incidents

log = logging.getLogger(__name__)

BOOKING_REFERENCE_FIELD = "booking_reference"

# Letters that the same word is typed with on different keyboards: Arabic yeh and kaf on a
# Persian text, the Turkish dotless ı where an English keyboard types i.
_FOLD = str.maketrans({"ي": "ی", "ى": "ی", "ك": "ک", "ı": "i", "\u0307": None})


def fold(text: str) -> str:
    """Text for case-insensitive matching in any of our languages: casefolded (so İ, I, ı and i
    all meet), with Persian letter variants unified."""
    return unicodedata.normalize("NFC", text).casefold().translate(_FOLD)


@lru_cache(maxsize=256)
def _keyword_pattern(keywords: tuple[str, ...]) -> re.Pattern[str] | None:
    """One pattern for an incident's keywords, whole words only (a space in a keyword matches
    any run of white space)."""
    alternatives = sorted(
        {r"\s+".join(map(re.escape, fold(k).split())) for k in keywords if k.strip()},
        key=len,
        reverse=True,
    )
    if not alternatives:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)")


def mentions_keyword(incident: Incident, folded_text: str) -> bool:
    pattern = _keyword_pattern(tuple(str(k) for k in incident.keywords or ()))
    return pattern is not None and pattern.search(folded_text) is not None


def booking_reference(ticket: Ticket) -> str:
    """The booking reference the customer gave, normalised for comparison ("" when none)."""
    value = (ticket.custom_fields or {}).get(BOOKING_REFERENCE_FIELD)
    return value.strip().upper() if isinstance(value, str) else ""


def _incidents_with_affected_booking(
    incidents: Sequence[Incident], *, customer: Customer, reference: str
) -> set[int]:
    """The ids of ``incidents`` whose segment holds a booking of ``customer`` or with
    ``reference``, in one query (one EXISTS per incident over the few candidate bookings)."""
    candidates = Q()
    if customer.pk is not None:
        # The customer's own bookings and those of customers merged into it (one level, as
        # ``customers_in_segment`` counts them). The reference side needs an index on
        # UPPER(reference) to avoid reading every booking.
        owners = Customer.objects.filter(Q(pk=customer.pk) | Q(merged_into_id=customer.pk))
        candidates |= Q(customer_id__in=owners.values("pk"))
    if reference:
        candidates |= Q(reference_upper=reference)
    if not candidates or not incidents:
        return set()
    flags = {}
    for incident in incidents:
        try:
            segment = bookings_in_segment(incident.segment)
        except DomainError:
            log.warning("incident %s has an invalid segment; not linking by booking", incident)
            continue
        if segment.query.is_empty():
            continue
        flags[f"in_{incident.pk}"] = Exists(segment.filter(pk=OuterRef("pk")))
    if not flags:
        return set()
    any_flag = Q()
    for name in flags:
        any_flag |= Q(**{name: True})
    rows = (
        Booking.objects.alias(reference_upper=Upper("reference"))
        .filter(candidates)
        .annotate(**flags)
        .filter(any_flag)
        .values_list(*flags)
    )
    matched: set[int] = set()
    for row in rows:
        matched.update(int(name[3:]) for name, hit in zip(flags, row, strict=True) if hit)
    return matched


def incident_for_intake(
    *, ticket: Ticket, customer: Customer, text: str, hint: str | None = None
) -> Incident | None:
    """The public incident this new (unsaved) request belongs to: the customer (by identity) or
    the booking reference in its custom fields is in the incident's segment, or the text
    mentions one of its keywords. The newest matching incident wins. Otherwise ``hint``: the
    slug of the crisis page the customer came from (its form link), if that incident is still
    public. Reads cached incidents; at most 1 query."""
    incidents = public_incidents()
    if not incidents:
        return None
    matched = _matching_incident(incidents, ticket=ticket, customer=customer, text=text)
    if matched is None and hint:
        matched = next((incident for incident in incidents if incident.slug == hint), None)
    return matched


def _matching_incident(
    incidents: tuple[Incident, ...], *, ticket: Ticket, customer: Customer, text: str
) -> Incident | None:
    folded = fold(text)
    by_keyword = next(
        (i for i, incident in enumerate(incidents) if mentions_keyword(incident, folded)), None
    )
    # Only incidents newer than the first one mentioned by keyword can still win by booking.
    newer = incidents if by_keyword is None else incidents[:by_keyword]
    by_booking = _incidents_with_affected_booking(
        [incident for incident in newer if incident.segment],
        customer=customer,
        reference=booking_reference(ticket),
    )
    for incident in newer:
        if incident.pk in by_booking:
            return incident
    return None if by_keyword is None else incidents[by_keyword]
