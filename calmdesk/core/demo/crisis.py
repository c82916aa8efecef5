"""The demo's crisis: a fire aboard the ferry MS Aurora, under way since yesterday.

Played through the real services, like the rest of the demo: the lead declares the incident
(texts in four languages, the policy and the guidance), imports the passenger list (a CSV
through the import service), posts three updates over the day, broadcasts the passengers
their options (sent at once, as the worker would), and passengers write in — their requests
are linked to the incident by intake's auto-linking. Moments in the past are set on the rows
afterwards (``_backdate``): the services stamp "now".
"""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db import transaction

from calmdesk.incidents.models import (
    Broadcast,
    BroadcastChannel,
    BroadcastStatus,
    Incident,
    IncidentEvent,
    IncidentEventType,
)
from calmdesk.tickets.enums import Channel
from calmdesk.tickets.models import RequestType

from . import crisis_texts as ct
from . import texts

if TYPE_CHECKING:
    from .loader import _Planner

LANGUAGES = ["en", "tr", "fa", "lt"]
PASSENGERS = 300
REQUESTS = 36
DECLARED_HOURS_AGO = 26
BROADCAST_HOURS_AGO = 20
# Days from today to departure: the ship is out for about ten days.
DEPARTURE_DAYS = (0, 12)
REFUND_WORDS = ("refund", "iade", "بازپرداخت", "grąžinimas")
CSV_COLUMNS = ("Passenger", "E-mail", "Mobile", "Lang", "PNR", "Vessel", "Route", "Sailing")


@dataclass
class Passenger:
    name: str
    email: str
    phone: str
    language: str
    reference: str
    departure: date


@dataclass
class CrisisSummary:
    incident: Incident
    passengers: int
    broadcast: Broadcast
    requests: int
    linked: int


def load_crisis_demo(
    *,
    rng: random.Random,
    now: datetime,
    lead: Any,
    planner: _Planner,
    passengers: int = PASSENGERS,
    requests: int = REQUESTS,
) -> CrisisSummary | None:
    """Play the ship fire: declare, import, update, broadcast, and the passengers' requests.

    Once per database: when the incident exists (``make demo`` adds to a loaded desk), nothing
    is done and None is returned."""
    if Incident.objects.filter(slug=ct.SLUG).exists():
        return None
    people = _passengers(rng=rng, now=now, planner=planner, count=passengers)
    incident = _declare(lead=lead, now=now)
    _import(people=people, incident=incident, lead=lead, now=now)
    _post_updates(incident=incident, lead=lead, now=now)
    broadcast = _broadcast(incident=incident, lead=lead, now=now)
    linked = _requests(rng=rng, now=now, people=people, count=requests)
    return CrisisSummary(
        incident=incident,
        passengers=len(people),
        broadcast=broadcast,
        requests=min(requests, len(people)),
        linked=linked,
    )


def seed_incident(*, now: datetime | None = None) -> Incident:
    """Only the incident, its texts and its updates (the crisis-page benchmark's data)."""
    from django.utils import timezone

    now = now or timezone.now()
    incident = _declare(lead=None, now=now)
    _post_updates(incident=incident, lead=None, now=now)
    return incident


def segment_for(now: datetime) -> dict[str, str]:
    """Every MS Aurora booking departing from today on, for the next two weeks."""
    today = now.date()
    return {
        "ship": ct.SHIP,
        "departure_from": today.isoformat(),
        "departure_to": (today + timedelta(days=14)).isoformat(),
    }


# ------------------------------------------------------------------------------------------
# The steps
# ------------------------------------------------------------------------------------------


def _declare(*, lead: Any, now: datetime) -> Incident:
    from calmdesk.incidents.services import incident_declare

    change = RequestType.objects.select_related("team").filter(key="change").first()
    incident = incident_declare(
        actor=lead,
        slug=ct.SLUG,
        team=change.team if change else None,
        languages=list(LANGUAGES),
        texts={lang: dict(values) for lang, values in ct.INCIDENT.items()},
        segment=segment_for(now),
        keywords=list(ct.KEYWORDS),
        request_type=change,
    )
    declared = now - timedelta(hours=DECLARED_HOURS_AGO)
    IncidentEvent.objects.filter(incident=incident, type=IncidentEventType.DECLARED).update(
        at=declared
    )
    incident.declared_at = declared
    incident.updated_at = declared
    incident.save(update_fields=["declared_at", "updated_at"])
    return incident


