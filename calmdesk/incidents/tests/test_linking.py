"""Auto-linking: a new request belongs to the newest public incident that affects its customer,
its booking, or that it mentions."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from calmdesk.core.testing.factories import CustomerFactory
from calmdesk.customers.models import Booking, Customer
from calmdesk.incidents.linking import fold, incident_for_intake
from calmdesk.incidents.models import Incident, IncidentStatus, IncidentText
from calmdesk.incidents.selectors import public_incidents
from calmdesk.tickets.models import Ticket

pytestmark = pytest.mark.django_db

AURORA = {"ship": "Aurora", "departure_from": "2026-07-01", "departure_to": "2026-07-31"}


def declare(
    slug: str,
    *,
    segment: dict[str, Any] | None = None,
    keywords: list[str] | None = None,
    status: str = IncidentStatus.ACTIVE,
    hours_ago: int = 1,
) -> Incident:
    incident = Incident.objects.create(
        slug=slug,
        status=status,
        languages=["en"],
        segment=segment or {},
        keywords=keywords or [],
        declared_at=timezone.now() - timedelta(hours=hours_ago),
    )
    IncidentText.objects.create(
        incident=incident, language="en", title=slug.replace("-", " ").title(), summary="…"
    )
    return incident


def book(customer: Customer, reference: str, **fields: Any) -> Booking:
    fields = {"ship": "Aurora", "departure_date": "2026-07-14", **fields}
    return Booking.objects.create(customer=customer, reference=reference, **fields)


def new_request(customer: Customer, booking_reference: str | None = None) -> Ticket:
    custom = {"booking_reference": booking_reference} if booking_reference is not None else {}
    return Ticket(customer=customer, custom_fields=custom)


def link(customer: Customer, text: str = "Hello", booking_reference: str | None = None) -> Any:
    return incident_for_intake(
        ticket=new_request(customer, booking_reference), customer=customer, text=text
    )


def test_a_known_customer_with_a_booking_in_the_segment_is_linked() -> None:
    fire = declare("aurora-fire", segment=AURORA)
    customer = CustomerFactory.create()
    book(customer, "AUR-123")

    assert link(customer, "When do I get my money back?") == fire


def test_a_first_contact_giving_an_affected_booking_reference_is_linked() -> None:
    fire = declare("aurora-fire", segment=AURORA)
    book(CustomerFactory.create(), "AUR-123")
    stranger = Customer(name="Ayşe")  # not saved: we have never heard from them

    assert link(stranger, "Help", booking_reference="  aur-123 ") == fire


def test_a_booking_reference_outside_the_segment_does_not_link() -> None:
    declare("aurora-fire", segment=AURORA)
    book(CustomerFactory.create(), "BOR-9", ship="Boreas")

    assert link(Customer(name="Ayşe"), "Help", booking_reference="BOR-9") is None


def test_a_customer_whose_bookings_are_outside_the_segment_is_not_linked() -> None:
    declare("aurora-fire", segment=AURORA)
    customer = CustomerFactory.create()
    book(customer, "AUR-8", departure_date="2026-09-02")  # the Aurora, but in September
    book(customer, "BOR-9", ship="Boreas", departure_date="2026-07-14")

    assert link(customer, "Can I change my cabin?") is None


def test_a_booking_of_a_customer_merged_into_this_one_counts() -> None:
    fire = declare("aurora-fire", segment=AURORA)
    survivor = CustomerFactory.create()
    duplicate = CustomerFactory.create(merged_into=survivor)
    book(duplicate, "AUR-123")

    assert link(survivor, "Any news?") == fire


def test_a_keyword_in_the_subject_or_message_links_the_request() -> None:
    fire = declare("aurora-fire", keywords=["Aurora", "ship fire"])

    assert link(Customer(), "Were you on the AURORA?\nI was.") == fire
    assert link(Customer(), "I heard about the ship\n  fire on the news") == fire


def test_a_keyword_must_be_a_whole_word() -> None:
    declare("aurora-fire", keywords=["fire"])

    assert link(Customer(), "My firewall blocks your site") is None
    assert link(Customer(), "Ceasefire talks") is None


def test_a_persian_keyword_matches_whatever_keyboard_wrote_it() -> None:
    fire = declare("aurora-fire", keywords=["کشتی آرورا", "آتش‌سوزی"])

    # Arabic yeh (ي) and kaf (ك) where a Persian keyboard writes ی and ک.
    assert link(Customer(), "سلام، بليط من برای كشتي آرورا است") == fire
    assert link(Customer(), "خبر آتش‌سوزی را شنیدم؛ پولم چه می‌شود؟") == fire
    assert link(Customer(), "آتش‌سوزیها") is None


def test_turkish_dotted_and_dotless_i_meet_in_keywords() -> None:
    izmir = declare("izmir-ferry", keywords=["İzmir"], hours_ago=2)
    cyprus = declare("cyprus-route", keywords=["Kıbrıs"], hours_ago=3)

    assert link(Customer(), "izmir feribotum iptal mi?") == izmir
    assert link(Customer(), "IZMIR SEFERİ") == izmir
    assert link(Customer(), "KIBRIS seferim için iade istiyorum") == cyprus
    assert link(Customer(), "kibris") == cyprus


def test_fold_treats_every_turkish_i_alike() -> None:
    assert {fold(word) for word in ("İzmir", "IZMIR", "izmir", "ızmır")} == {"izmir"}


def test_a_resolved_incident_links_nothing() -> None:
    declare("aurora-fire", segment=AURORA, keywords=["Aurora"], status=IncidentStatus.RESOLVED)
    customer = CustomerFactory.create()
    book(customer, "AUR-123")

    assert link(customer, "Aurora", booking_reference="AUR-123") is None


def test_a_monitored_incident_still_links() -> None:
    fire = declare("aurora-fire", keywords=["Aurora"], status=IncidentStatus.MONITORING)

    assert link(Customer(), "Aurora") == fire


def test_the_newest_incident_wins() -> None:
    declare("aurora-fire", segment=AURORA, keywords=["Aurora"], hours_ago=30)
    newer = declare("aurora-port-strike", segment={"ship": "Aurora"}, hours_ago=2)
    customer = CustomerFactory.create()
    book(customer, "AUR-123")

    assert link(customer, "What happens to my Aurora trip?") == newer


def test_a_newer_incident_found_by_booking_wins_over_an_older_one_mentioned() -> None:
    declare("storm", keywords=["storm"], hours_ago=30)
    fire = declare("aurora-fire", segment=AURORA, hours_ago=2)

    storm = Incident.objects.get(slug="storm")
    assert link(Customer(), "Is it the storm?", booking_reference="AUR-1") == storm

    book(CustomerFactory.create(), "AUR-1")

    assert link(Customer(), "Is it the storm?", booking_reference="AUR-1") == fire


def test_an_incident_without_a_segment_links_only_by_keyword() -> None:
    fire = declare("aurora-fire", segment={"ship": " "}, keywords=["Aurora"])
    customer = CustomerFactory.create()
    book(customer, "AUR-123")

    assert link(customer, "Hello") is None
    assert link(customer, "Aurora") == fire


def test_linking_costs_no_query_when_no_incident_is_public() -> None:
    declare("aurora-fire", segment=AURORA, status=IncidentStatus.RESOLVED)
    customer = CustomerFactory.create()
    public_incidents()  # the cache is warm in a running server

    with CaptureQueriesContext(connection) as captured:
        assert link(customer, "Hello", booking_reference="AUR-123") is None

    assert len(captured) == 0


def test_linking_asks_the_database_once_for_every_public_incident() -> None:
    declare("aurora-fire", segment=AURORA, hours_ago=3)
    strike = declare("port-strike", segment={"route": "Piraeus-Chania"}, hours_ago=2)
    declare("storm", segment={"tag": "storm"}, keywords=["storm"], hours_ago=1)
    customer = CustomerFactory.create()
    book(customer, "PC-1", ship="Minoa", route="piraeus-chania")
    public_incidents()

    with CaptureQueriesContext(connection) as captured:
        linked = link(customer, "Hello", booking_reference="AUR-404")

    assert linked == strike
    assert len(captured) == 1


def test_the_newest_incident_mentioned_needs_no_query() -> None:
    declare("aurora-fire", segment=AURORA, hours_ago=3)
    storm = declare("storm", segment={"tag": "storm"}, keywords=["storm"], hours_ago=1)
    customer = CustomerFactory.create()
    public_incidents()

    with CaptureQueriesContext(connection) as captured:
        assert link(customer, "Storm!", booking_reference="AUR-1") == storm

    assert len(captured) == 0
