"""Validate a public submission against the configured form fields.

Used by the HTML form and the API alike, so both give the same per-field errors. Nothing here
writes: the result is a ``CleanSubmission`` handed to ``inbox.services.intake_submit``.
"""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import jdatetime
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from calmdesk.core.config_cache import ProcessCache
from calmdesk.core.errors import DomainError
from calmdesk.customers.services import normalize_email, normalize_phone
from calmdesk.tickets.models import RequestType

from .models import SYSTEM_FIELD_KEYS, FieldType, FormField

# Caps when a field sets no maximum length: enough for any honest request, small enough that a
# flood of megabyte-long "names" never reaches the database.
DEFAULT_MAX_LENGTH = {
    FieldType.TEXT: 500,
    FieldType.LONG_TEXT: 20_000,
    FieldType.EMAIL: 254,
    FieldType.PHONE: 40,
    FieldType.DATE: 40,
    FieldType.CHOICE: 100,
}
# Hard caps of the model columns the system fields end up in.
SYSTEM_MAX_LENGTH = {"name": 200, "subject": 300}
SUBJECT_WORDS = 8
SUBJECT_MAX_CHARS = 80

# A phone number typed without a country code is read in the visitor's language's country.
LANGUAGE_REGION = {"fa": "IR", "tr": "TR", "lt": "LT"}

