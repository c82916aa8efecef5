"""Telegram Bot API.

- Webhook: ``setWebhook`` with our URL and a ``secret_token``; Telegram then posts every
  update as JSON with the header ``X-Telegram-Bot-Api-Secret-Token: <secret_token>``.
  An update has an ``update_id`` (increasing per bot; Telegram re-sends an update until it
  gets a 2xx) and a ``message`` or ``edited_message``: ``chat`` (id, type), ``from``
  (first_name, last_name, username, language_code), ``text`` or ``caption`` with ``photo``
  (sizes, the last is the largest) or ``document`` (file_id, file_name, mime_type), ...
  Files are fetched with ``getFile`` then ``/file/bot<token>/<file_path>`` (up to 20 MB).
- Outbound: ``POST /bot<token>/sendMessage`` ``{"chat_id", "text"}`` (4,096 characters);
  the answer ``{"ok": true, "result": {"message_id"}}``. There are no delivery receipts.
"""

from __future__ import annotations

import json
from typing import Any

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
    WebhookRequest,
    register,
    signatures_match,
)
from ..models import MessagingAccount
from .common import extension_for, unix_time

TELEGRAM_API = "https://api.telegram.org"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 — a header name
MEDIA_TYPES = ("document", "audio", "voice", "video", "video_note", "sticker", "animation")


class TelegramAdapter(Adapter):
    provider = "telegram"
    label = _("Telegram bot")
    channel = Channel.TELEGRAM
    outbox_channel = OutboxChannel.TELEGRAM
    identity_kind = IdentityKind.MESSAGING
    default_base_url = TELEGRAM_API
    max_text_length = 4096
    credential_fields = (
        CredentialField(
            "bot_token",
            _("Bot token"),
            secret=True,
            help_text=_("From @BotFather, e.g. 123456789:AAE…"),
        ),
        CredentialField(
            "secret_token",
            _("Webhook secret token"),
            secret=True,
            generate=True,
            help_text=_(
                "Telegram sends it with every update; left empty: made up. "
                "“Set webhook” registers it with Telegram."
            ),
        ),
    )

    def _bot_url(self, account: MessagingAccount, method: str) -> str:
        return f"{self.base_url(account)}/bot{account.credential('bot_token')}/{method}"

    def _bot_id(self, account: MessagingAccount) -> str:
        return account.credential("bot_token").partition(":")[0] or str(account.pk)

    # -- Inbound ---------------------------------------------------------------------------

    def verify(self, account: MessagingAccount, request: WebhookRequest) -> bool:
        secret = account.credential("secret_token")
        return bool(secret) and signatures_match(secret, request.header(SECRET_HEADER))

    def parse(self, account: MessagingAccount, request: WebhookRequest) -> list[Item]:
        update = json.loads(request.body or b"{}")
        message = update.get("message") or update.get("edited_message")
        if not isinstance(message, dict) or "update_id" not in update:
            return []
        chat = message.get("chat") or {}
        sender = message.get("from") or {}
        chat_id = str(chat.get("id") or "")
        if not chat_id or sender.get("is_bot"):
            return []
        update_key = f"{self._bot_id(account)}:{update['update_id']}"
        name = " ".join(
            str(sender.get(k) or "") for k in ("first_name", "last_name") if sender.get(k)
        )
        text = str(message.get("text") or message.get("caption") or "")
        skip = ""
        if chat.get("type") != "private":
            skip = "group"
        elif text.strip().split("@")[0].split(" ")[0] == "/start":
            skip = "start"
        return [
            InboundMessage(
                id=update_key,
                handle=f"telegram:{chat_id}",
                address=chat_id,
                text=_described(message, text),
                name=name or str(sender.get("username") or ""),
                at=unix_time(message.get("edit_date") or message.get("date")),
                media=_media(message),
                language=str(sender.get("language_code") or "")[:2],
                edited="edited_message" in update,
                skip=skip,
            )
        ]

    def download(
        self, account: MessagingAccount, media: MediaRef, *, max_bytes: int
    ) -> DownloadedMedia:
        if media.size and media.size > max_bytes:
            raise http.MediaTooLarge(media.size)
        response = http.call(
            "POST",
            self._bot_url(account, "getFile"),
            provider="Telegram",
            json={"file_id": media.ref},
        )
        result = _result(response)
        path = str(result.get("file_path") or "")
        if not path:
            raise ProviderError("Telegram returned no file path")
        token = account.credential("bot_token")
        content, content_type = http.download(
            f"{self.base_url(account)}/file/bot{token}/{path}",
            provider="Telegram",
            max_bytes=max_bytes,
        )
        content_type = media.content_type or content_type or "application/octet-stream"
        if content_type == "application/octet-stream" and media.kind == "image":
            content_type = "image/jpeg"
        filename = media.filename or (
            path.rpartition("/")[2] or f"{media.kind}{extension_for(content_type)}"
        )
        return DownloadedMedia(filename=filename, content_type=content_type, content=content)

    # -- Outbound --------------------------------------------------------------------------

    def send(self, account: MessagingAccount, to: str, body: str) -> str:
        response = http.call(
            "POST",
            self._bot_url(account, "sendMessage"),
            provider="Telegram",
            json={"chat_id": to, "text": body},
        )
        result = _result(response)
        message_id = result.get("message_id")
        if message_id is None:
            raise ProviderError("Telegram accepted the request but returned no message id")
        return f"{to}:{message_id}"

    def set_webhook(self, account: MessagingAccount, url: str) -> str:
        response = http.call(
            "POST",
            self._bot_url(account, "setWebhook"),
            provider="Telegram",
            json={
                "url": url,
                "secret_token": account.credential("secret_token"),
                "allowed_updates": ["message", "edited_message"],
                "drop_pending_updates": False,
            },
        )
        _result(response)
        return str(response.json().get("description") or "Webhook was set")

    def check_credentials(self, credentials: dict[str, str]) -> dict[str, str]:
        problems: dict[str, str] = {}
        token = credentials.get("bot_token", "")
        if token and not token.partition(":")[0].isdigit():
            problems["bot_token"] = str(_("A bot token looks like 123456789:AAE…"))
        secret = credentials.get("secret_token", "")
        if secret and not all(c.isascii() and (c.isalnum() or c in "_-") for c in secret):
            problems["secret_token"] = str(_("Use only letters, digits, _ and - (1–256)."))
        return problems


