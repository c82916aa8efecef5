"""The agent's view of one conversation across channels: queue channels, the cross-channel
timeline, merge suggestions, "Merge into…", "Split", and where a reply goes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from calmdesk.conversations import outbound
from calmdesk.conversations.models import MergeSuggestion, SuggestionStatus
from calmdesk.conversations.services import InboundContact, contact_receive
from calmdesk.core.models import OutboxMessage, OutboxStatus
from calmdesk.core.testing.factories import AgentFactory, RequestTypeFactory, TeamFactory
from calmdesk.customers.models import IdentityKind
from calmdesk.tickets.enums import Channel, EventType, MessageKind, TicketStatus
from calmdesk.tickets.models import Message, Ticket, TicketEvent
from calmdesk.tickets.services import ticket_reply

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def team() -> Any:
    return TeamFactory(slug="refunds", name="Refunds")


@pytest.fixture
def other_team() -> Any:
    return TeamFactory(slug="changes", name="Trip changes")


@pytest.fixture
def agent(team: Any) -> Any:
    return AgentFactory(username="ayla", first_name="Ayla", profile__teams=[team])


@pytest.fixture
def agent_client(client: Client, agent: Any) -> Client:
    client.force_login(agent)
    return client


def receive(
    *,
    channel: str = Channel.EMAIL,
    identities: list[tuple[str, str]] | None = None,
    subject: str = "",
    body: str = "Hello",
    team: Any = None,
    thread: Ticket | None = None,
    **kwargs: Any,
) -> Any:
    return contact_receive(
        InboundContact(
            channel=channel,
            identities=identities or [(IdentityKind.EMAIL, "elif@example.com")],
            name="Elif Yılmaz",
            subject=subject,
            body_text=body,
            team=team,
            thread=thread,
            **kwargs,
        )
    )


def pair(team: Any) -> tuple[Ticket, Ticket]:
    start = timezone.now() - timedelta(hours=3)
    with time_machine.travel(start, tick=False):
        older = receive(subject="Refund for ABC123", body="Cruise cancelled", team=team).ticket
    with time_machine.travel(start + timedelta(hours=1), tick=False):
        newer = receive(
            channel=Channel.SMS,
            identities=[(IdentityKind.PHONE, "+905321234567")],
            body="Any news about ABC123?",
            team=team,
        ).ticket
    return older, newer


def suggest(ticket: Ticket, candidate: Ticket) -> MergeSuggestion:
    """The suggestion between the pair (the hub already made one for it) with known evidence."""
    suggestion, _created = MergeSuggestion.objects.update_or_create(
        ticket=ticket,
        candidate=candidate,
        defaults={
            "score": 0.74,
            "evidence": {
                "score": 0.74,
                "reasons": [
                    {"kind": "booking_reference", "value": "ABC123", "weight": 0.3},
                    {"kind": "similar_text", "value": 0.87},
                    {"kind": "similar_name", "value": 0.92},
                    {"kind": "moon_phase", "value": "full"},
                ],
            },
            "status": "open",
        },
    )
    return suggestion


@pytest.fixture
def sms_sender() -> Iterator[list[Any]]:
    """A reply sender for SMS, as the messaging app registers one (restored afterwards)."""
    taken: list[Any] = []

    def send(*, ticket: Ticket, message: Message, contact: Any) -> bool:
        taken.append(message)
        return True

    saved = dict(outbound._SENDERS)
    outbound.register_reply_sender(Channel.SMS, send)
    yield taken
    outbound._SENDERS.clear()
    outbound._SENDERS.update(saved)


# ------------------------------------------------------------------------------------------
# The queue
# ------------------------------------------------------------------------------------------


def test_queue_row_shows_each_channel_the_ticket_was_contacted_on_and_the_contacts(
    agent_client: Client, team: Any
) -> None:
    ticket = receive(subject="Refund for ABC123", body="Cruise cancelled", team=team).ticket
    receive(
        channel=Channel.SMS,
        identities=[(IdentityKind.PHONE, "+905321234567")],
        body="Any news?",
        thread=ticket,
    )
    receive(
        channel=Channel.SMS,
        identities=[(IdentityKind.PHONE, "+905321234567")],
        body="Hello??",
        thread=ticket,
    )

    response = agent_client.get(reverse("tickets:queue"))

    row = response.context["rows"][0]
    assert (row.contact_channels, row.contact_count) == ([Channel.EMAIL, Channel.SMS], 3)
    body = response.content.decode()
    assert 'class="chan chan-email"' in body
    assert 'class="chan chan-sms"' in body
    assert "3 contacts" in body


def test_queue_channels_cost_one_query_whatever_the_number_of_rows(
    agent_client: Client, team: Any, django_assert_num_queries: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def add(n: int, offset: int) -> None:
        for i in range(offset, offset + n):
            ticket = receive(
                identities=[(IdentityKind.EMAIL, f"c{i}@example.com")],
                subject=f"Question {i}",
                team=team,
            ).ticket
            receive(
                channel=Channel.CHAT,
                identities=[(IdentityKind.CHAT, f"visitor-{i}")],
                body="again",
                thread=ticket,
            )

    add(2, 0)
    with CaptureQueriesContext(connection) as small:
        agent_client.get(reverse("tickets:queue"))
    add(12, 2)

    with django_assert_num_queries(len(small.captured_queries)):
        response = agent_client.get(reverse("tickets:queue"))
    assert len(response.context["rows"]) == 14
    assert all(
        r.contact_channels == [Channel.EMAIL, Channel.CHAT] for r in response.context["rows"]
    )


def test_channel_filter_finds_a_ticket_with_any_contact_on_that_channel(
    agent_client: Client, team: Any
) -> None:
    by_email = receive(subject="Refund", team=team).ticket
    receive(
        channel=Channel.WHATSAPP,
        identities=[(IdentityKind.PHONE, "+905321234567")],
        body="ping",
        thread=by_email,
    )
    receive(identities=[(IdentityKind.EMAIL, "other@example.com")], subject="Bus", team=team)

    response = agent_client.get(reverse("tickets:queue"), {"channel": Channel.WHATSAPP})

    assert [t.pk for t in response.context["rows"]] == [by_email.pk]


def test_merge_suggestions_view_lists_tickets_with_open_suggestions(
    agent_client: Client, team: Any, agent: Any
) -> None:
    older, newer = pair(team)
    receive(identities=[(IdentityKind.EMAIL, "x@example.com")], subject="Bus", team=team)
    suggest(newer, older)

    response = agent_client.get(reverse("tickets:queue"), {"view": "suggestions"})

    assert sorted(t.pk for t in response.context["rows"]) == sorted([older.pk, newer.pk])
    assert "Possible duplicate" in response.content.decode()
    assert "Merge suggestions" in response.content.decode()


# ------------------------------------------------------------------------------------------
# The ticket page
# ------------------------------------------------------------------------------------------


def test_ticket_page_marks_each_message_with_its_channel_and_each_delivery_status(
    agent_client: Client, team: Any, agent: Any
) -> None:
    ticket = receive(subject="Refund for ABC123", body="Cruise cancelled", team=team).ticket
    receive(
        channel=Channel.TELEGRAM,
        identities=[(IdentityKind.MESSAGING, "telegram:42")],
        body="Writing on Telegram now",
        thread=ticket,
    )
    message = ticket_reply(ticket=ticket, actor=agent, body_text="We are on it.")
    OutboxMessage.objects.filter(message=message).update(
        status=OutboxStatus.FAILED, last_error="550 mailbox unavailable"
    )

    body = agent_client.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()

    assert 'class="chan chan-email"' in body
    assert 'class="chan chan-telegram"' in body
    assert "Telegram" in body
    assert 'title="550 mailbox unavailable"' in body
    assert "Email to elif@example.com: Failed" in body
    assert "2 contacts" in body


def test_ticket_page_shows_an_automatic_follow_up_with_its_evidence(
    agent_client: Client, team: Any
) -> None:
    refund = RequestTypeFactory(key="refund", team=team)
    fields = {"booking_reference": "ABC123"}
    ticket = receive(
        subject="Refund for ABC123",
        body="My cruise was cancelled, refund please",
        request_type=refund,
        custom_fields=fields,
    ).ticket
    follow = receive(
        subject="Refund for ABC123",
        body="My cruise was cancelled, refund please",
        request_type=refund,
        custom_fields=fields,
    )
    assert follow.ticket.pk == ticket.pk  # the hub decided: same matter

    body = agent_client.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()

    assert "added to this ticket automatically" in body
    assert "same booking reference ABC123" in body


def test_suggestion_shows_the_other_ticket_and_the_evidence_in_words(
    agent_client: Client, team: Any
) -> None:
    older, newer = pair(team)
    suggest(newer, older)

    body = agent_client.get(reverse("tickets:detail", args=[newer.pk])).content.decode()

    assert older.reference in body
    assert "Refund for ABC123" in body
    assert "same booking reference ABC123" in body
    assert "similar text 87 %" in body
    assert "similar name 92 %" in body
    assert "moon phase: full" in body  # an unknown kind, shown as it is
    assert f"Merge into {older.reference}" in body
    assert "other customer" in body  # the SMS came from another (unrecognised) customer


def test_accepting_a_suggestion_by_htmx_merges_into_the_older_and_updates_the_page(
    agent_client: Client, team: Any, agent: Any
) -> None:
    older, newer = pair(team)
    row = suggest(newer, older)
    url = reverse("tickets:suggestion_merge", args=[older.pk, row.pk])

    response = agent_client.post(url, {"into": older.pk}, **HTMX)

    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="ticket-conversation" class="conversation" hx-swap-oob="true"' in body
    assert "Any news about ABC123?" in body  # the SMS now shows on the older ticket
    assert f"{newer.reference} was merged into {older.reference}." in body
    assert Ticket.objects.get(pk=newer.pk).merged_into_id == older.pk
    row.refresh_from_db()
    assert (row.status, row.decided_by) == (SuggestionStatus.MERGED, agent)


def test_accepting_from_the_merged_ticket_redirects_to_the_kept_one(
    agent_client: Client, team: Any
) -> None:
    older, newer = pair(team)
    row = suggest(newer, older)

    response = agent_client.post(
        reverse("tickets:suggestion_merge", args=[newer.pk, row.pk]), {}, **HTMX
    )

    assert response.status_code == 204
    assert response["HX-Redirect"] == reverse("tickets:detail", args=[older.pk])
    page = agent_client.get(reverse("tickets:detail", args=[newer.pk])).content.decode()
    assert "This ticket was merged into" in page
    assert reverse("tickets:detail", args=[older.pk]) in page
    older_url = reverse("tickets:detail", args=[older.pk])
    assert f'Merged into <a href="{older_url}">{older.reference}</a>' in page  # the timeline


def test_dismissing_a_suggestion_by_htmx_removes_it(
    agent_client: Client, team: Any, agent: Any
) -> None:
    older, newer = pair(team)
    row = suggest(newer, older)

    response = agent_client.post(
        reverse("tickets:suggestion_dismiss", args=[newer.pk, row.pk]), **HTMX
    )

    assert response.status_code == 200
    body = response.content.decode()
    assert f"Noted: {older.reference} is a different problem." in body
    assert f"Merge into {older.reference}" not in body
    row.refresh_from_db()
    assert (row.status, row.decided_by) == (SuggestionStatus.DISMISSED, agent)


def test_a_suggestion_with_a_ticket_of_a_team_i_do_not_see_is_hidden_and_404(
    agent_client: Client, team: Any, other_team: Any
) -> None:
    mine, theirs = pair(team)
    Ticket.objects.filter(pk=theirs.pk).update(team=other_team)
    row = suggest(mine, theirs)

    page = agent_client.get(reverse("tickets:detail", args=[mine.pk])).content.decode()
    merge = agent_client.post(reverse("tickets:suggestion_merge", args=[mine.pk, row.pk]))
    dismiss = agent_client.post(reverse("tickets:suggestion_dismiss", args=[mine.pk, row.pk]))

    assert theirs.reference not in page
    assert (merge.status_code, dismiss.status_code) == (404, 404)
    row.refresh_from_db()
    assert row.status == SuggestionStatus.OPEN
    assert Ticket.objects.get(pk=theirs.pk).merged_into_id is None


def test_manual_merge_into_a_ticket_of_another_team_is_refused_without_a_500(
    agent_client: Client, team: Any, other_team: Any
) -> None:
    mine, theirs = pair(team)
    Ticket.objects.filter(pk=theirs.pk).update(team=other_team)
    events = TicketEvent.objects.count()

    response = agent_client.post(
        reverse("tickets:merge", args=[mine.pk]), {"target": theirs.reference}, **HTMX
    )

    assert response.status_code == 400
    assert "No ticket with this reference that you can see." in response.content.decode()
    assert TicketEvent.objects.count() == events
    assert Ticket.objects.get(pk=mine.pk).merged_into_id is None


def test_an_agent_cannot_merge_a_ticket_they_cannot_see(
    client: Client, team: Any, other_team: Any
) -> None:
    older, newer = pair(team)
    outsider = AgentFactory(username="omer", profile__teams=[other_team])
    client.force_login(outsider)

    response = client.post(reverse("tickets:merge", args=[newer.pk]), {"target": older.reference})

    assert response.status_code == 404
    assert Ticket.objects.get(pk=newer.pk).merged_into_id is None


def test_manual_merge_search_and_merge_without_javascript(agent_client: Client, team: Any) -> None:
    older, newer = pair(team)
    url = reverse("tickets:merge", args=[newer.pk])

    search = agent_client.get(url, {"q": older.reference})
    merged = agent_client.post(url, {"target": older.reference, "direction": "into"})

    assert [t.pk for t in search.context["candidates"]] == [older.pk]
    assert merged.status_code == 302
    assert merged["Location"] == reverse("tickets:detail", args=[older.pk])
    assert Ticket.objects.get(pk=newer.pk).merged_into_id == older.pk


def test_the_merge_box_lists_the_customers_other_open_tickets(
    agent_client: Client, team: Any
) -> None:
    first = receive(subject="Refund for ABC123", body="Refund", team=team).ticket
    second = receive(subject="Lost luggage on the ferry", body="My bag", team=team).ticket
    if second.pk == first.pk:  # pragma: no cover - the hub judged them one matter
        pytest.skip("the dedup decision put both contacts on one ticket")

    response = agent_client.get(reverse("tickets:merge", args=[second.pk]), **HTMX)

    assert [t.pk for t in response.context["candidates"]] == [first.pk]
    assert f"Merge this into {first.reference}" in response.content.decode()


def test_merging_here_keeps_this_ticket_and_a_bad_reference_is_a_field_error(
    agent_client: Client, team: Any
) -> None:
    older, newer = pair(team)
    url = reverse("tickets:merge", args=[older.pk])

    bad = agent_client.post(url, {"target": "banana"}, **HTMX)
    good = agent_client.post(url, {"target": newer.reference, "direction": "here"}, **HTMX)

    assert bad.status_code == 400
    assert "Enter a ticket reference such as CD-000123." in bad.content.decode()
    assert good.status_code == 200
    assert Ticket.objects.get(pk=newer.pk).merged_into_id == older.pk


def test_split_by_htmx_moves_the_ticked_messages_to_a_new_ticket(
    agent_client: Client, team: Any
) -> None:
    ticket = receive(subject="Refund", body="Refund please", team=team).ticket
    receive(body="Also my bag is lost", thread=ticket)
    bag = Message.objects.get(body_text="Also my bag is lost")

    page = agent_client.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()
    response = agent_client.post(
        reverse("tickets:split", args=[ticket.pk]),
        {"messages": [bag.pk], "subject": "Lost bag"},
        **HTMX,
    )

    assert f'name="messages" value="{bag.pk}" form="split-form"' in page
    assert response.status_code == 200
    new = Ticket.objects.get(subject="Lost bag")
    assert f"Split off into {new.reference}." in response.content.decode()
    assert list(new.messages.values_list("pk", flat=True)) == [bag.pk]
    assert ticket.events.filter(type=EventType.SPLIT).count() == 1


def test_split_of_every_customer_message_is_a_400_with_the_reason(
    agent_client: Client, team: Any
) -> None:
    ticket = receive(subject="Refund", body="Refund please", team=team).ticket
    receive(body="More", thread=ticket)
    ids = list(ticket.messages.filter(kind=MessageKind.INBOUND).values_list("pk", flat=True))

    response = agent_client.post(
        reverse("tickets:split", args=[ticket.pk]), {"messages": ids}, **HTMX
    )

    assert response.status_code == 400
    assert "Leave at least one customer message on this ticket." in response.content.decode()
    assert Ticket.objects.count() == 1


# ------------------------------------------------------------------------------------------
# Where the reply goes
# ------------------------------------------------------------------------------------------


def test_composer_says_the_reply_goes_by_sms_to_the_number_the_customer_wrote_from(
    agent_client: Client, team: Any, sms_sender: list[Any]
) -> None:
    ticket = receive(subject="Refund", body="Refund please", team=team).ticket
    receive(
        channel=Channel.SMS,
        identities=[(IdentityKind.PHONE, "+905321234567")],
        body="Any news?",
        thread=ticket,
    )

    body = agent_client.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()

    assert "Your reply goes by SMS to" in body
    assert "+90 532 123 45 67" in body


def test_composer_says_the_reply_goes_by_email_when_the_channel_cannot_take_it(
    agent_client: Client, team: Any
) -> None:
    ticket = receive(subject="Refund", body="Refund please", team=team).ticket
    receive(
        channel=Channel.PHONE,
        identities=[(IdentityKind.PHONE, "+905321234567")],
        body="Called about it",
        thread=ticket,
    )

    body = agent_client.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()

    assert "The customer last wrote by Phone, which cannot take a reply" in body
    assert "Your reply goes by email to" in body
    assert "elif@example.com" in body


def test_a_merged_tickets_page_has_no_composer_and_no_merge_tools(
    agent_client: Client, team: Any
) -> None:
    older, newer = pair(team)
    agent_client.post(reverse("tickets:merge", args=[newer.pk]), {"target": older.reference})

    body = agent_client.get(reverse("tickets:detail", args=[newer.pk])).content.decode()

    assert "Reply on the ticket this one was merged into." in body
    assert "Send reply" not in body
    assert "Merge into…" not in body
    assert Ticket.objects.get(pk=newer.pk).status == TicketStatus.CLOSED
