"""Incident services: declare, edit, lifecycle and updates, each recorded in the history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from calmdesk.accounts.models import Role
from calmdesk.core.errors import DomainError
from calmdesk.core.testing.factories import (
    AgentFactory,
    CustomerFactory,
    RequestTypeFactory,
    TeamFactory,
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
from calmdesk.incidents.selectors import public_incidents
from calmdesk.incidents.services import (
    incident_declare,
    incident_edit,
    incident_post_update,
    incident_set_status,
)

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)

EN = {
    "title": "Fire on board MS Aurora",
    "summary": "A fire broke out in the engine room; everyone is safe.",
    "what_to_do": "Do not come to the port.",
    "policy": "Full refund or free rebooking.",
    "guidance": "Contact us only if you travel within the next 3 days.",
}
TR = {"title": "MS Aurora'da yangın", "summary": "Makine dairesinde yangın çıktı."}


@pytest.fixture
def lead() -> Any:
    return AgentFactory(username="lena", profile__role=Role.LEAD)


@pytest.fixture
def team() -> Any:
    return TeamFactory(slug="crisis", name="Crisis team")


def declare(lead: Any, team: Any, **overrides: Any) -> Incident:
    kwargs: dict[str, Any] = {
        "actor": lead,
        "slug": "ship-fire",
        "team": team,
        "languages": ["en", "tr"],
        "texts": {"en": EN, "tr": TR},
        "keywords": ["Aurora", " fire ", "aurora"],
    }
    kwargs.update(overrides)
    return incident_declare(**kwargs)


def nothing_written() -> bool:
    return not (
        Incident.objects.exists() or IncidentText.objects.exists() or IncidentEvent.objects.exists()
    )


# ------------------------------------------------------------------------------------------
# Declare
# ------------------------------------------------------------------------------------------


@time_machine.travel(T0, tick=False)
def test_declaring_with_texts_in_two_languages_creates_an_active_incident_and_a_declared_event(
    lead: Any, team: Any
) -> None:
    request_type = RequestTypeFactory(key="refund")

    incident = declare(lead, team, request_type=request_type)

    incident.refresh_from_db()
    assert incident.slug == "ship-fire"
    assert incident.status == IncidentStatus.ACTIVE
    assert incident.team == team
    assert incident.languages == ["en", "tr"]
    assert incident.keywords == ["Aurora", "fire"]
    assert incident.request_type == request_type
    assert incident.declared_by == lead
    assert incident.declared_at == T0
    assert incident.updated_at == T0
    assert incident.resolved_at is None
    texts = {t.language: t for t in incident.texts.all()}
    assert sorted(texts) == ["en", "tr"]
    assert texts["en"].policy == "Full refund or free rebooking."
    assert texts["tr"].title == "MS Aurora'da yangın"
    assert texts["tr"].what_to_do == ""
    events = list(incident.events.all())
    assert [(e.type, e.actor, e.at) for e in events] == [(IncidentEventType.DECLARED, lead, T0)]
    assert events[0].data == {
        "slug": "ship-fire",
        "status": "active",
        "team": team.pk,
        "languages": ["en", "tr"],
        "segment": {},
        "keywords": ["Aurora", "fire"],
        "request_type": request_type.pk,
    }


def test_a_declared_incident_is_public_at_once(lead: Any, team: Any) -> None:
    assert public_incidents() == ()

    incident = declare(lead, team)

    assert [i.pk for i in public_incidents()] == [incident.pk]


def test_a_text_written_for_an_unpublished_language_is_not_kept(lead: Any, team: Any) -> None:
    incident = declare(lead, team, languages=["en"], texts={"en": EN, "tr": TR})

    assert list(incident.texts.values_list("language", flat=True)) == ["en"]


@pytest.mark.parametrize(
    ("texts", "field"),
    [
        ({"en": EN}, "title_tr"),
        ({"en": EN, "tr": {"title": "Yangın", "summary": "   "}}, "summary_tr"),
        ({"en": {**EN, "title": ""}, "tr": TR}, "title_en"),
    ],
)
def test_every_published_language_needs_a_title_and_a_summary(
    lead: Any, team: Any, texts: dict[str, Any], field: str
) -> None:
    with pytest.raises(DomainError) as exc:
        declare(lead, team, texts=texts)

    assert exc.value.field == field
    assert nothing_written()


@pytest.mark.parametrize(
    "slug", ["Ship Fire", "ship_fire", "-fire", "fire--ship", "", "x" * 61, "new"]
)
def test_a_bad_short_name_is_refused(lead: Any, team: Any, slug: str) -> None:
    with pytest.raises(DomainError) as exc:
        declare(lead, team, slug=slug)

    assert exc.value.field == "slug"
    assert nothing_written()


def test_the_short_name_is_stored_in_lowercase(lead: Any, team: Any) -> None:
    assert declare(lead, team, slug=" Ship-Fire ").slug == "ship-fire"


def test_a_duplicate_short_name_is_refused_and_nothing_more_is_written(
    lead: Any, team: Any
) -> None:
    declare(lead, team)

    with pytest.raises(DomainError) as exc:
        declare(lead, team, texts={"en": {"title": "Other", "summary": "Other"}}, languages=["en"])

    assert exc.value.field == "slug"
    assert exc.value.code == "duplicate"
    assert Incident.objects.count() == 1
    assert IncidentText.objects.count() == 2
    assert IncidentEvent.objects.count() == 1


@pytest.mark.parametrize(
    ("languages", "texts"),
    [(["en", "de"], {"en": EN, "de": EN}), ([], {"en": EN}), (["en"], {"en": EN, "xx": EN})],
)
def test_languages_must_be_known_and_at_least_one(
    lead: Any, team: Any, languages: list[str], texts: dict[str, Any]
) -> None:
    with pytest.raises(DomainError) as exc:
        declare(lead, team, languages=languages, texts=texts)

    assert exc.value.field == "languages"
    assert nothing_written()


def test_an_inactive_request_type_is_refused(lead: Any, team: Any) -> None:
    request_type = RequestTypeFactory(key="old", active=False)

    with pytest.raises(DomainError) as exc:
        declare(lead, team, request_type=request_type)

    assert exc.value.field == "request_type"
    assert nothing_written()


def test_a_bad_segment_is_refused_on_its_field(lead: Any, team: Any) -> None:
    with pytest.raises(DomainError) as exc:
        declare(lead, team, segment={"departure_from": "next tuesday"})

    assert exc.value.field == "departure_from"
    assert nothing_written()


def test_the_segment_is_stored_as_validated(lead: Any, team: Any) -> None:
    incident = declare(lead, team, segment={"ship": "MS Aurora", "departure_from": "2026-03-01"})

    incident.refresh_from_db()
    assert incident.segment["ship"] == "MS Aurora"
    assert incident.segment["departure_from"] == "2026-03-01"


# ------------------------------------------------------------------------------------------
# Edit
# ------------------------------------------------------------------------------------------


def test_editing_records_what_changed_and_drops_the_text_of_an_unpublished_language(
    lead: Any, team: Any
) -> None:
    with time_machine.travel(T0, tick=False):
        incident = declare(lead, team)
    other = TeamFactory(slug="refunds", name="Refunds")

    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        incident = incident_edit(
            incident=incident,
            actor=lead,
            team=other,
            languages=["en"],
            texts={"en": {**EN, "policy": "Refund within 5 business days."}},
            keywords=["Aurora", "fire"],
        )

    incident.refresh_from_db()
    assert incident.team == other
    assert incident.languages == ["en"]
    assert incident.updated_at == T0 + timedelta(hours=1)
    assert list(incident.texts.values_list("language", "policy")) == [
        ("en", "Refund within 5 business days.")
    ]
    edited = incident.events.get(type=IncidentEventType.EDITED)
    assert edited.data == {
        "team": {"from": team.pk, "to": other.pk},
        "languages": {"from": ["en", "tr"], "to": ["en"]},
        "texts": {"languages": ["en", "tr"]},
    }


def test_saving_an_unchanged_incident_writes_nothing(lead: Any, team: Any) -> None:
    with time_machine.travel(T0, tick=False):
        incident = declare(lead, team)

    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        incident_edit(
            incident=incident,
            actor=lead,
            team=team,
            languages=["en", "tr"],
            texts={"en": EN, "tr": TR},
            keywords=["Aurora", "fire"],
        )

    incident.refresh_from_db()
    assert incident.updated_at == T0
    assert incident.events.count() == 1


# ------------------------------------------------------------------------------------------
# Lifecycle
# ------------------------------------------------------------------------------------------


def test_status_changes_are_recorded_and_resolving_stamps_the_time(lead: Any, team: Any) -> None:
    with time_machine.travel(T0, tick=False):
        incident = declare(lead, team)
    t1, t2, t3 = (T0 + timedelta(hours=h) for h in (2, 5, 9))

    with time_machine.travel(t1, tick=False):
        incident = incident_set_status(incident=incident, status="monitoring", actor=lead)
    assert (incident.status, incident.resolved_at, incident.updated_at) == ("monitoring", None, t1)

    with time_machine.travel(t2, tick=False):
        incident = incident_set_status(incident=incident, status="resolved", actor=lead)
    incident.refresh_from_db()
    assert (incident.status, incident.resolved_at, incident.updated_at) == ("resolved", t2, t2)
    assert public_incidents() == ()

    with time_machine.travel(t3, tick=False):
        incident = incident_set_status(incident=incident, status="active", actor=lead)
    incident.refresh_from_db()
    assert (incident.status, incident.resolved_at, incident.updated_at) == ("active", None, t3)

    history = [
        (e.type, e.data, e.at, e.actor)
        for e in incident.events.filter(type=IncidentEventType.STATUS)
    ]
    assert history == [
        (IncidentEventType.STATUS, {"from": "active", "to": "monitoring"}, t1, lead),
        (IncidentEventType.STATUS, {"from": "monitoring", "to": "resolved"}, t2, lead),
        (IncidentEventType.STATUS, {"from": "resolved", "to": "active"}, t3, lead),
    ]


@pytest.mark.parametrize(
    ("path", "refused"),
    [([], "active"), (["resolved"], "monitoring"), ([], "closed")],
)
def test_a_status_change_outside_the_lifecycle_is_refused(
    lead: Any, team: Any, path: list[str], refused: str
) -> None:
    incident = declare(lead, team)
    for status in path:
        incident = incident_set_status(incident=incident, status=status, actor=lead)
    events_before = IncidentEvent.objects.count()

    with pytest.raises(DomainError) as exc:
        incident_set_status(incident=incident, status=refused, actor=lead)

    assert exc.value.field == "status"
    assert IncidentEvent.objects.count() == events_before


# ------------------------------------------------------------------------------------------
# Updates
# ------------------------------------------------------------------------------------------


def test_posting_an_update_keeps_it_dated_and_bumps_the_incident(lead: Any, team: Any) -> None:
    with time_machine.travel(T0, tick=False):
        incident = declare(lead, team)
    t1 = T0 + timedelta(minutes=40)

    with time_machine.travel(t1, tick=False):
        update = incident_post_update(
            incident=incident,
            actor=lead,
            texts={"en": "  The ship is back in port.  ", "tr": "", "lt": ""},
        )

    assert update.texts == {"en": "The ship is back in port."}
    assert update.posted_at == t1
    assert update.posted_by == lead
    assert update.broadcast is None
    incident.refresh_from_db()
    assert incident.updated_at == t1
    event = incident.events.get(type=IncidentEventType.UPDATE_POSTED)
    assert (event.at, event.data) == (t1, {"update": update.pk, "languages": ["en"]})
    assert not Broadcast.objects.exists()


def test_an_update_needs_text_in_at_least_one_language(lead: Any, team: Any) -> None:
    incident = declare(lead, team)

    with pytest.raises(DomainError) as exc:
        incident_post_update(incident=incident, actor=lead, texts={"en": " ", "tr": ""})

    assert exc.value.field == "texts"
    assert not IncidentUpdate.objects.exists()
    assert incident.events.count() == 1


def test_an_update_in_an_unpublished_language_is_refused(lead: Any, team: Any) -> None:
    incident = declare(lead, team)

    with pytest.raises(DomainError) as exc:
        incident_post_update(incident=incident, actor=lead, texts={"fa": "به‌روزرسانی"})

    assert exc.value.field == "text_fa"
    assert not IncidentUpdate.objects.exists()


def test_sending_an_update_without_a_segment_is_refused(lead: Any, team: Any) -> None:
    incident = declare(lead, team)

    with pytest.raises(DomainError) as exc:
        incident_post_update(
            incident=incident, actor=lead, texts={"en": "News"}, send_to_affected=True
        )

    assert exc.value.field == "send_to_affected"
    assert not IncidentUpdate.objects.exists()


def test_an_update_sent_to_the_affected_becomes_a_started_email_broadcast(
    lead: Any, team: Any, django_capture_on_commit_callbacks: Any
) -> None:
    passenger = CustomerFactory(name="Deniz", email="deniz@example.com")
    Booking.objects.create(customer=passenger, reference="AUR-1", ship="MS Aurora")
    with time_machine.travel(T0, tick=False):
        incident = declare(lead, team, segment={"ship": "MS Aurora"})
    t1 = T0 + timedelta(hours=1)

    with (
        time_machine.travel(t1, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        update = incident_post_update(
            incident=incident,
            actor=lead,
            texts={"en": "Refunds are on their way.", "tr": "İadeler yolda."},
            send_to_affected=True,
        )

    broadcast = Broadcast.objects.get()
    assert update.broadcast == broadcast
    assert broadcast.incident == incident
    assert broadcast.channel == "email"
    assert broadcast.segment == incident.segment
    assert broadcast.templates["en"] == {
        "subject": "[Fire on board MS Aurora] Update",
        "body": "Refunds are on their way.",
    }
    # The subject is in the recipient's language (the word "Update" once translated).
    assert broadcast.templates["tr"]["subject"].startswith("[MS Aurora'da yangın] ")
    assert broadcast.templates["tr"]["body"] == "İadeler yolda."
    assert sorted(broadcast.templates) == ["en", "tr"]
    assert broadcast.status in ("sending", "done")
    assert broadcast.started_at == t1
    assert list(broadcast.recipients.values_list("customer", "address")) == [
        (passenger.pk, "deniz@example.com")
    ]
    sent = incident.events.get(type=IncidentEventType.BROADCAST, data__action="update")
    assert (sent.at, sent.actor, sent.data) == (
        t1,
        lead,
        {"broadcast": broadcast.pk, "action": "update", "update": update.pk, "channel": "email"},
    )
