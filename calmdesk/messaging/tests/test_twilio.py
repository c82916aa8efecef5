"""Twilio SMS end to end: Twilio's real webhook format and signature, replies and receipts
against a local fake of its API that checks every request."""

from __future__ import annotations

import base64
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from calmdesk.conversations.models import Contact
from calmdesk.core.models import OutboxChannel, OutboxMessage, OutboxStatus
from calmdesk.core.outbox import outbox_deliver
from calmdesk.core.testing.factories import AgentFactory, CustomerFactory
from calmdesk.customers.models import Customer, Identity, IdentityKind
from calmdesk.messaging.models import DeliveryStatus, ReceivedMessage, WebhookDelivery
from calmdesk.messaging.providers.twilio import twilio_signature
from calmdesk.messaging.simulate import twilio_message, twilio_request, twilio_status
from calmdesk.tickets.enums import Channel, EventType, TicketStatus
from calmdesk.tickets.models import Message, Ticket, TicketEvent
from calmdesk.tickets.services import ticket_change_status, ticket_reply

from .fakes import TWILIO_FROM, TWILIO_SID, TWILIO_TOKEN, FakeProviders

pytestmark = pytest.mark.django_db

SENDER = "+905321234567"


def test_an_incoming_sms_opens_a_ticket_and_is_acknowledged_by_sms(
    post: Any, twilio_account: Any, providers: FakeProviders
) -> None:
    request = twilio_message(twilio_account, sender=SENDER, text="Feribot iptal mi oldu?")

    response = post(request)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.decode() == (
        '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
    )
    ticket = Ticket.objects.get()
    assert ticket.channel == Channel.SMS
    assert ticket.team == twilio_account.team
    assert ticket.language == "tr"  # +90: the number's country
    [message] = ticket.messages.all()
    assert message.body_text == "Feribot iptal mi oldu?"
    assert message.channel == Channel.SMS
    assert message.external_id == dict(request_form(request))["MessageSid"]
    identity = Identity.objects.get(kind=IdentityKind.PHONE, value=SENDER)
    assert identity.customer == ticket.customer
    contact = Contact.objects.get()
    assert (contact.channel, contact.address, contact.outcome) == (Channel.SMS, SENDER, "new")
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.PROCESSED
    assert delivery.summary == "new"
    assert bytes(delivery.body) == request.body
    # The acknowledgement went out as an SMS through Twilio's Messages API.
    [sent] = providers.sent("twilio")
    assert sent.path == f"/2010-04-01/Accounts/{TWILIO_SID}/Messages.json"
    auth = base64.b64encode(f"{TWILIO_SID}:{TWILIO_TOKEN}".encode()).decode()
    assert sent.headers["authorization"] == f"Basic {auth}"
    assert sent.form["To"] == [SENDER]
    assert sent.form["From"] == [TWILIO_FROM]
    assert sent.form["StatusCallback"] == [twilio_account.webhook_url]
    assert ticket.reference in sent.form["Body"][0]
    assert "yaklaşık 45 dakika içinde" in sent.form["Body"][0]  # the wait, in Turkish
    ack = OutboxMessage.objects.get(kind="autoresponder")
    assert (ack.channel, ack.to, ack.status) == (OutboxChannel.SMS, SENDER, OutboxStatus.SENT)
    assert ack.provider_id == f"SM{providers.requests.index(sent) + 1:032d}"
    assert TicketEvent.objects.filter(ticket=ticket, type=EventType.AUTORESPONDER).count() == 1


def request_form(request: Any) -> list[tuple[str, str]]:
    from urllib.parse import parse_qsl

    return parse_qsl(request.body.decode())


def test_the_signature_is_checked_on_the_url_twilio_called(post: Any, twilio_account: Any) -> None:
    """Behind a proxy Twilio signs the public URL (SITE_URL); directly, the URL we see."""
    request = twilio_message(
        twilio_account,
        sender=SENDER,
        text="Hi",
        url="http://testserver" + twilio_account.webhook_path,
    )

    assert post(request).status_code == 200
    assert Ticket.objects.count() == 1


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Twilio-Signature": "bm90IHRoZSBzaWduYXR1cmU="},
        {"X-Twilio-Signature": twilio_signature("another-token", "http://x/", [])},
    ],
    ids=["missing", "garbage", "other-token"],
)
def test_a_wrong_or_missing_twilio_signature_is_refused_and_nothing_is_stored(
    post: Any, twilio_account: Any, headers: dict[str, str], providers: FakeProviders
) -> None:
    request = twilio_message(twilio_account, sender=SENDER, text="Hi")

    response = post(request, headers=headers)

    assert response.status_code == 403
    assert WebhookDelivery.objects.count() == 0
    assert Ticket.objects.count() == 0
    assert Customer.objects.count() == 0
    assert providers.requests == []


