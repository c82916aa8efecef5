"""Telegram bots end to end: updates with the webhook secret token, photos and documents,
/start, group chats, replies with sendMessage and setWebhook."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from calmdesk.conversations.models import Contact
from calmdesk.core.models import OutboxChannel, OutboxMessage
from calmdesk.core.testing.factories import AgentFactory
from calmdesk.customers.models import Identity, IdentityKind
from calmdesk.messaging.models import DeliveryStatus, ReceivedMessage, WebhookDelivery
from calmdesk.messaging.providers.telegram import SECRET_HEADER
from calmdesk.messaging.simulate import telegram_update
from calmdesk.tickets.enums import Channel
from calmdesk.tickets.models import Message, Ticket
from calmdesk.tickets.services import ticket_reply

from .fakes import TG_SECRET, TG_TOKEN, FakeProviders

pytestmark = pytest.mark.django_db

CHAT = 700100200


@pytest.mark.parametrize(
    "headers", [{}, {SECRET_HEADER: "not-the-secret"}], ids=["missing", "wrong"]
)
def test_an_update_without_the_secret_token_is_refused_and_nothing_is_stored(
    post: Any, telegram_account: Any, headers: dict[str, str]
) -> None:
    response = post(telegram_update(telegram_account, chat_id=CHAT, text="Hi"), headers=headers)

    assert response.status_code == 403
    assert WebhookDelivery.objects.count() == 0
    assert Ticket.objects.count() == 0


def test_a_telegram_message_opens_a_ticket_in_the_users_language(
    post: Any, telegram_account: Any, providers: FakeProviders
) -> None:
    response = post(
        telegram_update(
            telegram_account,
            chat_id=CHAT,
            text="Bagajım kayboldu",
            first_name="Ayşe",
            last_name="Yılmaz",
            language="tr",
            update_id=5001,
        )
    )

    assert response.status_code == 200
    ticket = Ticket.objects.get()
    assert ticket.channel == Channel.TELEGRAM
    assert ticket.language == "tr"
    assert ticket.customer.name == "Ayşe Yılmaz"
    identity = Identity.objects.get(customer=ticket.customer)
    assert (identity.kind, identity.value) == (IdentityKind.MESSAGING, f"telegram:{CHAT}")
    assert Contact.objects.get().channel == Channel.TELEGRAM
    assert ReceivedMessage.objects.get().external_id == "123456789:5001"
    [sent] = providers.sent("telegram")
    assert sent.path == f"/bot{TG_TOKEN}/sendMessage"
    assert sent.json["chat_id"] == str(CHAT)
    assert ticket.reference in sent.json["text"]
    ack = OutboxMessage.objects.get()
    assert (ack.channel, ack.to) == (OutboxChannel.TELEGRAM, str(CHAT))
    assert ack.provider_id == f"{CHAT}:{providers.counter}"


def test_the_same_update_delivered_twice_is_stored_once(post: Any, telegram_account: Any) -> None:
    update = telegram_update(telegram_account, chat_id=CHAT, text="Hello", update_id=77)

    post(update)
    post(update)

    assert Message.objects.count() == 1


def test_a_photo_with_a_caption_is_downloaded_through_get_file(
    post: Any, telegram_account: Any, providers: FakeProviders
) -> None:
    providers.files["tg-photos/AgAD-big.jpg"] = (b"\xff\xd8 jpeg", "application/octet-stream")

    post(
        telegram_update(
            telegram_account,
            chat_id=CHAT,
            message={
                "caption": "my boarding pass",
                "photo": [
                    {"file_id": "AgAD-small", "file_unique_id": "s", "width": 90, "height": 90},
                    {"file_id": "AgAD-big", "file_unique_id": "b", "width": 1280, "height": 960},
                ],
            },
        )
    )

    message = Message.objects.get()
    assert message.body_text == "my boarding pass"
    [attachment] = message.attachments.all()
    assert (attachment.filename, attachment.content_type) == ("AgAD-big.jpg", "image/jpeg")
    assert attachment.file.read() == b"\xff\xd8 jpeg"
    [get_file] = [r for r in providers.requests if r.path.endswith("/getFile")]
    assert get_file.json == {"file_id": "AgAD-big"}


def test_an_edited_message_is_added_marked_as_edited(post: Any, telegram_account: Any) -> None:
    post(telegram_update(telegram_account, chat_id=CHAT, text="Flight TK 1980", update_id=1))
    post(
        telegram_update(
            telegram_account, chat_id=CHAT, text="Flight TK 1981", update_id=2, edited=True
        )
    )

    assert [m.body_text for m in Ticket.objects.get().messages.all()] == [
        "Flight TK 1980",
        "(edited) Flight TK 1981",
    ]


def test_start_greets_the_user_without_opening_a_ticket(
    post: Any, telegram_account: Any, providers: FakeProviders
) -> None:
    post(telegram_update(telegram_account, chat_id=CHAT, text="/start", language="en"))

    assert Ticket.objects.count() == 0
    [sent] = providers.sent("telegram")
    assert sent.json["text"] == (
        "Hello! Write your question here and Support will answer you in this chat."
    )
    assert WebhookDelivery.objects.get().summary == "start"


def test_messages_in_group_chats_are_ignored(post: Any, telegram_account: Any) -> None:
    post(telegram_update(telegram_account, chat_id=-100200, text="hi all", chat_type="group"))

    assert Ticket.objects.count() == 0
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.summary) == (DeliveryStatus.IGNORED, "group chat")


def test_an_agent_reply_goes_back_to_the_chat(
    post: Any,
    telegram_account: Any,
    providers: FakeProviders,
    django_capture_on_commit_callbacks: Any,
) -> None:
    post(telegram_update(telegram_account, chat_id=CHAT, text="Is the port open?"))
    ticket = Ticket.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        reply = ticket_reply(
            ticket=ticket, actor=AgentFactory(profile__teams=[ticket.team]), body_text="It is."
        )

    assert reply.channel == Channel.TELEGRAM
    assert providers.sent("telegram")[-1].json == {"chat_id": str(CHAT), "text": "It is."}


def test_set_webhook_registers_the_url_and_the_secret_token(
    telegram_account: Any, providers: FakeProviders
) -> None:
    out = StringIO()

    call_command("messaging_set_webhook", telegram_account.name, stdout=out)

    [request] = providers.requests
    assert request.path == f"/bot{TG_TOKEN}/setWebhook"
    assert request.json == {
        "url": telegram_account.webhook_url,
        "secret_token": TG_SECRET,
        "allowed_updates": ["message", "edited_message"],
        "drop_pending_updates": False,
    }
    assert "Webhook was set" in out.getvalue()
