from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from calmdesk.api.intake import RequestOut
from calmdesk.conversations.models import Contact
from calmdesk.core.models import OutboxMessage
from calmdesk.inbox.models import FormField
from calmdesk.inbox.selectors import wait_label
from calmdesk.tickets.enums import Channel, EventType
from calmdesk.tickets.models import Ticket

from .factories import install_form

URL = "/api/v1/requests"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _form() -> None:
    install_form()


def valid_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Elif Yılmaz",
        "email": "Elif@Example.com",
        "request_type": "refund",
        "message": "My flight on 12 May was cancelled. I would like a refund.",
        "fields": {"departure_date": "2031-05-12", "booking_reference": "XK7P2Q"},
    }
    body.update(overrides)
    return body


def post(client: Client, body: Any, **headers: str) -> Any:
    return client.post(URL, json.dumps(body), content_type="application/json", headers=headers)


def test_request_creates_a_ticket_and_answers_reference_tracking_and_wait(
    client: Client,
) -> None:
    response = post(client, valid_body())

    assert response.status_code == 202
    assert response.json()["outcome"] == "received"
    assert response["Content-Type"] == "application/json; charset=utf-8"
    # The answer is built, not validated again on the way out: it must be the schema's.
    assert RequestOut.model_validate(response.json()).model_dump(mode="json") == response.json()
    ticket = Ticket.objects.get()
    answer = response.json()
    assert answer["reference"] == ticket.reference
    assert answer["tracking_url"].endswith(f"/{ticket.tracking_token}")
    assert answer["status"] == "new"
    assert answer["priority"] == ticket.priority
    assert answer["team"] == {"slug": "refunds", "name": "Refunds"}
    assert ticket.announced_wait_minutes is not None
    assert answer["expected_wait"]["minutes"] == ticket.announced_wait_minutes
    with translation.override("en"):
        label = wait_label(ticket.announced_wait_minutes)
    assert answer["expected_wait"]["label"] == label


def test_acknowledgement_email_announces_the_same_wait_as_the_answer(client: Client) -> None:
    answer = post(client, valid_body()).json()

    mail = OutboxMessage.objects.get(kind="autoresponder")
    assert mail.to == "elif@example.com"
    assert answer["expected_wait"]["label"] in mail.body_text
    assert answer["reference"] in mail.body_text


def test_request_is_stored_as_an_api_ticket_with_its_custom_fields(client: Client) -> None:
    post(client, valid_body())

    ticket = Ticket.objects.select_related("request_type", "customer").get()
    assert ticket.channel == Channel.API
    assert ticket.request_type is not None
    assert ticket.request_type.key == "refund"
    assert ticket.custom_fields == {"departure_date": "2031-05-12", "booking_reference": "XK7P2Q"}
    assert ticket.customer.primary_email == "elif@example.com"
    assert ticket.messages.get().body_text.startswith("My flight on 12 May")
    assert list(ticket.events.values_list("type", flat=True))[:1] == [EventType.CREATED]


def test_language_comes_from_accept_language_unless_the_body_names_one(client: Client) -> None:
    post(client, valid_body(email="a@example.com"), **{"Accept-Language": "tr"})
    post(client, valid_body(email="b@example.com", language="lt"), **{"Accept-Language": "tr"})

    languages = dict(Ticket.objects.values_list("customer__identities__value", "language"))
    assert languages == {"a@example.com": "tr", "b@example.com": "lt"}


def test_unsupported_language_is_a_field_error(client: Client) -> None:
    response = post(client, valid_body(language="xx"))

    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["language"]
    assert not Ticket.objects.exists()


def test_same_idempotency_key_creates_one_ticket_and_repeats_the_answer(client: Client) -> None:
    first = post(client, valid_body(), **{"Idempotency-Key": "3f1c-submit-1"})
    again = post(client, valid_body(), **{"Idempotency-Key": "3f1c-submit-1"})

    assert (first.status_code, again.status_code) == (202, 200)
    assert again.json() == first.json()
    ticket = Ticket.objects.get()
    assert ticket.intake_key == "api:3f1c-submit-1"


def test_long_idempotency_key_is_hashed_to_fit_and_still_deduplicates(client: Client) -> None:
    key = "k" * 200

    post(client, valid_body(), **{"Idempotency-Key": key})
    post(client, valid_body(), **{"Idempotency-Key": key})

    ticket = Ticket.objects.get()
    assert ticket.intake_key is not None
    assert ticket.intake_key.startswith("api:sha256:")
    assert len(ticket.intake_key) <= 80


def test_different_idempotency_keys_are_different_contacts(client: Client) -> None:
    first = post(client, valid_body(), **{"Idempotency-Key": "one"})
    # The same customer on the same matter: not a repeat, a second message on the same ticket.
    second = post(client, valid_body(), **{"Idempotency-Key": "two"})
    other = post(client, valid_body(email="kaan@example.com"), **{"Idempotency-Key": "three"})

    # Every request is accepted (202); the filing adds the second to the first's ticket.
    assert (first.status_code, second.status_code, other.status_code) == (202, 202, 202)
    assert Ticket.objects.count() == 2
    ticket = Ticket.objects.get(intake_key="api:one")
    assert ticket.messages.count() == 2
    assert sorted(str(key) for key in Contact.objects.values_list("external_key", flat=True)) == [
        "api:one",
        "api:three",
        "api:two",
    ]


