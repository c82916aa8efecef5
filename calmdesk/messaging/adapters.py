"""The one interface every messaging provider implements, and the registry of providers.

A provider is one module in ``calmdesk.messaging.providers`` that subclasses ``Adapter`` and
calls ``register``. The rest of the app (webhook view, processing, replies, acknowledgements,
status callbacks, the admin) only talks to this interface:

- ``verify(account, request)``: is the request signed by the provider with this account's
  secret? Unsigned or wrongly signed requests are refused with 403 and nothing is stored.
- ``handshake(account, request)``: a GET the provider sends to prove we own the URL (WhatsApp's
  ``hub.challenge``); None when the provider has none.
- ``parse(account, request)``: the request → ``InboundMessage`` and ``StatusUpdate`` items.
  Works on the stored request, so a failed delivery can be processed again later.
- ``send(account, to, body)``: send one text; returns the provider's message id.
- ``webhook_response(account, request)``: the answer the provider wants (TwiML for Twilio).
- ``download(account, media, max_bytes)``: fetch an attachment the message refers to.
- ``set_webhook(account, url)``: register our URL with the provider where its API allows.
"""

from __future__ import annotations

import hmac
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, ClassVar
from urllib.parse import parse_qsl

from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise

    from .models import MessagingAccount


class ProviderError(Exception):
    """The provider refused a call or could not be reached (the outbox retries)."""


class NotSupported(ProviderError):
    """The provider's API has no such operation (e.g. setting the webhook by API)."""


@dataclass(frozen=True)
class WebhookRequest:
    """A webhook request as stored: enough to verify it now and to parse it again later."""

    method: str
    url: str  # the absolute URL as we saw it (scheme, host, path, query)
    headers: dict[str, str]  # lower-case names
    body: bytes
    # The URL as the provider called it when we sit behind a proxy (SITE_URL + path).
    public_url: str = ""

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")

    @property
    def query(self) -> dict[str, str]:
        _base, _sep, query = self.url.partition("?")
        return dict(parse_qsl(query, keep_blank_values=True))

    def form(self) -> list[tuple[str, str]]:
        """The form-encoded body (Twilio posts ``application/x-www-form-urlencoded``)."""
        return parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True)

    def urls(self) -> list[str]:
        """Every URL the provider may have signed (as seen, as published, http → https)."""
        candidates = [self.url, self.public_url]
        candidates += [u.replace("http://", "https://", 1) for u in candidates if u]
        return list(dict.fromkeys(u for u in candidates if u))


@dataclass(frozen=True)
class MediaRef:
    """An attachment a message refers to; ``download`` fetches it."""

    ref: str  # a URL (Twilio), a media id (WhatsApp), a file id (Telegram)
    kind: str = "file"  # image, document, audio, video, sticker, file
    filename: str = ""
    content_type: str = ""
    size: int | None = None  # when the provider tells it up front


@dataclass(frozen=True)
class DownloadedMedia:
    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class InboundMessage:
    """One message from a customer."""

    id: str  # the provider's id, unique per provider (Twilio SID, wamid, "<bot>:<update_id>")
    handle: str  # the identity value: E.164 phone, "telegram:<chat id>"
    address: str  # where replies go: the phone number, the Telegram chat id
    text: str = ""
    name: str = ""
    at: datetime | None = None
    media: tuple[MediaRef, ...] = ()
    language: str = ""  # the customer's app language, when the provider tells it
    edited: bool = False  # a correction of an earlier message (Telegram edited_message)
    route: str = ""  # which number of the provider it was sent to (WhatsApp phone_number_id)
    opt_out_type: str = ""  # the provider's own keyword classification (Twilio OptOutType)
    # Why it carries no customer text to store: "group" (a group chat), "start" (/start).
    skip: str = ""


@dataclass(frozen=True)
class StatusUpdate:
    """The provider's report on a message we sent."""

    id: str  # the provider message id we recorded in ``OutboxMessage.provider_id``
    status: str  # queued, sent, delivered, read, failed, undelivered
    error_code: str = ""
    error_message: str = ""
    at: datetime | None = None
    route: str = ""


