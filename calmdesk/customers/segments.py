"""Which bookings and customers a segment selects.

A segment is a dict with any of: ``trip``, ``ship``, ``route``, ``product``, ``tag`` (exact,
case-insensitive), ``departure_from`` / ``departure_to`` (ISO dates, inclusive), ``import``
(a CustomerImport id). All given keys must match; an empty segment selects nothing.

Matching: text keys use ``__iexact``. On PostgreSQL that is ``UPPER(col) = UPPER(%s)``, which
an expression index ``Upper("ship")`` can serve; today the (ship|route, departure_date) and
departure_date indexes serve a segment with a date range, the ``source`` foreign-key index an
``import`` segment. On SQLite case folding is ASCII only (its ``LIKE``), so "YILDIZI" does not
match "Yıldızı" there. Tags are a JSON list; ``HasTag`` looks inside it on both databases.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import NotSupportedError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import BooleanField, F, Func, QuerySet, Value
from django.db.models.functions import Coalesce
from django.db.models.sql.compiler import SQLCompiler
from django.utils.translation import gettext as _

from calmdesk.core.errors import DomainError

from .models import Booking, Customer

TEXT_KEYS = ("trip", "ship", "route", "product", "tag")
DATE_KEYS = ("departure_from", "departure_to")
SEGMENT_KEYS = (*TEXT_KEYS, *DATE_KEYS, "import")
MAX_TEXT = 120


class HasTag(Func):
    """True when the JSON list in ``expression`` holds ``tag`` (case-insensitive).

    ``tags__contains`` is not portable (SQLite has no JSON containment) and is case-sensitive;
    this is an EXISTS over the list's elements (``json_each`` / ``jsonb_array_elements_text``).
    The column is compiled by Django, so it keeps its alias inside subqueries.
    """

    output_field = BooleanField()

    def __init__(self, expression: Any, tag: str) -> None:
        super().__init__(expression, Value(tag))

    def as_sql(  # type: ignore[override]
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> tuple[str, tuple[Any, ...]]:
        column, tag = self.get_source_expressions()
        col_sql, col_params = compiler.compile(column)
        tag_sql, tag_params = compiler.compile(tag)
        # Only compiled SQL fragments are interpolated; the tag is a bound parameter.
        if connection.vendor == "postgresql":
            sql = (
                "EXISTS (SELECT 1 FROM jsonb_array_elements_text(CASE WHEN "  # noqa: S608
                f"jsonb_typeof({col_sql}) = 'array' THEN {col_sql} ELSE '[]'::jsonb END) "
                f"AS seg_tag(value) WHERE lower(seg_tag.value) = lower({tag_sql}))"
            )
            return sql, (*col_params, *col_params, *tag_params)
        if connection.vendor == "sqlite":
            sql = (
                f"EXISTS (SELECT 1 FROM json_each({col_sql}) AS seg_tag "  # noqa: S608
                f"WHERE seg_tag.type = 'text' AND lower(seg_tag.value) = lower({tag_sql}))"
            )
            return sql, (*col_params, *tag_params)
        raise NotSupportedError(f"Segment tags are not supported on {connection.vendor}.")


def _parse_date(key: str, value: Any) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError as exc:
        raise DomainError(
            _("Enter a date as YYYY-MM-DD, e.g. 2025-07-14."), field=key, code="invalid_date"
        ) from exc


def validate_segment(segment: dict[str, Any]) -> dict[str, Any]:
    """The cleaned segment; raises DomainError(field=<key>) for an unknown key or bad date.

    Empty values are dropped; texts are stripped; dates become ISO strings (the segment is
    stored as JSON on incidents and broadcasts); ``import`` becomes an int.
    """
    if not isinstance(segment, dict):
        raise DomainError(_("A segment is a set of conditions."), field="segment")
    cleaned: dict[str, Any] = {}
    for key, value in segment.items():
        if key not in SEGMENT_KEYS:
            raise DomainError(
                _("Unknown segment condition “%(key)s”.") % {"key": key},
                field=str(key),
                code="unknown_key",
            )
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        if key in TEXT_KEYS:
            if not isinstance(value, str | int):
                raise DomainError(_("Enter text."), field=key)
            text = str(value).strip()
            if len(text) > MAX_TEXT:
                raise DomainError(_("Enter at most %(n)s characters.") % {"n": MAX_TEXT}, field=key)
            cleaned[key] = text
        elif key in DATE_KEYS:
            cleaned[key] = _parse_date(key, value).isoformat()
        else:
            try:
                number = int(value)
            except (TypeError, ValueError):
                number = 0
            if number <= 0 or isinstance(value, bool | float):
                raise DomainError(_("Choose an uploaded list."), field=key)
            cleaned[key] = number
    start, end = cleaned.get("departure_from"), cleaned.get("departure_to")
    if start and end and start > end:
        raise DomainError(
            _("The end of the departure range is before its start."), field="departure_to"
        )
    return cleaned


def bookings_in_segment(segment: dict[str, Any]) -> QuerySet[Booking]:
    """Bookings matching every condition of the segment; none for an empty segment."""
    cleaned = validate_segment(segment)
    if not cleaned:
        return Booking.objects.none()
    bookings = Booking.objects.all()
    for key in ("trip", "ship", "route", "product"):
        if key in cleaned:
            bookings = bookings.filter(**{f"{key}__iexact": cleaned[key]})
    if "departure_from" in cleaned:
        bookings = bookings.filter(departure_date__gte=cleaned["departure_from"])
    if "departure_to" in cleaned:
        bookings = bookings.filter(departure_date__lte=cleaned["departure_to"])
    if "import" in cleaned:
        bookings = bookings.filter(source_id=cleaned["import"])
    if "tag" in cleaned:
        bookings = bookings.filter(HasTag(F("tags"), cleaned["tag"]))
    return bookings


def customers_in_segment(segment: dict[str, Any]) -> QuerySet[Customer]:
    """Distinct customers with at least one booking in the segment (merged customers excluded).

    A booking of a customer merged into another counts for the customer it was merged into
    (one level, as merges are recorded).
    """
    owners = bookings_in_segment(segment).values(
        owner=Coalesce("customer__merged_into_id", "customer_id")
    )
    return Customer.objects.filter(pk__in=owners, merged_into__isnull=True)