def _result(response: Any) -> dict[str, Any]:
    try:
        payload = response.json()
    except ValueError:
        payload = {}
    if response.status_code >= 400 or not payload.get("ok"):
        code = payload.get("error_code") or response.status_code
        description = payload.get("description") or http.error_text(response)
        raise ProviderError(f"Telegram answered {code}: {description}")
    result = payload.get("result")
    return result if isinstance(result, dict) else {}


def _media(message: dict[str, Any]) -> tuple[MediaRef, ...]:
    found: list[MediaRef] = []
    photos = message.get("photo") or []
    if photos:
        largest = photos[-1]
        found.append(
            MediaRef(
                ref=str(largest.get("file_id") or ""),
                kind="image",
                size=largest.get("file_size"),
            )
        )
    for kind in MEDIA_TYPES:
        part = message.get(kind)
        if isinstance(part, dict) and part.get("file_id"):
            found.append(
                MediaRef(
                    ref=str(part["file_id"]),
                    kind=kind,
                    filename=str(part.get("file_name") or ""),
                    content_type=str(part.get("mime_type") or ""),
                    size=part.get("file_size"),
                )
            )
    return tuple(found)


def _described(message: dict[str, Any], text: str) -> str:
    """The text, or a line for what has none (a shared location or contact)."""
    if text:
        return text
    place = message.get("location") or (message.get("venue") or {}).get("location")
    if place:
        lat, lon = place.get("latitude"), place.get("longitude")
        return gettext(
            "Location: %(lat)s, %(lon)s https://www.openstreetmap.org/?mlat=%(lat)s&mlon=%(lon)s"
        ) % {
            "lat": lat,
            "lon": lon,
        }
    contact = message.get("contact")
    if contact:
        name = " ".join(
            str(contact.get(k) or "") for k in ("first_name", "last_name") if contact.get(k)
        )
        return gettext("Shared contact: %(contacts)s") % {
            "contacts": f"{name} {contact.get('phone_number', '')}".strip()
        }
    return ""


register(TelegramAdapter())
