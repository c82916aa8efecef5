"""POST /api/v1/bookings: the affected customers and bookings as JSON."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from calmdesk.accounts.models import Role
from calmdesk.api.tests.factories import agent_with_token, bearer
from calmdesk.customers.models import Booking, Customer

pytestmark = pytest.mark.django_db

URL = "/api/v1/bookings"


@pytest.fixture
def lead_token() -> str:
    return agent_with_token(profile__role=Role.LEAD)[1]


def post(client: Client, body: Any, token: str, query: str = "") -> Any:
    return client.post(URL + query, body, content_type="application/json", headers=bearer(token))


def test_valid_records_are_stored_and_invalid_ones_come_back_with_reasons(
    client: Client, lead_token: str
) -> None:
    response = post(
        client,
        [
            {
                "name": "Elif",
                "email": "elif@example.com",
                "phone": "0532 123 45 67",
                "language": "tr",
                "reference": "AB1",
                "ship": "Ege Star",
                "departure_date": "14.07.2025",
                "tags": ["VIP", "vip", "family"],
            },
            {"email": "bad", "reference": "AB2"},
            {"name": "No contact", "reference": "AB3"},
        ],
        lead_token,
        "?region=TR",
    )
    assert response.status_code == 200
    assert response.json() == {
        "received": 3,
        "accepted": 1,
        "rejected": [
            {
                "index": 1,
                "reference": "AB2",
                "reasons": [{"field": "email", "message": "Enter a valid email address."}],
            },
            {
                "index": 2,
                "reference": "AB3",
                "reasons": [
                    {"field": "email", "message": "An email address or a phone number is needed."}
                ],
            },
        ],
    }
    booking = Booking.objects.get()
    assert (booking.reference, booking.ship, booking.tags, str(booking.departure_date)) == (
        "AB1",
        "Ege Star",
        ["vip", "family"],
        "2025-07-14",
    )
    assert booking.customer.language == "tr"
    assert set(booking.customer.identities.values_list("value", flat=True)) == {
        "elif@example.com",
        "+905321234567",
    }


def test_sending_the_same_records_again_creates_nothing_new(
    client: Client, lead_token: str
) -> None:
    body = [{"email": "a@example.com", "reference": "R1", "ship": "Ege Star"}]
    post(client, body, lead_token)
    response = post(client, [{**body[0], "ship": "Ege Moon"}], lead_token)
    assert response.json()["accepted"] == 1
    assert (Customer.objects.count(), Booking.objects.count()) == (1, 1)
    assert Booking.objects.get().ship == "Ege Moon"


def test_a_field_one_record_leaves_out_keeps_its_stored_value(
    client: Client, lead_token: str
) -> None:
    post(client, [{"email": "a@example.com", "reference": "R1", "ship": "Ege Star"}], lead_token)

    response = post(
        client,
        [
            {"email": "a@example.com", "reference": "R1", "route": "Izmir-Chios"},
            {"email": "b@example.com", "reference": "R2", "ship": "Ege Moon"},
        ],
        lead_token,
    )

    assert response.json()["accepted"] == 2
    first = Booking.objects.get(reference="R1")
    assert (first.ship, first.route) == ("Ege Star", "Izmir-Chios")
    assert Booking.objects.get(reference="R2").ship == "Ege Moon"


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ({"email": "a@example.com"}, "body"),
        ([{"email": "a@example.com", "reference": "R1", "colour": "red"}], "0.colour"),
        ([{"email": 5, "reference": "R1"}], "0.email"),
    ],
)
def test_wrong_body_shape_is_a_422(client: Client, lead_token: str, body: Any, key: str) -> None:
    response = post(client, body, lead_token)
    assert response.status_code == 422
    assert key in response.json()["errors"]
    assert Booking.objects.count() == 0


def test_more_than_1000_records_is_a_422(client: Client, lead_token: str) -> None:
    body = [{"email": f"p{i}@example.com", "reference": f"R{i}"} for i in range(1001)]
    response = post(client, body, lead_token)
    assert response.status_code == 422
    assert Booking.objects.count() == 0


def test_unknown_region_is_a_400_on_region(client: Client, lead_token: str) -> None:
    response = post(
        client, [{"phone": "0532 123 45 67", "reference": "R"}], lead_token, "?region=ZZ"
    )
    assert response.status_code == 400
    assert response.json()["field"] == "region"


def test_agents_get_403(client: Client) -> None:
    _agent, token = agent_with_token()
    response = post(client, [{"email": "a@example.com", "reference": "R1"}], token)
    assert response.status_code == 403
    assert Booking.objects.count() == 0


def test_without_a_token_it_is_a_401(client: Client) -> None:
    response = client.post(URL, [], content_type="application/json")
    assert response.status_code == 401
