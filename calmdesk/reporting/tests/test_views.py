"""The dashboard page as a lead's browser sees it (and as an agent's does not)."""

from __future__ import annotations

import re
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.urls import reverse

from calmdesk.accounts.models import Role
from calmdesk.core.testing.factories import AgentFactory, CustomerFactory, make_ticket
from calmdesk.incidents.models import RecipientStatus
from calmdesk.tickets.models import Ticket

from .conftest import NOW, History, at
from .factories import BroadcastFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def _now() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


def _url(history: History) -> str:
    return reverse("reporting:incident_dashboard", kwargs={"slug": history.incident.slug})


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_dashboard_url_sits_under_the_incident() -> None:
    assert (
        reverse("reporting:incident_dashboard", kwargs={"slug": "ferry-fire"})
        == "/agent/incidents/ferry-fire/dashboard/"
    )


def test_lead_sees_the_figures_and_five_charts(history: History, lead: Any) -> None:
    notice = BroadcastFactory(incident=history.incident, name="Ferry notice")
    for status in (RecipientStatus.SENT, RecipientStatus.SENT, RecipientStatus.PENDING):
        notice.recipients.create(customer=CustomerFactory(), status=status)

    response = _client(lead).get(_url(history))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Dashboard: Fire on the ferry" in html
    assert re.search(r'id="kpi-backlog">\s*<dt>Waiting now</dt>\s*<dd>6</dd>', html)
    assert re.search(r'id="kpi-inbound">\s*<dt>Inbound in the window</dt>\s*<dd>7</dd>', html)
    assert "about 40 minutes" in html  # median first reply
    assert "4 tickets answered" in html
    assert html.count('role="img"') == 5  # volume, backlog, age, request types, one broadcast
    for title in (
        "Inbound volume per hour and channel",
        "Backlog over time",
        "Age of the backlog",
        "Top request types",
        "Ferry notice",
    ):
        assert f"<title>{title}</title>" in html
    assert (
        'aria-label="Inbound volume per hour and channel. 7 inbound messages over 5 hours."' in html
    )
    assert "2 of 3 done (66%)" in html
    assert re.findall(r'<tr data-team="([\w-]+)">', html) == ["crisis", "refunds", "changes"]


def test_panels_refresh_themselves_every_15_seconds(history: History, lead: Any) -> None:
    html = _client(lead).get(_url(history)).content.decode()

    panels = re.search(r'<div id="dashboard-panels"[^>]*>', html)
    assert panels is not None
    assert f'hx-get="{_url(history)}"' in panels.group(0)
    assert 'hx-trigger="every 15s"' in panels.group(0)
    assert 'hx-swap="outerHTML"' in panels.group(0)


def test_htmx_refresh_returns_only_the_panels(history: History, lead: Any) -> None:
    response = _client(lead).get(_url(history), **HTMX)

    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="dashboard-panels"')
    assert "<html" not in html
    assert html.count('role="img"') == 4
    assert "HX-Request" in response["Vary"]
    assert response["Cache-Control"] == "private, no-store"


def test_agent_gets_403_and_sees_no_figures(history: History) -> None:
    agent = AgentFactory(username="agnes", profile__teams=[history.refunds])

    response = _client(agent).get(_url(history))

    assert response.status_code == 403
    assert b"dashboard-panels" not in response.content


def test_signed_out_visitor_goes_to_the_login_page(history: History) -> None:
    response = Client().get(_url(history))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_unknown_incident_is_404(history: History, lead: Any) -> None:
    response = _client(lead).get("/agent/incidents/no-such-thing/dashboard/")

    assert response.status_code == 404


def test_administrator_sees_the_dashboard(history: History) -> None:
    admin = AgentFactory(username="root", profile__role=Role.ADMIN)

    assert _client(admin).get(_url(history)).status_code == 200


def test_persian_dashboard_is_right_to_left_with_persian_digits(
    history: History, lead: Any
) -> None:
    client = _client(lead)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fa"

    html = client.get(_url(history)).content.decode()

    assert '<html lang="fa" dir="rtl">' in html
    assert html.count('<figure class="chart chart-stacked" dir="rtl">') == 1
    assert html.count('direction="rtl"') == 4
    assert re.search(r'id="kpi-backlog">\s*<dt>[^<]+</dt>\s*<dd>۶</dd>', html)
    assert re.search(r'<dd class="muted">۴ ', html)  # tickets answered, in Persian digits
    assert "<title>۱۳ اسفند ۰۶:۰۰ · " in html  # Solar Hijri day, Persian digits


def test_hours_are_labelled_in_the_leads_time_zone(history: History, lead: Any) -> None:
    lead.agent.time_zone = "Asia/Tehran"
    lead.agent.save()

    html = _client(lead).get(_url(history)).content.decode()

    # 06:10 UTC is 09:40 in Tehran: the first bar is the 09:00 Tehran hour.
    assert "<title>3 Mar 09:00 · Web form: 1</title>" in html
    assert "3 Mar 06:00" not in html


def test_page_reads_a_bounded_number_of_queries_whatever_the_ticket_count(
    history: History, lead: Any, django_assert_num_queries: Any
) -> None:
    client = _client(lead)
    client.get(_url(history))  # warms the throughput cache
    # Session, user, profile · incident, texts · dashboard 10 + 3 teams × 1 · open alerts.
    page_queries = 3 + 2 + 13 + 1
    with django_assert_num_queries(page_queries):
        client.get(_url(history))
    more = [make_ticket(now=at(9, 30)) for _ in range(5)]
    Ticket.objects.filter(pk__in=[t.pk for t in more]).update(incident=history.incident)

    with django_assert_num_queries(page_queries):
        response = client.get(_url(history))

    assert response.status_code == 200
    assert re.search(
        r'id="kpi-backlog">\s*<dt>Waiting now</dt>\s*<dd>11</dd>', response.content.decode()
    )