def test_invalid_email_is_422_with_the_forms_message_and_no_ticket(client: Client) -> None:
    response = post(client, valid_body(email="not-an-address"))

    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_error"
    assert body["field"] == "email"
    assert body["errors"] == {"email": ["Enter an email address like name@example.com."]}
    assert not Ticket.objects.exists()


def test_missing_required_fields_are_each_named(client: Client) -> None:
    response = post(client, {})

    assert response.status_code == 422
    assert sorted(response.json()["errors"]) == ["email", "message", "name", "request_type"]


def test_custom_field_errors_are_named_by_their_place_in_the_body(client: Client) -> None:
    response = post(client, valid_body(fields={"departure_date": "next tuesday"}))

    assert response.status_code == 422
    assert response.json()["errors"] == {"fields.departure_date": ["Enter a date like 2026-12-24."]}


def test_missing_required_custom_field_is_named_inside_fields(client: Client) -> None:
    FormField.objects.filter(key="departure_date").update(required=True)

    response = post(client, valid_body(fields={}))

    assert response.status_code == 422
    assert response.json()["errors"] == {"fields.departure_date": ["Enter a date."]}


def test_unknown_top_level_key_is_refused_rather_than_silently_dropped(client: Client) -> None:
    response = post(client, valid_body(departure_date="2031-05-12"))

    assert response.status_code == 422
    assert response.json()["errors"] == {"departure_date": ["Unknown field."]}


def test_built_in_field_inside_fields_is_refused(client: Client) -> None:
    response = post(client, valid_body(fields={"email": "x@example.com"}))

    assert response.status_code == 422
    assert response.json()["errors"] == {
        "fields.email": ["Send this field at the top level of the body."]
    }


def test_attachments_are_not_accepted(client: Client) -> None:
    response = post(client, valid_body(fields={"attachments": "aGVsbG8="}))

    assert response.status_code == 422
    assert response.json()["errors"] == {
        "fields.attachments": ["Attachments are not accepted by the API."]
    }


def test_wrong_json_types_are_422_per_field(client: Client) -> None:
    response = post(client, valid_body(name=["a"], fields={"booking_reference": 7}))

    assert response.status_code == 422
    assert response.json()["errors"] == {
        "name": ["Enter text."],
        "fields.booking_reference": ["Enter text."],
    }


def test_body_that_is_not_an_object_is_422(client: Client) -> None:
    response = post(client, ["name", "email"])

    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["body"]


def test_malformed_json_is_400(client: Client) -> None:
    response = client.post(URL, '{"name": "Elif",', content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "malformed_json"
    assert not Ticket.objects.exists()


def test_body_over_the_size_cap_is_413(client: Client, settings: Any) -> None:
    settings.CALMDESK = {**settings.CALMDESK, "API_MAX_BODY_BYTES": 2000}

    response = post(client, valid_body(message="x" * 3000))

    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
    assert not Ticket.objects.exists()


def test_over_the_rate_limit_is_429_with_retry_after(client: Client, intake_limit: Any) -> None:
    intake_limit(2)

    statuses = [post(client, valid_body(email=f"c{n}@example.com")).status_code for n in range(3)]

    assert statuses == [202, 202, 429]
    last = post(client, valid_body(email="c3@example.com"))
    assert last.json()["code"] == "rate_limited"
    assert 1 <= int(last["Retry-After"]) <= 600
    assert Ticket.objects.count() == 2


def test_over_the_rate_limit_an_invalid_request_is_429_too(
    client: Client, intake_limit: Any
) -> None:
    intake_limit(1)
    post(client, valid_body())

    bad_email = post(client, valid_body(email="not an address"))
    bad_language = post(client, valid_body(language="xx"))

    assert (bad_email.status_code, bad_language.status_code) == (429, 429)
    assert bad_email.json()["code"] == "rate_limited"


def test_form_endpoint_lists_fields_with_where_to_send_them(client: Client) -> None:
    response = client.get("/api/v1/form?language=tr")

    assert response.status_code == 200
    form = response.json()
    assert form["language"] == "tr"
    by_key = {f["key"]: f for f in form["fields"]}
    assert [f["key"] for f in form["fields"]][:4] == ["name", "email", "phone", "request_type"]
    assert by_key["request_type"]["choices"] == [{"value": "refund", "label": "İade"}]
    assert by_key["departure_date"]["location"] == "fields"
    assert by_key["email"]["location"] == "top"
    assert by_key["attachments"]["location"] == "unsupported"
    assert by_key["name"]["label"] == "name (tr)"


def test_intake_needs_no_csrf_token() -> None:
    client = Client(enforce_csrf_checks=True)

    response = post(client, valid_body())

    assert response.status_code == 202


def test_body_over_djangos_upload_cap_is_413_too(client: Client, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    response = post(client, valid_body(message="x" * 2000))

    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


def test_empty_body_is_422(client: Client) -> None:
    response = client.post(URL, b"", content_type="application/json")

    assert response.status_code == 422
    assert response.json()["errors"] == {"body": ["This field is required."]}


def test_wrong_method_is_405(client: Client) -> None:
    response = client.delete(URL)

    assert response.status_code == 405
    assert response["Allow"] == "POST"
