"""Agent pages (log a call, callbacks) and the customer's callback pages."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import jdatetime
import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.test import Client

from calmdesk.core.testing.factories import AgentFactory, TeamFactory, make_ticket
from calmdesk.customers.models import Identity, IdentityKind
from calmdesk.tickets.enums import EventType, TicketStatus
from calmdesk.tickets.models import Ticket, TicketEvent

from ..models import Call, Callback, CallbackSource, CallbackStatus, CallOutcome
from ..services import call_log, callback_request

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # Monday
PHONE = "+37061234567"


@pytest.fixture
def frozen() -> Any:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def ticket(team: Any) -> Ticket:
    ticket = make_ticket(subject="Ferry date change")
    Ticket.objects.filter(pk=ticket.pk).update(team=team)
    Identity.objects.create(customer=ticket.customer, kind=IdentityKind.PHONE, value=PHONE)
    ticket.refresh_from_db()
    return ticket


@pytest.fixture
def agent_client(client: Client, agent: Any) -> Client:
    client.force_login(agent)
    return client


# ------------------------------------------------------------------------------------------
# The ticket page's panel
# ------------------------------------------------------------------------------------------


def test_the_ticket_page_shows_the_phone_panel_with_the_number_prefilled(
    agent_client: Client, ticket: Ticket
) -> None:
    response = agent_client.get(f"/agent/tickets/{ticket.pk}/")

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="phone-panel"' in html
    assert "Log a call" in html
    assert f'value="{PHONE}"' in html


def test_an_agent_logs_a_call_from_the_ticket_page_with_htmx(
    agent_client: Client, ticket: Ticket, agent: Any
) -> None:
    response = agent_client.post(
        f"/agent/calls/tickets/{ticket.pk}/log/",
        {
            "call-direction": "in",
            "call-number": PHONE,
            "call-duration": "4:30",
            "call-outcome": "reached",
            "call-notes": "Wants the 14th.",
        },
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "Call logged." in html
    assert 'id="ticket-timeline"' in html  # out-of-band regions follow
    call = Call.objects.get()
    assert call.ticket == ticket
    assert call.duration_seconds == 270
    assert call.logged_by == agent
    assert TicketEvent.objects.filter(ticket=ticket, type=EventType.CALL).count() == 1


def test_a_logged_call_with_a_bad_number_shows_the_error_and_writes_nothing(
    agent_client: Client, ticket: Ticket
) -> None:
    response = agent_client.post(
        f"/agent/calls/tickets/{ticket.pk}/log/",
        {"call-direction": "out", "call-number": "12", "call-outcome": "reached"},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 400
    assert "errorlist" in response.content.decode()
    assert Call.objects.count() == 0


def test_without_javascript_logging_a_call_redirects_to_the_ticket(
    agent_client: Client, ticket: Ticket
) -> None:
    response = agent_client.post(
        f"/agent/calls/tickets/{ticket.pk}/log/",
        {"call-direction": "in", "call-number": PHONE, "call-outcome": "reached"},
    )

    assert response.status_code == 302
    assert response["Location"] == f"/agent/tickets/{ticket.pk}/"


def test_an_agent_of_another_team_cannot_log_a_call_on_the_ticket(
    client: Client, ticket: Ticket
) -> None:
    outsider = AgentFactory.create(profile__teams=[TeamFactory.create()])
    client.force_login(outsider)

    response = client.post(
        f"/agent/calls/tickets/{ticket.pk}/log/",
        {"call-direction": "in", "call-number": PHONE, "call-outcome": "reached"},
    )

    assert response.status_code == 404
    assert Call.objects.count() == 0


def test_a_customer_account_is_not_an_agent(client: Client, ticket: Ticket) -> None:
    user = get_user_model().objects.create_user(username="visitor", password="x-123-long")
    client.force_login(user)

    assert client.get("/agent/calls/").status_code == 403
    response = client.post(
        f"/agent/calls/tickets/{ticket.pk}/log/",
        {"call-direction": "in", "call-number": PHONE, "call-outcome": "reached"},
    )
    assert response.status_code == 403
    assert Call.objects.count() == 0


def test_anonymous_visitors_are_sent_to_the_login_page(client: Client) -> None:
    response = client.get("/agent/calls/callbacks/")

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_an_agent_schedules_a_callback_from_the_ticket(
    agent_client: Client, ticket: Ticket, frozen: Any
) -> None:
    response = agent_client.post(
        f"/agent/calls/tickets/{ticket.pk}/callback/",
        {
            "cb-phone": PHONE,
            "cb-date": "2026-03-02",
            "cb-start": "14:00",
            "cb-end": "15:00",
            "cb-timezone": "Europe/Vilnius",
            "cb-reason": "Call about the refund.",
        },
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    callback = Callback.objects.get()
    assert callback.source == CallbackSource.AGENT
    assert callback.window_start == datetime(2026, 3, 2, 14, 0, tzinfo=ZoneInfo("Europe/Vilnius"))
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.PENDING


def test_a_callback_window_in_the_past_is_refused_on_its_field(
    agent_client: Client, ticket: Ticket, frozen: Any
) -> None:
    response = agent_client.post(
        f"/agent/calls/tickets/{ticket.pk}/callback/",
        {
            "cb-phone": PHONE,
            "cb-date": "2026-03-01",
            "cb-start": "14:00",
            "cb-end": "15:00",
            "cb-timezone": "Europe/Vilnius",
        },
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 400
    assert "This time has passed" in response.content.decode()
    assert Callback.objects.count() == 0


def test_calling_back_from_the_panel_and_recording_the_answer(
    agent_client: Client, ticket: Ticket, agent: Any, frozen: Any
) -> None:
    callback = callback_request(
        phone=PHONE,
        window_start=NOW,
        window_end=NOW + timedelta(hours=1),
        timezone_name="Europe/Vilnius",
        ticket=ticket,
        source=CallbackSource.AGENT,
    )
    hx = {"HX-Request": "true"}

    started = agent_client.post(f"/agent/calls/callbacks/{callback.pk}/start/", headers=hx)
    answered = agent_client.post(
        f"/agent/calls/callbacks/{callback.pk}/attempt/",
        {f"cb{callback.pk}-outcome": "reached", f"cb{callback.pk}-duration": "3"},
        headers=hx,
    )

    assert started.status_code == 200
    assert answered.status_code == 200
    callback.refresh_from_db()
    assert callback.status == CallbackStatus.DONE
    assert callback.done_by == agent
    assert Call.objects.get().duration_seconds == 180


# ------------------------------------------------------------------------------------------
# Lists and the standalone "log a call"
# ------------------------------------------------------------------------------------------


def test_the_calls_list_shows_todays_calls_with_their_figures(
    agent_client: Client, ticket: Ticket, agent: Any
) -> None:
    call_log(
        actor=agent,
        direction="in",
        number=PHONE,
        duration_seconds=125,
        outcome=CallOutcome.REACHED,
        ticket=ticket,
    )

    response = agent_client.get("/agent/calls/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "+370 612 34567" in html
    assert "2 min 05 s" in html
    assert ticket.reference in html


def test_the_calls_list_hides_calls_on_tickets_the_agent_cannot_see(
    client: Client, ticket: Ticket, agent: Any
) -> None:
    call_log(
        actor=agent,
        direction="in",
        number=PHONE,
        duration_seconds=125,
        outcome=CallOutcome.REACHED,
        ticket=ticket,
    )
    outsider = AgentFactory.create(profile__teams=[TeamFactory.create()])
    client.force_login(outsider)

    response = client.get("/agent/calls/")

    assert response.status_code == 200
    assert "+370 612 34567" not in response.content.decode()
    assert client.get(f"/agent/calls/{Call.objects.get().pk}/").status_code == 404


def test_the_standalone_log_a_call_page_opens_a_ticket(agent_client: Client, team: Any) -> None:
    response = agent_client.post(
        "/agent/calls/new/",
        {
            "direction": "in",
            "number": "+905321234567",
            "name": "Mehmet Öz",
            "subject": "Cabin change",
            "team": team.pk,
            "duration": "6",
            "outcome": "reached",
            "notes": "Wants a sea-view cabin.",
        },
    )

    call = Call.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/agent/tickets/{call.ticket_id}/"
    assert call.ticket.subject == "Cabin change"
    assert call.duration_seconds == 360


def test_the_callbacks_list_orders_due_callbacks_by_window_end(
    agent_client: Client, team: Any, frozen: Any
) -> None:
    late = callback_request(
        phone="+37061111111",
        window_start=NOW,
        window_end=NOW + timedelta(hours=3),
        timezone_name="UTC",
        team=team,
    )
    soon = callback_request(
        phone="+37062222222",
        window_start=NOW,
        window_end=NOW + timedelta(hours=1),
        timezone_name="UTC",
        team=team,
    )

    response = agent_client.get("/agent/calls/callbacks/")

    assert response.status_code == 200
    assert [c.pk for c in response.context["rows"]] == [soon.pk, late.pk]


# ------------------------------------------------------------------------------------------
# Customers
# ------------------------------------------------------------------------------------------


def public_form(**overrides: str) -> dict[str, str]:
    data = {
        "name": "Rūta",
        "phone": "+370 612 34567",
        "email": "",
        "language": "lt",
        "date": "2026-03-02",
        "start": "15:00",
        "end": "16:00",
        "timezone": "Europe/Vilnius",
        "reason": "Dėl kelto bilieto",
        "form_token": "6f1c3b1e-0000-4000-8000-000000000001",
    }
    data.update(overrides)
    return data


def test_the_request_form_links_to_the_callback_page(client: Client) -> None:
    response = client.get("/help")

    assert 'href="/callback/"' in response.content.decode()


def test_a_visitor_asks_for_a_callback_and_lands_on_their_tracking_page(
    client: Client, pbx: Any, frozen: Any
) -> None:
    response = client.post("/callback/", public_form())

    callback = Callback.objects.get()
    assert response.status_code == 303
    assert response["Location"] == f"/t/{callback.ticket.tracking_token}#callback"
    assert callback.source == CallbackSource.FORM
    assert callback.language == "lt"
    assert callback.ticket.team == pbx.team  # the default phone team
    page = client.get(f"/t/{callback.ticket.tracking_token}")
    assert "We will call you on" in page.content.decode()


def test_the_same_callback_form_sent_twice_books_once(
    client: Client, pbx: Any, frozen: Any
) -> None:
    client.post("/callback/", public_form())
    client.post("/callback/", public_form())

    assert Callback.objects.count() == 1
    assert Ticket.objects.count() == 1


def test_the_callback_page_shows_per_field_errors(client: Client, frozen: Any) -> None:
    response = client.post("/callback/", public_form(phone="123", end="14:00"))

    assert response.status_code == 400
    html = response.content.decode()
    assert "error-summary" in html
    assert Callback.objects.count() == 0


def test_the_callback_page_in_persian_takes_a_solar_hijri_date(
    client: Client, pbx: Any, frozen: Any
) -> None:
    day = jdatetime.date.fromgregorian(date=date(2026, 3, 3))
    persian_digits = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
    typed = f"{day.year}/{day.month:02d}/{day.day:02d}".translate(persian_digits)

    page = client.get("/callback/", headers={"accept-language": "fa"})
    response = client.post(
        "/callback/",
        public_form(
            date=typed,
            phone="0912 345 6789",
            timezone="Asia/Tehran",
            language="fa",
            start="10:00",
            end="11:30",
        ),
        headers={"accept-language": "fa"},
    )

    assert 'placeholder="1405/10/03"' in page.content.decode()
    assert response.status_code == 303
    callback = Callback.objects.get()
    assert callback.phone == "+989123456789"  # read as an Iranian number
    assert callback.window_start == datetime(2026, 3, 3, 10, 0, tzinfo=ZoneInfo("Asia/Tehran"))


def test_a_filled_honeypot_books_nothing(client: Client, frozen: Any) -> None:
    response = client.post("/callback/", public_form(website_address="http://spam"))

    assert response.status_code == 200
    assert Callback.objects.count() == 0


def test_the_callback_page_is_rate_limited(client: Client, settings: Any, frozen: Any) -> None:
    settings.CALMDESK = {**settings.CALMDESK, "CALLBACK_RATE_LIMIT": 2}
    for _ in range(2):
        client.post("/callback/", public_form(phone="12"))

    response = client.post("/callback/", public_form())

    assert response.status_code == 429
    assert Callback.objects.count() == 0


def test_the_tracking_page_offers_a_callback_on_that_ticket(
    client: Client, ticket: Ticket, frozen: Any
) -> None:
    page = client.get(f"/t/{ticket.tracking_token}")
    response = client.post(
        f"/callback/t/{ticket.tracking_token}/",
        {
            "phone": PHONE,
            "date": "2026-03-02",
            "start": "15:00",
            "end": "16:00",
            "timezone": "Europe/Vilnius",
        },
    )

    assert "Ask us to call you back" in page.content.decode()
    assert response.status_code == 303
    callback = Callback.objects.get()
    assert callback.ticket == ticket
    assert callback.source == CallbackSource.TRACKING


def test_a_customer_cannot_cancel_another_tickets_callback(
    client: Client, ticket: Ticket, frozen: Any
) -> None:
    callback = callback_request(
        phone=PHONE,
        window_start=NOW + timedelta(hours=5),
        window_end=NOW + timedelta(hours=6),
        timezone_name="UTC",
        ticket=ticket,
        source=CallbackSource.TRACKING,
    )
    other = make_ticket()

    response = client.post(f"/callback/t/{other.tracking_token}/{callback.pk}/cancel/")

    assert response.status_code == 404
    callback.refresh_from_db()
    assert callback.status == CallbackStatus.SCHEDULED
    own = client.post(f"/callback/t/{ticket.tracking_token}/{callback.pk}/cancel/")
    assert own.status_code == 303
    callback.refresh_from_db()
    assert callback.status == CallbackStatus.CANCELLED


def test_an_unknown_tracking_token_is_a_404(client: Client) -> None:
    assert client.get("/callback/t/not-a-token/").status_code == 404
