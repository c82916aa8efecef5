"""Merging and splitting tickets, and deciding merge suggestions (conversations.merging)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from calmdesk.conversations.merging import (
    suggestion_dismiss,
    suggestion_merge,
    ticket_merge,
    ticket_split,
)
from calmdesk.conversations.models import (
    Contact,
    ContactOutcome,
    MergeSuggestion,
    SuggestionStatus,
)
from calmdesk.conversations.services import InboundContact, contact_receive
from calmdesk.core.errors import DomainError
from calmdesk.core.testing.factories import (
    AgentFactory,
    CustomerFactory,
    TeamFactory,
)
from calmdesk.customers.models import IdentityKind
from calmdesk.sla.models import Alert, AlertKind
from calmdesk.tickets.enums import Channel, EventType, MessageKind, Priority, TicketStatus
from calmdesk.tickets.models import Attachment, Message, Ticket, TicketEvent
from calmdesk.tickets.services import (
    ticket_add_note,
    ticket_change_priority,
    ticket_change_status,
    ticket_reply,
    ticket_set_tags,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def team() -> Any:
    return TeamFactory(slug="care", name="Care")


@pytest.fixture
def agent(team: Any) -> Any:
    return AgentFactory(username="ayla", first_name="Ayla", profile__teams=[team])


def receive(
    *,
    channel: str = Channel.EMAIL,
    email: str = "",
    phone: str = "",
    subject: str = "",
    body: str = "Hello",
    thread: Ticket | None = None,
    key: str | None = None,
    attachments: Any = (),
    team: Any = None,
    **kwargs: Any,
) -> Any:
    identities: list[tuple[str, str]] = []
    if phone:
        identities.append((IdentityKind.PHONE, phone))
    if email:
        identities.append((IdentityKind.EMAIL, email))
    return contact_receive(
        InboundContact(
            channel=channel,
            identities=identities,
            name="Elif Yılmaz",
            subject=subject,
            body_text=body,
            thread=thread,
            external_key=key,
            attachments=attachments,
            team=team,
            **kwargs,
        )
    )


def two_tickets(team: Any) -> tuple[Ticket, Ticket]:
    """An email ticket, then (an hour later) an SMS ticket of another identity."""
    start = timezone.now() - timedelta(hours=3)
    with time_machine.travel(start, tick=False):
        older = receive(
            email="elif@example.com",
            subject="Refund for ABC123",
            body="My cruise was cancelled, I want my money back.",
            attachments=[SimpleUploadedFile("ticket.pdf", b"%PDF-1.4", "application/pdf")],
            team=team,
            key="email:1",
        ).ticket
    with time_machine.travel(start + timedelta(hours=1), tick=False):
        newer = receive(
            channel=Channel.SMS,
            phone="+905321234567",
            body="Any news about my refund? Elif",
            team=team,
            key="sms:1",
        ).ticket
    return older, newer


def test_merge_moves_messages_attachments_and_contacts_and_closes_the_source(
    team: Any, agent: Any
) -> None:
    older, newer = two_tickets(team)
    ticket_reply(ticket=older, actor=agent, body_text="We are on it.")
    ticket_add_note(ticket=newer, actor=agent, body_text="Probably the same as the email")
    newer_messages = sorted(newer.messages.values_list("pk", flat=True))
    newer_contacts = sorted(newer.contacts.values_list("pk", flat=True))

    kept = ticket_merge(source=newer, target=older, actor=agent, reason="Same refund")

    newer.refresh_from_db()
    assert kept.pk == older.pk
    assert newer.merged_into_id == older.pk
    assert newer.status == TicketStatus.CLOSED
    assert newer.messages.count() == 0
    assert sorted(older.messages.values_list("channel", flat=True)) == sorted(
        [Channel.EMAIL, Channel.EMAIL, Channel.SMS, Channel.SMS]
    )  # email in, reply (email), SMS in, the note (on the SMS ticket's channel)
    assert set(newer_messages) <= set(older.messages.values_list("pk", flat=True))
    assert sorted(older.contacts.values_list("channel", flat=True)) == [Channel.EMAIL, Channel.SMS]
    assert Attachment.objects.get(filename="ticket.pdf").message.ticket_id == older.pk
    merged = older.events.get(type=EventType.MERGED)
    assert merged.actor_user == agent
    assert merged.data["source"] == newer.pk
    assert merged.data["source_reference"] == newer.reference
    assert sorted(merged.data["messages"]) == newer_messages
    assert sorted(merged.data["contacts"]) == newer_contacts
    assert merged.data["reason"] == "Same refund"
    into = newer.events.get(type=EventType.MERGED_INTO)
    assert into.data["target"] == older.pk
    assert into.data["target_reference"] == older.reference
    assert sorted(into.data["messages"]) == newer_messages
    status = newer.events.filter(type=EventType.STATUS).last()
    assert status is not None
    assert (status.data["from"], status.data["to"]) == (TicketStatus.NEW, TicketStatus.CLOSED)


def test_merge_unions_tags_and_keeps_the_earliest_promise_without_resetting_the_sla(
    team: Any, agent: Any
) -> None:
    older, newer = two_tickets(team)
    ticket_set_tags(ticket=older, names=["refund"], actor=agent)
    ticket_set_tags(ticket=newer, names=["sms"], actor=agent)
    Ticket.objects.filter(pk=newer.pk).update(custom_fields={"booking_reference": "ABC123"})
    older.refresh_from_db()
    newer.refresh_from_db()
    due_before = older.first_reply_due_at
    resolution_before = older.resolution_due_at
    assert due_before is not None
    assert resolution_before is not None
    assert newer.first_reply_due_at is not None
    assert newer.resolution_due_at is not None

    # Merge the older one into the newer: the customer has waited since the older one.
    kept = ticket_merge(source=older, target=newer, actor=agent)

    assert sorted(kept.tags.values_list("name", flat=True)) == ["refund", "sms"]
    assert kept.created_at == older.created_at
    assert kept.first_reply_due_at == min(due_before, newer.first_reply_due_at)
    assert kept.first_reply_due_at == due_before
    assert kept.resolution_due_at == min(resolution_before, newer.resolution_due_at)
    assert kept.last_customer_message_at == newer.last_customer_message_at
    assert kept.custom_fields == {"booking_reference": "ABC123"}
    # Tags come through the tags service: one TAGS event with the before/after.
    tags = kept.events.filter(type=EventType.TAGS).order_by("pk").last()
    assert tags is not None
    assert (tags.actor_user, tags.data) == (agent, {"from": ["sms"], "to": ["refund", "sms"]})


def test_merge_keeps_the_first_reply_already_sent_and_the_higher_priority(
    team: Any, agent: Any
) -> None:
    older, newer = two_tickets(team)
    ticket_reply(ticket=older, actor=agent, body_text="We are on it.")
    ticket_change_priority(ticket=newer, priority=Priority.URGENT, actor=agent)
    older.refresh_from_db()

    kept = ticket_merge(source=older, target=newer, actor=agent)

    assert kept.first_replied_at == older.first_replied_at
    assert kept.alert_due_at is None
    assert kept.priority == Priority.URGENT  # the target's was higher: unchanged


def test_merge_raises_the_priority_and_reopens_a_solved_target_when_the_source_waits(
    team: Any, agent: Any
) -> None:
    older, newer = two_tickets(team)
    ticket_change_status(ticket=older, status=TicketStatus.SOLVED, actor=agent)
    ticket_change_priority(ticket=newer, priority=Priority.HIGH, actor=agent)

    kept = ticket_merge(source=newer, target=older, actor=agent)

    assert kept.status == TicketStatus.OPEN
    assert kept.priority == Priority.HIGH
    changes = list(kept.events.filter(type=EventType.PRIORITY).values_list("data", flat=True))
    assert changes == [{"from": Priority.NORMAL, "to": Priority.HIGH}]


def test_merge_acknowledges_the_source_alert(team: Any, agent: Any) -> None:
    older, newer = two_tickets(team)
    Alert.objects.create(
        ticket=newer, kind=AlertKind.NO_AGENT_REPLY, team=team, raised_at=timezone.now()
    )

    ticket_merge(source=newer, target=older, actor=agent)

    assert Alert.objects.get(ticket=newer).acknowledged_at is not None
    newer.refresh_from_db()
    assert newer.alert_due_at is None


@pytest.mark.parametrize("case", ["self", "into_merged", "into_closed", "circular", "closed"])
def test_refused_merges_change_nothing(team: Any, agent: Any, case: str) -> None:
    older, newer = two_tickets(team)
    third = receive(
        email="other@example.com", subject="Cabin upgrade", body="Upgrade?", team=team
    ).ticket
    if case == "into_merged":
        ticket_merge(source=third, target=older, actor=agent)
        source, target = newer, Ticket.objects.get(pk=third.pk)
    elif case == "into_closed":
        ticket_change_status(ticket=third, status=TicketStatus.CLOSED, actor=agent)
        source, target = newer, Ticket.objects.get(pk=third.pk)
    elif case == "circular":
        ticket_merge(source=newer, target=older, actor=agent)
        source, target = Ticket.objects.get(pk=older.pk), Ticket.objects.get(pk=newer.pk)
    elif case == "closed":
        ticket_change_status(ticket=newer, status=TicketStatus.CLOSED, actor=agent)
        source, target = Ticket.objects.get(pk=newer.pk), older
    else:
        source, target = older, older
    events = TicketEvent.objects.count()
    messages = dict(Message.objects.values_list("pk", "ticket_id"))

    with pytest.raises(DomainError) as error:
        ticket_merge(source=source, target=target, actor=agent)

    assert error.value.field == "target"
    assert TicketEvent.objects.count() == events
    assert dict(Message.objects.values_list("pk", "ticket_id")) == messages
    if case == "circular":
        assert error.value.code == "circular"


def test_a_later_contact_threaded_to_the_source_lands_on_the_target(team: Any, agent: Any) -> None:
    older, newer = two_tickets(team)
    ticket_merge(source=newer, target=older, actor=agent)

    # A channel finds the conversation afresh (by headers, reference, session): the source.
    thread = Ticket.objects.get(pk=newer.pk)
    result = receive(
        channel=Channel.SMS, phone="+905321234567", body="Still waiting", thread=thread, team=team
    )

    assert result.ticket.pk == older.pk
    assert result.outcome == ContactOutcome.THREAD
    assert older.messages.filter(body_text="Still waiting").count() == 1


# ------------------------------------------------------------------------------------------
# Suggestions
# ------------------------------------------------------------------------------------------


def suggest(ticket: Ticket, candidate: Ticket, score: float = 0.7) -> MergeSuggestion:
    """The open suggestion for the pair (the hub may have made it already)."""
    row, _created = MergeSuggestion.objects.update_or_create(
        ticket=ticket,
        candidate=candidate,
        defaults={
            "score": score,
            "evidence": {"reasons": [{"kind": "booking_reference", "value": "ABC123"}]},
            "status": "open",
        },
    )
    return row


def test_accepting_a_suggestion_merges_the_newer_into_the_older_and_marks_it_merged(
    team: Any, agent: Any
) -> None:
    older, newer = two_tickets(team)
    row = suggest(newer, older)

    kept = suggestion_merge(suggestion=row, actor=agent)

    row.refresh_from_db()
    assert kept.pk == older.pk
    assert Ticket.objects.get(pk=newer.pk).merged_into_id == older.pk
    assert row.status == SuggestionStatus.MERGED
    assert row.decided_by == agent
    assert row.decided_at is not None
    assert kept.events.get(type=EventType.MERGED).data["suggestion"] == row.pk


def test_accepting_a_suggestion_the_other_way_keeps_the_chosen_ticket(
    team: Any, agent: Any
) -> None:
    older, newer = two_tickets(team)
    row = suggest(newer, older)

    kept = suggestion_merge(suggestion=row, actor=agent, into=newer)

    assert kept.pk == newer.pk
    assert Ticket.objects.get(pk=older.pk).merged_into_id == newer.pk


def test_the_sources_other_suggestions_move_to_the_target(team: Any, agent: Any) -> None:
    older, newer = two_tickets(team)
    third = receive(email="x@example.com", subject="Cabin", body="Cabin?", team=team).ticket
    fourth = receive(email="y@example.com", subject="Bus", body="Bus?", team=team).ticket
    moving = suggest(third, newer)
    duplicate_pair = suggest(newer, fourth)
    suggest(older, fourth)  # the target already has this pair

    ticket_merge(source=newer, target=older, actor=agent)

    moving.refresh_from_db()
    duplicate_pair.refresh_from_db()
    assert (moving.ticket_id, moving.candidate_id, moving.status) == (
        third.pk,
        older.pk,
        SuggestionStatus.OPEN,
    )
    assert duplicate_pair.status == SuggestionStatus.DISMISSED


def test_dismissing_records_who_and_when_and_cannot_be_repeated(team: Any, agent: Any) -> None:
    older, newer = two_tickets(team)
    row = suggest(newer, older)
    at = timezone.now()

    suggestion_dismiss(suggestion=row, actor=agent, now=at)

    row.refresh_from_db()
    assert (row.status, row.decided_by, row.decided_at) == (SuggestionStatus.DISMISSED, agent, at)
    with pytest.raises(DomainError):
        suggestion_dismiss(suggestion=row, actor=agent)
    with pytest.raises(DomainError):
        suggestion_merge(suggestion=row, actor=agent)
    assert Ticket.objects.get(pk=newer.pk).merged_into_id is None


# ------------------------------------------------------------------------------------------
# Split
# ------------------------------------------------------------------------------------------


def three_messages(team: Any) -> tuple[Ticket, list[Message]]:
    start = timezone.now() - timedelta(hours=5)
    with time_machine.travel(start, tick=False):
        ticket = receive(
            email="elif@example.com",
            subject="Refund for ABC123",
            body="Refund please",
            team=team,
            key="email:a",
        ).ticket
    with time_machine.travel(start + timedelta(hours=1), tick=False):
        receive(email="elif@example.com", body="Also my bag is lost", thread=ticket, key="email:b")
    with time_machine.travel(start + timedelta(hours=2), tick=False):
        receive(email="elif@example.com", body="The bag is blue", thread=ticket, key="email:c")
    ticket.refresh_from_db()
    return ticket, list(ticket.messages.order_by("created_at"))


def test_split_moves_the_chosen_messages_and_their_contacts_to_a_new_ticket(
    team: Any, agent: Any
) -> None:
    ticket, (first, bag, blue) = three_messages(team)
    ticket_change_priority(ticket=ticket, priority=Priority.HIGH, actor=agent)

    new = ticket_split(
        ticket=ticket, message_ids=[bag.pk, blue.pk], actor=agent, subject="Lost bag"
    )

    ticket.refresh_from_db()
    assert new.subject == "Lost bag"
    assert (new.customer_id, new.team_id, new.priority) == (
        ticket.customer_id,
        ticket.team_id,
        Priority.HIGH,
    )
    assert new.status == TicketStatus.NEW
    assert new.created_at == bag.created_at
    assert new.first_reply_due_at is not None
    assert new.first_reply_due_at > bag.created_at
    assert list(new.messages.order_by("created_at").values_list("pk", flat=True)) == [
        bag.pk,
        blue.pk,
    ]
    assert list(ticket.messages.values_list("pk", flat=True)) == [first.pk]
    assert sorted(new.contacts.values_list("message_id", flat=True)) == [bag.pk, blue.pk]
    assert ticket.last_customer_message_at == first.created_at
    split = ticket.events.get(type=EventType.SPLIT)
    assert split.data["ticket"] == new.pk
    assert split.data["messages"] == [bag.pk, blue.pk]
    split_from = new.events.get(type=EventType.SPLIT_FROM)
    assert split_from.data["ticket"] == ticket.pk
    assert split_from.data["reference"] == ticket.reference


@pytest.mark.parametrize("case", ["none", "all", "foreign", "note"])
def test_refused_splits_change_nothing(team: Any, agent: Any, case: str) -> None:
    ticket, messages = three_messages(team)
    other = receive(email="o@example.com", subject="Other", body="Other", team=team).ticket
    note = ticket_add_note(ticket=ticket, actor=agent, body_text="note")
    ids = {
        "none": [],
        "all": [m.pk for m in messages],
        "foreign": [messages[1].pk, other.messages.get().pk],
        "note": [note.pk],
    }[case]
    tickets = Ticket.objects.count()

    with pytest.raises(DomainError) as error:
        ticket_split(ticket=ticket, message_ids=ids, actor=agent)

    assert error.value.field == "messages"
    assert Ticket.objects.count() == tickets
    assert ticket.messages.count() == 4


def test_split_of_a_merged_ticket_is_refused(team: Any, agent: Any) -> None:
    ticket, messages = three_messages(team)
    other = receive(email="o@example.com", subject="Other", body="Other", team=team).ticket
    ticket_merge(source=ticket, target=other, actor=agent)

    with pytest.raises(DomainError):
        ticket_split(ticket=ticket, message_ids=[messages[1].pk], actor=agent)


def test_contact_rows_keep_their_customer_after_a_cross_customer_merge(
    team: Any, agent: Any
) -> None:
    family = CustomerFactory(name="Mehmet Yılmaz")
    mine = receive(email="elif@example.com", subject="Refund ABC123", team=team).ticket
    theirs = receive(
        email=family.primary_email, subject="Refund for ABC123 too", body="Same booking", team=team
    ).ticket

    ticket_merge(source=theirs, target=mine, actor=agent)

    assert sorted(Contact.objects.filter(ticket=mine).values_list("customer_id", flat=True)) == (
        sorted([mine.customer_id, family.pk])
    )
    assert Ticket.objects.get(pk=mine.pk).customer_id == mine.customer_id
    inbound = Message.objects.filter(ticket=mine, kind=MessageKind.INBOUND)
    assert sorted(inbound.values_list("author_customer_id", flat=True)) == sorted(
        [mine.customer_id, family.pk]
    )
