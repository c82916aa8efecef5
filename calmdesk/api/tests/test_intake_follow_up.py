"""The intake API when a request joins the customer's open ticket: 202, nothing of that ticket."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client

from calmdesk.tickets.models import Ticket

from .factories import agent_with_token, bearer, install_form

pytestmark = pytest.mark.django_db

URL = "/api/v1/requests"


@pytest.fixture(autouse=True)
def _form() -> None:
    install_form()


def post(client: Client, key: str, **overrides: Any) -> Any:
    body: dict[str, Any] = {
        "name": "Elif Yılmaz",
        "email": "elif@example.com",
        "request_type": "refund",
        "message": "My flight on 12 May was cancelled. I would like a refund.",
        "fields": {"booking_reference": "XK7P2Q"},
        "language": "en",
    }
    body.update(overrides)
    return client.post(
        URL, json.dumps(body), content_type="application/json", headers={"Idempotency-Key": key}
    )


def test_a_new_request_is_202_received_with_the_reference_of_its_ticket(client: Client) -> None:
    response = post(client, "k1")

    assert response.status_code == 202
    assert response.json()["outcome"] == "received"
    assert response.json()["reference"] == Ticket.objects.get().reference


def test_a_follow_up_answers_its_own_reference_and_shows_nothing_of_the_open_ticket(
    client: Client,
) -> None:
    post(client, "k1")
    ticket = Ticket.objects.get()

    response = post(client, "k2", message="Any news about my refund?")

    assert response.status_code == 202
    body = response.content.decode()
    assert ticket.reference not in body
    assert ticket.tracking_token not in body
    assert ticket.messages.count() == 2
    assert Ticket.objects.count() == 1
    # The link in the answer says where the message went, without the open ticket.
    page = client.get(urlsplit(response.json()["tracking_url"]).path)
    assert page.status_code == 200
    html = page.content.decode()
    assert "we added this to your open request" in html
    assert "elif@example.com" in html
    assert ticket.reference not in html
    assert ticket.subject not in html


def test_a_repeated_follow_up_gets_the_same_answer_and_adds_nothing(client: Client) -> None:
    post(client, "k1")
    first = post(client, "k2", message="Any news about my refund?")

    again = post(client, "k2", message="Any news about my refund?")

    assert (first.status_code, again.status_code) == (202, 200)
    assert again.json() == first.json()
    assert Ticket.objects.get().messages.count() == 2


def test_an_agent_searching_a_follow_ups_reference_finds_the_ticket_it_joined(
    client: Client,
) -> None:
    """The follow-up's answer gave the customer a reference of its own; quoted to an agent,
    it leads to the ticket the message was added to (and to nothing the agent may not see)."""
    post(client, "k1")
    ticket = Ticket.objects.get()
    follow_up = post(client, "k2", message="Any news about my refund?").json()["reference"]
    assert follow_up != ticket.reference
    assert ticket.team is not None
    _agent, raw = agent_with_token(teams=[ticket.team])
    _outsider, other = agent_with_token(teams=[])

    found = client.get(f"/api/v1/tickets?q={follow_up}", headers=bearer(raw)).json()
    hidden = client.get(f"/api/v1/tickets?q={follow_up}", headers=bearer(other)).json()

    assert [t["reference"] for t in found["items"]] == [ticket.reference]
    assert hidden["items"] == []
