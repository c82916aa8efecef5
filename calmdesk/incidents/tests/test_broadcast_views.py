"""Broadcast screens (leads only) and the public opt-out page; SMS end to end via fake Twilio."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from calmdesk.accounts.models import Role
from calmdesk.core.models import OutboxMessage
from calmdesk.core.testing.factories import AgentFactory
from calmdesk.core.tests.test_sms import FROM, FakeTwilio, twilio  # noqa: F401 — the fixture
from calmdesk.customers.models import Customer
from calmdesk.incidents.broadcasts import broadcast_start
from calmdesk.incidents.models import Broadcast, BroadcastRecipient, BroadcastStatus

from .broadcast_factories import affected_customer, make_broadcast, make_incident

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead_client() -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(AgentFactory.create(username="lead", profile__role=Role.LEAD))
    return client


@pytest.mark.parametrize(
    ("method", "name", "args"),
    [
        ("get", "broadcasts:list", []),
        ("get", "broadcasts:compose", []),
        ("get", "broadcasts:detail", ["pk"]),
        ("get", "broadcasts:progress", ["pk"]),
        ("post", "broadcasts:start", ["pk"]),
        ("post", "broadcasts:test", ["pk"]),
        ("post", "broadcasts:action", ["pk", "cancel"]),
    ],
)
def test_agents_get_403_and_nothing_changes(method: str, name: str, args: list[Any]) -> None:
    affected_customer()
    broadcast = make_broadcast()
    client = Client()
    client.force_login(AgentFactory.create(username="agent"))
    url = reverse(name, args=[broadcast.pk if a == "pk" else a for a in args])

    response = getattr(client, method)(url, {"confirm": "on"})

    assert response.status_code == 403
    broadcast.refresh_from_db()
    assert broadcast.status == BroadcastStatus.DRAFT
    assert BroadcastRecipient.objects.count() == 0
    assert OutboxMessage.objects.count() == 0


def test_anonymous_visitors_are_sent_to_the_login_page() -> None:
    response = Client().get(reverse("broadcasts:list"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_compose_is_prefilled_from_the_incident(lead_client: Client) -> None:
    incident = make_incident(languages=["tr", "en"])

    response = lead_client.get(reverse("broadcasts:compose") + f"?incident={incident.pk}")

    page = response.content.decode()
    assert response.status_code == 200
    assert 'name="seg_ship" value="Ege Star"' in page
    assert 'name="subject_tr" value="Fire [tr]"' in page
    assert "{{ tracking_url }}" in page
    assert page.index('name="body_tr"') < page.index('name="body_en"')


def test_compose_saves_a_draft_and_shows_errors_on_the_field(lead_client: Client) -> None:
    affected_customer(name="Ana")
    data = {
        "name": "Fire",
        "channel": "email",
        "rate_per_minute": "600",
        "seg_ship": "Ege Star",
        "subject_en": "",
        "body_en": "Hello {{ name }}",
    }

    refused = lead_client.post(reverse("broadcasts:compose"), data)
    data["subject_en"] = "About your trip"
    saved = lead_client.post(reverse("broadcasts:compose"), data)

    assert refused.status_code == 400
    assert "An email needs a subject." in refused.content.decode()
    broadcast = Broadcast.objects.get()
    assert saved["Location"] == reverse("broadcasts:detail", args=[broadcast.pk])
    assert broadcast.templates == {"en": {"subject": "About your trip", "body": "Hello {{ name }}"}}


def test_draft_page_previews_per_language_with_the_recipient_count(
    lead_client: Client, django_assert_max_num_queries: Any
) -> None:
    incident = make_incident()
    affected_customer(name="Ana", reference="EN-1")
    affected_customer(name="Ben")
    broadcast = make_broadcast(
        incident=incident, templates={"en": {"subject": "Hi {{ name }}", "body": "{{ booking }}"}}
    )

    with django_assert_max_num_queries(14):
        response = lead_client.get(reverse("broadcasts:detail", args=[broadcast.pk]))

    page = response.content.decode()
    assert "2 customers in the segment" in page
    assert "Hi Ana [INC-ege-star-fire]" in page
    assert "EN-1" in page


def test_start_needs_the_confirmation_then_shows_progress(lead_client: Client) -> None:
    affected_customer(name="Ana")
    broadcast = make_broadcast()
    url = reverse("broadcasts:start", args=[broadcast.pk])

    lead_client.post(url, {})
    assert Broadcast.objects.get().status == BroadcastStatus.DRAFT
    lead_client.post(url, {"confirm": "on"})

    assert Broadcast.objects.get().status in (BroadcastStatus.SENDING, BroadcastStatus.DONE)
    progress = lead_client.get(reverse("broadcasts:progress", args=[broadcast.pk]))
    assert 'id="count-total">1<' in progress.content.decode()


def test_progress_page_lists_recipients_filtered_by_status(
    lead_client: Client, django_assert_max_num_queries: Any
) -> None:
    affected_customer(name="Ana")
    affected_customer(name="Opted", broadcast_opt_out_at="2025-01-01T00:00Z")
    broadcast = make_broadcast()
    broadcast_start(broadcast=broadcast, actor=None)

    with django_assert_max_num_queries(12):
        everyone = lead_client.get(reverse("broadcasts:detail", args=[broadcast.pk]))
    skipped = lead_client.get(
        reverse("broadcasts:recipients", args=[broadcast.pk]) + "?outcome=skipped"
    )

    assert "Ana" in everyone.content.decode()
    assert 'hx-trigger="every 2s"' in everyone.content.decode()
    assert "Opted" in skipped.content.decode()
    assert "Ana" not in skipped.content.decode()
    assert "opted out" in skipped.content.decode()


def test_pause_and_resume_from_the_page(lead_client: Client) -> None:
    affected_customer(name="Ana")
    broadcast = make_broadcast()
    broadcast_start(broadcast=broadcast, actor=None)

    lead_client.post(reverse("broadcasts:action", args=[broadcast.pk, "pause"]))
    assert Broadcast.objects.get().status == BroadcastStatus.PAUSED
    lead_client.post(reverse("broadcasts:action", args=[broadcast.pk, "resume"]))
    assert Broadcast.objects.get().status == BroadcastStatus.SENDING
    assert (
        lead_client.post(reverse("broadcasts:action", args=[broadcast.pk, "x"])).status_code == 404
    )


def test_list_page_with_a_query_guard(
    lead_client: Client, django_assert_max_num_queries: Any
) -> None:
    incident = make_incident()
    for _i in range(5):
        make_broadcast(incident=incident)

    with django_assert_max_num_queries(8):
        response = lead_client.get(reverse("broadcasts:list"))

    assert response.content.decode().count("Fire on the Ege Star") == 5


# ------------------------------------------------------------------------------------------
# Public opt-out
# ------------------------------------------------------------------------------------------


def test_optout_page_asks_then_stops_broadcasts_in_the_customers_language() -> None:
    customer = affected_customer(name="Ayşe", language="tr")
    url = reverse("broadcasts:optout", args=[customer.opt_out_token])
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")

    asked = client.get(url)

    assert asked.status_code == 200
    assert 'lang="tr"' in asked.content.decode()
    assert Customer.objects.get(pk=customer.pk).broadcast_opt_out_at is None
    done = client.post(url, {})  # the page's own button: no form token needed either
    assert done.status_code == 200
    assert 'lang="tr"' in done.content.decode()
    assert Customer.objects.get(pk=customer.pk).broadcast_opt_out_at is not None


def test_one_click_unsubscribe_post_works_without_a_form_token() -> None:
    customer = affected_customer(name="Ana")
    client = Client(enforce_csrf_checks=True)

    response = client.post(
        reverse("broadcasts:optout", args=[customer.opt_out_token]),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    assert "You will not receive these messages any more" in response.content.decode()
    assert Customer.objects.get(pk=customer.pk).broadcast_opt_out_at is not None


def test_an_unknown_optout_token_is_404() -> None:
    assert Client().get(reverse("broadcasts:optout", args=["nope"])).status_code == 404


# ------------------------------------------------------------------------------------------
# SMS end to end
# ------------------------------------------------------------------------------------------


def test_an_sms_broadcast_reaches_twilio_in_its_request_format(
    twilio: FakeTwilio,  # noqa: F811
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.SMS_URL = twilio.sms_url
    settings.SITE_URL = "https://help.example.com"
    incident = make_incident()
    ana = affected_customer(name="Ana", phone="+905321234567", reference="EN-1")
    affected_customer(name="No phone")
    broadcast = make_broadcast(
        incident=incident,
        channel="sms",
        templates={"en": {"body": "{{ name }}, {{ booking }}: {{ crisis_url }}"}},
    )

    with django_capture_on_commit_callbacks(execute=True):
        broadcast_start(broadcast=broadcast, actor=None)

    [request] = twilio.requests
    assert request["form"] == {
        "To": ["+905321234567"],
        "From": [FROM],
        "Body": [
            "Ana, EN-1: https://help.example.com/crisis/ege-star-fire\n"
            f"Stop: https://help.example.com/optout/{ana.opt_out_token}\n"
        ],
    }
    from calmdesk.incidents.broadcasts import broadcast_progress

    progress = broadcast_progress(Broadcast.objects.get())
    assert (progress.sent, progress.skipped, progress.status) == (1, 1, "done")
