"""Correctly signed sample webhooks in each provider's real format: the ``messaging_simulate``
command posts them to a running desk (demos, checking a set-up), and the tests replay them."""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from .models import MessagingAccount, Provider
from .providers.telegram import SECRET_HEADER
from .providers.twilio import twilio_signature
from .providers.whatsapp import whatsapp_signature


@dataclass(frozen=True)
class SignedRequest:
    url: str
    content_type: str
    body: bytes
    headers: dict[str, str]  # the provider's signature header(s)
    method: str = "POST"


def twilio_request(
    account: MessagingAccount, params: list[tuple[str, str]], *, url: str | None = None
) -> SignedRequest:
    url = url or account.webhook_url
    signature = twilio_signature(account.credential("auth_token"), url, params)
    return SignedRequest(
        url=url,
        content_type="application/x-www-form-urlencoded",
        body=urlencode(params).encode(),
        headers={"X-Twilio-Signature": signature},
    )


def twilio_message(
    account: MessagingAccount,
    *,
    sender: str,
    text: str,
    sid: str | None = None,
    media: list[tuple[str, str]] = (),  # type: ignore[assignment]
    url: str | None = None,
) -> SignedRequest:
    """An incoming SMS as Twilio posts it (the parameters of its Messaging webhook)."""
    sid = sid or "SM" + secrets.token_hex(16)
    to = account.credential("from_number")
    params = [
        ("ToCountry", "US"),
        ("ToState", ""),
        ("SmsMessageSid", sid),
        ("NumMedia", str(len(media))),
        ("ToCity", ""),
        ("FromZip", ""),
        ("SmsSid", sid),
        ("FromState", ""),
        ("SmsStatus", "received"),
        ("FromCity", ""),
        ("Body", text),
        ("FromCountry", ""),
        ("To", to),
        ("MessagingServiceSid", ""),
        ("ToZip", ""),
        ("NumSegments", str(max(1, (len(text) + 152) // 153))),
        ("MessageSid", sid),
        ("AccountSid", account.credential("account_sid")),
        ("From", sender),
        ("ApiVersion", "2010-04-01"),
    ]
    for index, (media_url, content_type) in enumerate(media):
        params += [(f"MediaUrl{index}", media_url), (f"MediaContentType{index}", content_type)]
    if text.strip().upper() in ("STOP", "UNSUBSCRIBE", "STOPALL", "CANCEL", "END", "QUIT"):
        params.append(("OptOutType", "STOP"))
    return twilio_request(account, params, url=url)


def twilio_status(
    account: MessagingAccount, *, sid: str, status: str, error_code: str = ""
) -> SignedRequest:
    """A status callback for a message we sent."""
    params = [
        ("SmsSid", sid),
        ("SmsStatus", status),
        ("MessageStatus", status),
        ("To", "+905321234567"),
        ("MessageSid", sid),
        ("AccountSid", account.credential("account_sid")),
        ("From", account.credential("from_number")),
        ("ApiVersion", "2010-04-01"),
    ]
    if error_code:
        params.append(("ErrorCode", error_code))
    return twilio_request(account, params)


def whatsapp_request(account: MessagingAccount, value: dict[str, Any]) -> SignedRequest:
    number_id = account.credential("phone_number_id")
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": number_id},
        **value,
    }
    payload = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"value": value, "field": "messages"}]}],
    }
    body = json.dumps(payload).encode()
    return SignedRequest(
        url=account.webhook_url,
        content_type="application/json",
        body=body,
        headers={"X-Hub-Signature-256": whatsapp_signature(account.credential("app_secret"), body)},
    )


def whatsapp_message(
    account: MessagingAccount,
    *,
    sender: str,
    text: str = "",
    name: str = "",
    message_id: str | None = None,
    message: dict[str, Any] | None = None,
    timestamp: int | None = None,
) -> SignedRequest:
    """An incoming WhatsApp message (``message`` replaces the text part: image, location, ...)."""
    wa_id = sender.lstrip("+")
    body = message or {"type": "text", "text": {"body": text}}
    return whatsapp_request(
        account,
        {
            "contacts": [{"profile": {"name": name}, "wa_id": wa_id}],
            "messages": [
                {
                    "from": wa_id,
                    "id": message_id or "wamid." + secrets.token_hex(20),
                    "timestamp": str(timestamp or int(time.time())),
                    **body,
                }
            ],
        },
    )


def whatsapp_status(
    account: MessagingAccount,
    *,
    message_id: str,
    status: str,
    recipient: str = "905321234567",
    error: dict[str, Any] | None = None,
) -> SignedRequest:
    entry: dict[str, Any] = {
        "id": message_id,
        "status": status,
        "timestamp": str(int(time.time())),
        "recipient_id": recipient,
    }
    if error:
        entry["errors"] = [error]
    return whatsapp_request(account, {"statuses": [entry]})


def telegram_update(
    account: MessagingAccount,
    *,
    chat_id: int,
    text: str = "",
    first_name: str = "",
    last_name: str = "",
    language: str = "en",
    update_id: int | None = None,
    message: dict[str, Any] | None = None,
    edited: bool = False,
    chat_type: str = "private",
) -> SignedRequest:
    """An update as Telegram posts it to a webhook set with a secret token."""
    sender = {
        "id": chat_id,
        "is_bot": False,
        "first_name": first_name,
        "language_code": language,
    }
    if last_name:
        sender["last_name"] = last_name
    now = int(time.time())
    content = message or {"text": text}
    msg = {
        "message_id": secrets.randbelow(10**6),
        "from": sender,
        "chat": {"id": chat_id, "first_name": first_name, "type": chat_type},
        "date": now,
        **content,
    }
    if edited:
        msg["edit_date"] = now
    update = {
        "update_id": update_id or secrets.randbelow(10**9),
        "edited_message" if edited else "message": msg,
    }
    return SignedRequest(
        url=account.webhook_url,
        content_type="application/json",
        body=json.dumps(update).encode(),
        headers={SECRET_HEADER: account.credential("secret_token")},
    )


def sample_request(
    account: MessagingAccount, *, sender: str, text: str, name: str = ""
) -> SignedRequest:
    """One incoming text message from ``sender`` (a number; a chat id for Telegram)."""
    if account.provider == Provider.TWILIO:
        return twilio_message(account, sender=sender, text=text)
    if account.provider == Provider.WHATSAPP:
        return whatsapp_message(account, sender=sender, text=text, name=name)
    first, _sep, last = name.partition(" ")
    chat_id = int("".join(c for c in sender if c.isdigit()) or "1")
    return telegram_update(account, chat_id=chat_id, text=text, first_name=first, last_name=last)
