"""WhatsApp Cloud API end to end: Meta's verification handshake, signed JSON webhooks with
every message type, statuses, and replies within the 24-hour customer-service window."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from calmdesk.core.models import OutboxChannel, OutboxMessage, OutboxStatus
from calmdesk.core.testing.factories import AgentFactory
from calmdesk.customers.models import Identity, IdentityKind
from calmdesk.messaging.models import DeliveryStatus, ReceivedMessage, WebhookDelivery
from calmdesk.messaging.simulate import whatsapp_message, whatsapp_status
from calmdesk.tickets.enums import Channel, EventType
from calmdesk.tickets.models import Message, Ticket, TicketEvent
from calmdesk.tickets.services import ticket_reply

from .factories import MessagingAccountFactory
from .fakes import WA_NUMBER_ID, WA_TOKEN, WA_VERIFY, FakeProviders

pytestmark = pytest.mark.django_db

SENDER = "+37061234567"


def test_meta_verification_answers_the_challenge_for_the_right_token(
    client: Any, whatsapp_account: Any
) -> None:
    response = client.get(
        whatsapp_account.webhook_path,
        {"hub.mode": "subscribe", "hub.verify_token": WA_VERIFY, "hub.challenge": "1158201444"},
    )

    assert response.status_code == 200
    assert response.content == b"1158201444"
    assert WebhookDelivery.objects.count() == 0


def test_meta_verification_with_a_wrong_token_is_refused(
    client: Any, whatsapp_account: Any
) -> None:
    response = client.get(
        whatsapp_account.webhook_path,
        {"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1"},
    )

    assert response.status_code == 403


@pytest.mark.parametrize(
    "headers",
    [{}, {"X-Hub-Signature-256": "sha256=" + "0" * 64}],
    ids=["missing", "wrong"],
)
def test_a_wrong_or_missing_whatsapp_signature_is_refused_and_nothing_is_stored(
    post: Any, whatsapp_account: Any, headers: dict[str, str]
) -> None:
    response = post(whatsapp_message(whatsapp_account, sender=SENDER, text="Hi"), headers=headers)

    assert response.status_code == 403
    assert WebhookDelivery.objects.count() == 0
    assert Ticket.objects.count() == 0


def test_a_whatsapp_text_opens_a_ticket_with_the_profile_name_and_is_acknowledged(
    post: Any, whatsapp_account: Any, providers: FakeProviders
) -> None:
    response = post(
        whatsapp_message(
            whatsapp_account,
            sender=SENDER,
            text="Mano skrydis atšauktas",
            name="Rūta Petraitė",
            message_id="wamid.IN1",
        )
    )

    assert response.status_code == 200
    ticket = Ticket.objects.get()
    assert ticket.channel == Channel.WHATSAPP
    assert ticket.customer.name == "Rūta Petraitė"
    assert ticket.language == "lt"
    assert ticket.messages.get().external_id == "wamid.IN1"
    assert Identity.objects.get(customer=ticket.customer).value == SENDER
    assert ReceivedMessage.objects.get().address == "37061234567"
    [sent] = providers.sent("whatsapp")
    assert sent.path == f"/v21.0/{WA_NUMBER_ID}/messages"
    assert sent.headers["authorization"] == f"Bearer {WA_TOKEN}"
    assert sent.headers["content-type"] == "application/json"
    assert sent.json["messaging_product"] == "whatsapp"
    assert sent.json["to"] == "37061234567"
    assert sent.json["type"] == "text"
    assert ticket.reference in sent.json["text"]["body"]
    ack = OutboxMessage.objects.get()
    assert (ack.channel, ack.provider_id) == (
        OutboxChannel.WHATSAPP,
        f"wamid.OUT{providers.counter:08d}",
    )


def test_an_image_is_fetched_through_the_graph_media_endpoint(
    post: Any, whatsapp_account: Any, providers: FakeProviders
) -> None:
    providers.files["wa-1234567890"] = (b"\x89PNG picture", "image/png")

    post(
        whatsapp_message(
            whatsapp_account,
            sender=SENDER,
            message={
                "type": "image",
                "image": {
                    "caption": "the broken suitcase",
                    "mime_type": "image/png",
                    "sha256": "abc",
                    "id": "1234567890",
                },
            },
        )
    )

    message = Message.objects.get()
    assert message.body_text == "the broken suitcase"
    [attachment] = message.attachments.all()
    assert (attachment.content_type, attachment.file.read()) == ("image/png", b"\x89PNG picture")
    fetches = [r for r in providers.requests if r.method == "GET"]
    assert [r.path for r in fetches] == ["/v21.0/1234567890", "/media/wa-1234567890"]
    assert {r.headers["authorization"] for r in fetches} == {f"Bearer {WA_TOKEN}"}


@pytest.mark.parametrize(
    ("message", "text"),
    [
        (
            {
                "type": "location",
                "location": {"latitude": 41.0, "longitude": 28.9, "name": "Karaköy pier"},
            },
            "Location: Karaköy pier https://www.openstreetmap.org/?mlat=41.0&mlon=28.9",
        ),
        (
            {
                "type": "interactive",
                "interactive": {
                    "type": "button_reply",
                    "button_reply": {"id": "refund", "title": "Refund"},
                },
            },
            "Refund",
        ),
        (
            {
                "type": "interactive",
                "interactive": {
                    "type": "list_reply",
                    "list_reply": {"id": "r2", "title": "Change date", "description": "Same route"},
                },
            },
            "Change date — Same route",
        ),
        ({"type": "button", "button": {"payload": "p", "text": "Yes, call me"}}, "Yes, call me"),
        (
            {"type": "document", "document": {"id": "missing", "filename": "ticket.pdf"}},
            "(document could not be downloaded: "
            "WhatsApp answered 404: 100 Unsupported get request)",
        ),
    ],
    ids=["location", "button_reply", "list_reply", "template-button", "document-gone"],
)
def test_other_message_types_become_readable_text(
    post: Any, whatsapp_account: Any, message: dict[str, Any], text: str
) -> None:
    post(whatsapp_message(whatsapp_account, sender=SENDER, message=message))

    assert Message.objects.get().body_text == text


def test_a_reaction_stores_nothing(post: Any, whatsapp_account: Any) -> None:
    post(
        whatsapp_message(
            whatsapp_account,
            sender=SENDER,
            message={"type": "reaction", "reaction": {"message_id": "wamid.X", "emoji": "👍"}},
        )
    )

    assert Ticket.objects.count() == 0
    assert WebhookDelivery.objects.get().status == DeliveryStatus.IGNORED


def test_a_message_to_another_number_of_the_app_goes_to_that_account(
    post: Any, whatsapp_account: Any, team: Any
) -> None:
    other_team = type(team).objects.create(name="Sales", slug="sales")
    other = MessagingAccountFactory(
        provider="whatsapp",
        team=other_team,
        credentials={**whatsapp_account.credentials, "phone_number_id": "999"},
    )
    request = whatsapp_message(whatsapp_account, sender=SENDER, text="Hello sales")
    body = request.body.replace(WA_NUMBER_ID.encode(), b"999")
    from calmdesk.messaging.providers.whatsapp import whatsapp_signature

    signed = type(request)(
        url=request.url,
        content_type=request.content_type,
        body=body,
        headers={
            "X-Hub-Signature-256": whatsapp_signature(
                whatsapp_account.credential("app_secret"), body
            )
        },
    )

    post(signed)

    assert Ticket.objects.get().team == other_team
    assert ReceivedMessage.objects.get().account == other


def _conversation(post: Any, account: Any, *, at: int | None = None) -> Ticket:
    post(whatsapp_message(account, sender=SENDER, text="Where is my refund?", timestamp=at))
    return Ticket.objects.get()


def test_a_reply_within_24_hours_goes_out_on_whatsapp(
    post: Any,
    whatsapp_account: Any,
    providers: FakeProviders,
    django_capture_on_commit_callbacks: Any,
) -> None:
    ticket = _conversation(post, whatsapp_account)

    with django_capture_on_commit_callbacks(execute=True):
        reply = ticket_reply(
            ticket=ticket, actor=AgentFactory(profile__teams=[ticket.team]), body_text="Sent today."
        )

    last = providers.sent("whatsapp")[-1]
    assert last.json["text"] == {"preview_url": False, "body": "Sent today."}
    assert reply.deliveries.get().status == OutboxStatus.SENT


def test_after_24_hours_a_reply_is_not_sent_on_whatsapp_and_says_why(
    post: Any,
    whatsapp_account: Any,
    providers: FakeProviders,
    django_capture_on_commit_callbacks: Any,
) -> None:
    ticket = _conversation(post, whatsapp_account, at=int(time.time()))
    sends_before = len(providers.sent("whatsapp"))

    with (
        time_machine.travel(timezone.now() + timedelta(hours=25), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        reply = ticket_reply(
            ticket=ticket, actor=AgentFactory(profile__teams=[ticket.team]), body_text="Late answer"
        )

    assert len(providers.sent("whatsapp")) == sends_before
    row = reply.deliveries.get()
    assert row.status == OutboxStatus.FAILED
    assert row.last_error.startswith("Not sent: the customer last wrote more than 24 hours ago")
    event = TicketEvent.objects.get(type=EventType.DELIVERY)
    assert event.data["reason"] == "window_closed"
    assert event.data["outbox"] == row.pk


def test_after_24_hours_a_customer_with_an_email_gets_the_reply_by_email(
    post: Any, whatsapp_account: Any, django_capture_on_commit_callbacks: Any
) -> None:
    ticket = _conversation(post, whatsapp_account, at=int(time.time()))
    Identity.objects.create(
        customer=ticket.customer, kind=IdentityKind.EMAIL, value="ruta@example.com"
    )

    with time_machine.travel(timezone.now() + timedelta(hours=25), tick=False):
        reply = ticket_reply(
            ticket=ticket, actor=AgentFactory(profile__teams=[ticket.team]), body_text="By mail"
        )

    row = reply.deliveries.get()
    assert (row.channel, row.to) == (OutboxChannel.EMAIL, "ruta@example.com")
    assert TicketEvent.objects.get(type=EventType.DELIVERY).data["fallback"] == "email"


def test_statuses_update_the_reply_and_a_failure_names_metas_error(
    post: Any, whatsapp_account: Any, django_capture_on_commit_callbacks: Any
) -> None:
    ticket = _conversation(post, whatsapp_account)
    with django_capture_on_commit_callbacks(execute=True):
        reply = ticket_reply(
            ticket=ticket, actor=AgentFactory(profile__teams=[ticket.team]), body_text="Hello"
        )
    row = reply.deliveries.get()

    post(whatsapp_status(whatsapp_account, message_id=row.provider_id, status="read"))
    post(whatsapp_status(whatsapp_account, message_id=row.provider_id, status="delivered"))
    row.refresh_from_db()
    assert (row.status, row.headers["provider_status"]) == (OutboxStatus.SENT, "read")

    post(
        whatsapp_status(
            whatsapp_account,
            message_id=row.provider_id,
            status="failed",
            error={
                "code": 131047,
                "title": "Re-engagement message",
                "message": "Re-engagement message",
                "error_data": {"details": "More than 24 hours have passed."},
            },
        )
    )
    row.refresh_from_db()
    assert row.status == OutboxStatus.FAILED
    assert row.last_error == (
        "whatsapp failed: 131047 Re-engagement message — More than 24 hours have passed."
    )


def test_a_status_for_a_message_we_do_not_know_is_ignored(post: Any, whatsapp_account: Any) -> None:
    post(whatsapp_status(whatsapp_account, message_id="wamid.UNKNOWN", status="delivered"))

    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.summary) == (DeliveryStatus.IGNORED, "unknown message")
