"""The intake API when a request joins the customer's open ticket: 202, nothing of that ticket."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from calmdesk.tickets.models import Ticket

from .factories import install_form

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


def test_a_new_request_is_201_with_outcome_new(client: Client) -> None:
    response = post(client, "k1")

    assert response.status_code == 201
    assert response.json()["outcome"] == "new"
    assert response.json()["reference"] == Ticket.objects.get().reference


def test_a_follow_up_is_202_without_reference_or_tracking_link(client: Client) -> None:
    post(client, "k1")
    ticket = Ticket.objects.get()

    response = post(client, "k2", message="Any news about my refund?")

    assert response.status_code == 202
    assert response.json() == {
        "outcome": "follow_up",
        "detail": "We added this to your open request. We will answer at elif@example.com.",
        "answer_to": "elif@example.com",
        "language": "en",
    }
    assert ticket.reference not in response.content.decode()
    assert ticket.tracking_token not in response.content.decode()
    assert ticket.messages.count() == 2


def test_a_repeated_follow_up_gets_the_same_answer_and_adds_nothing(client: Client) -> None:
    post(client, "k1")
    first = post(client, "k2", message="Any news about my refund?")

    again = post(client, "k2", message="Any news about my refund?")

    assert (first.status_code, again.status_code) == (202, 202)
    assert again.json() == first.json()
    assert Ticket.objects.get().messages.count() == 2
