"""Importing affected customers and their bookings: CSV/XLSX files and API records.

Files are streamed row by row (never read whole), validated per row, and written in batches of
``BATCH_SIZE`` rows, one transaction per batch, so a 50,000-row list runs in bounded memory
and its progress is visible while it runs. A row becomes (or finds) a customer by email, then
phone (``customer_find``), and a booking unique per customer and reference, so importing the
same list again creates nothing new: it updates the bookings' mapped fields.

Row rules (the same for files and the API):

- ``reference`` is required; an ``email`` or a ``phone`` is required (to find the customer).
- ``email`` and ``phone`` are normalised like on the request form; a phone without a country
  code is read in the mapping's ``phone_region`` (e.g. "TR"), when given.
- ``language``: a language of the site ("tr", "TR", "tr-TR"); anything else falls back to the
  mapping's ``default_language`` (else the site's default), without rejecting the row.
- ``departure_date``: ISO ``2025-07-14`` (a time after it is ignored), or day first:
  ``14.07.2025`` or ``14/07/2025``. Month-first dates (US) are not read: they are ambiguous.
- ``tags``: separated by commas, semicolons or "|"; stored lower-case.

Row numbers are those a spreadsheet shows: the header is row 1, the first data row is row 2.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import PurePath
from typing import IO, Any

from django.conf import settings
from django.core.files.base import File
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from calmdesk.core.errors import DomainError

from .models import (
    Booking,
    Customer,
    CustomerImport,
    Identity,
    IdentityKind,
    ImportStatus,
    name_keys,
)
from .services import normalize_email, normalize_phone

FIELDS = (
    "name",
    "email",
    "phone",
    "language",
    "reference",
    "trip",
    "ship",
    "route",
    "product",
    "departure_date",
    "tags",
)
# Mapping keys that are options, not columns.
OPTION_KEYS = ("phone_region", "default_language")
BOOKING_FIELDS = ("trip", "ship", "route", "product", "departure_date", "tags")
MAX_FILE_BYTES = 20 * 1024 * 1024
BATCH_SIZE = 500
MAX_REPORTED = 1000
PREVIEW_ROWS = 5
SNIFF_BYTES = 64 * 1024
MAX_CELL = 1000
LIMITS = {"name": 200, "reference": 40, "trip": 120, "ship": 120, "route": 120, "product": 120}
DELIMITERS = (",", ";", "\t", "|")
DATE_FORMATS = ("%d.%m.%Y", "%d/%m/%Y")


def field_labels() -> dict[str, str]:
    return {
        "name": _("Name"),
        "email": _("Email"),
        "phone": _("Phone"),
        "language": _("Language"),
        "reference": _("Booking reference"),
        "trip": _("Trip"),
        "ship": _("Ship"),
        "route": _("Route"),
        "product": _("Product"),
        "departure_date": _("Departure date"),
        "tags": _("Tags"),
    }


# ------------------------------------------------------------------------------------------
# Reading files
# ------------------------------------------------------------------------------------------


@dataclass
class ImportPreview:
    headers: list[str]
    rows: list[list[str]]
    kind: str  # "csv" or "xlsx"


def _cell(value: Any) -> str:
    """A spreadsheet cell as the text a person reads in it."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()[:MAX_CELL]


def _file_kind(head: bytes, name: str) -> str:
    suffix = PurePath(name or "").suffix.lower()
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0") or suffix == ".xls":
        raise DomainError(
            _("This is an old Excel file (.xls). Save it as .xlsx or CSV and upload it again."),
            field="file",
        )
    if suffix == ".xlsx":
        raise DomainError(_("This file is not a valid XLSX workbook."), field="file")
    return "csv"