Item = InboundMessage | StatusUpdate

# A provider status → how far the message got (a late "delivered" never hides "read").
STATUS_RANK = {"queued": 0, "accepted": 0, "sending": 1, "sent": 2, "delivered": 3, "read": 4}
FAILED_STATUSES = frozenset({"failed", "undelivered"})


@dataclass(frozen=True)
class CredentialField:
    key: str
    label: _StrPromise | str
    secret: bool = False  # shown as a password field, kept when left empty
    required: bool = True
    help_text: _StrPromise | str = ""
    generate: bool = False  # filled with a random value when left empty


class Adapter(ABC):
    """One messaging provider (see the module docstring)."""

    provider: ClassVar[str]  # the account's ``provider`` and the webhook URL's segment
    label: ClassVar[str | _StrPromise]
    channel: ClassVar[str]  # tickets.enums.Channel of its contacts and replies
    outbox_channel: ClassVar[str]  # core.models.OutboxChannel of its outgoing rows
    identity_kind: ClassVar[str]  # customers.models.IdentityKind of its handles
    credential_fields: ClassVar[tuple[CredentialField, ...]]
    default_base_url: ClassVar[str]
    max_text_length: ClassVar[int] = 1600  # longer replies are sent in parts
    # Free-form replies are refused this long after the customer's last message (WhatsApp).
    session_window: ClassVar[timedelta | None] = None
    # Words that stop broadcasts (SMS carriers' opt-out keywords) and start them again.
    opt_out_keywords: ClassVar[frozenset[str]] = frozenset()
    opt_in_keywords: ClassVar[frozenset[str]] = frozenset()
    # The provider confirms opt-outs itself (Twilio's default opt-out handling); else we do.
    confirms_opt_out: ClassVar[bool] = False

    # -- Inbound ---------------------------------------------------------------------------

    @abstractmethod
    def verify(self, account: MessagingAccount, request: WebhookRequest) -> bool: ...

    def handshake(self, account: MessagingAccount, request: WebhookRequest) -> HttpResponse | None:
        return None

    @abstractmethod
    def parse(self, account: MessagingAccount, request: WebhookRequest) -> list[Item]: ...

    def webhook_response(self, account: MessagingAccount, request: WebhookRequest) -> HttpResponse:
        return HttpResponse(b"", content_type="text/plain")

    def download(
        self, account: MessagingAccount, media: MediaRef, *, max_bytes: int
    ) -> DownloadedMedia:
        raise NotSupported(f"{self.provider} attachments cannot be downloaded")

    # -- Outbound --------------------------------------------------------------------------

    @abstractmethod
    def send(self, account: MessagingAccount, to: str, body: str) -> str: ...

    def set_webhook(self, account: MessagingAccount, url: str) -> str:
        """Register ``url`` with the provider; returns what the provider said."""
        raise NotSupported(
            str(_("Enter the webhook URL in the provider's console (see the messaging docs)."))
        )

    def check_credentials(self, credentials: dict[str, str]) -> dict[str, str]:
        """Per-field problems of an account's credentials (the admin form shows them)."""
        return {}

    # -- Helpers ---------------------------------------------------------------------------

    def base_url(self, account: MessagingAccount) -> str:
        return (account.base_url or self.default_base_url).rstrip("/")


def signatures_match(expected: str, given: str) -> bool:
    return bool(given) and hmac.compare_digest(expected.encode(), given.encode())


_ADAPTERS: dict[str, Adapter] = {}


def register(adapter: Adapter) -> Adapter:
    _ADAPTERS[adapter.provider] = adapter
    return adapter


def get_adapter(provider: str) -> Adapter:
    _load_providers()
    try:
        return _ADAPTERS[provider]
    except KeyError:
        raise LookupError(f"no messaging provider {provider!r}") from None


def adapters() -> list[Adapter]:
    _load_providers()
    return list(_ADAPTERS.values())


def adapter_for_channel(channel: str) -> Adapter | None:
    return next((a for a in adapters() if a.channel == channel), None)


def _load_providers() -> None:
    from . import providers  # noqa: F401 — importing registers every provider module