def test_a_tampered_body_fails_the_signature(post: Any, twilio_account: Any) -> None:
    request = twilio_message(twilio_account, sender=SENDER, text="Hi")
    tampered = type(request)(
        url=request.url,
        content_type=request.content_type,
        body=request.body.replace(b"Body=Hi", b"Body=Bye"),
        headers=request.headers,
    )

    assert post(tampered).status_code == 403
    assert WebhookDelivery.objects.count() == 0


def test_an_unknown_webhook_key_is_not_found(client: Any, twilio_account: Any) -> None:
    response = client.post("/hooks/messaging/twilio/not-a-key/", {"Body": "x"})

    assert response.status_code == 404
    assert WebhookDelivery.objects.count() == 0


def test_twilio_retrying_the_same_message_stores_it_once(
    post: Any, twilio_account: Any, providers: FakeProviders
) -> None:
    request = twilio_message(twilio_account, sender=SENDER, text="Where is my refund?")

    post(request)
    post(request)

    assert Message.objects.count() == 1
    assert ReceivedMessage.objects.count() == 1
    assert list(WebhookDelivery.objects.order_by("pk").values_list("status", "summary")) == [
        (DeliveryStatus.PROCESSED, "new"),
        (DeliveryStatus.IGNORED, "duplicate"),
    ]
    assert len(providers.sent("twilio")) == 1  # one acknowledgement


def test_the_next_sms_from_the_number_continues_its_open_conversation(
    post: Any, twilio_account: Any, providers: FakeProviders
) -> None:
    post(twilio_message(twilio_account, sender=SENDER, text="My ferry was cancelled."))
    post(twilio_message(twilio_account, sender=SENDER, text="Booking ABC123, thanks"))

    ticket = Ticket.objects.get()
    assert [m.body_text for m in ticket.messages.all()] == [
        "My ferry was cancelled.",
        "Booking ABC123, thanks",
    ]
    assert list(Contact.objects.values_list("outcome", flat=True)) == ["new", "thread"]
    assert len(providers.sent("twilio")) == 1  # no second acknowledgement


def test_after_the_conversation_is_closed_a_new_sms_is_a_new_contact(
    post: Any, twilio_account: Any
) -> None:
    post(twilio_message(twilio_account, sender=SENDER, text="My ferry was cancelled."))
    first = Ticket.objects.get()
    agent = AgentFactory(profile__teams=[first.team])
    ticket_change_status(ticket=first, status=TicketStatus.CLOSED, actor=agent)

    post(twilio_message(twilio_account, sender=SENDER, text="New question: baggage allowance"))

    assert Ticket.objects.count() == 2
    assert Ticket.objects.exclude(pk=first.pk).get().messages.get().body_text == (
        "New question: baggage allowance"
    )


def test_an_mms_picture_is_downloaded_with_the_account_credentials(
    post: Any, twilio_account: Any, providers: FakeProviders
) -> None:
    media_url = f"{providers.base_url}/media/ME0001"
    providers.files["ME0001"] = (b"\xff\xd8\xff picture", "image/jpeg")

    post(twilio_message(twilio_account, sender=SENDER, text="", media=[(media_url, "image/jpeg")]))

    message = Message.objects.get()
    [attachment] = message.attachments.all()
    assert attachment.filename == "ME0001.jpg"
    assert attachment.content_type == "image/jpeg"
    assert attachment.file.read() == b"\xff\xd8\xff picture"
    [fetch] = [r for r in providers.requests if r.path == "/media/ME0001"]
    auth = base64.b64encode(f"{TWILIO_SID}:{TWILIO_TOKEN}".encode()).decode()
    assert fetch.headers["authorization"] == f"Basic {auth}"


