"""Customer mail end to end: intake → acknowledgement, agent reply → threaded email (real SMTP)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.utils.translation import override

from calmdesk.core.testing.factories import AgentFactory, RequestTypeFactory, TeamFactory
from calmdesk.inbox.services import IntakeResult, intake_submit, tracking_url
from calmdesk.inbox.validation import CleanSubmission
from calmdesk.replies.admin import MessageTemplateForm
from calmdesk.replies.defaults import install_default_templates
from calmdesk.replies.models import MessageTemplate
from calmdesk.replies.services import render_message
from calmdesk.tickets.enums import EventType
from calmdesk.tickets.models import RequestType
from calmdesk.tickets.services import ticket_reply

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@pytest.fixture
def refund() -> RequestType:
    team = TeamFactory.create(name="Refunds", slug="refunds", email="refunds@calmdesk.test")
    return RequestTypeFactory.create(
        key="refund", team=team, names={"en": "Refund", "tr": "İade", "fa": "بازپرداخت"}
    )


def text_of(mail: Any) -> str:
    return str(mail.get_content()).replace("\r\n", "\n")


def submit(
    request_type: RequestType,
    *,
    email: str = "ayse@example.com",
    language: str = "tr",
    booking_reference: str = "XK4R2Q",
    callbacks: Any,
    **kwargs: Any,
) -> IntakeResult:
    submission = CleanSubmission(
        name="Ayşe Yılmaz",
        email=email,
        phone="",
        request_type=request_type,
        subject="Uçuşum iptal edildi",
        message="Biletimin ücretini geri istiyorum.",
        custom_fields={"booking_reference": booking_reference},
        language=language,
    )
    with callbacks(execute=True):
        return intake_submit(submission=submission, **kwargs)


def test_customer_receives_one_acknowledgement_in_their_language(
    refund: RequestType, smtp_server: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with time_machine.travel(NOW, tick=False):
        result = submit(refund, callbacks=django_capture_on_commit_callbacks)

    ticket = result.ticket
    [mail] = smtp_server.to("ayse@example.com")
    assert len(smtp_server.messages) == 1
    assert mail["Subject"] == f"Talebinizi aldık [{ticket.reference}]"
    assert mail["From"] == "Refunds <refunds@calmdesk.test>"
    assert mail["Reply-To"] == "refunds@calmdesk.test"
    assert mail["Auto-Submitted"] == "auto-replied"
    assert mail["X-Auto-Response-Suppress"] == "All"
    # Unguessable (a keyed hash), and the row carries it for bounces and replies.
    assert re.fullmatch(rf"<cd-{ticket.pk}-ack\.[0-9a-f]{{20}}@calmdesk\.test>", mail["Message-ID"])
    assert ticket.outbox_messages.get().headers["Message-ID"] == mail["Message-ID"]
    body = text_of(mail)
    assert body.startswith("Merhaba Ayşe Yılmaz,")
    assert f"{ticket.reference} numaralı talebinizi (İade) aldık" in body
    with override("tr"):
        wait = result.estimate.label()
    assert f"İlk yanıtımız için tahmini süre: {wait}." in body
    assert tracking_url(ticket) in body
    assert "tekrar göndermeyin" in body
    event = ticket.events.get(type=EventType.AUTORESPONDER)
    assert event.data == {
        "outbox": ticket.outbox_messages.get().pk,
        "announced_minutes": result.estimate.minutes,
    }
    assert ticket.announced_wait_minutes == result.estimate.minutes


def test_persian_acknowledgement_writes_the_wait_with_persian_digits(
    refund: RequestType, smtp_server: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with time_machine.travel(NOW, tick=False):
        result = submit(refund, language="fa", callbacks=django_capture_on_commit_callbacks)

    [mail] = smtp_server.messages
    body = text_of(mail)
    # (a long encoded Subject is folded; the parser keeps the fold's leading space)
    assert mail["Subject"].strip() == f"درخواست شما را دریافت کردیم [{result.ticket.reference}]"
    assert "(بازپرداخت)" in body
    assert "۴۵" in body  # 45 minutes, the default rate for an empty queue, padded


def test_the_fourth_request_within_an_hour_gets_no_acknowledgement(
    refund: RequestType, smtp_server: Any, django_capture_on_commit_callbacks: Any
) -> None:
    # Five bookings, five matters: five tickets (one booking's requests would be one ticket).
    results = []
    bookings = ("XK4R2Q", "M7TT2P", "B2WQ9D", "Z8KL4N")
    for minute, booking in zip((0, 10, 20, 30), bookings, strict=True):
        with time_machine.travel(NOW + timedelta(minutes=minute), tick=False):
            results.append(
                submit(
                    refund,
                    booking_reference=booking,
                    callbacks=django_capture_on_commit_callbacks,
                )
            )
    with time_machine.travel(NOW + timedelta(minutes=61), tick=False):
        after_an_hour = submit(
            refund, booking_reference="R5PX7C", callbacks=django_capture_on_commit_callbacks
        )

    acknowledged = [r.ticket.reference for r in results if r.ticket.outbox_messages.exists()]
    assert acknowledged == [r.ticket.reference for r in results[:3]]
    assert not results[3].ticket.events.filter(type=EventType.AUTORESPONDER).exists()
    assert len(smtp_server.to("ayse@example.com")) == 4  # three, then one more after the hour
    assert after_an_hour.ticket.outbox_messages.count() == 1


def test_auto_submitted_mail_gets_no_acknowledgement(
    refund: RequestType, smtp_server: Any, django_capture_on_commit_callbacks: Any
) -> None:
    submit(refund, auto_submitted=True, callbacks=django_capture_on_commit_callbacks)

    assert smtp_server.messages == []


def test_agent_reply_reaches_the_customer_in_the_same_thread(
    refund: RequestType, smtp_server: Any, django_capture_on_commit_callbacks: Any
) -> None:
    result = submit(refund, callbacks=django_capture_on_commit_callbacks)
    ticket = result.ticket
    agent = AgentFactory.create(profile__teams=[refund.team])

    with django_capture_on_commit_callbacks(execute=True):
        message = ticket_reply(
            ticket=ticket, actor=agent, body_text="Merhaba Ayşe Hanım, iadeniz başlatıldı."
        )

    ack, reply = smtp_server.to("ayse@example.com")
    assert reply["Subject"] == f"Ynt: Uçuşum iptal edildi [{ticket.reference}]"
    message.refresh_from_db()
    assert re.fullmatch(
        rf"<cd-{ticket.pk}-m{message.pk}\.[0-9a-f]{{20}}@calmdesk\.test>", reply["Message-ID"]
    )
    assert message.external_id == reply["Message-ID"]
    assert reply["In-Reply-To"] == ack["Message-ID"]
    assert reply["References"] == ack["Message-ID"]
    assert reply["Auto-Submitted"] is None
    body = text_of(reply)
    assert body.startswith("Merhaba Ayşe Hanım, iadeniz başlatıldı.\n")
    assert tracking_url(ticket) in body


def test_edited_templates_are_used_and_missing_languages_fall_back_to_english() -> None:
    install_default_templates()
    install_default_templates()
    context = {"subject": "Bags", "reply": "Found them.", "team": "Baggage", "reference": "CD-1"}
    before = render_message(kind="agent_reply", language="en", context=context)
    template = MessageTemplate.objects.get(kind="agent_reply", language="en")
    template.subject = "Answer about {{ subject }}"
    template.body = "{{ reply }}\n\nThe {{ team }} team"
    template.save()

    english = render_message(kind="agent_reply", language="en", context=context)
    german = render_message(kind="agent_reply", language="de", context=context)

    assert MessageTemplate.objects.count() == 16  # 4 kinds × 4 languages
    assert before[0] == "Re: Bags [CD-1]"
    assert english == ("Answer about Bags", "Found them.\n\nThe Baggage team\n")
    assert german == english


def test_without_rows_the_built_in_texts_are_used_and_nothing_is_escaped() -> None:
    subject, body = render_message(
        kind="agent_reply",
        language="lt",
        context={"subject": 'Bilietai "Vilnius–Ryga"', "reply": "<b>Labas</b> & iki", "team": "T"},
    )

    assert subject == 'Re: Bilietai "Vilnius–Ryga" []'
    assert body.startswith("<b>Labas</b> & iki\n")
    assert "Norėdami atsakyti" in body


def test_admin_refuses_a_template_that_does_not_compile() -> None:
    form = MessageTemplateForm(
        data={"kind": "autoresponder", "language": "en", "subject": "Hi", "body": "{% if %}"}
    )

    assert not form.is_valid()
    assert list(form.errors) == ["body"]
    assert form.errors["body"][0].startswith("This template does not compile:")


def test_admin_lists_the_installed_templates(client: Any) -> None:
    from calmdesk.core.testing.factories import UserFactory

    install_default_templates()
    client.force_login(UserFactory.create(is_staff=True, is_superuser=True))

    response = client.get("/admin/replies/messagetemplate/?language=fa")

    assert response.status_code == 200
    assert response.context["cl"].result_count == 4
