"""Helpers for the broadcast tests: an incident, affected customers in bulk, a broadcast."""

from __future__ import annotations

from datetime import date
from typing import Any

from calmdesk.accounts.models import Team
from calmdesk.core.testing.factories import TeamFactory
from calmdesk.customers.models import Booking, Customer, Identity, IdentityKind
from calmdesk.incidents.broadcasts import broadcast_create
from calmdesk.incidents.models import Broadcast, Incident, IncidentText

SHIP = "Ege Star"
SEGMENT = {"ship": SHIP}


def make_incident(*, languages: list[str] | None = None, team: Team | None = None) -> Incident:
    team = team or TeamFactory.create(name="Crisis", slug="crisis", email="crisis@calmdesk.test")
    incident = Incident.objects.create(
        slug="ege-star-fire",
        team=team,
        languages=languages or ["en", "tr"],
        segment=dict(SEGMENT),
    )
    for code in incident.languages:
        IncidentText.objects.create(
            incident=incident, language=code, title=f"Fire [{code}]", summary=f"Summary {code}"
        )
    return incident


def affected_customer(
    *,
    name: str = "Ana Passenger",
    language: str = "en",
    email: str | None = "",
    phone: str | None = None,
    reference: str = "",
    departure: date | None = date(2025, 7, 14),
    ship: str = SHIP,
    **customer_fields: Any,
) -> Customer:
    customer = Customer.objects.create(name=name, language=language, **customer_fields)
    if email is not None:
        Identity.objects.create(
            customer=customer,
            kind=IdentityKind.EMAIL,
            value=email or f"c{customer.pk}@example.com",
        )
    if phone:
        Identity.objects.create(customer=customer, kind=IdentityKind.PHONE, value=phone)
    Booking.objects.create(
        customer=customer,
        reference=reference or f"BK{customer.pk:05d}",
        ship=ship,
        departure_date=departure,
    )
    return customer


def affected_customers_in_bulk(count: int, *, ship: str = SHIP) -> None:
    """``count`` customers with an email and a booking on ``ship``, in three INSERTs."""
    start = Customer.objects.count()
    customers = Customer.objects.bulk_create(
        Customer(name=f"Passenger {start + i}", language="en") for i in range(count)
    )
    Identity.objects.bulk_create(
        Identity(customer=c, kind=IdentityKind.EMAIL, value=f"p{c.pk}@example.com")
        for c in customers
    )
    Booking.objects.bulk_create(
        Booking(customer=c, reference=f"BK{c.pk:06d}", ship=ship, departure_date=date(2025, 7, 14))
        for c in customers
    )


def make_broadcast(
    *,
    incident: Incident | None = None,
    channel: str = "email",
    templates: dict[str, dict[str, str]] | None = None,
    rate_per_minute: int = 600,
    actor: Any = None,
) -> Broadcast:
    return broadcast_create(
        actor=actor,
        name="Fire on the Ege Star",
        channel=channel,
        segment=dict(SEGMENT),
        templates=templates
        or {"en": {"subject": "About your trip", "body": "Dear {{ name }}, see {{ crisis_url }}"}},
        incident=incident,
        rate_per_minute=rate_per_minute,
    )