_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_SLASHED_DATE = re.compile(r"^(\d{4})\s*[/\-.]\s*(\d{1,2})\s*[/\-.]\s*(\d{1,2})$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACES = re.compile(r"\s+")
# Solar Hijri years a traveller may write (1300 ≈ 1921, 1499 ≈ 2120).
_JALALI_YEARS = range(1300, 1500)
_GREGORIAN_YEARS = range(1900, 2200)


class SubmissionInvalid(Exception):
    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("invalid submission")
        self.errors = errors


@dataclass
class CleanSubmission:
    name: str
    email: str  # normalised
    phone: str  # E.164 or ""
    request_type: RequestType | None
    subject: str
    message: str
    custom_fields: dict[str, Any] = field(default_factory=dict)  # JSON-ready (dates as ISO)
    attachments: list[UploadedFile] = field(default_factory=list)
    language: str = "en"


class _Invalid(Exception):
    """One field's problem; collected per key by ``validate_submission``."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _load_form() -> tuple[tuple[FormField, ...], tuple[RequestType, ...]]:
    return (
        tuple(FormField.objects.filter(active=True).order_by("order", "id")),
        tuple(
            RequestType.objects.filter(active=True).select_related("team").order_by("order", "key")
        ),
    )


# The form's configuration, kept per process (intake is the hot path of a surge); saving a
# form field, request type or team reloads it everywhere.
FORM: ProcessCache[tuple[tuple[FormField, ...], tuple[RequestType, ...]]] = ProcessCache(
    "intake-form", _load_form, ttl=30
)


def active_form_fields() -> list[FormField]:
    """The fields the public form shows, in order."""
    return list(FORM.get()[0])


def active_request_types() -> list[RequestType]:
    """Active request types in order, each with its team loaded."""
    return list(FORM.get()[1])


def validate_submission(
    data: dict[str, Any], files: list[UploadedFile], *, language: str
) -> CleanSubmission:
    """Check ``data`` (field key → raw value) against the active FormFields; raise
    SubmissionInvalid with translated messages per field key.

    Keys without an active field are ignored. ``files`` go to the first active file field; with
    no file field they are dropped.
    """
    language = (language or "en")[:2].lower()
    fields = active_form_fields()
    types_by_key = {rt.key: rt for rt in active_request_types()}
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    attachments: list[UploadedFile] = []
    files_taken = False

    for form_field in fields:
        key = form_field.key
        try:
            if form_field.field_type == FieldType.FILE:
                if files_taken:
                    continue
                files_taken = True
                attachments = validate_attachments(list(files))
                if form_field.required and not attachments:
                    raise _Invalid(_("Attach at least one file."))
                continue
            values[key] = _clean_value(form_field, data.get(key), language, types_by_key)
        except _Invalid as exc:
            errors[key] = [exc.message]
        except SubmissionInvalid as exc:
            errors[key] = [m for messages in exc.errors.values() for m in messages]

    if errors:
        raise SubmissionInvalid(errors)

    request_type = values.get("request_type")
    message = values.get("message") or ""
    subject = values.get("subject") or derive_subject(
        request_type=request_type, message=message, language=language
    )
    custom_fields = {
        key: value
        for key, value in values.items()
        if key not in SYSTEM_FIELD_KEYS and value not in ("", None)
    }
    return CleanSubmission(
        name=values.get("name") or "",
        email=values.get("email") or "",
        phone=values.get("phone") or "",
        request_type=request_type,
        subject=subject,
        message=message,
        custom_fields=custom_fields,
        attachments=attachments,
        language=language,
    )


def clean_reply_text(raw: Any) -> str:
    """A customer's follow-up message: required, plain text, within the long-text cap."""
    try:
        text = _as_text(raw).replace("\r\n", "\n").strip()
    except _Invalid as exc:
        raise SubmissionInvalid({"body": [exc.message]}) from exc
    if not text:
        raise SubmissionInvalid({"body": [_("Write your message first.")]})
    limit = DEFAULT_MAX_LENGTH[FieldType.LONG_TEXT]
    if len(text) > limit:
        raise SubmissionInvalid(
            {
                "body": [
                    _("Please keep this under %(limit)s characters (now %(count)s).")
                    % {"limit": limit, "count": len(text)}
                ]
            }
        )
    return text


def derive_subject(*, request_type: RequestType | None, message: str, language: str) -> str:
    """ "Refund: My flight TK1234 on 24 December was cancelled…" — type + first words."""
    words = message.split()
    excerpt = " ".join(words[:SUBJECT_WORDS])
    truncated = len(words) > SUBJECT_WORDS
    if len(excerpt) > SUBJECT_MAX_CHARS:
        excerpt = excerpt[:SUBJECT_MAX_CHARS].rstrip()
        truncated = True
    if truncated:
        excerpt += "…"
    type_name = request_type.name(language) if request_type else ""
    if type_name and excerpt:
        return f"{type_name}: {excerpt}"
    return type_name or excerpt


# ------------------------------------------------------------------------------------------
# One value
# ------------------------------------------------------------------------------------------


def _required_message(form_field: FormField) -> str:
    by_key = {
        "name": _("Tell us your name."),
        "email": _("Enter your email address, so we can answer you."),
        "phone": _("Enter your phone number."),
        "request_type": _("Choose what your request is about."),
        "subject": _("Give your request a short title."),
        "message": _("Tell us how we can help."),
    }
    if form_field.key in by_key:
        return by_key[form_field.key]
    if form_field.field_type == FieldType.DATE:
        return _("Enter a date.")
    if form_field.field_type == FieldType.CHOICE:
        return _("Choose one of the options.")
    return _("This field is required.")


def _as_text(raw: Any) -> str:
    """The raw value as text; lists, dicts and other shapes are refused, NULs too."""
    if raw is None:
        return ""
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raise _Invalid(_("Enter plain text here."))
    text = str(raw)
    if "\x00" in text:
        raise _Invalid(_("This text contains a character that is not allowed (a NUL byte)."))
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise _Invalid(_("This text contains characters that could not be read.")) from exc
    return _CONTROL.sub("", text)


def _clean_value(
    form_field: FormField, raw: Any, language: str, types_by_key: dict[str, RequestType]
) -> Any:
    ftype = form_field.field_type
    text = _as_text(raw)
    if ftype == FieldType.LONG_TEXT:
        text = text.replace("\r\n", "\n").strip()
    else:
        text = _SPACES.sub(" ", text).strip()
    if not text:
        if form_field.required:
            raise _Invalid(_required_message(form_field))
        return None if ftype in (FieldType.CHOICE, FieldType.DATE) else ""

    limit = form_field.max_length or DEFAULT_MAX_LENGTH.get(FieldType(ftype), 500)
    limit = min(limit, SYSTEM_MAX_LENGTH.get(form_field.key, limit))
    if len(text) > limit:
        raise _Invalid(
            _("Please keep this under %(limit)s characters (now %(count)s).")
            % {"limit": limit, "count": len(text)}
        )

    if ftype == FieldType.EMAIL:
        try:
            return normalize_email(text)
        except DomainError as exc:
            raise _Invalid(_("Enter an email address like name@example.com.")) from exc
    if ftype == FieldType.PHONE:
        region = LANGUAGE_REGION.get(language)
        return _domain_checked(lambda v: normalize_phone(v, region=region), text)
    if ftype == FieldType.DATE:
        return parse_date(text, language=language).isoformat()
    if ftype == FieldType.CHOICE:
        if form_field.key == "request_type":
            request_type = types_by_key.get(text)
            if request_type is None:
                raise _Invalid(_("Choose one of the listed request types."))
            return request_type
        allowed = {str(c.get("value")) for c in form_field.choices if isinstance(c, dict)}
        if text not in allowed:
            raise _Invalid(_("Choose one of the options."))
        return text
    return text


def _domain_checked(normalise: Any, text: str) -> str:
    try:
        return str(normalise(text))
    except DomainError as exc:
        raise _Invalid(exc.message) from exc


def parse_date(text: str, *, language: str) -> date:
    """``2026-12-24`` (what ``<input type=date>`` sends). In Persian also Solar Hijri
    ``1405/09/01`` (Persian or Arabic digits too) and ``2026/12/24``."""
    value = text.strip().translate(_DIGITS)
    persian = language[:2] == "fa"
    match = _ISO_DATE.match(value) or (_SLASHED_DATE.match(value) if persian else None)
    if match:
        year, month, day = (int(part) for part in match.groups())
        try:
            if persian and year in _JALALI_YEARS:
                return jdatetime.date(year, month, day).togregorian()
            if year in _GREGORIAN_YEARS:
                return date(year, month, day)
        except ValueError:
            pass
    if persian:
        raise _Invalid(_("Enter a date like 1405/10/03 (or 2026-12-24)."))
    raise _Invalid(_("Enter a date like 2026-12-24."))


# ------------------------------------------------------------------------------------------
# Attachments
# ------------------------------------------------------------------------------------------

# Leading bytes of content that must never be served back from our domain: markup a browser
# could run and programs.
_DANGEROUS_PREFIXES = (
    b"MZ",  # Windows executables
    b"\x7fELF",  # Linux executables
    b"\xfe\xed\xfa\xce",  # Mach-O
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",  # Mach-O universal / Java class
    b"#!",  # scripts
)
# Content a browser would take for a web page or an image with scripts: a tag at the very start
# (after whitespace and byte-order marks), or an SVG/HTML/script tag early on.
_STARTS_WITH_TAG = re.compile(rb"<\s*[!?a-zA-Z]")
_EARLY_MARKUP = re.compile(rb"<\s*(svg|script|html|iframe)\b", re.IGNORECASE)
# Formats whose files always start with a known signature; a mismatch means a disguised file.
_SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "pdf": (b"%PDF-",),
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "gif": (b"GIF87a", b"GIF89a"),
}
_SNIFF_BYTES = 2048


