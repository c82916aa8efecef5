"""The hub: every inbound contact lands in its thread, a follow-up, or a new ticket, once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine

from calmdesk.conversations.models import Contact, ContactOutcome, MergeSuggestion
from calmdesk.conversations.services import FOLLOW_UP_NOTICE_KIND, InboundContact, contact_receive
from calmdesk.core.models import OutboxMessage
from calmdesk.customers.models import Customer
from calmdesk.inbox.services import tracking_url
from calmdesk.tickets.enums import EventType, MessageKind, TicketStatus
from calmdesk.tickets.models import Message, Ticket
from calmdesk.tickets.services import ticket_change_status

from .factories import NOW, receive

pytestmark = pytest.mark.django_db


def first_request(**fields: Any) -> Ticket:
    fields.setdefault("email", "emma@example.com")
    fields.setdefault("subject", "Refund for booking XK7P2Q")
    fields.setdefault("body_text", "My sailing on 12 May was cancelled. Please refund 450 EUR.")
    return receive(**fields).ticket


def test_a_first_contact_opens_a_ticket_and_records_the_contact() -> None:
    result = receive(
        email="emma@example.com",
        subject="Refund XK7P2Q",
        body_text="Please refund my cancelled sailing.",
        external_key="email:1:<a@mail>",
        external_id="<a@mail>",
    )

    assert (result.outcome, result.created, result.duplicate) == (ContactOutcome.NEW, True, False)
    contact = Contact.objects.get()
    assert (contact.ticket_id, contact.channel, contact.address) == (
        result.ticket.pk,
        "email",
        "emma@example.com",
    )
    assert contact.external_key == "email:1:<a@mail>"
    assert result.ticket.messages.get().external_id == "<a@mail>"
    # The reference the mail names becomes the ticket's booking reference (found later by it).
    assert result.ticket.custom_fields == {"booking_reference": "XK7P2Q"}


def test_a_reply_in_its_thread_joins_that_ticket_whatever_it_says() -> None:
    ticket = first_request()

    result = receive(
        email="emma@example.com",
        subject="Re: something else entirely",
        body_text="Also, can I bring my dog?",
        thread=ticket,
        now=NOW + timedelta(hours=1),
    )

    assert (result.outcome, result.ticket.pk, result.created) == (
        ContactOutcome.THREAD,
        ticket.pk,
        False,
    )
    assert result.notice is None  # a reply in its thread is the conversation itself
    assert ticket.messages.filter(kind=MessageKind.INBOUND).count() == 2


def test_a_follow_up_is_added_with_its_channel_and_why_and_tells_the_tickets_address() -> None:
    ticket = first_request(channel="form", phone="+447700900123")

    result = receive(
        channel="sms",
        phone="+447700900123",
        body_text="Any news about my refund?",
        now=NOW + timedelta(hours=3),
    )

    assert result.outcome == ContactOutcome.FOLLOW_UP
    message = result.message
    assert message is not None
    assert (message.ticket_id, message.channel, message.body_text) == (
        ticket.pk,
        "sms",
        "Any news about my refund?",
    )
    event = ticket.events.filter(type=EventType.CUSTOMER_MESSAGE).get()
    assert event.data["contact"] == ContactOutcome.FOLLOW_UP
    assert result.contact is not None
    assert event.data["evidence"] == result.contact.evidence
    assert result.notice is None  # SMS: the conversation continues on the customer's channel


def test_a_follow_up_by_form_or_email_emails_the_ticket_address_at_most_hourly() -> None:
    ticket = first_request(channel="form")

    with time_machine.travel(NOW + timedelta(hours=2), tick=False):
        first = receive(
            email="emma@example.com",
            body_text="Any news about my refund?",
            now=NOW + timedelta(hours=2),
        )
    with time_machine.travel(NOW + timedelta(hours=2, minutes=30), tick=False):
        second = receive(
            channel="form",
            email="emma@example.com",
            body_text="Still waiting for my refund, any news?",
            now=NOW + timedelta(hours=2, minutes=30),
        )
    with time_machine.travel(NOW + timedelta(hours=3, minutes=5), tick=False):
        third = receive(
            email="emma@example.com",
            body_text="Hello?? Any news about my refund?",
            now=NOW + timedelta(hours=3, minutes=5),
        )

    assert [r.outcome for r in (first, second, third)] == [ContactOutcome.FOLLOW_UP] * 3
    assert (first.notice is not None, second.notice, third.notice is not None) == (
        True,
        None,
        True,
    )
    notice = OutboxMessage.objects.filter(kind=FOLLOW_UP_NOTICE_KIND).first()
    assert notice is not None
    assert notice.to == "emma@example.com"
    assert notice.ticket_id == ticket.pk
    assert ticket.reference in notice.subject
    assert tracking_url(ticket) in notice.body_text
    assert notice.headers["Auto-Submitted"] == "auto-replied"


def test_a_follow_up_to_a_pending_ticket_puts_it_back_in_the_queue() -> None:
    ticket = first_request()
    ticket_change_status(ticket=ticket, status=TicketStatus.PENDING, actor=None, now=NOW)

    result = receive(
        email="emma@example.com",
        body_text="Here is my booking reference: XK7P2Q, the sailing was on 12 May.",
        now=NOW + timedelta(hours=1),
    )

    assert result.outcome == ContactOutcome.FOLLOW_UP
    assert result.ticket.status == TicketStatus.OPEN


def test_a_maybe_opens_a_ticket_with_suggestions_and_their_evidence() -> None:
    ticket = first_request(reference="XK7P2Q", name="Emma Smith")

    result = receive(
        email="oliver@example.com",
        name="Oliver Smith",
        reference="XK7P2Q",
        subject="Refund",
        body_text="My wife asked for a refund for our booking, the sailing was cancelled.",
        now=NOW + timedelta(hours=1),
    )

    assert (result.outcome, result.created) == (ContactOutcome.SUGGESTED, True)
    suggestion = MergeSuggestion.objects.get()
    assert (suggestion.ticket_id, suggestion.candidate_id) == (result.ticket.pk, ticket.pk)
    assert suggestion.evidence["score"] == pytest.approx(suggestion.score, abs=0.01)
    assert {r["kind"] for r in suggestion.evidence["reasons"]} >= {
        "other_customer",
        "booking_reference",
        "same_topic",
    }
    assert Contact.objects.get(ticket=result.ticket).evidence == suggestion.evidence
    # The new customer is not merged into the other one.
    assert Customer.objects.count() == 2


def test_the_same_contact_delivered_twice_is_stored_once() -> None:
    first = receive(
        email="emma@example.com",
        subject="Refund",
        body_text="Refund please.",
        external_key="sms:SM123",
    )

    again = receive(
        email="emma@example.com",
        subject="Refund",
        body_text="Refund please.",
        external_key="sms:SM123",
        now=NOW + timedelta(minutes=5),
    )

    assert (again.ticket.pk, again.duplicate, again.created) == (first.ticket.pk, True, False)
    assert Message.objects.count() == 1
    assert Contact.objects.count() == 1


def test_a_redelivered_follow_up_is_added_once_with_its_first_outcome() -> None:
    ticket = first_request()
    first = receive(
        email="emma@example.com",
        body_text="Any news about my refund?",
        external_key="email:1:<b@mail>",
        now=NOW + timedelta(hours=1),
    )

    # The second delivery decides the same, writes, and meets the unique key: the database,
    # not a read before writing, decides (two workers racing end the same way).
    again = receive(
        email="emma@example.com",
        body_text="Any news about my refund?",
        external_key="email:1:<b@mail>",
        now=NOW + timedelta(hours=1, minutes=1),
    )

    assert first.outcome == ContactOutcome.FOLLOW_UP
    assert (again.outcome, again.duplicate, again.ticket.pk) == (
        ContactOutcome.FOLLOW_UP,
        True,
        ticket.pk,
    )
    assert ticket.messages.filter(kind=MessageKind.INBOUND).count() == 2
    assert Contact.objects.filter(external_key="email:1:<b@mail>").count() == 1


def test_a_contact_in_a_merged_tickets_thread_goes_to_the_ticket_it_was_merged_into() -> None:
    kept = first_request()
    other = receive(email="emma@work.example", subject="Other", body_text="Other text.").ticket
    Ticket.objects.filter(pk=other.pk).update(merged_into=kept, status=TicketStatus.OPEN)
    other.refresh_from_db()

    result = contact_receive(
        InboundContact(
            channel="email",
            identities=[("email", "emma@work.example")],
            body_text="Reply to the merged one",
            thread=other,
        ),
        now=NOW + timedelta(hours=1),
    )

    assert (result.outcome, result.ticket.pk) == (ContactOutcome.THREAD, kept.pk)
