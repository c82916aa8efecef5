"""Stored before processed: failures are kept, retried and replayable; the admin, the demo
accounts, the simulator and SMS_URL's messaging:// scheme."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from calmdesk.core.models import OutboxChannel, OutboxStatus
from calmdesk.core.outbox import outbox_deliver, outbox_enqueue
from calmdesk.core.testing.factories import AgentFactory, UserFactory
from calmdesk.messaging.demo import demo_messaging
from calmdesk.messaging.models import (
    DeliveryStatus,
    MessagingAccount,
    Provider,
    WebhookDelivery,
)
from calmdesk.messaging.services import inbound, split_text, webhook_replay, webhook_sweep
from calmdesk.messaging.simulate import twilio_message
from calmdesk.tickets.models import Ticket

from .fakes import TWILIO_TOKEN, FakeProviders

pytestmark = pytest.mark.django_db

SENDER = "+905321234567"


def test_a_failure_keeps_the_request_with_its_error_and_a_replay_processes_it(
    post: Any, twilio_account: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("database went away")

    monkeypatch.setattr(inbound, "contact_receive", broken)
    response = post(twilio_message(twilio_account, sender=SENDER, text="Help"))

    assert response.status_code == 200  # Twilio is answered: the request is safe with us
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.error == "RuntimeError: database went away"
    assert delivery.attempts == 1
    assert Ticket.objects.count() == 0

    monkeypatch.undo()
    assert webhook_replay(delivery=delivery) == DeliveryStatus.PROCESSED

    delivery.refresh_from_db()
    assert (delivery.status, delivery.error, delivery.attempts) == (DeliveryStatus.PROCESSED, "", 2)
    assert Ticket.objects.get().messages.get().body_text == "Help"


def test_the_sweep_processes_a_request_whose_task_was_lost(
    client: Any, twilio_account: Any
) -> None:
    request = twilio_message(twilio_account, sender=SENDER, text="Anyone there?")
    # No on-commit callbacks run: as if the queue had been down.
    client.generic(
        "POST",
        twilio_account.webhook_path,
        request.body,
        content_type=request.content_type,
        headers=request.headers,
    )
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.RECEIVED

    assert webhook_sweep(now=timezone.now()) == 0  # still within its own task's grace time
    assert webhook_sweep(now=timezone.now() + timedelta(minutes=2)) == 1

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PROCESSED
    assert Ticket.objects.count() == 1


def test_failed_requests_are_retried_with_backoff_then_left_for_replay(
    twilio_account: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from calmdesk.messaging.services import MAX_ATTEMPTS, webhook_process, webhook_receive
    from calmdesk.messaging.views import WebhookRequest

    monkeypatch.setattr(inbound, "contact_receive", lambda *a, **k: 1 / 0)
    signed = twilio_message(twilio_account, sender=SENDER, text="x")
    delivery = webhook_receive(
        account=twilio_account,
        request=WebhookRequest(method="POST", url=signed.url, headers={}, body=signed.body),
    )
    now = timezone.now()
    waits = []
    for _attempt in range(MAX_ATTEMPTS):
        webhook_process(delivery_id=delivery.pk, now=now)
        delivery.refresh_from_db()
        if delivery.next_attempt_at is None:
            break
        waits.append(round((delivery.next_attempt_at - now).total_seconds() / 60))
        now = delivery.next_attempt_at

    assert waits == [1, 2, 4, 8, 16, 32, 64]
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, MAX_ATTEMPTS)


def test_split_text_cuts_at_line_then_word_breaks() -> None:
    assert split_text("aaaa bbbb\ncccc dddd", 12) == ["aaaa bbbb", "cccc dddd"]
    assert split_text("aaaa bbbb cccc", 10) == ["aaaa bbbb", "cccc"]
    assert split_text("x" * 25, 10) == ["x" * 10, "x" * 10, "x" * 5]
    assert split_text("short", 10) == ["short"]


def test_demo_accounts_are_created_once_per_provider(team: Any) -> None:
    first = demo_messaging()
    again = demo_messaging()

    assert [a.pk for a in first] == [a.pk for a in again]
    assert sorted(MessagingAccount.objects.values_list("provider", flat=True)) == [
        "telegram",
        "twilio",
        "whatsapp",
    ]
    assert all(a.team == team for a in first)


def test_sms_url_messaging_scheme_sends_broadcast_sms_through_an_admin_account(
    twilio_account: Any, providers: FakeProviders, settings: Any
) -> None:
    settings.SMS_URL = f"messaging://{twilio_account.name}"
    row = outbox_enqueue(
        kind="broadcast", to=SENDER, delivery_key="b-1", body_text="Port closed", channel="sms"
    )
    assert row is not None

    assert outbox_deliver(outbox_id=row.pk) == OutboxStatus.SENT

    [sent] = providers.sent("twilio")
    assert sent.form["Body"] == ["Port closed"]
    row.refresh_from_db()
    assert row.provider_id == f"SM{providers.counter:032d}"


def test_a_row_for_a_switched_off_account_is_retried_not_sent(
    twilio_account: Any, providers: FakeProviders
) -> None:
    twilio_account.active = False
    twilio_account.save()
    row = outbox_enqueue(
        kind="agent_reply",
        to=SENDER,
        delivery_key="r-1",
        body_text="Hi",
        channel=OutboxChannel.SMS,
        headers={"account": str(twilio_account.pk)},
    )
    assert row is not None

    assert outbox_deliver(outbox_id=row.pk) == OutboxStatus.PENDING

    row.refresh_from_db()
    assert row.last_error == (
        f"ProviderError: messaging account {twilio_account.pk} is missing or switched off"
    )
    assert providers.requests == []


# -- Admin -------------------------------------------------------------------------------


@pytest.fixture
def admin_client(client: Any) -> Any:
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_the_admin_creates_an_account_with_its_credentials_and_shows_the_webhook_url(
    admin_client: Any, team: Any
) -> None:
    response = admin_client.post(
        "/admin/messaging/messagingaccount/add/",
        {
            "provider": "telegram",
            "name": "Support bot",
            "team": team.pk,
            "active": "on",
            "telegram__bot_token": "123456789:AAE-real",
            "telegram__secret_token": "",
            "twilio__account_sid": "ignored",
        },
    )

    assert response.status_code == 302
    account = MessagingAccount.objects.get()
    assert account.credentials["bot_token"] == "123456789:AAE-real"
    assert len(account.credentials["secret_token"]) >= 40  # made up
    assert set(account.credentials) == {"bot_token", "secret_token"}
    page = admin_client.get(f"/admin/messaging/messagingaccount/{account.pk}/change/")
    assert account.webhook_url in page.content.decode()
    assert "123456789:AAE-real" not in page.content.decode()  # secrets are never shown again


def test_editing_an_account_keeps_secrets_left_empty(
    admin_client: Any, twilio_account: Any
) -> None:
    response = admin_client.post(
        f"/admin/messaging/messagingaccount/{twilio_account.pk}/change/",
        {
            "provider": "twilio",
            "name": "Renamed",
            "team": twilio_account.team_id,
            "active": "on",
            "base_url": twilio_account.base_url,
            "twilio__account_sid": twilio_account.credential("account_sid"),
            "twilio__auth_token": "",
            "twilio__from_number": "+15005550007",
        },
    )

    assert response.status_code == 302
    twilio_account.refresh_from_db()
    assert twilio_account.credential("auth_token") == TWILIO_TOKEN
    assert twilio_account.credential("from_number") == "+15005550007"


def test_the_admin_refuses_missing_credentials(admin_client: Any, team: Any) -> None:
    response = admin_client.post(
        "/admin/messaging/messagingaccount/add/",
        {"provider": "whatsapp", "name": "WA", "team": team.pk, "whatsapp__phone_number_id": "1"},
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert set(errors) == {"whatsapp__access_token", "whatsapp__app_secret"}
    assert MessagingAccount.objects.count() == 0


def test_the_admin_replays_a_failed_delivery(
    admin_client: Any, post: Any, twilio_account: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(inbound, "contact_receive", lambda *a, **k: 1 / 0)
    post(twilio_message(twilio_account, sender=SENDER, text="Help"))
    monkeypatch.undo()
    delivery = WebhookDelivery.objects.get()

    response = admin_client.post(
        "/admin/messaging/webhookdelivery/",
        {"action": "replay", "_selected_action": [delivery.pk]},
    )

    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PROCESSED
    assert (
        admin_client.get(f"/admin/messaging/webhookdelivery/{delivery.pk}/change/").status_code
        == 200
    )
    assert admin_client.get("/admin/messaging/messagingaccount/").status_code == 200
    assert admin_client.get("/admin/messaging/receivedmessage/").status_code == 200


def test_agents_cannot_reach_the_messaging_admin(client: Any, team: Any) -> None:
    client.force_login(AgentFactory(profile__teams=[team]))

    response = client.get("/admin/messaging/messagingaccount/")

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


# -- The simulator against a running server --------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_messaging_simulate_posts_a_signed_sms_that_becomes_a_ticket(
    live_server: Any, providers: FakeProviders
) -> None:
    from django.core.management import call_command

    from calmdesk.core.testing.factories import TeamFactory

    demo_messaging(TeamFactory())
    MessagingAccount.objects.update(base_url=providers.base_url)  # the acknowledgement

    call_command(
        "messaging_simulate",
        "--provider",
        Provider.TWILIO,
        "--from",
        SENDER,
        "--text",
        "Is the ferry running?",
        "--base-url",
        live_server.url,
    )

    ticket = Ticket.objects.get()
    assert ticket.messages.get().body_text == "Is the ferry running?"
    assert ticket.channel == "sms"
    assert [r.problem for r in providers.requests] == ["auth"]  # the demo's placeholder token
