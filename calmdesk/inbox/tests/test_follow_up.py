"""The form when a request joins the customer's open ticket: nothing of that ticket is shown."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.test import Client

from calmdesk.conversations.models import Contact, ContactOutcome
from calmdesk.conversations.services import FOLLOW_UP_NOTICE_KIND
from calmdesk.core.models import OutboxMessage
from calmdesk.inbox.defaults import install_default_form
from calmdesk.inbox.services import tracking_url
from calmdesk.tickets.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _seed_form() -> None:
    install_default_form()


def submit(client: Client, **overrides: Any) -> Any:
    data: dict[str, Any] = {
        "form_token": str(uuid.uuid4()),
        "name": "Ayşe Yılmaz",
        "email": "ayse@example.com",
        "request_type": "refund",
        "booking_reference": "XK7P2Q",
        "message": "My sailing on 12 May was cancelled. Please refund the tickets.",
    }
    data.update(overrides)
    return client.post("/help", data)


def test_a_second_request_on_the_same_matter_says_added_without_the_tickets_reference(
    client: Client,
) -> None:
    submit(client)
    ticket = Ticket.objects.get()

    # Anyone can type this address: the page must not show the open ticket.
    response = submit(client, name="Someone", message="Any news about my refund? XK7P2Q")
    page = client.get(response["Location"])

    assert response.status_code == 303
    assert page.status_code == 200
    html = page.content.decode()
    assert "we added this to your open request" in html
    assert "ayse@example.com" in html
    assert ticket.reference not in html
    assert ticket.tracking_token not in html
    assert ticket.tracking_token not in response["Location"]
    assert "My sailing on 12 May" not in html
    assert page["Referrer-Policy"] == "no-referrer"
    assert Ticket.objects.count() == 1
    assert ticket.messages.count() == 2
    assert list(Contact.objects.values_list("outcome", flat=True)) == [
        ContactOutcome.NEW,
        ContactOutcome.FOLLOW_UP,
    ]


def test_the_tickets_own_address_gets_the_link_instead(client: Client) -> None:
    submit(client)
    ticket = Ticket.objects.get()

    submit(client, message="Any news about my refund?")

    notice = OutboxMessage.objects.get(kind=FOLLOW_UP_NOTICE_KIND)
    assert notice.to == "ayse@example.com"
    assert ticket.reference in notice.subject
    assert tracking_url(ticket) in notice.body_text


def test_a_resubmitted_follow_up_shows_the_same_added_page_and_adds_nothing(
    client: Client,
) -> None:
    submit(client)
    token = str(uuid.uuid4())
    first = submit(client, form_token=token, message="Any news about my refund?")

    again = submit(client, form_token=token, message="Any news about my refund?")

    assert again["Location"] == first["Location"]
    page = client.get(again["Location"]).content.decode()
    assert "we added this to your open request" in page
    assert Ticket.objects.get().messages.count() == 2


def test_a_made_up_confirmation_link_is_not_found(client: Client) -> None:
    response = client.get("/help/thanks/eyJlbWFpbCI6ImV2aWxAZXhhbXBsZS5jb20ifQ:forged:sig")

    assert response.status_code == 404
