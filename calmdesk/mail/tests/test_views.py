"""The mail health page: leads only; failed and stuck messages, mailbox IMAP status, Replay
(POST, HTMX) and the raw download."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from calmdesk.accounts.models import Role
from calmdesk.core.testing.factories import AgentFactory
from calmdesk.mail import services as mail_services
from calmdesk.mail.ingest import mail_receive
from calmdesk.mail.models import InboundEmail, InboundStatus
from calmdesk.tickets.models import Ticket

from .factories import MailboxFactory, build_mail

pytestmark = pytest.mark.django_db


@pytest.fixture
def failed(monkeypatch: pytest.MonkeyPatch) -> InboundEmail:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("disk full")

    monkeypatch.setattr(mail_services, "parse_email", broken)
    mailbox = MailboxFactory(name="Support", address="support@calmdesk.test")
    inbound = mail_receive(
        raw=build_mail(subject="Lost luggage", sender="ayla@example.com"),
        mailbox=mailbox,
        source="imap",
        envelope_from="ayla@example.com",
    )
    monkeypatch.undo()
    assert inbound.status == InboundStatus.FAILED
    return inbound


def _lead(client: Client) -> None:
    client.force_login(AgentFactory(profile__role=Role.LEAD))


def test_the_health_page_lists_failed_and_stuck_messages_and_mailboxes(
    client: Client, failed: InboundEmail
) -> None:
    stuck = InboundEmail.objects.create(
        mailbox=failed.mailbox,
        source="smtp",
        raw=b"x",
        dedup_key="sha256:stuck",
        subject="Never processed",
        received_at=timezone.now() - timedelta(minutes=30),
    )
    InboundEmail.objects.create(
        mailbox=failed.mailbox, source="smtp", raw=b"y", dedup_key="sha256:fresh", subject="Fresh"
    )
    failed.mailbox.imap_host = "imap.example.com"
    failed.mailbox.imap_last_error = "LOGIN failed"
    failed.mailbox.save()
    _lead(client)

    response = client.get(reverse("mail:health"))

    assert response.status_code == 200
    rows = list(response.context["rows"])
    assert rows == [failed, stuck]
    html = response.content.decode()
    assert "RuntimeError: disk full" in html
    assert "Lost luggage" in html
    assert "LOGIN failed" in html
    assert "Fresh" not in html


@pytest.mark.parametrize("role", [Role.AGENT, None])
def test_agents_and_strangers_cannot_see_replay_or_download(
    client: Client, failed: InboundEmail, role: str | None
) -> None:
    if role is not None:
        client.force_login(AgentFactory(profile__role=role))

    responses = [
        client.get(reverse("mail:health")),
        client.post(reverse("mail:replay", args=[failed.pk])),
        client.get(reverse("mail:raw", args=[failed.pk])),
    ]

    expected = 403 if role else 302
    assert [r.status_code for r in responses] == [expected] * 3
    failed.refresh_from_db()
    assert failed.status == InboundStatus.FAILED
    assert failed.attempts == 1
    assert Ticket.objects.count() == 0


def test_replay_by_htmx_processes_the_message_and_swaps_its_row(
    client: Client, failed: InboundEmail
) -> None:
    _lead(client)

    response = client.post(reverse("mail:replay", args=[failed.pk]), headers={"HX-Request": "true"})

    assert response.status_code == 200
    failed.refresh_from_db()
    assert failed.status == InboundStatus.PROCESSED
    assert failed.attempts == 2
    html = response.content.decode()
    assert f'id="inbound-{failed.pk}"' in html
    assert "Processed" in html
    assert reverse("tickets:detail", args=[failed.ticket_id]) in html


def test_replay_without_htmx_redirects_back_with_a_message(
    client: Client, failed: InboundEmail
) -> None:
    _lead(client)

    response = client.post(reverse("mail:replay", args=[failed.pk]), follow=True)

    assert response.redirect_chain == [(reverse("mail:health"), 302)]
    assert "The message was processed: Processed." in response.content.decode()


def test_replay_is_post_only(client: Client, failed: InboundEmail) -> None:
    _lead(client)

    assert client.get(reverse("mail:replay", args=[failed.pk])).status_code == 405


def test_the_raw_message_downloads_as_an_rfc822_attachment(
    client: Client, failed: InboundEmail
) -> None:
    _lead(client)

    response = client.get(reverse("mail:raw", args=[failed.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "message/rfc822"
    assert response["Content-Disposition"] == f'attachment; filename="inbound-{failed.pk}.eml"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response.content == bytes(failed.raw)


def test_unknown_messages_are_404(client: Client) -> None:
    _lead(client)

    assert client.get(reverse("mail:raw", args=[999])).status_code == 404
    assert client.post(reverse("mail:replay", args=[999])).status_code == 404


def test_the_health_page_query_count_does_not_grow_with_rows(
    client: Client, django_assert_max_num_queries: Any
) -> None:
    mailbox = MailboxFactory()
    for i in range(30):
        InboundEmail.objects.create(
            mailbox=mailbox,
            source="smtp",
            raw=b"x" * 1000,
            dedup_key=f"k{i}",
            status=InboundStatus.FAILED,
            error="boom",
        )
    _lead(client)

    with django_assert_max_num_queries(12):
        response = client.get(reverse("mail:health"))

    assert len(response.context["rows"]) == 30
