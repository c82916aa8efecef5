"""The phone-system webhook: POST /hooks/phone/events/."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from ..models import Call, CallEvent
from .factories import PhoneSystemFactory

pytestmark = pytest.mark.django_db

URL = "/hooks/phone/events/"


def send(
    client: Client,
    body: Any,
    *,
    token: str | None,
    signature: str | None = None,
    raw: bytes | None = None,
) -> Any:
    data = raw if raw is not None else json.dumps(body).encode()
    headers: dict[str, str] = {}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    if signature is not None:
        headers["X-Calmdesk-Signature"] = signature
    return client.post(URL, data=data, content_type="application/json", headers=headers)


def sign(body: bytes, token: str) -> str:
    return "sha256=" + hmac.new(token.encode(), body, hashlib.sha256).hexdigest()


def event(kind: str, seconds_ago: int = 0, **extra: Any) -> dict[str, Any]:
    at = timezone.now() - timedelta(seconds=seconds_ago)
    return {"call_id": "1700.1", "event": kind, "at": at.isoformat(), **extra}


def test_an_event_is_stored_and_the_call_returned(client: Client, pbx: Any) -> None:
    response = send(client, event("ringing", 30, **{"from": "+37061234567"}), token=pbx.token)

    assert response.status_code == 201
    body = response.json()
    assert body["duplicate"] is False
    assert body["call"]["state"] == "ringing"
    assert body["call"]["from"] == "+37061234567"
    assert CallEvent.objects.count() == 1


def test_the_same_event_again_answers_200_and_stores_nothing(client: Client, pbx: Any) -> None:
    payload = event("ringing", 30)
    send(client, payload, token=pbx.token)

    response = send(client, payload, token=pbx.token)

    assert response.status_code == 200
    assert response.json()["duplicate"] is True
    assert CallEvent.objects.count() == 1


def test_a_whole_call_over_http_becomes_a_ticket(
    client: Client, pbx: Any, extensions: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        for kind, ago, extra in (
            ("ringing", 300, {"from": "+37061234567", "to": "+37052000000"}),
            ("answered", 290, {"agent": "aylin@calmdesk.test"}),
            ("hold", 200, {}),
            ("resume", 170, {}),
            ("ended", 100, {}),
        ):
            assert send(client, event(kind, ago, **extra), token=pbx.token).status_code == 201

    call = Call.objects.get()
    assert call.duration_seconds == 200
    assert call.hold_count == 1
    assert call.hold_seconds == 30
    assert call.agent is not None
    assert call.agent.username == "aylin"
    assert call.ticket is not None


@pytest.mark.parametrize(
    ("token", "status", "code"),
    [(None, 401, "unauthorized"), ("cdp_wrong", 401, "unauthorized")],
)
def test_a_missing_or_wrong_token_is_refused(
    client: Client, pbx: Any, token: str | None, status: int, code: str
) -> None:
    response = send(client, event("ringing"), token=token)

    assert response.status_code == status
    assert response.json()["code"] == code
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert Call.objects.count() == 0


def test_a_disabled_phone_system_is_forbidden(client: Client, team: Any) -> None:
    system = PhoneSystemFactory.create(team=team, active=False)

    response = send(client, event("ringing"), token=system.token)

    assert response.status_code == 403
    assert Call.objects.count() == 0


def test_a_bad_signature_is_refused_and_a_good_one_accepted(client: Client, pbx: Any) -> None:
    body = json.dumps(event("ringing")).encode()

    bad = send(client, None, raw=body, token=pbx.token, signature=sign(body, "other-secret"))
    good = send(client, None, raw=body, token=pbx.token, signature=sign(body, pbx.token))

    assert bad.status_code == 401
    assert bad.json()["code"] == "bad_signature"
    assert good.status_code == 201
    assert CallEvent.objects.count() == 1


def test_a_system_that_requires_signatures_refuses_unsigned_events(
    client: Client, team: Any
) -> None:
    system = PhoneSystemFactory.create(team=team, require_signature=True)

    response = send(client, event("ringing"), token=system.token)

    assert response.status_code == 401
    assert response.json()["code"] == "signature_required"
    assert Call.objects.count() == 0


def test_form_encoded_events_as_asterisks_curl_sends_them_are_accepted(
    client: Client, pbx: Any
) -> None:
    response = client.post(
        URL,
        data="call_id=1700.9&event=ringing&from=%2B37061234567&to=&agent=",
        content_type="application/x-www-form-urlencoded",
        headers={"Authorization": f"Bearer {pbx.token}"},
    )

    assert response.status_code == 201
    assert response.json()["call"]["from"] == "+37061234567"


def test_bad_json_is_a_400(client: Client, pbx: Any) -> None:
    response = send(client, None, raw=b"{not json", token=pbx.token)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_json"


def test_a_json_list_is_a_400(client: Client, pbx: Any) -> None:
    response = send(client, [event("ringing")], token=pbx.token)

    assert response.status_code == 400


def test_an_unknown_event_is_a_422_naming_the_field(client: Client, pbx: Any) -> None:
    response = send(client, event("exploded"), token=pbx.token)

    assert response.status_code == 422
    assert response.json()["field"] == "event"
    assert "ringing, answered, hold, resume, transfer, ended" in response.json()["message"]
    assert Call.objects.count() == 0


@pytest.mark.parametrize("at", ["yesterday", "2026-13-01T10:00:00Z"])
def test_a_bad_time_is_a_422_naming_the_field(client: Client, pbx: Any, at: str) -> None:
    response = send(client, {**event("ringing"), "at": at}, token=pbx.token)

    assert response.status_code == 422
    assert response.json()["field"] == "at"
    assert Call.objects.count() == 0


def test_an_impossible_sequence_is_a_409(client: Client, pbx: Any) -> None:
    send(client, event("ringing", 60), token=pbx.token)
    send(client, event("ended", 30), token=pbx.token)

    response = send(client, event("hold", 10), token=pbx.token)

    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert CallEvent.objects.count() == 2


def test_a_huge_body_is_a_413(client: Client, pbx: Any) -> None:
    response = send(client, None, raw=b"{" + b" " * 70_000 + b"}", token=pbx.token)

    assert response.status_code == 413


def test_get_is_not_allowed(client: Client) -> None:
    assert client.get(URL).status_code == 405
