"""Outgoing SMS: Twilio's exact request format against a local fake, the file backend, and the
outbox delivering SMS rows."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest

from calmdesk.core.models import OutboxChannel, OutboxMessage, OutboxStatus
from calmdesk.core.outbox import outbox_deliver, outbox_enqueue
from calmdesk.core.sms import (
    FileTransport,
    SmsError,
    TwilioTransport,
    send_sms,
    transport_from_url,
)

SID = "AC0123456789abcdef0123456789abcdef"
TOKEN = "secret-token"
FROM = "+15005550006"


class FakeTwilio:
    """Records every request; answers like Twilio (201 + JSON with a sid), or with ``fail``."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.fail: tuple[int, dict[str, Any]] | None = None
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length).decode()
                fake.requests.append(
                    {
                        "path": self.path,
                        "authorization": self.headers.get("Authorization"),
                        "content_type": self.headers.get("Content-Type"),
                        "form": parse_qs(body),
                    }
                )
                status, payload = fake.fail or (
                    201,
                    {"sid": f"SM{len(fake.requests):032d}", "status": "queued"},
                )
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def sms_url(self) -> str:
        return f"twilio://{SID}:{TOKEN}@{FROM}?base_url={self.base_url}"


@pytest.fixture
def twilio() -> Iterator[FakeTwilio]:
    fake = FakeTwilio()
    thread = threading.Thread(target=fake.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        fake.server.shutdown()
        fake.server.server_close()


def test_twilio_request_has_the_messages_api_path_basic_auth_and_form_fields(
    twilio: FakeTwilio, settings: Any
) -> None:
    settings.SMS_URL = twilio.sms_url

    provider_id = send_sms(to="+905321234567", body="Gemi yangını: güncelleme ✓")

    assert provider_id == "SM" + "1".zfill(32)
    [request] = twilio.requests
    assert request["path"] == f"/2010-04-01/Accounts/{SID}/Messages.json"
    expected_auth = base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
    assert request["authorization"] == f"Basic {expected_auth}"
    assert request["content_type"] == "application/x-www-form-urlencoded"
    assert request["form"] == {
        "To": ["+905321234567"],
        "From": [FROM],
        "Body": ["Gemi yangını: güncelleme ✓"],
    }


def test_a_twilio_refusal_raises_with_its_code_and_message(twilio: FakeTwilio) -> None:
    twilio.fail = (400, {"code": 21211, "message": "The 'To' number is not a valid phone number."})
    transport = transport_from_url(twilio.sms_url)

    with pytest.raises(SmsError, match="400: 21211 The 'To' number is not a valid"):
        transport.send(to="+1", body="x")


def test_sms_url_parses_twilio_credentials_and_the_default_api_host() -> None:
    transport = transport_from_url(f"twilio://{SID}:{TOKEN}@{FROM}")

    assert transport == TwilioTransport(
        account_sid=SID, auth_token=TOKEN, from_number=FROM, base_url="https://api.twilio.com"
    )


@pytest.mark.parametrize("url", ["twilio://only-sid@+1555", "smtp://x", "twilio://sid:tok@"])
def test_a_bad_sms_url_is_refused_with_the_expected_form(url: str) -> None:
    with pytest.raises(ValueError, match="SMS_URL"):
        transport_from_url(url)


def test_file_backend_writes_one_json_file_per_message(tmp_path: Path, settings: Any) -> None:
    settings.SMS_URL = f"file://{tmp_path / 'sms'}"

    provider_id = send_sms(to="+37060000000", body="Labas")

    [written] = (tmp_path / "sms").iterdir()
    assert provider_id == f"file:{written.stem}"
    assert json.loads(written.read_text("utf-8")) == {"to": "+37060000000", "body": "Labas"}
    assert transport_from_url(settings.SMS_URL) == FileTransport(tmp_path / "sms")


@pytest.mark.django_db
def test_outbox_delivers_an_sms_row_through_twilio(twilio: FakeTwilio, settings: Any) -> None:
    settings.SMS_URL = twilio.sms_url
    row = outbox_enqueue(
        kind="broadcast",
        to="+905321234567",
        delivery_key="sms-1",
        body_text="Hello",
        channel=OutboxChannel.SMS,
    )
    assert row is not None

    assert outbox_deliver(outbox_id=row.pk) == OutboxStatus.SENT

    assert [r["form"]["Body"] for r in twilio.requests] == [["Hello"]]
    assert OutboxMessage.objects.get(pk=row.pk).status == OutboxStatus.SENT


@pytest.mark.django_db
def test_outbox_retries_an_sms_the_provider_refused(twilio: FakeTwilio, settings: Any) -> None:
    settings.SMS_URL = twilio.sms_url
    twilio.fail = (503, {"code": 20503, "message": "Service unavailable"})
    row = outbox_enqueue(
        kind="broadcast", to="+905321234567", delivery_key="sms-2", body_text="Hi", channel="sms"
    )
    assert row is not None

    assert outbox_deliver(outbox_id=row.pk) == OutboxStatus.PENDING

    row.refresh_from_db()
    assert row.attempts == 1
    assert row.last_error == "SmsError: Twilio answered 503: 20503 Service unavailable"