def passengers_csv(people: list[Passenger]) -> bytes:
    """The passenger list as the shipping line exports it (its own column names)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for p in people:
        writer.writerow(
            [
                p.name,
                p.email,
                p.phone,
                p.language,
                p.reference,
                ct.SHIP,
                ct.ROUTE,
                p.departure.isoformat(),
            ]
        )
    return out.getvalue().encode("utf-8")


CSV_MAPPING = {
    "name": "Passenger",
    "email": "E-mail",
    "phone": "Mobile",
    "language": "Lang",
    "reference": "PNR",
    "ship": "Vessel",
    "route": "Route",
    "departure_date": "Sailing",
}


def _import(*, people: list[Passenger], incident: Incident, lead: Any, now: datetime) -> None:
    """Through the import service when it exists; else the contact service and bookings."""
    try:
        from calmdesk.customers import imports
    except ImportError:
        imports = None  # type: ignore[assignment]
    if imports is not None and hasattr(imports, "import_create"):
        _import_through_service(imports, people=people, incident=incident, lead=lead)
        return
    from calmdesk.customers.models import Booking
    from calmdesk.customers.services import customer_for_contact

    bookings = []
    with transaction.atomic():
        for p in people:
            customer = customer_for_contact(
                name=p.name, email=p.email, phone=p.phone, language=p.language, now=now
            )
            bookings.append(
                Booking(
                    customer=customer,
                    reference=p.reference,
                    trip=ct.TRIP,
                    ship=ct.SHIP,
                    route=ct.ROUTE,
                    departure_date=p.departure,
                    created_at=now - timedelta(hours=DECLARED_HOURS_AGO - 1),
                )
            )
        Booking.objects.bulk_create(bookings, ignore_conflicts=True)


def _import_through_service(
    imports: Any, *, people: list[Passenger], incident: Incident, lead: Any
) -> None:
    """Upload and import the CSV as the import screen does (create, then run the mapping)."""
    from django.core.files.base import ContentFile

    upload_file = ContentFile(passengers_csv(people), name="ms-aurora-passengers.csv")
    upload, _preview = imports.import_create(file=upload_file, actor=lead, incident=incident)
    imports.import_run(upload=upload, mapping=dict(CSV_MAPPING), actor=lead, incident=incident)


def _post_updates(*, incident: Incident, lead: Any, now: datetime) -> None:
    from calmdesk.incidents.services import incident_post_update

    for hours_ago, update_texts in ct.UPDATES:
        update = incident_post_update(incident=incident, actor=lead, texts=dict(update_texts))
        at = now - timedelta(hours=hours_ago)
        type(update).objects.filter(pk=update.pk).update(posted_at=at)
        IncidentEvent.objects.filter(
            incident=incident, type=IncidentEventType.UPDATE_POSTED, data__update=update.pk
        ).update(at=at)
    # The public page reads the incident through the process cache: one save reloads it.
    incident.updated_at = now - timedelta(hours=ct.UPDATES[-1][0])
    incident.save(update_fields=["updated_at"])


def _broadcast(*, incident: Incident, lead: Any, now: datetime) -> Broadcast:
    """Written, started and sent yesterday: every recipient queued in the outbox at the
    broadcast's rate, ticked minute by minute as the periodic task does."""
    from calmdesk.incidents.broadcasts import broadcast_advance, broadcast_create, broadcast_start

    started = now - timedelta(hours=BROADCAST_HOURS_AGO)
    broadcast = broadcast_create(
        actor=lead,
        name=ct.BROADCAST_NAME,
        channel=BroadcastChannel.EMAIL,
        segment=dict(incident.segment),
        templates={lang: dict(t) for lang, t in ct.BROADCAST.items()},
        incident=incident,
        now=started - timedelta(minutes=12),
    )
    broadcast = broadcast_start(broadcast=broadcast, actor=lead, now=started)
    tick = started
    for _minute in range(60):
        broadcast.refresh_from_db()
        if broadcast.status != BroadcastStatus.SENDING:
            break
        broadcast_advance(broadcast_id=broadcast.pk, now=tick)
        tick += timedelta(minutes=1)
    return broadcast


def _requests(*, rng: random.Random, now: datetime, people: list[Passenger], count: int) -> int:
    """Passengers write in after the broadcast; those who travel soonest write first."""
    from calmdesk.inbox.services import intake_submit
    from calmdesk.inbox.validation import CleanSubmission

    from .loader import _written_date

    types = {rt.key: rt for rt in RequestType.objects.filter(active=True)}
    soon = sorted(people, key=lambda p: (p.departure, rng.random()))
    writers = soon[: count * 2]
    rng.shuffle(writers)
    writers = writers[:count]
    start = now - timedelta(hours=BROADCAST_HOURS_AGO - 1)
    span = (now - timedelta(minutes=5) - start).total_seconds()
    moments = sorted(start + timedelta(seconds=span * rng.random() ** 0.7) for _ in writers)
    linked = 0
    for person, at in zip(writers, moments, strict=True):
        subject_t, body_t = rng.choice(ct.REQUESTS[person.language])
        values = {"ref": person.reference, "date": _written_date(person.departure, person.language)}
        wants_refund = any(w in subject_t.lower() for w in REFUND_WORDS)
        kind = "refund" if wants_refund else "change"
        submission = CleanSubmission(
            name=person.name,
            email=person.email,
            phone=person.phone,
            request_type=types.get(kind),
            subject=subject_t.format(**values),
            message=body_t.format(**values),
            custom_fields={
                "departure_date": person.departure.isoformat(),
                "booking_reference": person.reference,
            },
            language=person.language,
        )
        channel = Channel.EMAIL if rng.random() < 0.3 else Channel.FORM
        result = intake_submit(submission=submission, channel=channel, now=at)
        linked += result.ticket.incident_id is not None
    return linked


# ------------------------------------------------------------------------------------------
# The passenger list
# ------------------------------------------------------------------------------------------


def _passengers(
    *, rng: random.Random, now: datetime, planner: _Planner, count: int
) -> list[Passenger]:
    from .loader import _latin

    people: list[Passenger] = []
    emails: set[str] = set()
    references: set[str] = set()
    for n in range(count):
        language = rng.choices(texts.LANGUAGES, texts.LANGUAGE_WEIGHTS)[0]
        firsts, lasts = rng.choice(texts.NAMES[language])
        first, last = rng.choice(firsts), rng.choice(lasts)
        local = f"{_latin(first, language)}.{_latin(last, language)}"
        email = f"{local}.{n + 1}@passengers.example.net"
        emails.add(email)
        reference = _reference(rng)
        while reference in references:
            reference = _reference(rng)
        references.add(reference)
        phone = planner._phone(language) if rng.random() < 0.4 else ""
        people.append(
            Passenger(
                name=f"{first} {last}",
                email=email,
                phone=phone,
                language=language,
                reference=reference,
                departure=now.date() + timedelta(days=rng.randint(*DEPARTURE_DAYS)),
            )
        )
    return people


def _reference(rng: random.Random) -> str:
    return "AUR" + "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(5))
