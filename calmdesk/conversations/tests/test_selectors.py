"""Reads across channels: contact summaries, suggestions, merge candidates, customer search,
where a reply goes."""

from __future__ import annotations

from typing import Any

import pytest

from calmdesk.conversations.merging import ticket_merge
from calmdesk.conversations.models import MergeSuggestion
from calmdesk.conversations.selectors import (
    contact_summaries,
    customer_search,
    merge_candidates,
    reply_destination,
    ticket_suggestions,
)
from calmdesk.conversations.services import InboundContact, contact_receive
from calmdesk.core.testing.factories import AgentFactory, CustomerFactory, TeamFactory
from calmdesk.customers.models import Identity, IdentityKind
from calmdesk.tickets.enums import Channel
from calmdesk.tickets.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def team() -> Any:
    return TeamFactory(slug="care")


@pytest.fixture
def agent(team: Any) -> Any:
    return AgentFactory(username="ayla", profile__teams=[team])


def receive(channel: str, kind: str, value: str, body: str, **kwargs: Any) -> Any:
    return contact_receive(
        InboundContact(
            channel=channel, identities=[(kind, value)], body_text=body, subject=body, **kwargs
        )
    )


def test_contact_summaries_give_distinct_channels_and_counts_in_one_query(
    team: Any, django_assert_num_queries: Any
) -> None:
    a = receive(Channel.EMAIL, IdentityKind.EMAIL, "a@example.com", "Refund", team=team).ticket
    receive(Channel.SMS, IdentityKind.PHONE, "+905321234567", "news?", thread=a)
    receive(Channel.EMAIL, IdentityKind.EMAIL, "a@example.com", "again", thread=a)
    b = receive(Channel.CHAT, IdentityKind.CHAT, "v-1", "Cabin", team=team).ticket

    with django_assert_num_queries(1):
        summaries = contact_summaries([a.pk, b.pk, 999])

    assert summaries[a.pk].channels == [Channel.EMAIL, Channel.SMS]
    assert summaries[a.pk].count == 3
    assert (summaries[b.pk].channels, summaries[b.pk].count) == ([Channel.CHAT], 1)
    assert 999 not in summaries


def test_suggestions_hide_tickets_the_agent_cannot_see_and_follow_merges(
    team: Any, agent: Any
) -> None:
    elsewhere = TeamFactory(slug="elsewhere")
    mine = receive(Channel.EMAIL, IdentityKind.EMAIL, "a@example.com", "Refund", team=team).ticket
    visible = receive(Channel.SMS, IdentityKind.PHONE, "+905321234567", "x", team=team).ticket
    hidden = receive(Channel.EMAIL, IdentityKind.EMAIL, "h@example.com", "y", team=elsewhere).ticket
    gone = receive(Channel.EMAIL, IdentityKind.EMAIL, "g@example.com", "z", team=team).ticket
    third = receive(Channel.EMAIL, IdentityKind.EMAIL, "t@example.com", "w", team=team).ticket
    for other in (visible, hidden, gone):
        MergeSuggestion.objects.create(ticket=other, candidate=mine, score=0.7)
    ticket_merge(source=gone, target=third, actor=agent)

    rows = ticket_suggestions(ticket=mine, user=agent)

    # The merged ticket's suggestion now concerns the ticket it was merged into.
    assert sorted(r.other.pk for r in rows) == sorted([visible.pk, third.pk])
    assert {r.older.pk for r in rows} == {mine.pk}


def test_merge_candidates_are_the_customers_other_open_tickets_or_a_search(
    team: Any, agent: Any
) -> None:
    customer = CustomerFactory(email="c@example.com")
    tickets = [
        Ticket.objects.create(subject=s, customer=customer, team=team)
        for s in ("Refund", "Lost bag", "Closed one")
    ]
    Ticket.objects.filter(pk=tickets[2].pk).update(status="closed")
    stranger = Ticket.objects.create(subject="Lost bag too", customer=CustomerFactory(), team=team)

    own = merge_candidates(ticket=tickets[0], user=agent)
    found = merge_candidates(ticket=tickets[0], user=agent, q="lost bag")
    by_ref = merge_candidates(ticket=tickets[0], user=agent, q=stranger.reference)

    assert [t.pk for t in own] == [tickets[1].pk]
    assert sorted(t.pk for t in found) == sorted([tickets[1].pk, stranger.pk])
    assert [t.pk for t in by_ref] == [stranger.pk]


def test_customer_search_by_email_phone_digits_or_name() -> None:
    elif_ = CustomerFactory(name="Elif Yılmaz", email="elif@example.com")
    Identity.objects.create(customer=elif_, kind=IdentityKind.PHONE, value="+905321234567")
    CustomerFactory(name="Mehmet", email="mehmet@example.com")

    assert [c.pk for c in customer_search(q="ELIF@example")] == [elif_.pk]
    assert [c.pk for c in customer_search(q="0532 123 45")] == [elif_.pk]
    assert [c.pk for c in customer_search(q="Yılmaz")] == [elif_.pk]
    assert customer_search(q="e", exclude=None) == []
    assert customer_search(q="elif", exclude=elif_.pk) == []


def test_reply_goes_by_email_to_the_address_of_the_last_email_contact(team: Any) -> None:
    ticket = receive(Channel.EMAIL, IdentityKind.EMAIL, "a@example.com", "Refund", team=team).ticket
    receive(Channel.EMAIL, IdentityKind.EMAIL, "work@example.com", "from work", thread=ticket)
    ticket = Ticket.objects.get(pk=ticket.pk)

    to = reply_destination(ticket)

    assert (to.channel, to.address, to.contact_channel) == (
        Channel.EMAIL,
        "work@example.com",
        Channel.EMAIL,
    )
