"""Small helpers shared by the provider modules."""

from __future__ import annotations

import mimetypes
from datetime import UTC, datetime
from typing import Any

import phonenumbers

from calmdesk.core.errors import DomainError
from calmdesk.customers.services import normalize_phone

# A phone's country → the customer's likely language, for the desk's own languages.
_REGION_LANGUAGES = {"TR": "tr", "IR": "fa", "AF": "fa", "LT": "lt"}


def phone_handle(value: str) -> str:
    """A sender's number as the identity value: E.164 when it is a valid number, else the
    number as the provider wrote it (short codes, alphanumeric senders)."""
    value = value.strip()
    if value.startswith("whatsapp:"):
        value = value.removeprefix("whatsapp:")
    try:
        return normalize_phone(value)
    except DomainError:
        return value


def language_for_phone(value: str) -> str:
    """The desk language a number's country suggests ("" when none)."""
    try:
        parsed = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return ""
    region = phonenumbers.region_code_for_number(parsed) or ""
    return _REGION_LANGUAGES.get(region, "")


_EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "audio/ogg": ".ogg",
    "audio/mpeg": ".mp3",
    "audio/amr": ".amr",
    "audio/aac": ".aac",
    "audio/mp4": ".m4a",
    "video/mp4": ".mp4",
    "application/pdf": ".pdf",
    "text/vcard": ".vcf",
    "text/plain": ".txt",
}


def extension_for(content_type: str) -> str:
    return _EXTENSIONS.get(content_type) or mimetypes.guess_extension(content_type) or ""


def media_kind(content_type: str) -> str:
    major = content_type.partition("/")[0]
    return major if major in ("image", "audio", "video") else "document"


def unix_time(value: Any) -> datetime | None:
    """A provider's Unix timestamp as an aware time; None when missing or out of range."""
    try:
        return datetime.fromtimestamp(int(value), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None