def attachment_limits() -> dict[str, Any]:
    conf = settings.CALMDESK
    return {
        "max_files": int(conf["ATTACHMENT_MAX_FILES"]),
        "max_bytes": int(conf["ATTACHMENT_MAX_BYTES"]),
        "extensions": [e.lower().lstrip(".") for e in conf["ATTACHMENT_EXTENSIONS"]],
    }


def validate_attachments(files: Sequence[UploadedFile]) -> list[UploadedFile]:
    """Count, size, extension and content checks. Raises SubmissionInvalid under
    ``attachments`` with one message per refused file. Sets a content type derived from the
    extension (the browser's claim is not trusted)."""
    limits = attachment_limits()
    files = [f for f in files if f is not None]
    if len(files) > limits["max_files"]:
        raise SubmissionInvalid(
            {
                "attachments": [
                    _("You can attach up to %(count)s files; you chose %(chosen)s.")
                    % {"count": limits["max_files"], "chosen": len(files)}
                ]
            }
        )
    messages: list[str] = []
    for upload in files:
        problem = _attachment_problem(upload, limits)
        if problem:
            messages.append(problem)
    if messages:
        raise SubmissionInvalid({"attachments": messages})
    return list(files)


def _attachment_problem(upload: UploadedFile, limits: dict[str, Any]) -> str | None:
    name = (upload.name or "").replace("\x00", "")
    shown = name or _("(no name)")
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in limits["extensions"]:
        return _("“%(name)s” is not a file type we accept. Accepted: %(types)s.") % {
            "name": shown,
            "types": ", ".join(limits["extensions"]),
        }
    size = upload.size or 0
    if size == 0:
        return _("“%(name)s” is empty.") % {"name": shown}
    if size > limits["max_bytes"]:
        return _("“%(name)s” is too large (%(size)s); each file may be up to %(limit)s.") % {
            "name": shown,
            "size": filesizeformat(size),
            "limit": filesizeformat(limits["max_bytes"]),
        }
    head = _read_head(upload)
    if head.startswith(_DANGEROUS_PREFIXES) or _looks_like_markup(head):
        return _(
            "“%(name)s” cannot be accepted: it contains a web page or a program. "
            "Please send a document or an image."
        ) % {"name": shown}
    signatures = _SIGNATURES.get(extension)
    if signatures and not head.startswith(signatures):
        return _("“%(name)s” does not look like a .%(ext)s file. Is it damaged?") % {
            "name": shown,
            "ext": extension,
        }
    upload.name = name
    upload.content_type = mimetypes.guess_type(f"x.{extension}")[0] or "application/octet-stream"
    return None


def _read_head(upload: UploadedFile) -> bytes:
    upload.seek(0)
    head = upload.read(_SNIFF_BYTES)
    upload.seek(0)
    if isinstance(head, str):
        head = head.encode("utf-8", "replace")
    return bytes(head)


def _looks_like_markup(head: bytes) -> bool:
    text = head
    for bom in (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"):
        if text.startswith(bom):
            text = text[len(bom) :]
            break
    if b"\x00" in text[:2]:  # UTF-16: drop the zero bytes to see the characters
        text = text.replace(b"\x00", b"")
    text = text.lstrip()
    return bool(_STARTS_WITH_TAG.match(text) or _EARLY_MARKUP.search(text[:1024]))