def _encoding(head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"  # Excel's "Unicode text": UTF-16 with a BOM, tab-separated
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError as exc:
        raise DomainError(
            _("The file is not UTF-8 text. Save it as “CSV UTF-8” and upload it again."),
            field="file",
        ) from exc
    return "utf-8"


def _delimiter(first_line: str) -> str:
    """The separator of the header line: the most frequent of , ; tab | outside quotes."""
    unquoted = re.sub(r'"[^"]*"', "", first_line)
    counts = {d: unquoted.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


@contextmanager
def _open_rows(
    file: IO[bytes] | File[Any], *, name: str
) -> Iterator[tuple[str, Iterator[list[str]]]]:
    """(kind, rows) of a CSV or XLSX file; rows are lists of cell texts, the header first."""
    file.seek(0)
    head = file.read(SNIFF_BYTES)
    file.seek(0)
    if not head:
        raise DomainError(_("The file is empty."), field="file")
    kind = _file_kind(head, name)
    if kind == "xlsx":
        import openpyxl

        try:
            workbook = openpyxl.load_workbook(file, read_only=True, data_only=True)
        except Exception as exc:  # any broken workbook is the user's file, not a bug
            raise DomainError(_("This file is not a valid XLSX workbook."), field="file") from exc
        try:
            sheet = workbook.worksheets[0]
            yield kind, ([_cell(v) for v in row] for row in sheet.iter_rows(values_only=True))
        finally:
            workbook.close()
        return
    encoding = _encoding(head)
    # After the sniffed start, a stray byte becomes U+FFFD instead of failing mid-import.
    text = io.TextIOWrapper(file, encoding=encoding, errors="replace", newline="")
    try:
        sample = head.decode(encoding, errors="ignore").lstrip("\ufeff")
        delimiter = _delimiter(sample.splitlines()[0] if sample else "")
        reader = csv.reader(text, delimiter=delimiter)
        yield kind, ([c.strip()[:MAX_CELL] for c in row] for row in reader)
    except csv.Error as exc:
        raise DomainError(
            _("The file could not be read as CSV: %(error)s") % {"error": exc}, field="file"
        ) from exc
    finally:
        text.detach()


def _non_blank(rows: Iterator[list[str]]) -> Iterator[tuple[int, list[str]]]:
    """(row number, cells) of rows with any text; row 1 is the header."""
    for number, row in enumerate(rows, start=1):
        if any(row):
            yield number, row


def _headers(row: list[str]) -> list[str]:
    headers = [h.strip() for h in row]
    while headers and not headers[-1]:
        headers.pop()
    return headers


def import_inspect(
    file: IO[bytes] | File[Any], *, name: str = "", limit: int = PREVIEW_ROWS
) -> ImportPreview:
    """The header and the first ``limit`` data rows; DomainError(field="file") when unreadable."""
    name = name or str(getattr(file, "name", "") or "")
    with _open_rows(file, name=name) as (kind, rows):
        numbered = _non_blank(rows)
        first = next(numbered, None)
        if first is None:
            raise DomainError(_("The file has no rows."), field="file")
        headers = _headers(first[1])
        if not any(headers):
            raise DomainError(_("The first row must name the columns."), field="file")
        preview = []
        for _number, row in numbered:
            preview.append((row + [""] * len(headers))[: len(headers)])
            if len(preview) >= limit:
                break
    return ImportPreview(headers=headers, rows=preview, kind=kind)


# ------------------------------------------------------------------------------------------
# Mapping columns to our fields
# ------------------------------------------------------------------------------------------

SYNONYMS: dict[str, tuple[str, ...]] = {
    "name": (
        "name",
        "full name",
        "fullname",
        "customer",
        "customer name",
        "passenger",
        "passenger name",
        "traveller",
        "traveler",
        "guest",
        "ad",
        "ad soyad",
        "adı soyadı",
        "adsoyad",
        "isim",
        "yolcu",
        "yolcu adı",
        "müşteri",
        "vardas",
        "vardas pavardė",
        "vardas ir pavardė",
        "keleivis",
        "klientas",
        "نام",
        "نام و نام خانوادگی",
        "نام کامل",
        "مسافر",
        "مشتری",
    ),
    "email": (
        "email",
        "e-mail",
        "mail",
        "email address",
        "e-mail address",
        "e-posta",
        "eposta",
        "e-posta adresi",
        "mail adresi",
        "el. paštas",
        "el paštas",
        "elektroninis paštas",
        "e. paštas",
        "el. pašto adresas",
        "ایمیل",
        "پست الکترونیک",
        "پست الکترونیکی",
        "رایانامه",
        "آدرس ایمیل",
    ),
    "phone": (
        "phone",
        "telephone",
        "mobile",
        "phone number",
        "tel",
        "cell",
        "mobile phone",
        "telefon",
        "cep",
        "cep telefonu",
        "gsm",
        "telefon numarası",
        "telefonas",
        "tel. nr.",
        "mobilusis",
        "telefono numeris",
        "mob. tel.",
        "تلفن",
        "موبایل",
        "شماره تلفن",
        "شماره همراه",
        "تلفن همراه",
        "همراه",
    ),
    "language": (
        "language",
        "lang",
        "locale",
        "dil",
        "kalba",
        "زبان",
    ),
    "reference": (
        "reference",
        "booking reference",
        "booking",
        "booking ref",
        "ref",
        "pnr",
        "booking number",
        "booking no",
        "booking id",
        "confirmation",
        "confirmation number",
        "rezervasyon",
        "rezervasyon no",
        "rezervasyon kodu",
        "rezervasyon numarası",
        "rezervacija",
        "rezervacijos numeris",
        "rezervacijos nr",
        "užsakymas",
        "užsakymo nr",
        "užsakymo numeris",
        "شماره رزرو",
        "کد رزرو",
        "رزرو",
        "کد پیگیری رزرو",
    ),
    "trip": ("trip", "tour", "voyage", "cruise", "gezi", "tur", "sefer", "kelionė", "سفر", "تور"),
    "ship": ("ship", "vessel", "boat", "gemi", "laivas", "کشتی"),
    "route": ("route", "line", "rota", "güzergah", "güzergâh", "hat", "maršrutas", "مسیر"),
    "product": (
        "product",
        "fare",
        "cabin",
        "class",
        "ürün",
        "kabin",
        "produktas",
        "prekė",
        "محصول",
    ),
    "departure_date": (
        "departure",
        "departure date",
        "date",
        "travel date",
        "sailing date",
        "departs",
        "kalkış",
        "kalkış tarihi",
        "hareket tarihi",
        "seyahat tarihi",
        "tarih",
        "išvykimas",
        "išvykimo data",
        "data",
        "kelionės data",
        "تاریخ حرکت",
        "تاریخ عزیمت",
        "حرکت",
        "تاریخ سفر",
        "تاریخ",
    ),
    "tags": ("tags", "tag", "labels", "etiket", "etiketler", "žymos", "žymė", "برچسب", "برچسب‌ها"),
}


def _key(text: str) -> str:
    """Header text for comparison: case-folded, letters and digits only ("E-posta" → "eposta")."""
    text = unicodedata.normalize("NFKC", text).casefold().replace("ı", "i")
    return "".join(ch for ch in text if ch.isalnum())


_SYNONYM_KEYS = {f: [_key(s) for s in words] for f, words in SYNONYMS.items()}


def guess_mapping(headers: list[str]) -> dict[str, str]:
    """Our field → the header that most likely holds it (exact names first, then contained)."""
    guessed: dict[str, str] = {}
    used: set[str] = set()
    keyed = [(h, _key(h)) for h in headers if h]
    for exact in (True, False):
        for our_field, keys in _SYNONYM_KEYS.items():
            if our_field in guessed:
                continue
            for header, hkey in keyed:
                if header in used or not hkey:
                    continue
                if (hkey in keys) if exact else any(len(k) >= 4 and k in hkey for k in keys):
                    guessed[our_field] = header
                    used.add(header)
                    break
    return {f: guessed[f] for f in FIELDS if f in guessed}


@dataclass
class Mapping:
    columns: dict[str, str]  # our field → header
    phone_region: str | None = None
    default_language: str = ""

    def as_json(self) -> dict[str, str]:
        data = dict(self.columns)
        if self.phone_region:
            data["phone_region"] = self.phone_region
        if self.default_language:
            data["default_language"] = self.default_language
        return data


def _languages() -> set[str]:
    return {code for code, _name in settings.LANGUAGES}


def validate_mapping(mapping: dict[str, Any], *, headers: list[str] | None = None) -> Mapping:
    """The cleaned mapping; DomainError(field=<our field>) when it cannot work."""
    columns: dict[str, str] = {}
    for key, value in mapping.items():
        if key in OPTION_KEYS:
            continue
        if key not in FIELDS:
            raise DomainError(_("Unknown field “%(key)s”.") % {"key": key}, field=str(key))
        if not value:
            continue
        if not isinstance(value, str):
            raise DomainError(_("Choose a column of the file."), field=key)
        if headers is not None and value not in headers:
            raise DomainError(
                _("The file has no column “%(column)s”.") % {"column": value}, field=key
            )
        columns[key] = value
    if "reference" not in columns:
        raise DomainError(_("Choose the column with the booking reference."), field="reference")
    if "email" not in columns and "phone" not in columns:
        raise DomainError(_("Choose the column with the email or the phone."), field="email")
    region = str(mapping.get("phone_region") or "").strip().upper()
    if region:
        import phonenumbers

        if region not in phonenumbers.SUPPORTED_REGIONS:
            raise DomainError(_("Enter a two-letter country code, e.g. TR."), field="phone_region")
    language = str(mapping.get("default_language") or "").strip()
    if language and language not in _languages():
        raise DomainError(_("Choose a language of the site."), field="default_language")
    return Mapping(columns=columns, phone_region=region or None, default_language=language)


# ------------------------------------------------------------------------------------------
# Rows
# ------------------------------------------------------------------------------------------


@dataclass
class Rejected:
    row: int
    reasons: list[dict[str, str]]  # [{"field", "message"}]
    # The row as sent: [[column, value], …] — a list, because PostgreSQL's jsonb does not keep
    # the key order of an object, and the download must keep the file's column order.
    values: list[list[str]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"row": self.row, "reasons": self.reasons, "values": self.values}


@dataclass
class CleanRow:
    row: int
    reference: str
    name: str = ""
    email: str = ""
    phone: str = ""
    language: str = ""
    booking: dict[str, Any] = field(default_factory=dict)


def parse_date(value: str) -> date:
    value = value.strip()
    try:
        return (
            date.fromisoformat(value[:10])
            if len(value) >= 10 and value[4] == "-"
            else (_day_first(value))
        )
    except ValueError as exc:
        raise DomainError(
            _("“%(value)s” is not a date (write 2025-07-14 or 14.07.2025).") % {"value": value},
            field="departure_date",
        ) from exc


def _day_first(value: str) -> date:
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(value, fmt).date()  # noqa: DTZ007 -- a date, no time
        except ValueError:
            continue
    raise ValueError(value)


def _language(value: str, default: str) -> str:
    code = value.strip().lower().replace("_", "-").split("-")[0]
    return code if code in _languages() else default


def _tags(value: Any) -> list[str]:
    parts = value if isinstance(value, list) else re.split(r"[,;|]", str(value or ""))
    tags: list[str] = []
    for part in parts:
        tag = str(part).strip().lower()[:60]
        if tag and tag not in tags:
            tags.append(tag)
    return tags


def clean_row(
    number: int, values: dict[str, Any], *, mapped: Iterable[str], options: Mapping
) -> CleanRow | Rejected:
    """One row's values (our field → raw value) checked; every problem of the row reported."""
    mapped = set(mapped)
    reasons: list[dict[str, str]] = []

    def text(key: str) -> str:
        raw = values.get(key)
        return "" if raw is None else _cell(raw)

    def reject(key: str, message: str) -> None:
        reasons.append({"field": key, "message": message})

    for key, limit in LIMITS.items():
        if len(text(key)) > limit:
            reject(key, _("Longer than %(n)s characters.") % {"n": limit})
    reference = text("reference")
    if not reference:
        reject("reference", _("The booking reference is missing."))
    email = phone = ""
    if text("email"):
        try:
            email = normalize_email(text("email"))
        except DomainError as exc:
            reject("email", exc.message)
    if text("phone"):
        try:
            phone = normalize_phone(text("phone"), region=options.phone_region)
        except DomainError as exc:
            reject("phone", exc.message)
    if not text("email") and not text("phone"):
        reject("email", _("An email address or a phone number is needed."))
    booking: dict[str, Any] = {}
    for key in ("trip", "ship", "route", "product"):
        if key in mapped:
            booking[key] = text(key)
    if "departure_date" in mapped:
        raw = values.get("departure_date")
        if isinstance(raw, datetime):
            booking["departure_date"] = raw.date()
        elif isinstance(raw, date):
            booking["departure_date"] = raw
        elif text("departure_date"):
            try:
                booking["departure_date"] = parse_date(text("departure_date"))
            except DomainError as exc:
                reject("departure_date", exc.message)
        else:
            booking["departure_date"] = None
    if "tags" in mapped:
        booking["tags"] = _tags(values.get("tags"))
    if reasons:
        return Rejected(row=number, reasons=reasons)
    default_language = options.default_language or settings.LANGUAGE_CODE
    return CleanRow(
        row=number,
        reference=reference,
        name=text("name"),
        email=email,
        phone=phone,
        language=_language(text("language"), default_language),
        booking=booking,
    )


# ------------------------------------------------------------------------------------------
# Writing
# ------------------------------------------------------------------------------------------


@dataclass
class Record:
    """One input row: its number, our field → raw value, and (files) the whole original row."""

    row: int
    values: dict[str, Any]
    original: dict[str, str] | None = None


@dataclass
class ImportResult:
    total: int = 0
    accepted: int = 0
    rejected: int = 0
    report: list[dict[str, Any]] = field(default_factory=list)  # capped at MAX_REPORTED

    def add_rejected(self, rejected: Rejected) -> None:
        self.rejected += 1
        if len(self.report) < MAX_REPORTED:
            self.report.append(rejected.as_json())


class _Contacts:
    """Who owns each email and phone of a batch, loaded in one query and kept as rows go.

    The same rules as ``customer_find`` + ``customer_save_contact``, for 500 rows at a time:
    the owner of the email, else of the phone (following merges); a new customer otherwise;
    the row's other contacts are added to that customer unless someone already owns them.
    """

    def __init__(self, rows: list[CleanRow]) -> None:
        wanted = Q(pk__in=[])
        emails = {r.email for r in rows if r.email}
        phones = {r.phone for r in rows if r.phone}
        if emails:
            wanted |= Q(kind=IdentityKind.EMAIL, value__in=emails)
        if phones:
            wanted |= Q(kind=IdentityKind.PHONE, value__in=phones)
        found = list(
            Identity.objects.filter(wanted).values_list(
                "kind", "value", "customer_id", "customer__merged_into_id", "customer__name"
            )
        )
        survivors = _survivors({merged for *_, merged, _name in found if merged})
        self.owner: dict[tuple[str, str], int | Customer] = {}
        self.unnamed: set[int] = set()
        for kind, value, customer_id, merged, name in found:
            owner = survivors.get(merged, merged) if merged else customer_id
            self.owner[(kind, value)] = owner
            if not merged and not name:
                self.unnamed.add(customer_id)
        self.new_customers: list[Customer] = []
        self.new_identities: list[tuple[int | Customer, str, str]] = []
        self.names: dict[int, str] = {}

    def customer_for(self, row: CleanRow) -> int | Customer:
        """An existing customer's id, or a new (not yet saved) customer."""
        email = (IdentityKind.EMAIL.value, row.email)
        phone = (IdentityKind.PHONE.value, row.phone)
        owner = (row.email and self.owner.get(email)) or (row.phone and self.owner.get(phone))
        if not owner:
            owner = Customer(name=row.name[:200], language=row.language)
            owner.set_name_keys()  # bulk_create does not call save()
            self.new_customers.append(owner)
        elif isinstance(owner, int) and owner in self.unnamed and row.name:
            self.names.setdefault(owner, row.name[:200])
        for key, present in ((email, row.email), (phone, row.phone)):
            if present and key not in self.owner:
                self.owner[key] = owner
                self.new_identities.append((owner, *key))
        return owner

    def save(self) -> None:
        now = timezone.now()
        for customer in self.new_customers:
            customer.created_at = now
        Customer.objects.bulk_create(self.new_customers)
        Identity.objects.bulk_create(
            [
                Identity(customer_id=o if isinstance(o, int) else o.pk, kind=kind, value=value)
                for o, kind, value in self.new_identities
            ],
            ignore_conflicts=True,  # taken meanwhile by a concurrent first contact: theirs
        )
        for customer_id, name in self.names.items():
            name_key, family_key = name_keys(name)
            Customer.objects.filter(pk=customer_id, name="").update(
                name=name, name_key=name_key, family_key=family_key
            )


def _survivors(merged: set[int]) -> dict[int, int]:
    """Merged customer id → the customer it ended up merged into (following chains)."""
    resolved = {pk: pk for pk in merged}
    pending = set(merged)
    for _hop in range(10):
        if not pending:
            break
        step = dict(
            Customer.objects.filter(pk__in=pending, merged_into__isnull=False).values_list(
                "pk", "merged_into_id"
            )
        )
        for start, current in resolved.items():
            if current in step:
                resolved[start] = step[current]
        pending = {target for target in step.values() if target is not None}
    return resolved


def _write_batch(rows: list[CleanRow], *, fields: list[str], source: CustomerImport | None) -> None:
    """Customers and bookings of one batch, in the caller's transaction."""
    contacts = _Contacts(rows)
    owners = [contacts.customer_for(row) for row in rows]
    contacts.save()
    bookings: dict[tuple[int, str], Booking] = {}
    for row, owner in zip(rows, owners, strict=True):
        customer_id = owner if isinstance(owner, int) else owner.pk
        assert customer_id is not None
        # The last row wins when a list repeats a booking.
        bookings[(customer_id, row.reference)] = Booking(
            customer_id=customer_id, reference=row.reference, source=source, **row.booking
        )
    Booking.objects.bulk_create(
        list(bookings.values()),
        update_conflicts=True,
        unique_fields=["customer", "reference"],
        update_fields=[*fields, "source"],
    )


def import_records(
    records: Iterable[Record],
    *,
    options: Mapping,
    fields: Iterable[str],
    source: CustomerImport | None = None,
    on_batch: Callable[[ImportResult], None] | None = None,
) -> ImportResult:
    """Validate and write records, ``BATCH_SIZE`` rows per transaction.

    ``fields``: the fields the records carry; booking fields not among them keep their value
    on existing bookings. ``on_batch`` runs inside each batch's transaction (progress).
    """
    fields = list(fields)
    booking_fields = [f for f in BOOKING_FIELDS if f in fields]
    result = ImportResult()
    batch: list[CleanRow] = []

    def flush() -> None:
        with transaction.atomic():
            if batch:
                _write_batch(batch, fields=booking_fields, source=source)
            if on_batch is not None:
                on_batch(result)
        batch.clear()

    for record in records:
        result.total += 1
        cleaned = clean_row(record.row, record.values, mapped=fields, options=options)
        if isinstance(cleaned, Rejected):
            original = record.original or {
                k: _cell(v) if not isinstance(v, list) else ", ".join(map(str, v))
                for k, v in record.values.items()
                if k in FIELDS
            }
            cleaned.values = [[k, v] for k, v in original.items()]
            result.add_rejected(cleaned)
            continue
        result.accepted += 1
        batch.append(cleaned)
        if len(batch) >= BATCH_SIZE:
            flush()
    flush()
    return result


def _file_records(rows: Iterator[list[str]], columns: dict[str, str]) -> Iterator[Record]:
    numbered = _non_blank(rows)
    first = next(numbered, None)
    if first is None:
        return
    headers = _headers(first[1])
    index: dict[str, int] = {}
    for position, header in enumerate(headers):
        index.setdefault(header, position)
    missing = [c for c in columns.values() if c not in index]
    if missing:
        raise DomainError(
            _("The file has no column “%(column)s”.") % {"column": missing[0]}, field="mapping"
        )
    for number, row in numbered:
        cells = (row + [""] * len(headers))[: max(len(headers), 1)]
        original = {h: cells[i] for h, i in index.items()}
        yield Record(number, {f: cells[index[c]] for f, c in columns.items()}, original)


def import_run(
    *,
    upload: CustomerImport,
    mapping: dict[str, Any],
    actor: Any,
    incident: Any = None,
    progress: Callable[[int], None] | None = None,
) -> CustomerImport:
    """Import an uploaded file with this column mapping; the upload carries counts and report.

    The counts are saved after each batch, so the page shows them while it runs. A file that
    cannot be read marks the upload failed, with the reason as its report. ``progress`` gets
    the number of rows done since its last call (the command's progress bar).
    """
    options = validate_mapping(mapping)
    upload.mapping = options.as_json()
    if incident is not None:
        upload.incident = incident
    if upload.created_by_id is None and getattr(actor, "pk", None):
        upload.created_by = actor
    upload.total_rows = upload.accepted = upload.rejected = 0
    upload.report = []
    upload.save(
        update_fields=[
            "mapping",
            "incident",
            "created_by",
            "total_rows",
            "accepted",
            "rejected",
            "report",
        ]
    )
    reported = 0

    def on_batch(result: ImportResult) -> None:
        nonlocal reported
        CustomerImport.objects.filter(pk=upload.pk).update(
            total_rows=result.total, accepted=result.accepted, rejected=result.rejected
        )
        if progress is not None:
            progress(result.total - reported)
        reported = result.total

    try:
        with upload.file.open("rb") as file, _open_rows(file, name=upload.filename) as (_, rows):
            result = import_records(
                _file_records(rows, options.columns),
                options=options,
                fields=options.columns,
                source=upload,
                on_batch=on_batch,
            )
    except (DomainError, OSError) as exc:
        message = exc.message if isinstance(exc, DomainError) else _("The file could not be read.")
        CustomerImport.objects.filter(pk=upload.pk).update(
            status=ImportStatus.FAILED,
            report=[{"row": None, "reasons": [{"field": "file", "message": message}]}],
        )
        upload.refresh_from_db()
        return upload
    upload.total_rows, upload.accepted, upload.rejected = (
        result.total,
        result.accepted,
        result.rejected,
    )
    upload.report = result.report
    upload.status = ImportStatus.DONE
    upload.save(update_fields=["total_rows", "accepted", "rejected", "report", "status"])
    return upload


def import_create(
    *, file: File[Any], actor: Any, incident: Any = None
) -> tuple[CustomerImport, ImportPreview]:
    """Store an uploaded list (checked readable, at most 20 MB) and return its preview."""
    size = file.size or 0
    if size > MAX_FILE_BYTES:
        raise DomainError(
            _("The file is larger than %(n)s MB.") % {"n": MAX_FILE_BYTES // (1024 * 1024)},
            field="file",
        )
    name = PurePath(str(file.name or "list.csv")).name[:255]
    preview = import_inspect(file, name=name)
    upload = CustomerImport(
        filename=name,
        incident=incident,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    file.seek(0)
    upload.file.save(name, file, save=False)
    upload.save()
    return upload, preview


@transaction.atomic
def import_start(*, upload: CustomerImport, mapping: dict[str, Any], headers: list[str]) -> Mapping:
    """Fix the mapping of an upload before it runs; refuses to run an upload twice."""
    options = validate_mapping(mapping, headers=headers)
    locked = CustomerImport.objects.select_for_update().get(pk=upload.pk)
    if locked.mapping or locked.status != ImportStatus.UPLOADED:
        raise DomainError(
            _("This list has already been imported."), field="mapping", code="conflict"
        )
    locked.mapping = options.as_json()
    locked.save(update_fields=["mapping"])
    upload.mapping = locked.mapping
    return options


def import_is_running(upload: CustomerImport) -> bool:
    return bool(upload.mapping) and upload.status == ImportStatus.UPLOADED


def rejected_rows_csv(upload: CustomerImport) -> Iterator[str]:
    """The rejected rows as CSV lines: the file's columns, then row number and reasons."""
    columns: list[str] = []
    for entry in upload.report:
        for key, _value in entry.get("values") or []:
            if key not in columns:
                columns.append(key)
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(cells: list[Any]) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(cells)
        return buffer.getvalue()

    yield "\ufeff" + line([*columns, _("Row"), _("Reasons")])
    for entry in upload.report:
        values = dict(entry.get("values") or [])
        reasons = "; ".join(f"{r['field']}: {r['message']}" for r in entry.get("reasons", []))
        yield line(
            [*(_safe_csv(values.get(c, "")) for c in columns), entry.get("row") or "", reasons]
        )


def _safe_csv(value: str) -> str:
    """No formula injection when the download opens in a spreadsheet (phone numbers such as
    "+90 532 …" stay as they are)."""
    risky = value[:1] in ("=", "@", "\t", "\r") or (
        value[:1] in ("+", "-") and not re.fullmatch(r"[+\-\d\s().]*", value)
    )
    return "'" + value if risky else value
