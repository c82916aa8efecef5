"""Twilio Programmable Messaging (SMS).

- Inbound: Twilio posts ``application/x-www-form-urlencoded`` (MessageSid, From, To, Body,
  NumMedia, MediaUrl<N>, MediaContentType<N>, OptOutType, ...) and signs it in
  ``X-Twilio-Signature``: base64(HMAC-SHA1(auth token, URL + every POST parameter's name and
  value, sorted by name)). It wants TwiML back; an empty ``<Response/>`` sends nothing.
- Status callbacks (the ``StatusCallback`` we pass when sending) post MessageSid,
  MessageStatus (queued, sent, delivered, undelivered, failed, read) and ErrorCode.
- Outbound: ``POST /2010-04-01/Accounts/<sid>/Messages.json`` with To, From, Body (and
  StatusCallback), HTTP basic auth with the account SID and auth token; the answer's ``sid``.
  Twilio splits a long text into segments itself (up to 1,600 characters per message).
- Opt-out: with Twilio's default opt-out handling, STOP and its synonyms are confirmed by
  Twilio itself and later messages to that number are refused (error 21610).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections import defaultdict
from datetime import UTC, datetime
from urllib.parse import quote

from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _

from calmdesk.core.models import OutboxChannel
from calmdesk.customers.models import IdentityKind
from calmdesk.tickets.enums import Channel

from .. import http
from ..adapters import (
    Adapter,
    CredentialField,
    DownloadedMedia,
    InboundMessage,
    Item,
    MediaRef,
    ProviderError,
    StatusUpdate,
    WebhookRequest,
    register,
    signatures_match,
)
from ..models import MessagingAccount
from .common import extension_for, media_kind, phone_handle

TWILIO_API = "https://api.twilio.com"
TWIML_EMPTY = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def twilio_signature(auth_token: str, url: str, params: list[tuple[str, str]]) -> str:
    """Twilio's request signature (see the module docstring)."""
    grouped: dict[str, list[str]] = defaultdict(list)
    for key, value in params:
        grouped[key].append(value)
    data = url + "".join(key + value for key in sorted(grouped) for value in sorted(grouped[key]))
    digest = hmac.new(auth_token.encode(), data.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class TwilioAdapter(Adapter):
    provider = "twilio"
    label = _("Twilio SMS")
    channel = Channel.SMS
    outbox_channel = OutboxChannel.SMS
    identity_kind = IdentityKind.PHONE
    default_base_url = TWILIO_API
    max_text_length = 1600
    opt_out_keywords = frozenset(
        {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE"}
    )
    opt_in_keywords = frozenset({"START", "YES", "UNSTOP"})
    confirms_opt_out = True
    credential_fields = (
        CredentialField("account_sid", _("Account SID"), help_text=_("Starts with AC.")),
        CredentialField(
            "auth_token",
            _("Auth token"),
            secret=True,
            help_text=_("Signs Twilio's webhooks and authenticates our API calls."),
        ),
        CredentialField(
            "from_number",
            _("From number"),
            help_text=_("The Twilio number in E.164 (+15005550006), or a Messaging Service SID."),
        ),
    )

    # -- Inbound ---------------------------------------------------------------------------

    def _params(self, request: WebhookRequest) -> list[tuple[str, str]]:
        return request.form() if request.method == "POST" else []

    def verify(self, account: MessagingAccount, request: WebhookRequest) -> bool:
        token = account.credential("auth_token")
        given = request.header("X-Twilio-Signature")
        if not token or not given:
            return False
        params = self._params(request)
        return any(
            signatures_match(twilio_signature(token, url, params), given) for url in request.urls()
        )

    def parse(self, account: MessagingAccount, request: WebhookRequest) -> list[Item]:
        params = dict(self._params(request)) if request.method == "POST" else request.query
        sid = params.get("MessageSid") or params.get("SmsSid") or ""
        if not sid:
            return []
        if params.get("MessageStatus", "received").lower() != "received":
            return [
                StatusUpdate(
                    id=sid,
                    status=params["MessageStatus"].lower(),
                    error_code=params.get("ErrorCode", ""),
                    error_message=params.get("ErrorMessage", ""),
                    at=datetime.now(tz=UTC),
                )
            ]
        sender = params.get("From", "")
        media = tuple(
            MediaRef(
                ref=params[f"MediaUrl{i}"],
                kind=media_kind(params.get(f"MediaContentType{i}", "")),
                content_type=params.get(f"MediaContentType{i}", ""),
            )
            for i in range(_int(params.get("NumMedia")))
            if params.get(f"MediaUrl{i}")
        )
        return [
            InboundMessage(
                id=sid,
                handle=phone_handle(sender),
                address=sender,
                text=params.get("Body", ""),
                at=datetime.now(tz=UTC),
                media=media,
                opt_out_type=params.get("OptOutType", "").upper(),
            )
        ]

    def webhook_response(self, account: MessagingAccount, request: WebhookRequest) -> HttpResponse:
        return HttpResponse(TWIML_EMPTY, content_type="text/xml; charset=utf-8")

    def download(
        self, account: MessagingAccount, media: MediaRef, *, max_bytes: int
    ) -> DownloadedMedia:
        # Only from the account's own API host: media URLs come signed from Twilio, but the
        # credentials must never be sent anywhere else.
        if not media.ref.startswith(self.base_url(account) + "/"):
            raise ProviderError("media URL outside the Twilio API")
        content, content_type = http.download(
            media.ref,
            provider="Twilio",
            max_bytes=max_bytes,
            auth=(account.credential("account_sid"), account.credential("auth_token")),
        )
        content_type = media.content_type or content_type or "application/octet-stream"
        name = media.ref.rstrip("/").rpartition("/")[2] or "media"
        return DownloadedMedia(
            filename=f"{name}{extension_for(content_type)}",
            content_type=content_type,
            content=content,
        )

    # -- Outbound --------------------------------------------------------------------------

    def send(self, account: MessagingAccount, to: str, body: str) -> str:
        sid = account.credential("account_sid")
        sender = account.credential("from_number")
        url = f"{self.base_url(account)}/2010-04-01/Accounts/{quote(sid)}/Messages.json"
        data = {"To": to, "Body": body}
        if sender.startswith("MG"):
            data["MessagingServiceSid"] = sender
        else:
            data["From"] = sender
        if account.pk is not None:
            data["StatusCallback"] = account.webhook_url
        response = http.call(
            "POST",
            url,
            provider="Twilio",
            data=data,
            auth=(sid, account.credential("auth_token")),
            headers={"Accept": "application/json"},
        )
        try:
            payload = response.json()
        except ValueError:
            payload = {}
        if response.status_code >= 400:
            detail = f"{payload.get('code', '')} {payload.get('message', '')}".strip()
            raise ProviderError(
                f"Twilio answered {response.status_code}: {detail or http.error_text(response)}"
            )
        message_sid = str(payload.get("sid") or "")
        if not message_sid:
            raise ProviderError("Twilio accepted the request but returned no message sid")
        return message_sid

    def check_credentials(self, credentials: dict[str, str]) -> dict[str, str]:
        problems: dict[str, str] = {}
        if credentials.get("account_sid") and not credentials["account_sid"].startswith("AC"):
            problems["account_sid"] = str(_("A Twilio account SID starts with AC."))
        return problems


def _int(value: str | None) -> int:
    try:
        return max(0, min(int(value or 0), 10))
    except ValueError:
        return 0


register(TwilioAdapter())