def test_media_over_the_size_limit_is_noted_not_stored(
    post: Any, twilio_account: Any, providers: FakeProviders, settings: Any
) -> None:
    settings.CALMDESK = {**settings.CALMDESK, "ATTACHMENT_MAX_BYTES": 1024 * 1024}
    providers.files["ME0002"] = (b"x" * (1024 * 1024 + 1), "video/mp4")

    post(
        twilio_message(
            twilio_account,
            sender=SENDER,
            text="video of the damage",
            media=[(f"{providers.base_url}/media/ME0002", "video/mp4")],
        )
    )

    message = Message.objects.get()
    assert message.attachments.count() == 0
    assert message.body_text == "video of the damage\n(video not stored: larger than 1 MB)"


@pytest.mark.parametrize("word", ["STOP", "stop", "Unsubscribe"])
def test_stop_opts_the_customer_out_of_broadcasts_without_a_ticket(
    post: Any, twilio_account: Any, providers: FakeProviders, word: str
) -> None:
    customer = CustomerFactory()
    Identity.objects.create(customer=customer, kind=IdentityKind.PHONE, value=SENDER)
    now = timezone.now()

    with time_machine.travel(now, tick=False):
        response = post(twilio_message(twilio_account, sender=SENDER, text=word))

    assert response.status_code == 200
    customer.refresh_from_db()
    assert customer.broadcast_opt_out_at == now
    assert Ticket.objects.count() == 0
    assert ReceivedMessage.objects.get().outcome == "opt_out"
    assert providers.requests == []  # Twilio confirms the opt-out itself


def test_start_after_stop_opts_back_in(post: Any, twilio_account: Any) -> None:
    customer = CustomerFactory(broadcast_opt_out_at=timezone.now())
    Identity.objects.create(customer=customer, kind=IdentityKind.PHONE, value=SENDER)

    post(twilio_message(twilio_account, sender=SENDER, text="START"))

    customer.refresh_from_db()
    assert customer.broadcast_opt_out_at is None
    assert Ticket.objects.count() == 0


def test_an_agent_reply_goes_back_by_sms_from_the_account_the_customer_wrote_to(
    post: Any,
    twilio_account: Any,
    providers: FakeProviders,
    django_capture_on_commit_callbacks: Any,
) -> None:
    post(twilio_message(twilio_account, sender=SENDER, text="Is my ferry running?"))
    ticket = Ticket.objects.get()
    agent = AgentFactory(profile__teams=[ticket.team])

    with django_capture_on_commit_callbacks(execute=True):
        reply = ticket_reply(ticket=ticket, actor=agent, body_text="Yes, it leaves at 9:00.")

    assert reply.channel == Channel.SMS
    sends = providers.sent("twilio")
    assert [s.form["Body"] for s in sends][-1] == ["Yes, it leaves at 9:00."]
    assert sends[-1].form["To"] == [SENDER]
    [row] = reply.deliveries.all()
    assert (row.channel, row.status, row.headers["account"]) == (
        OutboxChannel.SMS,
        OutboxStatus.SENT,
        str(twilio_account.pk),
    )
    assert row.delivery_key == f"reply:{reply.pk}"
    assert row.provider_id.startswith("SM")


def test_a_long_reply_is_sent_in_parts_of_at_most_1600_characters(
    post: Any,
    twilio_account: Any,
    providers: FakeProviders,
    django_capture_on_commit_callbacks: Any,
) -> None:
    post(twilio_message(twilio_account, sender=SENDER, text="Tell me everything"))
    ticket = Ticket.objects.get()
    agent = AgentFactory(profile__teams=[ticket.team])
    text = " ".join(["word"] * 500)  # 2,499 characters

    with django_capture_on_commit_callbacks(execute=True):
        reply = ticket_reply(ticket=ticket, actor=agent, body_text=text)

    parts = providers.sent("twilio")[1:]
    assert [len(p.form["Body"][0]) for p in parts] == [1599, 899]
    assert " ".join(p.form["Body"][0] for p in parts) == text
    row = reply.deliveries.get()
    assert row.headers["parts"] == [row.provider_id, f"SM{providers.counter:032d}"]


