"""Broadcasts: recipients once, sending at the rate, never twice, opt-out, per-language content."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from calmdesk.core.errors import DomainError
from calmdesk.core.models import OutboxMessage, OutboxStatus
from calmdesk.core.outbox import outbox_enqueue
from calmdesk.core.testing.factories import make_ticket
from calmdesk.customers.models import Customer, Identity
from calmdesk.incidents.broadcasts import (
    _materialise,
    broadcast_advance,
    broadcast_cancel,
    broadcast_pause,
    broadcast_preview,
    broadcast_progress,
    broadcast_resume,
    broadcast_send_test,
    broadcast_start,
    customer_opt_out,
    tick_allowance,
)
from calmdesk.incidents.models import (
    Broadcast,
    BroadcastRecipient,
    BroadcastStatus,
    IncidentEvent,
    RecipientStatus,
)
from calmdesk.tickets.enums import TicketStatus

from .broadcast_factories import (
    affected_customer,
    affected_customers_in_bulk,
    make_broadcast,
    make_incident,
)

pytestmark = pytest.mark.django_db

T0 = datetime(2025, 7, 10, 9, 0, tzinfo=UTC)


def statuses(broadcast: Broadcast) -> dict[str, str]:
    return dict(
        BroadcastRecipient.objects.filter(broadcast=broadcast).values_list(
            "customer__name", "status"
        )
    )


# ------------------------------------------------------------------------------------------
# Create
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        (
            {"templates": {"en": {"subject": "Hi", "body": "Dear {{ name|shout }}"}}},
            "templates.en.body",
        ),
        ({"templates": {"en": {"subject": "", "body": "Hello"}}}, "templates.en.subject"),
        ({"templates": {"en": {"subject": "", "body": ""}}}, "templates"),
        ({"templates": {"xx": {"subject": "Hi", "body": "Hello"}}}, "templates.xx"),
        ({"segment": {}}, "segment"),
        ({"segment": {"deck": "7"}}, "deck"),
        ({"rate_per_minute": 0}, "rate_per_minute"),
        ({"rate_per_minute": 100_001}, "rate_per_minute"),
        ({"channel": "fax"}, "channel"),
        ({"name": "  "}, "name"),
    ],
)
def test_create_refuses_bad_input_on_the_field_at_fault(
    changes: dict[str, Any], field: str
) -> None:
    from calmdesk.incidents.broadcasts import broadcast_create

    values: dict[str, Any] = {
        "actor": None,
        "name": "Fire",
        "channel": "email",
        "segment": {"ship": "Ege Star"},
        "templates": {"en": {"subject": "Hi", "body": "Hello {{ name }}"}},
        "rate_per_minute": 600,
        **changes,
    }

    with pytest.raises(DomainError) as caught:
        broadcast_create(**values)

    assert caught.value.field == field
    assert Broadcast.objects.count() == 0


def test_an_sms_needs_no_subject_and_languages_without_a_body_are_dropped() -> None:
    broadcast = make_broadcast(
        channel="sms",
        templates={"en": {"subject": "", "body": "Hi {{ name }}"}, "tr": {"body": " "}},
    )

    assert broadcast.templates == {"en": {"subject": "", "body": "Hi {{ name }}"}}
    assert broadcast.status == BroadcastStatus.DRAFT


# ------------------------------------------------------------------------------------------
# Start: recipients once
# ------------------------------------------------------------------------------------------


def test_recipients_are_materialised_once_even_when_start_runs_twice() -> None:
    affected_customer(name="Ana")
    affected_customer(name="Ben")
    affected_customer(name="Elsewhere", ship="Other Ship")
    broadcast = make_broadcast()

    _materialise(broadcast, T0)  # a first start that crashed before switching to sending
    started = broadcast_start(broadcast=broadcast, actor=None, now=T0)
    again = broadcast_start(broadcast=broadcast, actor=None, now=T0 + timedelta(minutes=1))

    assert statuses(broadcast) == {"Ana": "pending", "Ben": "pending"}
    assert started.status == again.status == BroadcastStatus.SENDING
    assert again.total == 2
    assert again.started_at == T0


def test_recipients_choose_language_address_and_booking_or_are_skipped() -> None:
    incident = make_incident(languages=["tr", "en"])
    opted_out = affected_customer(name="Opted", broadcast_opt_out_at=T0)
    affected_customer(name="Nomail", email=None)
    bounced = affected_customer(name="Bounced")
    Identity.objects.filter(customer=bounced).update(bounced_at=T0)
    two_addresses = affected_customer(name="Two", email="old@example.com")
    Identity.objects.filter(customer=two_addresses).update(bounced_at=T0)
    Identity.objects.create(customer=two_addresses, kind="email", value="new@example.com")
    affected_customer(name="Lina", language="lt", reference="LT-1")
    affected_customer(name="Ayse", language="tr", reference="TR-1")
    broadcast = make_broadcast(
        incident=incident,
        templates={
            "en": {"subject": "S", "body": "B"},
            "tr": {"subject": "S", "body": "B"},
        },
    )

    broadcast_start(broadcast=broadcast, actor=None, now=T0)

    rows = {
        r.customer.name: (
            r.status,
            r.error,
            r.address,
            r.language,
            r.booking and r.booking.reference,
        )
        for r in BroadcastRecipient.objects.select_related("customer", "booking")
    }
    assert rows["Opted"][:2] == ("skipped", "opted_out")
    assert rows["Nomail"][:2] == ("skipped", "no_address")
    assert rows["Bounced"][:2] == ("skipped", "bounced")
    assert rows["Two"][:3] == ("pending", "", "new@example.com")
    assert rows["Lina"][3:] == ("tr", "LT-1")  # no Lithuanian text: the incident's first language
    assert rows["Ayse"][3:] == ("tr", "TR-1")
    assert opted_out.broadcast_opt_out_at == T0


def test_starting_records_the_broadcast_in_the_incident_history() -> None:
    incident = make_incident()
    affected_customer()
    broadcast = make_broadcast(incident=incident)

    broadcast_start(broadcast=broadcast, actor=None, now=T0)

    assert list(
        IncidentEvent.objects.filter(incident=incident)
        .order_by("id")
        .values_list("data__action", flat=True)
    ) == ["created", "started"]


# ------------------------------------------------------------------------------------------
# Advance: the rate, never twice, pause
# ------------------------------------------------------------------------------------------


def test_rate_600_per_minute_queues_100_in_a_10_second_tick() -> None:
    affected_customers_in_bulk(750)
    broadcast = make_broadcast(rate_per_minute=600)
    with time_machine.travel(T0, tick=False):
        broadcast_start(broadcast=broadcast, actor=None)
        first = broadcast_advance(broadcast_id=broadcast.pk)
    with time_machine.travel(T0 + timedelta(seconds=10), tick=False):
        second = broadcast_advance(broadcast_id=broadcast.pk)
    with time_machine.travel(T0 + timedelta(seconds=12), tick=False):
        third = broadcast_advance(broadcast_id=broadcast.pk)

    assert (first, second, third) == (600, 100, 20)
    assert OutboxMessage.objects.filter(kind="broadcast").count() == 720
    broadcast.refresh_from_db()
    assert broadcast.queued == 720
    assert broadcast.status == BroadcastStatus.SENDING


def test_the_allowance_is_at_most_one_minute_and_a_first_tick_gets_a_full_minute() -> None:
    assert tick_allowance(rate_per_minute=600, last_tick=None, now=T0) == 600
    assert tick_allowance(rate_per_minute=600, last_tick=T0 - timedelta(hours=2), now=T0) == 600
    assert tick_allowance(rate_per_minute=60, last_tick=T0 - timedelta(seconds=0.5), now=T0) == 0


def test_a_crash_between_the_outbox_write_and_the_status_update_sends_once() -> None:
    affected_customer(name="Ana")
    broadcast = make_broadcast()
    broadcast_start(broadcast=broadcast, actor=None, now=T0)
    recipient = BroadcastRecipient.objects.get()
    # The previous run wrote the outbox row, then died before marking the recipient queued.
    earlier = outbox_enqueue(
        kind="broadcast",
        to=recipient.address,
        delivery_key=f"broadcast:{broadcast.pk}:{recipient.pk}",
    )
    assert earlier is not None

    queued = broadcast_advance(broadcast_id=broadcast.pk, now=T0)

    recipient.refresh_from_db()
    assert queued == 1
    assert OutboxMessage.objects.count() == 1
    assert recipient.status == RecipientStatus.QUEUED
    assert recipient.outbox_id == earlier.pk


def test_when_nobody_is_pending_the_broadcast_is_done() -> None:
    affected_customer(name="Ana")
    affected_customer(name="Gone", broadcast_opt_out_at=T0)
    broadcast = make_broadcast()
    broadcast_start(broadcast=broadcast, actor=None, now=T0)

    assert broadcast_advance(broadcast_id=broadcast.pk, now=T0) == 1

    broadcast.refresh_from_db()
    assert broadcast.status == BroadcastStatus.DONE
    assert broadcast.finished_at == T0


def test_pause_stops_advancing_and_resume_continues() -> None:
    affected_customers_in_bulk(30)
    broadcast = make_broadcast(rate_per_minute=10)
    broadcast_start(broadcast=broadcast, actor=None, now=T0)
    assert broadcast_advance(broadcast_id=broadcast.pk, now=T0) == 10

    broadcast_pause(broadcast=broadcast, actor=None, now=T0 + timedelta(seconds=30))
    paused = broadcast_advance(broadcast_id=broadcast.pk, now=T0 + timedelta(minutes=5))
    broadcast_resume(broadcast=broadcast, actor=None, now=T0 + timedelta(minutes=6))
    resumed = broadcast_advance(broadcast_id=broadcast.pk, now=T0 + timedelta(minutes=6))

    assert paused == 0
    assert resumed == 10
    assert OutboxMessage.objects.count() == 20


def test_cancel_skips_everyone_not_yet_queued() -> None:
    affected_customers_in_bulk(5)
    broadcast = make_broadcast(rate_per_minute=2)
    broadcast_start(broadcast=broadcast, actor=None, now=T0)
    broadcast_advance(broadcast_id=broadcast.pk, now=T0)

    broadcast_cancel(broadcast=broadcast, actor=None, now=T0)

    assert broadcast_advance(broadcast_id=broadcast.pk, now=T0 + timedelta(minutes=1)) == 0
    progress = broadcast_progress(Broadcast.objects.get(pk=broadcast.pk))
    assert (progress.status, progress.queued, progress.skipped, progress.pending) == (
        "cancelled",
        2,
        3,
        0,
    )


def test_a_started_broadcast_kicks_the_sender_after_commit(
    django_capture_on_commit_callbacks: Any,
) -> None:
    affected_customer(name="Ana")
    broadcast = make_broadcast()

    with django_capture_on_commit_callbacks(execute=True):
        broadcast_start(broadcast=broadcast, actor=None)

    assert [m.to for m in mail.outbox] == [[BroadcastRecipient.objects.get().address]]
    assert Broadcast.objects.get(pk=broadcast.pk).status == BroadcastStatus.DONE


# ------------------------------------------------------------------------------------------
# Content
# ------------------------------------------------------------------------------------------


TEMPLATES = {
    "en": {
        "subject": "{{ name }}, about {{ booking }}",
        "body": "Departure {{ departure }}.\nRequest: {{ tracking_url }}\nNews: {{ crisis_url }}",
    },
    "tr": {
        "subject": "{{ name }}, {{ booking }} hakkında",
        "body": "Kalkış {{ departure }}.\nTalep: {{ tracking_url }}\nHaber: {{ crisis_url }}",
    },
    "fa": {"subject": "{{ name }}", "body": "حرکت {{ departure }}"},
}


def test_email_is_rendered_per_language_with_placeholders_and_list_headers(
    django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    settings.SITE_URL = "https://help.example.com"
    incident = make_incident(languages=["en", "tr", "fa"])
    ana = affected_customer(name="Ana", reference="EN-1", departure=date(2025, 7, 14))
    ayse = affected_customer(name="Ayşe", language="tr", reference="TR-1")
    affected_customer(name="Dara", language="fa", reference="FA-1", departure=date(2025, 3, 21))
    ticket = make_ticket(customer=ana)
    broadcast = make_broadcast(incident=incident, templates=TEMPLATES)

    with django_capture_on_commit_callbacks(execute=True):
        broadcast_start(broadcast=broadcast, actor=None, now=T0)

    by_to = {m.to[0]: m for m in mail.outbox}
    en = by_to[ana.primary_email]
    assert en.subject == "Ana, about EN-1 [INC-ege-star-fire]"
    assert en.body.startswith(
        "Departure July 14, 2025.\n"
        f"Request: https://help.example.com/t/{ticket.tracking_token}\n"
        "News: https://help.example.com/crisis/ege-star-fire\n\n-- \n"
        f"To stop receiving these messages: https://help.example.com/optout/{ana.opt_out_token}"
    )
    assert en.extra_headers["List-Unsubscribe"] == (
        f"<https://help.example.com/optout/{ana.opt_out_token}>"
    )
    assert en.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert en.extra_headers["Auto-Submitted"] == "auto-generated"
    assert en.reply_to == ["crisis@calmdesk.test"]
    assert en.from_email == "Crisis <crisis@calmdesk.test>"
    tr = by_to[Customer.objects.get(name="Ayşe").primary_email]
    assert tr.subject == "Ayşe, TR-1 hakkında [INC-ege-star-fire]"
    assert tr.body.startswith(
        "Kalkış 14 Temmuz 2025.\n"
        "Talep: https://help.example.com/help?incident=ege-star-fire\n"  # no open request
    )
    fa = by_to[Customer.objects.get(name="Dara").primary_email]
    assert fa.body.startswith("حرکت ۰۱ فروردین ۱۴۰۴")
    assert ayse.pk


def test_a_solved_request_is_not_the_tracking_link(settings: Any) -> None:
    settings.SITE_URL = "https://help.example.com"
    ana = affected_customer(name="Ana")
    ticket = make_ticket(customer=ana)
    type(ticket).objects.filter(pk=ticket.pk).update(status=TicketStatus.SOLVED)
    broadcast = make_broadcast(templates={"en": {"subject": "S", "body": "{{ tracking_url }}"}})
    broadcast_start(broadcast=broadcast, actor=None, now=T0)

    broadcast_advance(broadcast_id=broadcast.pk, now=T0)

    first_line = OutboxMessage.objects.get().body_text.split("\n")[0]
    assert first_line == "https://help.example.com/help"


def test_preview_renders_a_sample_customer_per_language_and_a_made_up_one_without() -> None:
    incident = make_incident(languages=["en", "tr"])
    affected_customer(name="Ayşe", language="tr", reference="TR-9")
    broadcast = make_broadcast(incident=incident, templates=TEMPLATES)

    previews = {p.language: p for p in broadcast_preview(broadcast=broadcast)}

    assert previews["tr"].subject == "Ayşe, TR-9 hakkında [INC-ege-star-fire]"
    assert previews["tr"].sample_is_real
    assert previews["en"].sample_name == "Ayşe"  # nobody speaks English: any customer
    Customer.objects.all().delete()
    [made_up, *_rest] = broadcast_preview(broadcast=broadcast)
    assert (made_up.sample_name, made_up.sample_is_real) == ("Ana Example", False)


def test_send_test_goes_to_the_lead_marked_as_a_test(
    django_capture_on_commit_callbacks: Any,
) -> None:
    from calmdesk.core.testing.factories import AgentFactory

    lead = AgentFactory.create(username="lead", email="lead@calmdesk.test")
    incident = make_incident()
    affected_customer(name="Ana", reference="EN-7")
    broadcast = make_broadcast(incident=incident, templates=TEMPLATES)

    with django_capture_on_commit_callbacks(execute=True):
        broadcast_send_test(broadcast=broadcast, actor=lead, language="en")

    [sent] = mail.outbox
    assert sent.to == ["lead@calmdesk.test"]
    assert sent.subject == "[TEST] Ana, about EN-7 [INC-ege-star-fire]"
    assert BroadcastRecipient.objects.count() == 0


def test_an_sms_test_needs_a_valid_phone_number() -> None:
    broadcast = make_broadcast(channel="sms", templates={"en": {"body": "Hi"}})

    with pytest.raises(DomainError) as caught:
        broadcast_send_test(broadcast=broadcast, actor=None, to="12")

    assert caught.value.field == "to"
    row = broadcast_send_test(broadcast=broadcast, actor=None, to="+90 532 123 45 67")
    assert (row.channel, row.to) == ("sms", "+905321234567")


# ------------------------------------------------------------------------------------------
# Outcomes and opt-out
# ------------------------------------------------------------------------------------------


def test_progress_counts_each_outcome_from_the_outbox_and_bounces() -> None:
    for name in ("Sent", "Failed", "Bounced", "Queued", "Waiting"):
        affected_customer(name=name)
    affected_customer(name="Out", broadcast_opt_out_at=T0)
    broadcast = make_broadcast(rate_per_minute=4)
    broadcast_start(broadcast=broadcast, actor=None, now=T0)
    broadcast_advance(broadcast_id=broadcast.pk, now=T0)
    rows = {
        r.customer.name: r for r in BroadcastRecipient.objects.select_related("customer", "outbox")
    }
    OutboxMessage.objects.filter(pk=rows["Sent"].outbox_id).update(status=OutboxStatus.SENT)
    OutboxMessage.objects.filter(pk=rows["Failed"].outbox_id).update(status=OutboxStatus.FAILED)
    OutboxMessage.objects.filter(pk=rows["Bounced"].outbox_id).update(status=OutboxStatus.SENT)
    Identity.objects.filter(value=rows["Bounced"].address).update(bounced_at=T0)

    progress = broadcast_progress(broadcast)

    assert progress.counts == {
        "pending": 1,
        "queued": 1,
        "sent": 1,
        "failed": 1,
        "bounced": 1,
        "skipped": 1,
    }
    assert (progress.total, progress.done, progress.percent) == (6, 4, 66)


def test_opting_out_skips_pending_recipients_and_suppresses_unsent_mail() -> None:
    ana = affected_customer(name="Ana")
    ben = affected_customer(name="Ben")
    broadcast = make_broadcast(rate_per_minute=1)
    broadcast_start(broadcast=broadcast, actor=None, now=T0)
    broadcast_advance(broadcast_id=broadcast.pk, now=T0)  # Ana queued, Ben waiting

    customer_opt_out(token=ana.opt_out_token, now=T0)
    customer_opt_out(token=ben.opt_out_token, now=T0)

    assert statuses(broadcast) == {"Ana": "queued", "Ben": "skipped"}
    assert OutboxMessage.objects.get().status == OutboxStatus.SUPPRESSED
    assert broadcast_progress(broadcast).skipped == 2
    assert Customer.objects.filter(broadcast_opt_out_at=T0).count() == 2
    assert customer_opt_out(token="unknown", now=T0) is None


def test_an_opted_out_customer_is_skipped_by_the_next_broadcast() -> None:
    ana = affected_customer(name="Ana")
    customer_opt_out(token=ana.opt_out_token, now=timezone.now())
    broadcast = make_broadcast()

    broadcast_start(broadcast=broadcast, actor=None)

    assert statuses(broadcast) == {"Ana": "skipped"}
