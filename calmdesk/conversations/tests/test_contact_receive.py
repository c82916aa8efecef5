"""The hub: every inbound contact lands in its thread, a follow-up, or a new ticket, once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine

from calmdesk.conversations.merging import ticket_merge
from calmdesk.conversations.models import Contact, ContactOutcome, MergeSuggestion
from calmdesk.conversations.services import FOLLOW_UP_NOTICE_KIND, InboundContact, contact_receive
from calmdesk.core.models import OutboxMessage
from calmdesk.customers.models import Customer, CustomerMerge, Identity, IdentityKind
from calmdesk.inbox.services import tracking_url
from calmdesk.messaging.simulate import twilio_message
from calmdesk.messaging.tests.conftest import (  # noqa: F401 — the messaging fixtures
    post,
    team,
    twilio_account,
)
from calmdesk.messaging.tests.fakes import providers  # noqa: F401 — the fixture
from calmdesk.tickets.enums import EventType, MessageKind, TicketStatus
from calmdesk.tickets.models import Message, Ticket
from calmdesk.tickets.services import ticket_change_status

from .factories import NOW, receive

pytestmark = pytest.mark.django_db


def kinds(evidence: dict[str, Any]) -> list[str]:
    return [reason["kind"] for reason in evidence["reasons"]]


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


def test_a_stale_thread_object_still_follows_a_merge_made_after_it_was_loaded() -> None:
    kept = first_request()
    stale = receive(email="emma@work.example", subject="Other", body_text="Other text.").ticket
    ticket_merge(source=Ticket.objects.get(pk=stale.pk), target=kept, actor=None)
    assert stale.merged_into_id is None  # the object the channel holds was loaded before

    result = receive(
        email="emma@work.example",
        body_text="A reply in the old conversation",
        thread=stale,
        now=NOW + timedelta(hours=1),
    )

    assert (result.outcome, result.ticket.pk) == (ContactOutcome.THREAD, kept.pk)
    assert not Message.objects.filter(ticket_id=stale.pk, body_text__startswith="A reply")


# ------------------------------------------------------------------------------------------
# Trust: a typed identity hands over no customer; a verified one is proved
# ------------------------------------------------------------------------------------------


def test_a_form_with_a_new_email_and_someone_elses_phone_gets_its_own_customer() -> None:
    victim = first_request(channel="form", phone="+447700900123", name="Emma Smith")

    stranger = receive(
        channel="form",
        email="stranger@example.net",
        phone="+447700900123",
        name="Someone Else",
        subject="Refund",
        body_text="Any news about the refund for XK7P2Q?",
        now=NOW + timedelta(hours=1),
    )

    assert (stranger.outcome, stranger.created) == (ContactOutcome.SUGGESTED, True)
    assert stranger.ticket.customer_id != victim.customer_id
    assert stranger.ticket.customer.shares_identity_with_id == victim.customer_id
    owners = dict(Identity.objects.values_list("value", "customer_id"))
    assert owners == {
        "emma@example.com": victim.customer_id,
        "+447700900123": victim.customer_id,  # the typed phone stays with its owner
        "stranger@example.net": stranger.ticket.customer_id,
    }
    [suggestion] = stranger.suggestions
    assert suggestion.candidate_id == victim.pk
    reasons = {r["kind"]: r["value"] for r in suggestion.evidence["reasons"]}
    assert reasons["shares_identity"] == "phone"
    assert "same_customer" not in reasons
    assert victim.messages.count() == 1
    assert stranger.notice is None  # nothing told to the victim's address

    # The stranger's next form continues the stranger's own ticket, never the victim's.
    again = receive(
        channel="form",
        email="stranger@example.net",
        phone="+447700900123",
        name="Someone Else",
        subject="Refund",
        body_text="Second time I write about the refund for XK7P2Q.",
        now=NOW + timedelta(hours=3),
    )
    assert (again.outcome, again.ticket.pk) == (ContactOutcome.FOLLOW_UP, stranger.ticket.pk)
    assert victim.messages.count() == 1


def test_a_form_whose_email_is_known_stays_with_that_customer() -> None:
    ticket = first_request(channel="form", phone="+447700900123")

    result = receive(
        channel="form",
        email="emma@example.com",
        phone="+447700900999",
        body_text="Any news about my refund?",
        now=NOW + timedelta(hours=1),
    )

    assert (result.outcome, result.ticket.pk) == (ContactOutcome.FOLLOW_UP, ticket.pk)
    assert Identity.objects.get(value="+447700900999").customer_id == ticket.customer_id
    assert Customer.objects.count() == 1


def test_a_chat_typing_someone_elses_email_never_joins_their_ticket_later() -> None:
    victim = first_request(name="Emma Smith")
    chat = [(IdentityKind.CHAT, "visitor-1"), (IdentityKind.EMAIL, "emma@example.com")]

    first_chat = receive(
        channel="chat",
        identities=chat,
        name="Emma Smith",
        body_text="Hi, any news about my refund?",
        now=NOW + timedelta(hours=1),
    )
    # Another chat session from the same browser, typing the same address.
    second_chat = receive(
        channel="chat",
        identities=chat,
        name="Emma Smith",
        body_text="Hello again, still waiting for the refund.",
        now=NOW + timedelta(hours=2),
    )

    assert first_chat.outcome == ContactOutcome.SUGGESTED
    assert [s.candidate_id for s in first_chat.suggestions] == [victim.pk]
    assert first_chat.ticket.customer_id != victim.customer_id
    visitor = Identity.objects.get(kind=IdentityKind.CHAT, value="visitor-1")
    assert visitor.customer_id == first_chat.ticket.customer_id
    # The browser is the stranger's now: its next chat is recognised as the stranger (by the
    # visitor id it came by), and the victim's ticket is at most suggested, never joined.
    assert second_chat.ticket.customer_id == first_chat.ticket.customer_id
    assert second_chat.ticket.pk != victim.pk
    if second_chat.outcome == ContactOutcome.SUGGESTED:
        suggested = {s.candidate_id for s in second_chat.suggestions}
        assert suggested <= {victim.pk, first_chat.ticket.pk}
        evidence = {s.candidate_id: kinds(s.evidence) for s in second_chat.suggestions}
        assert "same_customer" not in evidence.get(victim.pk, [])
    else:
        assert (second_chat.outcome, second_chat.ticket.pk) == (
            ContactOutcome.FOLLOW_UP,
            first_chat.ticket.pk,
        )
    assert victim.messages.count() == 1
    assert Identity.objects.get(value="emma@example.com").customer_id == victim.customer_id


def test_a_verified_contact_proves_its_identity_and_an_unverified_one_does_not() -> None:
    ticket = first_request(channel="form", phone="+447700900123")
    phone = Identity.objects.get(value="+447700900123")
    assert not phone.verified  # typed into a form

    typed = receive(
        channel="sms", phone="+447700900123", body_text="Any news?", now=NOW + timedelta(hours=1)
    )
    phone.refresh_from_db()
    assert not phone.verified  # a contact the channel does not vouch for proves nothing

    proved = receive(
        channel="sms",
        phone="+447700900123",
        body_text="Any news about my refund?",
        verified=True,
        now=NOW + timedelta(hours=2),
    )
    phone.refresh_from_db()

    assert typed.ticket.pk == proved.ticket.pk == ticket.pk
    assert phone.verified
    assert phone.customer_id == ticket.customer_id
    assert not CustomerMerge.objects.exists()
    # A new number proved by its first contact is stored verified at once.
    fresh = receive(
        channel="whatsapp",
        phone="+447700900555",
        name="Oliver Brown",
        body_text="Hello",
        verified=True,
        now=NOW + timedelta(hours=3),
    )
    assert Identity.objects.get(value="+447700900555").verified
    assert fresh.ticket.customer.identities.get().verified


def test_an_sms_through_the_messaging_webhook_is_a_verified_contact(
    request: pytest.FixtureRequest,
) -> None:
    # The messaging app's fixtures: a Twilio account against its local fake, a signed POST.
    account = request.getfixturevalue("twilio_account")
    send = request.getfixturevalue("post")
    ticket = first_request(channel="form", phone="+905321234567")

    response = send(twilio_message(account, sender="+905321234567", text="Haber var mı?"))

    assert response.status_code == 200
    phone = Identity.objects.get(value="+905321234567")
    assert phone.verified
    assert phone.customer_id == ticket.customer_id
    assert Contact.objects.filter(channel="sms", customer_id=ticket.customer_id).exists()


def test_a_new_number_on_the_customers_own_thread_joins_that_customer() -> None:
    ticket = first_request()

    # An agent logs a call from a new number on the customer's ticket: the channel names the
    # conversation, the customer's own address comes with it.
    result = receive(
        channel="phone",
        identities=[(IdentityKind.PHONE, "+37061234567"), (IdentityKind.EMAIL, "emma@example.com")],
        body_text="Caller asked about the refund.",
        thread=ticket,
        now=NOW + timedelta(hours=1),
    )

    assert (result.outcome, result.ticket.pk) == (ContactOutcome.THREAD, ticket.pk)
    assert Identity.objects.get(value="+37061234567").customer_id == ticket.customer_id
    assert Customer.objects.count() == 1


def test_a_contact_without_a_subject_is_named_by_its_first_line() -> None:
    from calmdesk.conversations.services import InboundContact, contact_receive
    from calmdesk.customers.models import IdentityKind
    from calmdesk.tickets.enums import Channel

    result = contact_receive(
        InboundContact(
            channel=Channel.SMS,
            identities=[(IdentityKind.PHONE, "+905321112233")],
            body_text="\n  Feribotum   iptal mi?\nRezervasyon XK4R2Q",
        )
    )

    assert result.ticket.subject == "Feribotum iptal mi?"


def test_a_long_first_line_is_cut_at_a_word() -> None:
    from calmdesk.conversations.services import subject_from_text

    subject = subject_from_text("word " * 40, limit=30)

    assert subject == "word word word word word…"
    assert len(subject) <= 30