def _sent_reply(post: Any, account: Any, capture: Any) -> OutboxMessage:
    post(twilio_message(account, sender=SENDER, text="Is my ferry running?"))
    ticket = Ticket.objects.get()
    with capture(execute=True):
        reply = ticket_reply(
            ticket=ticket, actor=AgentFactory(profile__teams=[ticket.team]), body_text="Yes"
        )
    return reply.deliveries.get()


def test_a_delivered_receipt_keeps_the_reply_sent_and_records_the_provider_status(
    post: Any, twilio_account: Any, django_capture_on_commit_callbacks: Any
) -> None:
    row = _sent_reply(post, twilio_account, django_capture_on_commit_callbacks)

    response = post(twilio_status(twilio_account, sid=row.provider_id, status="delivered"))

    assert response.status_code == 200
    row.refresh_from_db()
    assert row.status == OutboxStatus.SENT
    assert row.headers["provider_status"] == "delivered"


def test_an_undelivered_receipt_marks_the_reply_failed_with_the_code_on_the_timeline(
    post: Any, twilio_account: Any, django_capture_on_commit_callbacks: Any
) -> None:
    row = _sent_reply(post, twilio_account, django_capture_on_commit_callbacks)

    post(
        twilio_status(twilio_account, sid=row.provider_id, status="undelivered", error_code="30003")
    )

    row.refresh_from_db()
    assert row.status == OutboxStatus.FAILED
    assert row.last_error == "twilio undelivered: 30003"
    event = TicketEvent.objects.get(type=EventType.DELIVERY)
    assert event.data == {
        "outbox": row.pk,
        "message": row.message_id,
        "channel": "sms",
        "status": "undelivered",
        "code": "30003",
        "error": "",
    }


def test_a_receipt_for_a_row_still_sending_waits_and_is_applied_on_retry(
    post: Any, twilio_account: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from calmdesk.messaging.services import webhook_sweep

    row = _sent_reply(post, twilio_account, django_capture_on_commit_callbacks)
    OutboxMessage.objects.filter(pk=row.pk).update(status=OutboxStatus.SENDING)

    post(twilio_status(twilio_account, sid=row.provider_id, status="failed", error_code="30007"))

    delivery = WebhookDelivery.objects.order_by("-pk").first()
    assert delivery is not None
    assert delivery.status == DeliveryStatus.FAILED
    assert "still being sent" in delivery.error
    OutboxMessage.objects.filter(pk=row.pk).update(status=OutboxStatus.SENT)

    assert webhook_sweep(now=timezone.now() + timedelta(minutes=5)) == 1

    delivery.refresh_from_db()
    row.refresh_from_db()
    assert delivery.status == DeliveryStatus.PROCESSED
    assert (row.status, row.last_error) == (OutboxStatus.FAILED, "twilio failed: 30007")


def test_a_provider_refusal_is_retried_by_the_outbox_with_twilios_error(
    post: Any, twilio_account: Any, providers: FakeProviders
) -> None:
    providers.fail[f"/2010-04-01/Accounts/{TWILIO_SID}/Messages.json"] = (
        400,
        {"code": 21211, "message": "The 'To' number is not a valid phone number."},
    )

    post(twilio_message(twilio_account, sender=SENDER, text="Hi"))

    ack = OutboxMessage.objects.get(kind="autoresponder")
    assert ack.status == OutboxStatus.PENDING
    assert ack.last_error == (
        "ProviderError: Twilio answered 400: 21211 The 'To' number is not a valid phone number."
    )
    providers.fail.clear()
    OutboxMessage.objects.filter(pk=ack.pk).update(next_attempt_at=timezone.now())

    assert outbox_deliver(outbox_id=ack.pk) == OutboxStatus.SENT


def test_a_signed_request_with_a_get_webhook_is_accepted(post: Any, twilio_account: Any) -> None:
    """Twilio can be set to call the webhook with GET: the signature covers the URL only."""
    url = (
        f"{twilio_account.webhook_url}?MessageSid=SM{'1' * 32}&From=%2B905321234567"
        f"&To=%2B15005550006&Body=Hello&NumMedia=0"
    )
    request = replace(twilio_request(twilio_account, [], url=url), method="GET", body=b"")

    response = post(request)

    assert response.status_code == 200
    assert WebhookDelivery.objects.get().method == "GET"
    assert Message.objects.get().body_text == "Hello"
