"""Outgoing SMS: one small transport interface, the backend chosen by ``SMS_URL``.

- ``file:///path/to/dir`` (the embedded default, ``var/sms/``): every message is written as a
  JSON file, like the file mail backend; nothing leaves the machine.
- ``twilio://ACCOUNT_SID:AUTH_TOKEN@+FROMNUMBER``: Twilio's Messages REST API
  (``POST /2010-04-01/Accounts/{sid}/Messages.json``, form-encoded ``To``/``From``/``Body``,
  HTTP basic auth with the account SID and auth token). ``?base_url=http://127.0.0.1:8080``
  points it elsewhere (tests, a proxy). It is sent by the messaging app's Twilio adapter
  (``calmdesk.messaging.providers.twilio``), the same code as replies to customers' texts.
- ``messaging://<account id or name>``: an account configured in the admin (Messaging
  accounts), so broadcasts go out from the number customers text.

``send_sms`` is called by the outbox when it delivers a row of channel ``sms``: a transport
error raises, and the outbox retries with backoff.
"""

from __future__ import annotations

import json
import logging
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from django.conf import settings
from django.utils import timezone

log = logging.getLogger(__name__)

TWILIO_API = "https://api.twilio.com"


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
    """Twilio Programmable Messaging: one POST per message, through the messaging app's Twilio
    adapter (the env-configured default SMS account)."""

    account_sid: str
    auth_token: str
    from_number: str
    base_url: str = TWILIO_API

    def send(self, *, to: str, body: str) -> str:
        from calmdesk.messaging.adapters import ProviderError, get_adapter
        from calmdesk.messaging.models import MessagingAccount, Provider

        account = MessagingAccount(
            provider=Provider.TWILIO,
            name="SMS_URL",
            credentials={
                "account_sid": self.account_sid,
                "auth_token": self.auth_token,
                "from_number": self.from_number,
            },
            base_url=self.base_url,
        )
        try:
            return get_adapter(Provider.TWILIO).send(account, to, body)
        except ProviderError as exc:
            raise SmsError(str(exc)) from exc


@dataclass(frozen=True)
class AccountTransport:
    """A messaging account configured in the admin (``messaging://<id or name>``)."""

    account: str

    def send(self, *, to: str, body: str) -> str:
        from django.db.models import Q

        from calmdesk.messaging.adapters import ProviderError, get_adapter
        from calmdesk.messaging.models import MessagingAccount

        lookup = Q(name=self.account)
        if self.account.isdigit():
            lookup |= Q(pk=int(self.account))
        found = MessagingAccount.objects.filter(lookup, active=True).first()
        if found is None:
            raise SmsError(f"SMS_URL: no active messaging account {self.account!r}")
        try:
            return get_adapter(found.provider).send(found, to, body)
        except ProviderError as exc:
            raise SmsError(str(exc)) from exc


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
    if scheme == "messaging":
        name = unquote(rest.strip("/"))
        if not name:
            raise ValueError("SMS_URL: use messaging://<account id or name>")
        return AccountTransport(name)
    raise ValueError(f"SMS_URL: unknown scheme {scheme!r} (use file://, twilio:// or messaging://)")


def get_transport() -> SmsTransport:
    return transport_from_url(settings.SMS_URL)


def send_sms(*, to: str, body: str) -> str:
    """Send one SMS through the configured transport; returns the provider's message id."""
    provider_id = get_transport().send(to=to, body=body)
    log.info("sms to %s sent: %s", to, provider_id)
    return provider_id
