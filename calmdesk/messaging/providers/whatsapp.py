"""WhatsApp Business Cloud API (Meta Graph API).

- Verification: Meta first GETs the webhook URL with ``hub.mode=subscribe``,
  ``hub.verify_token`` (the token entered in the app dashboard) and ``hub.challenge``; we
  answer the challenge when the token matches.
- Inbound: a JSON POST ``{"object": "whatsapp_business_account", "entry": [{"changes":
  [{"field": "messages", "value": {"metadata": {"phone_number_id"}, "contacts": [{"profile":
  {"name"}, "wa_id"}], "messages": [...], "statuses": [...]}}]}]}`` signed in
  ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body with the app secret>``.
  Message types: text, image, document, audio, video, sticker (a media id, fetched with
  ``GET /<version>/<media id>`` then the returned URL, both with the bearer token), location,
  interactive (button_reply / list_reply), button (a template's quick reply), contacts,
  reaction.
- Statuses: sent, delivered, read, failed (with ``errors[{code, title, message}]``).
- Outbound: ``POST /<version>/<phone_number_id>/messages`` with a bearer token and
  ``{"messaging_product": "whatsapp", "to", "type": "text", "text": {"body"}}``; the answer's
  ``messages[0].id``. Free-form messages are refused more than 24 hours after the customer's
  last message (error 131047); only approved templates may be sent then.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta
from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext
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
from .common import extension_for, phone_handle, unix_time

GRAPH_API = "https://graph.facebook.com"
DEFAULT_VERSION = "v21.0"
MEDIA_TYPES = ("image", "document", "audio", "video", "sticker")


def whatsapp_signature(app_secret: str, body: bytes) -> str:
    digest = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


class WhatsAppAdapter(Adapter):
    provider = "whatsapp"
    label = _("WhatsApp Cloud API")
    channel = Channel.WHATSAPP
    outbox_channel = OutboxChannel.WHATSAPP
    identity_kind = IdentityKind.PHONE
    default_base_url = GRAPH_API
    max_text_length = 4096
    session_window = timedelta(hours=24)
    credential_fields = (
        CredentialField(
            "phone_number_id",
            _("Phone number ID"),
            help_text=_("WhatsApp Manager → API setup: the ID of the business phone number."),
        ),
        CredentialField(
            "access_token",
            _("Access token"),
            secret=True,
            help_text=_("A system user's permanent token with whatsapp_business_messaging."),
        ),
        CredentialField(
            "app_secret",
            _("App secret"),
            secret=True,
            help_text=_("App settings → Basic: signs every webhook (X-Hub-Signature-256)."),
        ),
        CredentialField(
            "verify_token",
            _("Verify token"),
            generate=True,
            help_text=_(
                "Enter the same token in the app's webhook settings (left empty: made up)."
            ),
        ),
        CredentialField(
            "api_version",
            _("Graph API version"),
            required=False,
            help_text=_("e.g. v21.0 (empty: v21.0)."),
        ),
    )

    def _version(self, account: MessagingAccount) -> str:
        return account.credential("api_version") or DEFAULT_VERSION

    # -- Inbound ---------------------------------------------------------------------------

    def verify(self, account: MessagingAccount, request: WebhookRequest) -> bool:
        secret = account.credential("app_secret")
        given = request.header("X-Hub-Signature-256")
        if not secret or not given:
            return False
        return signatures_match(whatsapp_signature(secret, request.body), given)

    def handshake(self, account: MessagingAccount, request: WebhookRequest) -> HttpResponse | None:
        query = request.query
        token = account.credential("verify_token")
        if (
            query.get("hub.mode") == "subscribe"
            and token
            and signatures_match(token, query.get("hub.verify_token", ""))
        ):
            return HttpResponse(query.get("hub.challenge", ""), content_type="text/plain")
        return HttpResponse(status=403)

    def parse(self, account: MessagingAccount, request: WebhookRequest) -> list[Item]:
        payload = json.loads(request.body or b"{}")
        items: list[Item] = []
        if payload.get("object") != "whatsapp_business_account":
            return items
        for entry in payload.get("entry") or []:
            for change in entry.get("changes") or []:
                if change.get("field") != "messages":
                    continue
                value = change.get("value") or {}
                route = str((value.get("metadata") or {}).get("phone_number_id") or "")
                names = {
                    str(c.get("wa_id")): str((c.get("profile") or {}).get("name") or "")
                    for c in value.get("contacts") or []
                }
                for message in value.get("messages") or []:
                    parsed = _message(message, names, route)
                    if parsed is not None:
                        items.append(parsed)
                for status in value.get("statuses") or []:
                    error = (status.get("errors") or [{}])[0]
                    details = (error.get("error_data") or {}).get("details") or ""
                    items.append(
                        StatusUpdate(
                            id=str(status.get("id") or ""),
                            status=str(status.get("status") or ""),
                            error_code=str(error.get("code") or ""),
                            error_message=" — ".join(
                                p for p in (error.get("title") or "", details) if p
                            ),
                            at=unix_time(status.get("timestamp")),
                            route=route,
                        )
                    )
        return items

    def webhook_response(self, account: MessagingAccount, request: WebhookRequest) -> HttpResponse:
        return HttpResponse(b"OK", content_type="text/plain")

    def download(
        self, account: MessagingAccount, media: MediaRef, *, max_bytes: int
    ) -> DownloadedMedia:
        token = account.credential("access_token")
        auth = {"Authorization": f"Bearer {token}"}
        url = f"{self.base_url(account)}/{self._version(account)}/{media.ref}"
        response = http.call("GET", url, provider="WhatsApp", headers=auth)
        if response.status_code >= 400:
            raise ProviderError(_graph_error(response))
        info = response.json()
        size = int(info.get("file_size") or 0)
        if size > max_bytes:
            raise http.MediaTooLarge(size)
        content, content_type = http.download(
            str(info.get("url") or ""), provider="WhatsApp", max_bytes=max_bytes, headers=auth
        )
        content_type = str(info.get("mime_type") or media.content_type or content_type)
        content_type = content_type.split(";")[0].strip() or "application/octet-stream"
        filename = media.filename or f"{media.kind}-{media.ref[-12:]}{extension_for(content_type)}"
        return DownloadedMedia(filename=filename, content_type=content_type, content=content)

    # -- Outbound --------------------------------------------------------------------------

    def send(self, account: MessagingAccount, to: str, body: str) -> str:
        number_id = account.credential("phone_number_id")
        url = f"{self.base_url(account)}/{self._version(account)}/{number_id}/messages"
        response = http.call(
            "POST",
            url,
            provider="WhatsApp",
            headers={"Authorization": f"Bearer {account.credential('access_token')}"},
            json={
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": to.lstrip("+"),
                "type": "text",
                "text": {"preview_url": False, "body": body},
            },
        )
        if response.status_code >= 400:
            raise ProviderError(_graph_error(response))
        try:
            message_id = str(response.json()["messages"][0]["id"])
        except (ValueError, KeyError, IndexError, TypeError):
            message_id = ""
        if not message_id:
            raise ProviderError("WhatsApp accepted the request but returned no message id")
        return message_id


def _graph_error(response: Any) -> str:
    try:
        error = response.json().get("error") or {}
    except ValueError:
        error = {}
    code = error.get("code", "")
    message = error.get("message") or http.error_text(response)
    return f"WhatsApp answered {response.status_code}: {code} {message}".strip()


def _message(message: dict[str, Any], names: dict[str, str], route: str) -> InboundMessage | None:
    """One customer message → InboundMessage (None for what carries nothing to store)."""
    kind = str(message.get("type") or "")
    sender = str(message.get("from") or "")
    if not sender or not message.get("id") or kind in ("reaction", "system", "ephemeral"):
        return None
    text = ""
    media: tuple[MediaRef, ...] = ()
    if kind == "text":
        text = str((message.get("text") or {}).get("body") or "")
    elif kind in MEDIA_TYPES:
        part = message.get(kind) or {}
        text = str(part.get("caption") or "")
        media = (
            MediaRef(
                ref=str(part.get("id") or ""),
                kind=kind,
                filename=str(part.get("filename") or ""),
                content_type=str(part.get("mime_type") or ""),
            ),
        )
    elif kind == "location":
        place = message.get("location") or {}
        label = " — ".join(str(place[k]) for k in ("name", "address") if place.get(k))
        lat, lon = place.get("latitude"), place.get("longitude")
        text = gettext(
            "Location: %(label)s https://www.openstreetmap.org/?mlat=%(lat)s&mlon=%(lon)s"
        ) % {
            "label": label or f"{lat}, {lon}",
            "lat": lat,
            "lon": lon,
        }
    elif kind == "interactive":
        part = message.get("interactive") or {}
        reply = part.get("button_reply") or part.get("list_reply") or {}
        text = str(reply.get("title") or "")
        if reply.get("description"):
            text += f" — {reply['description']}"
    elif kind == "button":
        text = str((message.get("button") or {}).get("text") or "")
    elif kind == "contacts":
        people = []
        for person in message.get("contacts") or []:
            name = (person.get("name") or {}).get("formatted_name") or ""
            phones = ", ".join(str(p.get("phone") or "") for p in person.get("phones") or [])
            people.append(f"{name} {phones}".strip())
        text = gettext("Shared contact: %(contacts)s") % {"contacts": "; ".join(people)}
    else:
        text = gettext("(a %(kind)s message WhatsApp cannot show here)") % {
            "kind": kind or "unknown"
        }
    context = message.get("context") or {}
    if context.get("forwarded") or context.get("frequently_forwarded"):
        text = gettext("(forwarded) %(text)s") % {"text": text}
    return InboundMessage(
        id=str(message["id"]),
        handle=phone_handle("+" + sender.lstrip("+")),
        address=sender.lstrip("+"),
        text=text,
        name=names.get(sender, ""),
        at=unix_time(message.get("timestamp")),
        media=media,
        route=route,
    )


register(WhatsAppAdapter())
