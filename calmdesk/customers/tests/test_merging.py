"""Merging customers, undoing a merge exactly, and linking verified identities."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from calmdesk.accounts.models import Role
from calmdesk.conversations.models import Contact
from calmdesk.conversations.services import InboundContact, contact_receive
from calmdesk.core.errors import DomainError
from calmdesk.core.testing.factories import AgentFactory, CustomerFactory, TeamFactory
from calmdesk.customers.merging import (
    can_undo,
    customer_link_verified,
    customer_merge,
    customer_unmerge,
    merge_preview,
)
from calmdesk.customers.models import Booking, Customer, CustomerMerge, Identity, IdentityKind
from calmdesk.customers.tests.factories import BookingFactory
from calmdesk.tickets.enums import Channel
from calmdesk.tickets.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent() -> Any:
    return AgentFactory(username="ayla", profile__teams=[TeamFactory(slug="care")])


def receive(channel: str, kind: str, value: str, body: str, subject: str = "") -> Any:
    return contact_receive(
        InboundContact(
            channel=channel,
            identities=[(kind, value)],
            name="Elif",
            subject=subject,
            body_text=body,
        )
    )


def snapshot(*customers: Customer) -> dict[str, Any]:
    """Who owns what: the state a merge + undo must restore exactly."""
    ids = [c.pk for c in customers]
    return {
        "identities": sorted(
            Identity.objects.filter(customer__in=ids).values_list("pk", "customer_id")
        ),
        "tickets": sorted(Ticket.objects.filter(customer__in=ids).values_list("pk", "customer_id")),
        "bookings": sorted(
            Booking.objects.filter(customer__in=ids).values_list("pk", "customer_id")
        ),
        "contacts": sorted(
            Contact.objects.filter(customer__in=ids).values_list("pk", "customer_id")
        ),
        "customers": sorted(
            Customer.objects.filter(pk__in=ids).values_list(
                "pk", "name", "language", "attributes", "merged_into_id", "broadcast_opt_out_at"
            )
        ),
    }


@pytest.fixture
def pair() -> tuple[Customer, Customer]:
    """Elif wrote by email (target), then by SMS from her phone (a second customer)."""
    by_email = receive(Channel.EMAIL, IdentityKind.EMAIL, "elif@example.com", "Refund ABC123")
    by_sms = receive(Channel.SMS, IdentityKind.PHONE, "+905321234567", "Any news on my refund?")
    target = by_email.ticket.customer
    source = by_sms.ticket.customer
    Customer.objects.filter(pk=source.pk).update(attributes={"vip": True}, name="Elif Y.")
    Customer.objects.filter(pk=target.pk).update(name="")
    BookingFactory(customer=source, reference="ABC123")
    BookingFactory(customer=target, reference="XYZ999")
    source.refresh_from_db()
    target.refresh_from_db()
    return source, target


def test_merge_moves_identities_tickets_bookings_and_contacts_and_records_them(
    pair: tuple[Customer, Customer], agent: Any
) -> None:
    source, target = pair
    source_ticket = Ticket.objects.get(customer=source)
    source_contact = Contact.objects.get(customer=source)
    phone = Identity.objects.get(customer=source)

    merge = customer_merge(source=source, target=target, actor=agent, reason="Same person")

    source.refresh_from_db()
    target.refresh_from_db()
    assert source.merged_into_id == target.pk
    assert merge.moved["identities"] == [phone.pk]
    assert merge.moved["tickets"] == [source_ticket.pk]
    assert merge.moved["contacts"] == [source_contact.pk]
    assert merge.moved["bookings"] == [Booking.objects.get(reference="ABC123").pk]
    assert sorted(target.identities.values_list("value", flat=True)) == [
        "+905321234567",
        "elif@example.com",
    ]
    assert Ticket.objects.filter(customer=target).count() == 2
    assert Contact.objects.filter(customer=target).count() == 2
    assert sorted(target.bookings.values_list("reference", flat=True)) == ["ABC123", "XYZ999"]
    assert (target.name, target.attributes) == ("Elif Y.", {"vip": True})
    assert merge.moved["copied"] == {"name": "Elif Y.", "attributes": ["vip"]}
    assert (merge.actor, merge.reason) == (agent, "Same person")
    assert source.identities.count() == 0


def test_unmerge_restores_exactly_what_the_merge_moved(
    pair: tuple[Customer, Customer], agent: Any
) -> None:
    source, target = pair
    before = snapshot(source, target)
    merge = customer_merge(source=source, target=target, actor=agent, reason="")
    assert snapshot(source, target) != before

    customer_unmerge(merge=merge, actor=agent)

    merge.refresh_from_db()
    assert snapshot(source, target) == before
    assert merge.undone_by == agent
    assert merge.undone_at is not None
    with pytest.raises(DomainError):
        customer_unmerge(merge=merge, actor=agent)


def test_a_contact_after_the_merge_by_the_merged_identity_reaches_the_kept_customer(
    pair: tuple[Customer, Customer], agent: Any
) -> None:
    source, target = pair
    customer_merge(source=source, target=target, actor=agent)

    result = receive(Channel.SMS, IdentityKind.PHONE, "+905321234567", "Hello? Cabin question")

    assert result.ticket.customer_id == target.pk


def test_a_booking_the_target_already_has_stays_with_the_source(agent: Any) -> None:
    source, target = CustomerFactory(), CustomerFactory()
    mine = BookingFactory(customer=source, reference="SAME1")
    BookingFactory(customer=target, reference="SAME1")
    other = BookingFactory(customer=source, reference="OTHER")

    merge = customer_merge(source=source, target=target, actor=agent)

    assert merge.moved["bookings"] == [other.pk]
    assert merge.moved["kept"] == {"bookings": [mine.pk]}
    mine.refresh_from_db()
    assert mine.customer_id == source.pk
    customer_unmerge(merge=merge, actor=agent)
    other.refresh_from_db()
    assert other.customer_id == source.pk


@pytest.mark.parametrize("case", ["self", "source_merged", "into_merged", "circular"])
def test_refused_merges_change_nothing(agent: Any, case: str) -> None:
    a, b, c = CustomerFactory(), CustomerFactory(), CustomerFactory()
    if case == "source_merged":
        customer_merge(source=a, target=c, actor=agent)
        source, target = a, b
    elif case == "into_merged":
        customer_merge(source=c, target=b, actor=agent)
        source, target = a, c
    elif case == "circular":
        customer_merge(source=a, target=b, actor=agent)
        source, target = b, a
    else:
        source, target = a, a
    source.refresh_from_db()
    target.refresh_from_db()
    merges = CustomerMerge.objects.count()
    identities = dict(Identity.objects.values_list("pk", "customer_id"))

    with pytest.raises(DomainError):
        customer_merge(source=source, target=target, actor=agent)

    assert CustomerMerge.objects.count() == merges
    assert dict(Identity.objects.values_list("pk", "customer_id")) == identities


def test_undo_is_refused_while_what_it_moved_has_moved_again(agent: Any) -> None:
    a, b, c = CustomerFactory(), CustomerFactory(), CustomerFactory()
    first = customer_merge(source=a, target=b, actor=agent)
    second = customer_merge(source=b, target=c, actor=agent)

    with pytest.raises(DomainError) as error:
        customer_unmerge(merge=first, actor=agent)
    assert error.value.code in ("changed", "moved_again")
    a.refresh_from_db()
    assert a.merged_into_id == b.pk

    customer_unmerge(merge=second, actor=agent)
    customer_unmerge(merge=first, actor=agent)
    a.refresh_from_db()
    assert a.merged_into_id is None
    assert a.identities.count() == 1


def test_preview_counts_what_would_move(pair: tuple[Customer, Customer]) -> None:
    source, target = pair

    assert merge_preview(source=source, target=target) == {
        "identities": 1,
        "tickets": 1,
        "bookings": 1,
        "contacts": 1,
    }


def test_an_opt_out_follows_the_person_and_goes_back_on_undo(agent: Any) -> None:
    at = timezone.now()
    source, target = CustomerFactory(broadcast_opt_out_at=at), CustomerFactory()

    merge = customer_merge(source=source, target=target, actor=agent)
    target.refresh_from_db()
    assert target.broadcast_opt_out_at == at

    customer_unmerge(merge=merge, actor=agent)
    target.refresh_from_db()
    assert target.broadcast_opt_out_at is None


def test_undo_belongs_to_the_agent_who_merged_or_a_lead(agent: Any) -> None:
    colleague = AgentFactory(username="bora")
    lead = AgentFactory(username="lena", profile__role=Role.LEAD)
    merge = customer_merge(source=CustomerFactory(), target=CustomerFactory(), actor=agent)
    automatic = customer_merge(source=CustomerFactory(), target=CustomerFactory(), actor=None)

    assert can_undo(merge, agent) is True
    assert can_undo(merge, colleague) is False
    assert can_undo(merge, lead) is True
    assert can_undo(automatic, agent) is False
    assert can_undo(automatic, lead) is True


# ------------------------------------------------------------------------------------------
# Verified identities
# ------------------------------------------------------------------------------------------


def test_a_proved_identity_of_nobody_becomes_the_customers_verified_identity() -> None:
    customer = CustomerFactory()

    result = customer_link_verified(
        customer=customer, kind=IdentityKind.PHONE, value="+905321234567"
    )

    assert result.merge is None
    assert result.customer == customer
    assert (result.identity.customer_id, result.identity.verified) == (customer.pk, True)


def test_a_proved_identity_of_the_same_customer_is_marked_verified() -> None:
    customer = CustomerFactory(email="elif@example.com")

    result = customer_link_verified(
        customer=customer, kind=IdentityKind.EMAIL, value="elif@example.com"
    )

    assert result.merge is None
    assert Identity.objects.get(value="elif@example.com").verified is True


def test_a_proved_identity_of_another_customer_merges_the_newer_into_the_older() -> None:
    # Elif wrote by email first; later a chat visitor proves that address (an emailed link).
    by_email = receive(Channel.EMAIL, IdentityKind.EMAIL, "elif@example.com", "Refund ABC123")
    by_chat = receive(Channel.CHAT, IdentityKind.CHAT, "visitor-7f3a", "Hi, about my refund")
    older, newer = by_email.ticket.customer, by_chat.ticket.customer

    result = customer_link_verified(
        customer=newer, kind=IdentityKind.EMAIL, value="elif@example.com"
    )

    assert result.customer.pk == older.pk
    assert result.merge is not None
    assert (result.merge.source_id, result.merge.target_id, result.merge.actor) == (
        newer.pk,
        older.pk,
        None,
    )
    assert Identity.objects.get(value="visitor-7f3a").customer_id == older.pk
    assert Ticket.objects.get(pk=by_chat.ticket.pk).customer_id == older.pk
    assert Identity.objects.get(value="elif@example.com").verified is True
