"""Intake during an incident: requests from the affected are linked, tagged, routed to the
incident's team and acknowledged with the policy, the crisis page and the announced wait."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.translation import override

from calmdesk.accounts.models import Team
from calmdesk.core.testing.factories import (
    CustomerFactory,
    RequestTypeFactory,
    TeamFactory,
    make_ticket,
)
from calmdesk.customers.models import Booking
from calmdesk.inbox.defaults import install_default_form
from calmdesk.inbox.services import IntakeResult, intake_submit, tracking_url
from calmdesk.inbox.validation import validate_submission
from calmdesk.incidents.models import Incident, IncidentStatus, IncidentText
from calmdesk.incidents.selectors import public_incidents
from calmdesk.replies.defaults import install_default_templates
from calmdesk.routing.defaults import install_default_rules
from calmdesk.staffing.selectors import format_wait, public_wait
from calmdesk.tickets.enums import EventType
from calmdesk.tickets.models import RequestType

pytestmark = pytest.mark.django_db

MONDAY_NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
POLICY_EN = "Full refund or free rebooking on any sailing until 31 August."
POLICY_FA = "بازپرداخت کامل یا جابه‌جایی رایگان به هر سفر دیگری تا ۹ شهریور."


@pytest.fixture
def seeded() -> None:
    install_default_form()
    install_default_rules()
    install_default_templates()


@pytest.fixture
def crisis_team() -> Team:
    return TeamFactory.create(name="Aurora crisis cell", slug="aurora-cell")


@pytest.fixture
def fire(crisis_team: Team) -> Incident:
    incident = Incident.objects.create(
        slug="aurora-fire",
        team=crisis_team,
        languages=["en", "fa"],
        segment={"ship": "Aurora"},
        keywords=["Aurora"],
        declared_at=MONDAY_NOON - timedelta(hours=3),
    )
    IncidentText.objects.create(
        incident=incident,
        language="en",
        title="Fire on board the Aurora",
        summary="A fire broke out in the engine room; everyone is safe.",
        policy=POLICY_EN,
        guidance="Contact us only if you travel within the next 3 days.",
    )
    IncidentText.objects.create(
        incident=incident,
        language="fa",
        title="آتش‌سوزی در کشتی آرورا",
        summary="در موتورخانه آتش‌سوزی رخ داد؛ همه سالم‌اند.",
        policy=POLICY_FA,
    )
    return incident


def submit(
    n: int,
    *,
    message: str = "Please refund my cancelled sailing.",
    language: str = "en",
    now: datetime = MONDAY_NOON,
    **fields: str,
) -> IntakeResult:
    data = {
        "name": "Ayşe",
        "email": f"ayse{n}@example.com",
        "request_type": "refund",
        "message": message,
        **fields,
    }
    return intake_submit(submission=validate_submission(data, [], language=language), now=now)


def affected_customer(email: str) -> Any:
    customer = CustomerFactory.create(email=email)
    Booking.objects.create(customer=customer, reference="AUR-77", ship="Aurora")
    return customer


def text_of(mail: Any) -> str:
    return str(mail.get_content()).replace("\r\n", "\n")


def test_a_request_from_an_affected_customer_is_linked_tagged_and_routed(
    seeded: None, fire: Incident, crisis_team: Team
) -> None:
    affected_customer("ayse1@example.com")

    with time_machine.travel(MONDAY_NOON, tick=False):
        ticket = submit(1, message="When will I get my money back?").ticket

    ticket.refresh_from_db()
    assert ticket.incident == fire
    assert ticket.team == crisis_team
    assert list(ticket.tags.values_list("name", flat=True)) == ["incident-aurora-fire"]
    assert ticket.events.get(type=EventType.CREATED).data["incident"] == "aurora-fire"


def test_a_first_contact_giving_an_affected_booking_reference_is_linked(
    seeded: None, fire: Incident, crisis_team: Team
) -> None:
    affected_customer("someone-else@example.com")

    with time_machine.travel(MONDAY_NOON, tick=False):
        ticket = submit(2, message="Refund please", booking_reference="aur-77").ticket

    assert (ticket.incident, ticket.team) == (fire, crisis_team)


def test_a_request_unrelated_to_the_incident_keeps_its_team_and_usual_acknowledgement(
    seeded: None,
    fire: Incident,
    smtp_server: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    refunds = RequestType.objects.get(key="refund").team

    with (
        time_machine.travel(MONDAY_NOON, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        ticket = submit(3, message="My ferry to Bari was late.").ticket

    assert ticket.incident is None
    assert ticket.team == refunds
    [mail] = smtp_server.to("ayse3@example.com")
    assert mail["Subject"] == f"We have received your request [{ticket.reference}]"
    assert "crisis" not in text_of(mail)


def test_the_acknowledgement_states_the_policy_crisis_page_and_the_announced_wait(
    seeded: None,
    fire: Incident,
    crisis_team: Team,
    smtp_server: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    refund = RequestType.objects.get(key="refund")
    aurora_desk = RequestTypeFactory.create(key="aurora-desk", team=crisis_team)
    earlier = MONDAY_NOON - timedelta(hours=1)
    for i in range(2):
        make_ticket(request_type=refund, subject=f"Refund {i}", now=earlier)
    for i in range(4):
        make_ticket(request_type=aurora_desk, subject=f"Aurora {i}", now=earlier)

    with (
        time_machine.travel(MONDAY_NOON, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        result = submit(4, message="I was booked on the Aurora next week.")

    ticket = result.ticket
    assert ticket.team == crisis_team
    assert result.estimate.ahead == 4  # the wait is the incident team's queue
    [mail] = smtp_server.to("ayse4@example.com")
    assert (
        mail["Subject"]
        == f"Fire on board the Aurora: we have received your request [{ticket.reference}]"
    )
    body = text_of(mail)
    assert (
        f"Expected time to our first reply: {format_wait(ticket.announced_wait_minutes)}." in body
    )
    assert f"Our policy for the customers affected:\n{POLICY_EN}\n" in body
    assert "Contact us only if you travel within the next 3 days." in body
    assert f"{settings.SITE_URL}/crisis/aurora-fire\n" in body
    assert tracking_url(ticket) in body
    assert ticket.events.get(type=EventType.AUTORESPONDER).data["announced_minutes"] == (
        ticket.announced_wait_minutes
    )


def test_a_linked_request_is_announced_the_wait_its_crisis_page_shows(
    seeded: None, fire: Incident, crisis_team: Team
) -> None:
    refund = RequestType.objects.get(key="refund")
    aurora_desk = RequestTypeFactory.create(key="aurora-desk", team=crisis_team)
    for i in range(5):
        make_ticket(request_type=aurora_desk, subject=f"Aurora {i}", now=MONDAY_NOON)
    with time_machine.travel(MONDAY_NOON, tick=False):
        crisis_page = public_wait(request_type=refund, now=MONDAY_NOON, incident=fire)
        help_form = public_wait(request_type=refund, now=MONDAY_NOON)
        cache.clear()  # computed the same way, not remembered

        ticket = submit(7, message="Is my Aurora cruise cancelled?").ticket

    assert ticket.incident == fire
    assert ticket.announced_wait_minutes == crisis_page.minutes
    assert (crisis_page.ahead, help_form.ahead) == (5, 0)


def test_a_persian_request_gets_the_incident_acknowledgement_in_persian(
    seeded: None, fire: Incident, smtp_server: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with (
        time_machine.travel(MONDAY_NOON, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        ticket = submit(5, message="بليط من برای كشتي Aurora است", language="fa").ticket

    [mail] = smtp_server.to("ayse5@example.com")
    # (a long encoded Subject is folded; the parser keeps the fold's leading space)
    assert mail["Subject"].strip() == (
        f"آتش‌سوزی در کشتی آرورا: درخواست شما را دریافت کردیم [{ticket.reference}]"
    )
    body = text_of(mail)
    assert POLICY_FA in body
    with override("fa"):
        assert f"زمان تقریبی نخستین پاسخ ما: {format_wait(ticket.announced_wait_minutes)}." in body
    # No Persian guidance was written: none is shown, rather than the English one.
    assert "Contact us only" not in body


def test_a_resolved_incident_no_longer_links_requests(seeded: None, fire: Incident) -> None:
    fire.status = IncidentStatus.RESOLVED
    fire.save()

    with time_machine.travel(MONDAY_NOON, tick=False):
        ticket = submit(6, message="Aurora refund?").ticket

    assert ticket.incident is None
    assert not ticket.tags.filter(name="incident-aurora-fire").exists()


def queries_of_a_first_contact(n: int, *, booking_reference: str) -> int:
    """Statements of one first contact departing in 3 days (the urgent rule tags it)."""
    departure = (MONDAY_NOON.date() + timedelta(days=3)).isoformat()
    with CaptureQueriesContext(connection) as captured:
        ticket = submit(
            n,
            message="Refund please",
            booking_reference=booking_reference,
            departure_date=departure,
        ).ticket
    assert ticket.tags.filter(name="departs-soon").exists()
    return len(captured)


def test_intake_asks_at_most_one_more_query_while_incidents_are_public(
    seeded: None, crisis_team: Team
) -> None:
    with time_machine.travel(MONDAY_NOON, tick=False):
        queries_of_a_first_contact(0, booking_reference="XK4R2Q")  # warm the caches
        quiet = queries_of_a_first_contact(1, booking_reference="XK4R2Q")

        for slug, team, segment in (
            ("aurora-fire", crisis_team, {"ship": "Aurora"}),
            ("port-strike", None, {"route": "Piraeus-Chania"}),
        ):
            incident = Incident.objects.create(slug=slug, team=team, segment=segment)
            IncidentText.objects.create(incident=incident, language="en", title=slug, summary="…")
        affected_customer("affected@example.com")
        public_incidents()
        queries_of_a_first_contact(2, booking_reference="AUR-77")  # creates the incident's tag
        unlinked = queries_of_a_first_contact(3, booking_reference="XK4R2Q")
        linked = queries_of_a_first_contact(4, booking_reference="AUR-77")

    assert unlinked == quiet + 1
    assert linked == quiet + 1


def test_a_request_from_the_crisis_page_form_link_is_linked_to_its_incident(
    client: Any,
) -> None:
    from django.urls import reverse

    from calmdesk.inbox.defaults import install_default_form
    from calmdesk.incidents.models import Incident
    from calmdesk.tickets.models import Ticket

    install_default_form()
    crisis_team = TeamFactory.create(slug="crisis-cell")
    Incident.objects.create(slug="aurora-fire", team=crisis_team, languages=["en"])
    page = client.get(reverse("inbox:help") + "?type=refund&incident=aurora-fire")
    token = re.search(r'name="form_token" value="([0-9a-f]{32})"', page.content.decode())
    assert token is not None

    client.post(
        reverse("inbox:help") + "?type=refund&incident=aurora-fire",
        {
            "name": "Deniz",
            "email": "deniz@example.com",
            "request_type": "refund",
            "message": "Nothing about ships in here.",
            "form_token": token.group(1),
        },
    )

    ticket = Ticket.objects.get()
    assert ticket.incident is not None
    assert ticket.incident.slug == "aurora-fire"
    assert ticket.team == crisis_team
