"""Outgoing SMS: one small transport interface, the backend chosen by ``SMS_URL``.

- ``file:///path/to/dir`` (the embedded default, ``var/sms/``): every message is written as a
  JSON file, like the file mail backend; nothing leaves the machine.
- ``twilio://ACCOUNT_SID:AUTH_TOKEN@+FROMNUMBER``: Twilio's Messages REST API
  (``POST /2010-04-01/Accounts/{sid}/Messages.json``, form-encoded ``To``/``From``/``Body``,
  HTTP basic auth with the account SID and auth token). ``?base_url=http://127.0.0.1:8080``
  points it elsewhere (tests, a proxy).

``send_sms`` is called by the outbox when it delivers a row of channel ``sms``: a transport
error raises, and the outbox retries with backoff.
"""

from __future__ import annotations

import base64
import json
import logging
import secrets
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit

from django.conf import settings
from django.utils import timezone

log = logging.getLogger(__name__)

TWILIO_API = "https://api.twilio.com"
TIMEOUT_SECONDS = 20


class SmsError(Exception):
    """The provider refused the message or could not be reached."""


class SmsTransport(Protocol):
    def send(self, *, to: str, body: str) -> str:
        """Send one message; returns the provider's id for it."""
        ...


@dataclass(frozen=True)
class FileTransport:
    """Writes each message to ``directory`` as JSON (the embedded default)."""

    directory: Path

    def send(self, *, to: str, body: str) -> str:
        self.directory.mkdir(parents=True, exist_ok=True)
        message_id = f"{timezone.now():%Y%m%d-%H%M%S}-{secrets.token_hex(6)}"
        path = self.directory / f"{message_id}.json"
        path.write_text(json.dumps({"to": to, "body": body}, ensure_ascii=False), "utf-8")
        return f"file:{message_id}"


@dataclass(frozen=True)
class TwilioTransport:
    """Twilio Programmable Messaging: one POST per message."""

    account_sid: str
    auth_token: str
    from_number: str
    base_url: str = TWILIO_API

    def send(self, *, to: str, body: str) -> str:
        account = quote(self.account_sid)
        url = f"{self.base_url.rstrip('/')}/2010-04-01/Accounts/{account}/Messages.json"
        data = urlencode({"To": to, "From": self.from_number, "Body": body}).encode()
        credentials = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        request = urllib.request.Request(  # noqa: S310 — the scheme comes from our own setting
            url,
            data=data,
            method="POST",
            headers={
                "Authorization": f"Basic {credentials}",
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
                payload = json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            detail = _error_detail(exc)
            raise SmsError(f"Twilio answered {exc.code}: {detail}") from exc
        except (urllib.error.URLError, TimeoutError, ValueError) as exc:
            raise SmsError(f"Twilio could not be reached: {exc}") from exc
        sid = str(payload.get("sid") or "")
        if not sid:
            raise SmsError("Twilio accepted the request but returned no message sid")
        return sid


def _error_detail(exc: urllib.error.HTTPError) -> str:
    try:
        payload = json.loads(exc.read() or b"{}")
    except ValueError:
        return exc.reason or ""
    return f"{payload.get('code', '')} {payload.get('message', '')}".strip()


def transport_from_url(url: str) -> SmsTransport:
    """The transport an ``SMS_URL`` describes; ValueError for an unknown or incomplete one."""
    scheme, _sep, rest = url.partition("://")
    if scheme == "file":
        return FileTransport(Path(unquote(urlsplit(url).path) or "."))
    if scheme == "twilio":
        location, _q, query = rest.partition("?")
        credentials, at, from_number = location.rpartition("@")
        sid, colon, token = credentials.partition(":")
        if not (at and colon and sid and token and from_number):
            raise ValueError("SMS_URL: use twilio://ACCOUNT_SID:AUTH_TOKEN@+FROMNUMBER")
        base_url = parse_qs(query).get("base_url", [TWILIO_API])[0]
        return TwilioTransport(
            account_sid=unquote(sid),
            auth_token=unquote(token),
            from_number=unquote(from_number).rstrip("/"),
            base_url=base_url,
        )
    raise ValueError(f"SMS_URL: unknown scheme {scheme!r} (use file:// or twilio://)")


def get_transport() -> SmsTransport:
    return transport_from_url(settings.SMS_URL)


def send_sms(*, to: str, body: str) -> str:
    """Send one SMS through the configured transport; returns the provider's message id."""
    provider_id = get_transport().send(to=to, body=body)
    log.info("sms to %s sent: %s", to, provider_id)
    return provider_id
