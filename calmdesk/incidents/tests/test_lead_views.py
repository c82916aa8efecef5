"""The lead's incident screens, as a lead's browser sees them (and an agent's does not)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from calmdesk.accounts.models import Role
from calmdesk.core.testing.factories import (
    AgentFactory,
    CustomerFactory,
    RequestTypeFactory,
    TeamFactory,
    make_ticket,
)
from calmdesk.customers.models import Booking
from calmdesk.incidents.models import (
    Broadcast,
    Incident,
    IncidentEvent,
    IncidentEventType,
    IncidentStatus,
    IncidentText,
    IncidentUpdate,
)
from calmdesk.incidents.services import incident_declare, incident_post_update

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "incident-updates"}


@pytest.fixture
def team() -> Any:
    return TeamFactory(slug="crisis", name="Crisis team")


@pytest.fixture
def lead() -> Any:
    return AgentFactory(username="lena", first_name="Lena", profile__role=Role.LEAD)


@pytest.fixture
def lead_client(client: Client, lead: Any) -> Client:
    client.force_login(lead)
    return client


@pytest.fixture
def incident(lead: Any, team: Any) -> Incident:
    with time_machine.travel(T0, tick=False):
        return incident_declare(
            actor=lead,
            slug="ship-fire",
            team=team,
            languages=["en", "tr"],
            texts={
                "en": {"title": "Fire on board MS Aurora", "summary": "Everyone is safe."},
                "tr": {"title": "MS Aurora'da yangın", "summary": "Herkes güvende."},
            },
            segment={"ship": "MS Aurora"},
        )


def declare_form(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "slug": "ship-fire",
        "languages": ["en", "tr"],
        "title_en": "Fire on board MS Aurora",
        "summary_en": "A fire broke out in the engine room; everyone is safe.",
        "policy_en": "Full refund or free rebooking.",
        "title_tr": "MS Aurora'da yangın",
        "summary_tr": "Makine dairesinde yangın çıktı.",
        "keywords": "Aurora, fire ,",
        "ship": "MS Aurora",
        "departure_from": "2026-03-01",
        "departure_to": "2026-03-10",
    }
    data.update(overrides)
    return data


# ------------------------------------------------------------------------------------------
# Access
# ------------------------------------------------------------------------------------------


def lead_urls(slug: str) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        ("get", reverse("incidents:list"), {}),
        ("get", reverse("incidents:new"), {}),
        ("post", reverse("incidents:new"), declare_form(slug="other-fire")),
        ("get", reverse("incidents:detail", args=[slug]), {}),
        ("get", reverse("incidents:edit", args=[slug]), {}),
        ("post", reverse("incidents:edit", args=[slug]), declare_form(languages=["en"])),
        ("post", reverse("incidents:status", args=[slug]), {"status": "resolved"}),
        ("post", reverse("incidents:post_update", args=[slug]), {"text_en": "News"}),
    ]


def test_an_agent_who_is_not_a_lead_gets_403_everywhere_and_nothing_changes(
    client: Client, team: Any, incident: Incident
) -> None:
    agent = AgentFactory(username="ayla", profile__teams=[team])
    client.force_login(agent)
    events_before = IncidentEvent.objects.count()

    for method, url, data in lead_urls(incident.slug):
        response = getattr(client, method)(url, data)
        assert response.status_code == 403, url

    incident.refresh_from_db()
    assert incident.status == IncidentStatus.ACTIVE
    assert incident.languages == ["en", "tr"]
    assert Incident.objects.count() == 1
    assert IncidentEvent.objects.count() == events_before
    assert not IncidentUpdate.objects.exists()


def test_signed_out_visitors_are_sent_to_the_sign_in_page(
    client: Client, incident: Incident
) -> None:
    for method, url, data in lead_urls(incident.slug):
        response = getattr(client, method)(url, data)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("accounts:login")), url
    assert not IncidentUpdate.objects.exists()


def test_an_administrator_role_sees_the_incidents(client: Client, incident: Incident) -> None:
    client.force_login(AgentFactory(username="root", profile__role=Role.ADMIN))

    assert client.get(reverse("incidents:detail", args=[incident.slug])).status_code == 200


def test_an_unknown_incident_is_404(lead_client: Client) -> None:
    assert lead_client.get(reverse("incidents:detail", args=["nope"])).status_code == 404


# ------------------------------------------------------------------------------------------
# List
# ------------------------------------------------------------------------------------------


def test_the_list_shows_every_incident_with_status_and_linked_ticket_count(
    lead_client: Client,
    lead: Any,
    team: Any,
    incident: Incident,
    django_assert_num_queries: Any,
) -> None:
    older = incident_declare(
        actor=lead,
        slug="storm",
        team=None,
        languages=["en"],
        texts={"en": {"title": "Storm", "summary": "Ferries stay in port."}},
    )
    Incident.objects.filter(pk=older.pk).update(
        status=IncidentStatus.RESOLVED, declared_at=T0 - timedelta(days=3)
    )
    for _ in range(3):
        ticket = make_ticket()
        ticket.incident = incident
        ticket.save(update_fields=["incident"])

    # session, user, profile, alerts, incidents with counts, their texts
    with django_assert_num_queries(6):
        response = lead_client.get(reverse("incidents:list"))

    assert response.status_code == 200
    rows = [(i.slug, i.status, i.ticket_count) for i in response.context["incidents"]]
    assert rows == [("ship-fire", "active", 3), ("storm", "resolved", 0)]
    html = response.content.decode()
    assert "Fire on board MS Aurora" in html
    assert 'class="badge incident-status incident-resolved"' in html


# ------------------------------------------------------------------------------------------
# Declare and edit
# ------------------------------------------------------------------------------------------


def test_the_declare_form_has_a_section_per_language_and_the_uploaded_lists(
    lead_client: Client,
) -> None:
    response = lead_client.get(reverse("incidents:new"))

    assert response.status_code == 200
    html = response.content.decode()
    for code in ("en", "fa", "tr", "lt"):
        assert f'name="title_{code}"' in html
        assert f'name="languages" value="{code}"' in html
    assert 'name="import_list"' in html
    assert 'dir="rtl"' in html  # Persian texts are written right to left


@time_machine.travel(T0, tick=False)
def test_declaring_through_the_form_opens_the_incident_page(
    lead_client: Client, lead: Any, team: Any
) -> None:
    refund = RequestTypeFactory(key="refund")

    response = lead_client.post(
        reverse("incidents:new"),
        declare_form(team=team.pk, request_type=refund.pk),
    )

    incident = Incident.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("incidents:detail", args=["ship-fire"])
    assert incident.team == team
    assert incident.request_type == refund
    assert incident.keywords == ["Aurora", "fire"]
    assert incident.segment == {
        "ship": "MS Aurora",
        "departure_from": "2026-03-01",
        "departure_to": "2026-03-10",
    }
    assert sorted(incident.texts.values_list("language", "title")) == [
        ("en", "Fire on board MS Aurora"),
        ("tr", "MS Aurora'da yangın"),
    ]
    assert list(incident.events.values_list("type", "actor")) == [
        (IncidentEventType.DECLARED, lead.pk)
    ]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title_tr": ""}, "title_tr"),
        ({"slug": "Ship Fire!"}, "slug"),
        ({"languages": []}, "languages"),
        ({"languages": ["en", "de"]}, "languages"),
        ({"departure_from": "2026-02-30"}, "departure_from"),
        ({"team": ""}, "team"),
    ],
)
def test_a_bad_declaration_shows_the_error_on_its_field_and_writes_nothing(
    lead_client: Client, team: Any, overrides: dict[str, Any], field: str
) -> None:
    response = lead_client.post(
        reverse("incidents:new"), {**declare_form(team=team.pk), **overrides}
    )

    assert response.status_code == 400
    form = response.context["form"]
    assert list(form.errors) == [field]
    assert f'id="id_{field}_error"' in response.content.decode()
    assert not Incident.objects.exists()
    assert not IncidentText.objects.exists()
    assert not IncidentEvent.objects.exists()


def test_a_duplicate_short_name_is_shown_on_the_short_name(
    lead_client: Client, team: Any, incident: Incident
) -> None:
    response = lead_client.post(reverse("incidents:new"), declare_form(team=team.pk))

    assert response.status_code == 400
    assert response.context["form"].errors == {
        "slug": ["An incident with this short name exists already."]
    }
    assert Incident.objects.count() == 1


def test_editing_keeps_the_short_name_and_records_the_change(
    lead_client: Client, team: Any, incident: Incident
) -> None:
    page = lead_client.get(reverse("incidents:edit", args=[incident.slug]))
    assert page.status_code == 200
    assert page.context["form"]["title_tr"].value() == "MS Aurora'da yangın"
    assert page.context["form"]["ship"].value() == "MS Aurora"

    response = lead_client.post(
        reverse("incidents:edit", args=[incident.slug]),
        declare_form(team=team.pk, slug="renamed", policy_en="Refunds in 5 business days."),
    )

    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.slug == "ship-fire"
    assert incident.texts.get(language="en").policy == "Refunds in 5 business days."
    assert incident.events.filter(type=IncidentEventType.EDITED).count() == 1


# ------------------------------------------------------------------------------------------
# The incident page: status, updates, counts
# ------------------------------------------------------------------------------------------


def test_the_incident_page_shows_counts_links_and_history(
    lead_client: Client, incident: Incident, django_assert_num_queries: Any
) -> None:
    for n in range(2):
        customer = CustomerFactory()
        Booking.objects.create(customer=customer, reference=f"AUR-{n}", ship="ms aurora")
    Booking.objects.create(customer=CustomerFactory(), reference="OTHER", ship="MS Borealis")
    ticket = make_ticket()
    ticket.incident = incident
    ticket.save(update_fields=["incident"])
    incident_post_update(incident=incident, actor=None, texts={"en": "First news"})

    with django_assert_num_queries(12):
        response = lead_client.get(reverse("incidents:detail", args=[incident.slug]))

    assert response.status_code == 200
    assert response.context["ticket_count"] == 1
    assert response.context["affected_customers"] == 2
    html = response.content.decode()
    assert 'href="/crisis/ship-fire"' in html
    assert 'href="/agent/incidents/ship-fire/dashboard/"' in html
    assert f'href="/agent/broadcasts/new/?incident={incident.pk}"' in html
    assert "?view=all&amp;tag=incident-ship-fire" in html
    assert [d for _e, d in response.context["events"]] == [
        "Update posted (en)",
        "Declared (team: Crisis team; languages: en, tr)",
    ]
    # One textarea per published language in the update form.
    assert 'name="text_en"' in html
    assert 'name="text_tr"' in html
    assert 'name="text_fa"' not in html
    # Active: it can be monitored or resolved, not reactivated.
    assert [a["status"] for a in response.context["status_actions"]] == ["monitoring", "resolved"]


def test_resolving_and_reactivating_from_the_page_are_recorded(
    lead_client: Client, lead: Any, incident: Incident
) -> None:
    url = reverse("incidents:status", args=[incident.slug])
    t1 = T0 + timedelta(hours=3)

    with time_machine.travel(t1, tick=False):
        response = lead_client.post(url, {"status": "resolved"})

    assert response.status_code == 302
    incident.refresh_from_db()
    assert (incident.status, incident.resolved_at, incident.updated_at) == ("resolved", t1, t1)
    page = lead_client.get(reverse("incidents:detail", args=[incident.slug]))
    assert [a["status"] for a in page.context["status_actions"]] == ["active"]

    lead_client.post(url, {"status": "active"})

    incident.refresh_from_db()
    assert (incident.status, incident.resolved_at) == ("active", None)
    assert list(
        incident.events.filter(type=IncidentEventType.STATUS).values_list("data", "actor")
    ) == [
        ({"from": "active", "to": "resolved"}, lead.pk),
        ({"from": "resolved", "to": "active"}, lead.pk),
    ]


def test_a_refused_status_change_is_a_400_with_the_reason(
    lead_client: Client, incident: Incident
) -> None:
    response = lead_client.post(
        reverse("incidents:status", args=[incident.slug]), {"status": "active"}
    )

    assert response.status_code == 400
    assert response.context["status_error"] == "The incident is Active already."
    assert incident.events.count() == 1


def test_posting_an_update_is_one_form_post_and_it_shows_newest_first(
    lead_client: Client, incident: Incident
) -> None:
    url = reverse("incidents:post_update", args=[incident.slug])
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        first = lead_client.post(url, {"text_en": "Passengers are in hotels.", "text_tr": ""})
    with time_machine.travel(T0 + timedelta(hours=2), tick=False):
        lead_client.post(url, {"text_en": "Refunds start today.", "text_tr": "İadeler başladı."})

    assert first.status_code == 302
    assert first["Location"] == reverse("incidents:detail", args=[incident.slug])
    page = lead_client.get(reverse("incidents:detail", args=[incident.slug]))
    assert [u.texts for u in page.context["updates"]] == [
        {"en": "Refunds start today.", "tr": "İadeler başladı."},
        {"en": "Passengers are in hotels."},
    ]
    html = page.content.decode()
    assert html.index("Refunds start today.") < html.index("Passengers are in hotels.")
    incident.refresh_from_db()
    assert incident.updated_at == T0 + timedelta(hours=2)
    assert not Broadcast.objects.exists()


def test_posting_an_update_with_htmx_returns_the_updates_region(
    lead_client: Client, incident: Incident
) -> None:
    response = lead_client.post(
        reverse("incidents:post_update", args=[incident.slug]),
        {"text_en": "The ship is back in port."},
        **HTMX,
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert html.startswith('<section class="card incident-updates" id="incident-updates"')
    assert "Update posted." in html
    assert "The ship is back in port." in html


def test_an_empty_update_is_refused_with_a_message_and_nothing_posted(
    lead_client: Client, incident: Incident
) -> None:
    response = lead_client.post(
        reverse("incidents:post_update", args=[incident.slug]),
        {"text_en": "  ", "text_tr": ""},
        **HTMX,
    )

    assert response.status_code == 400
    assert "Write the update in at least one language." in response.content.decode()
    assert not IncidentUpdate.objects.exists()


def test_an_update_sent_to_the_affected_starts_a_broadcast_to_them(
    lead_client: Client, incident: Incident, django_capture_on_commit_callbacks: Any
) -> None:
    passenger = CustomerFactory(email="deniz@example.com")
    Booking.objects.create(customer=passenger, reference="AUR-1", ship="MS Aurora")

    with django_capture_on_commit_callbacks(execute=True):
        response = lead_client.post(
            reverse("incidents:post_update", args=[incident.slug]),
            {"text_en": "Refunds start today.", "send_to_affected": "on"},
        )

    assert response.status_code == 302
    update = IncidentUpdate.objects.get()
    broadcast = Broadcast.objects.get()
    assert update.broadcast == broadcast
    assert (broadcast.incident, broadcast.channel) == (incident, "email")
    assert broadcast.templates["en"]["body"] == "Refunds start today."
    assert list(broadcast.recipients.values_list("customer", flat=True)) == [passenger.pk]
    page = lead_client.get(reverse("incidents:detail", args=[incident.slug]))
    assert "sent to the affected" in page.content.decode()


def test_the_pages_render_in_persian_with_solar_hijri_dates(
    lead_client: Client, incident: Incident
) -> None:
    incident_post_update(incident=incident, actor=None, texts={"en": "First news"})

    for url in (
        reverse("incidents:list"),
        reverse("incidents:new"),
        reverse("incidents:detail", args=[incident.slug]),
        reverse("incidents:edit", args=[incident.slug]),
    ):
        response = lead_client.get(url, HTTP_ACCEPT_LANGUAGE="fa")
        assert response.status_code == 200, url
        assert '<html lang="fa" dir="rtl">' in response.content.decode(), url

    detail = lead_client.get(
        reverse("incidents:detail", args=[incident.slug]), HTTP_ACCEPT_LANGUAGE="fa"
    ).content.decode()
    assert "۱۴۰۴" in detail  # 2 March 2026 is in the Solar Hijri year 1404


def test_every_missing_text_of_the_ticked_languages_is_flagged_at_once(
    lead_client: Client, team: Any
) -> None:
    response = lead_client.post(
        reverse("incidents:new"),
        {**declare_form(team=team.pk), "summary_en": "", "title_tr": "", "summary_tr": ""},
    )

    assert response.status_code == 400
    assert sorted(response.context["form"].errors) == ["summary_en", "summary_tr", "title_tr"]
    assert not Incident.objects.exists()


def test_the_admin_shows_incidents_with_texts_and_read_only_history(
    client: Client, incident: Incident
) -> None:
    admin = AgentFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    incident_post_update(incident=incident, actor=None, texts={"en": "First news"})

    change = client.get(reverse("admin:incidents_incident_change", args=[incident.pk]))
    updates = client.get(reverse("admin:incidents_incidentupdate_changelist"))

    assert change.status_code == 200
    html = change.content.decode()
    assert 'value="MS Aurora&#x27;da yangın"' in html
    assert 'name="status"' not in html  # the lifecycle goes through the incident page
    assert updates.status_code == 200
    assert client.get(reverse("admin:incidents_incident_changelist")).status_code == 200
