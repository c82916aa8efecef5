"""The customer page (/agent/customers/<id>/): every identity and contact, tickets, bookings,
merge history with "Undo merge", and "Merge with another customer…"."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from calmdesk.accounts.models import Role
from calmdesk.conversations.models import Contact
from calmdesk.conversations.services import InboundContact, contact_receive
from calmdesk.core.testing.factories import AgentFactory, CustomerFactory, TeamFactory
from calmdesk.customers.merging import customer_merge
from calmdesk.customers.models import Customer, CustomerMerge, Identity, IdentityKind
from calmdesk.customers.tests.factories import BookingFactory
from calmdesk.tickets.enums import Channel
from calmdesk.tickets.models import Ticket

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def team() -> Any:
    return TeamFactory(slug="refunds", name="Refunds")


@pytest.fixture
def agent(team: Any) -> Any:
    return AgentFactory(username="ayla", first_name="Ayla", profile__teams=[team])


@pytest.fixture
def agent_client(client: Client, agent: Any) -> Client:
    client.force_login(agent)
    return client


def receive(
    channel: str, kind: str, value: str, body: str, *, team: Any = None, thread: Any = None
) -> Any:
    return contact_receive(
        InboundContact(
            channel=channel,
            identities=[(kind, value)],
            name="Elif Yılmaz",
            subject=body[:40],
            body_text=body,
            team=team,
            thread=thread,
        )
    )


def page_url(customer: Customer) -> str:
    return reverse("tickets:customer", args=[customer.pk])


def test_customer_page_lists_identities_contacts_tickets_and_bookings(
    agent_client: Client, team: Any
) -> None:
    first = receive(Channel.EMAIL, IdentityKind.EMAIL, "elif@example.com", "Refund", team=team)
    customer = first.ticket.customer
    Identity.objects.create(
        customer=customer, kind=IdentityKind.PHONE, value="+905321234567", verified=True
    )
    receive(Channel.SMS, IdentityKind.PHONE, "+905321234567", "Any news?", thread=first.ticket)
    BookingFactory(customer=customer, reference="ABC123")

    response = agent_client.get(page_url(customer))

    body = response.content.decode()
    assert response.status_code == 200
    assert "elif@example.com" in body
    assert "+90 532 123 45 67" in body
    assert "verified" in body
    assert first.ticket.reference in body
    assert "ABC123" in body
    contacts = list(response.context["page"].contacts.object_list)
    assert [c.channel for c in contacts] == [Channel.SMS, Channel.EMAIL]  # newest first
    assert "Reply in its conversation" in body
    assert "New ticket" in body


def test_the_ticket_page_links_to_the_customer_page(agent_client: Client, team: Any) -> None:
    ticket = receive(Channel.EMAIL, IdentityKind.EMAIL, "e@example.com", "Hi", team=team).ticket

    body = agent_client.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()

    assert page_url(ticket.customer) in body


def test_contacts_are_paginated_and_the_page_costs_the_same_queries(
    agent_client: Client, team: Any, django_assert_num_queries: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    ticket = receive(Channel.EMAIL, IdentityKind.EMAIL, "e@example.com", "Start", team=team).ticket
    customer = ticket.customer
    for i in range(3):
        receive(Channel.EMAIL, IdentityKind.EMAIL, "e@example.com", f"more {i}", thread=ticket)
    with CaptureQueriesContext(connection) as small:
        agent_client.get(page_url(customer))
    for i in range(30):
        receive(Channel.CHAT, IdentityKind.EMAIL, "e@example.com", f"chat {i}", thread=ticket)
    BookingFactory(customer=customer, reference="B1")
    BookingFactory(customer=customer, reference="B2")

    with django_assert_num_queries(len(small.captured_queries)):
        response = agent_client.get(page_url(customer))
    older = agent_client.get(
        page_url(customer), {"page": 2}, HTTP_HX_TARGET="customer-contacts", **HTMX
    )

    assert len(response.context["page"].contacts.object_list) == 25
    assert response.context["page"].contacts.paginator.count == 34
    assert len(older.context["page"].contacts.object_list) == 9
    assert older.content.decode().startswith('<div id="customer-contacts">')


def test_tickets_of_teams_i_do_not_see_are_counted_not_shown(
    agent_client: Client, team: Any
) -> None:
    elsewhere = TeamFactory(slug="elsewhere")
    mine = receive(Channel.EMAIL, IdentityKind.EMAIL, "e@example.com", "Mine", team=team).ticket
    hidden = Ticket.objects.create(subject="Secret matter", customer=mine.customer, team=elsewhere)

    body = agent_client.get(page_url(mine.customer)).content.decode()

    assert mine.reference in body
    assert hidden.reference not in body
    assert "Secret matter" not in body
    assert "and 1 ticket in teams you do not see" in body


def test_non_agents_get_403_and_unknown_customers_404(client: Client, team: Any) -> None:
    from calmdesk.core.testing.factories import UserFactory

    customer = CustomerFactory()
    client.force_login(UserFactory(username="visitor"))
    assert client.get(page_url(customer)).status_code == 403
    client.force_login(AgentFactory(username="x", profile__teams=[team]))
    assert client.get(reverse("tickets:customer", args=[99999])).status_code == 404


def test_merge_with_another_customer_search_preview_and_merge(
    agent_client: Client, team: Any, agent: Any
) -> None:
    email = receive(Channel.EMAIL, IdentityKind.EMAIL, "elif@example.com", "Refund", team=team)
    sms = receive(Channel.SMS, IdentityKind.PHONE, "+905321234567", "Any news?", team=team)
    this, other = email.ticket.customer, sms.ticket.customer
    url = reverse("tickets:customer_merge", args=[this.pk])

    search = agent_client.get(url, {"q": "532 123"})
    preview = agent_client.get(url, {"other": other.pk})
    merged = agent_client.post(url, {"other": other.pk, "keep": "this", "reason": "Same person"})

    assert [c.pk for c in search.context["results"]] == [other.pk]
    assert preview.context["preview_in"] == {"identities": 1, "tickets": 1, "contacts": 1}
    assert "1 identity, 1 ticket, 1 contact" in preview.content.decode()
    assert merged.status_code == 302
    assert merged["Location"] == page_url(this)
    other.refresh_from_db()
    assert other.merged_into_id == this.pk
    page = agent_client.get(page_url(this)).content.decode()
    assert "Undo merge" in page
    assert "Same person" in page
    # An old link to the merged customer leads to the kept one.
    assert agent_client.get(page_url(other))["Location"] == page_url(this)


def test_merging_a_customer_into_itself_is_a_400_not_a_500(agent_client: Client) -> None:
    customer = CustomerFactory()

    response = agent_client.post(
        reverse("tickets:customer_merge", args=[customer.pk]), {"other": customer.pk}
    )

    assert response.status_code == 400
    assert "cannot be merged with themselves" in response.content.decode()


def test_undo_merge_by_the_agent_who_merged_restores_the_customer(
    agent_client: Client, agent: Any
) -> None:
    source, target = CustomerFactory(), CustomerFactory()
    merge = customer_merge(source=source, target=target, actor=agent)

    response = agent_client.post(reverse("tickets:customer_unmerge", args=[merge.pk]), **HTMX)

    assert response.status_code == 204
    assert response["HX-Redirect"] == page_url(target)
    source.refresh_from_db()
    assert source.merged_into_id is None
    assert source.identities.count() == 1


def test_another_agent_cannot_undo_a_merge_but_a_lead_can(client: Client, team: Any) -> None:
    merger = AgentFactory(username="m", profile__teams=[team])
    merge = customer_merge(source=CustomerFactory(), target=CustomerFactory(), actor=merger)
    url = reverse("tickets:customer_unmerge", args=[merge.pk])

    client.force_login(AgentFactory(username="colleague", profile__teams=[team]))
    refused = client.post(url)
    merge.refresh_from_db()
    assert refused.status_code == 403
    assert merge.undone_at is None

    client.force_login(AgentFactory(username="lead", profile__role=Role.LEAD))
    client.post(url)
    merge.refresh_from_db()
    assert merge.undone_at is not None


def test_an_undo_refused_by_the_service_says_why_on_the_page(
    agent_client: Client, agent: Any
) -> None:
    a, b, c = CustomerFactory(), CustomerFactory(), CustomerFactory()
    first = customer_merge(source=a, target=b, actor=agent)
    customer_merge(source=b, target=c, actor=agent)

    response = agent_client.post(reverse("tickets:customer_unmerge", args=[first.pk]), follow=True)

    assert response.status_code == 200
    assert "undo the later merge first" in response.content.decode()
    assert CustomerMerge.objects.get(pk=first.pk).undone_at is None
    assert Contact.objects.count() == 0
