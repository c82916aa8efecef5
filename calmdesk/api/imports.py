"""Bookings import over the API: a list of affected customers and their bookings, as JSON."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.errors import ValidationError
from pydantic import ConfigDict

from calmdesk.accounts.permissions import sees_all_teams
from calmdesk.core.errors import DomainError, PermissionDenied
from calmdesk.customers.imports import FIELDS, Record, import_records, validate_mapping

from .auth import api_token_auth
from .schemas import ErrorOut

router = Router(tags=["Bookings"], auth=api_token_auth)

MAX_RECORDS = 1000


class BookingIn(Schema):
    """One customer and booking; checked like a row of an uploaded list."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "Elif Yılmaz",
                    "email": "elif@example.com",
                    "phone": "+90 532 123 45 67",
                    "language": "tr",
                    "reference": "XK7P2Q",
                    "trip": "Aegean week",
                    "ship": "Ege Star",
                    "route": "Izmir-Athens",
                    "product": "Cabin",
                    "departure_date": "2026-07-14",
                    "tags": ["vip"],
                }
            ]
        },
    )

    name: str | None = None
    email: str | None = Field(None, description="An email or a phone is required.")
    phone: str | None = Field(None, description="With its country code, or see `region`.")
    language: str | None = Field(None, description="en, fa, tr or lt; else the default.")
    reference: str | None = Field(None, description="Required; unique per customer.")
    trip: str | None = None
    ship: str | None = None
    route: str | None = None
    product: str | None = None
    departure_date: str | None = Field(
        None, description="2026-07-14, or day first: 14.07.2026 or 14/07/2026."
    )
    tags: list[str] | None = None


class ReasonOut(Schema):
    field: str = Field(examples=["email"])
    message: str = Field(examples=["Enter a valid email address."])


class RejectedOut(Schema):
    index: int = Field(description="Position of the record in the list sent, from 0.")
    reference: str = Field(examples=["XK7P2Q"])
    reasons: list[ReasonOut]


class BookingsImportOut(Schema):
    received: int
    accepted: int = Field(description="Records stored (created, or updated if known).")
    rejected: list[RejectedOut]


class ImportQuery(Schema):
    region: str | None = Field(
        None, description="Country of phone numbers sent without their code, e.g. TR."
    )
    default_language: str | None = Field(None, description="For records without a language.")


@router.post(
    "/bookings",
    response={200: BookingsImportOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 422: ErrorOut},
    summary="Import affected customers and their bookings",
    operation_id="importBookings",
)
def bookings_import(
    request: HttpRequest,
    payload: list[BookingIn],
    query: Query[ImportQuery],
) -> dict[str, Any]:
    """Up to 1,000 records per call. Each is checked like a row of an uploaded list; valid
    ones are stored (customer found by email, then phone; booking unique per customer and
    reference, so sending a record again updates it), invalid ones come back with their
    reasons. 422 only when the body is not a list of such records. Leads and administrators.
    """
    if not sees_all_teams(request.user):
        raise PermissionDenied(_("Only leads can import customer lists."))
    if len(payload) > MAX_RECORDS:
        errors = {"body": [_("Send at most %(n)s records per call.") % {"n": MAX_RECORDS}]}
        raise ValidationError([{"loc": ("body",), "msg": errors["body"][0], "type": "too_long"}])
    try:
        options = validate_mapping(
            {
                "reference": "reference",
                "email": "email",
                "phone_region": query.region or "",
                "default_language": query.default_language or "",
            }
        )
    except DomainError as exc:
        raise DomainError(
            exc.message, field={"phone_region": "region"}.get(exc.field or "", exc.field)
        ) from exc
    # Each record writes only the fields it sent: a booking field left out of one record keeps
    # its stored value, whatever the other records of the call carry.
    groups: dict[frozenset[str], list[Record]] = {}
    for index, item in enumerate(payload):
        record = Record(row=index, values=item.model_dump(exclude_none=True))
        groups.setdefault(frozenset(item.model_fields_set), []).append(record)
    accepted = 0
    report: list[dict[str, Any]] = []
    for sent, records in groups.items():
        result = import_records(records, options=options, fields=[f for f in FIELDS if f in sent])
        accepted += result.accepted
        report.extend(result.report)
    references = {i: (payload[i].reference or "") for i in range(len(payload))}
    rejected = [
        {"index": e["row"], "reference": references[e["row"]], "reasons": e["reasons"]}
        for e in sorted(report, key=lambda e: e["row"])
    ]
    return {"received": len(payload), "accepted": accepted, "rejected": rejected}
