"""Public intake: the request form as JSON. No authentication; rate limited per client address."""

from __future__ import annotations

import contextlib
import hashlib
import time
from collections.abc import Iterator
from typing import Any, Literal

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.utils import translation
from django.utils.translation import gettext as _
from ninja import Field, Header, Router, Schema
from pydantic import BaseModel, ConfigDict

from calmdesk.core.ratelimit import Hit, intake_rate_hit
from calmdesk.inbox.models import SYSTEM_FIELD_KEYS, FieldType, FormField
from calmdesk.inbox.selectors import wait_label
from calmdesk.inbox.services import Accepted, intake_accept
from calmdesk.inbox.validation import SubmissionInvalid, validate_submission
from calmdesk.tickets.enums import Channel, Priority, TicketStatus
from calmdesk.tickets.models import RequestType

from .errors import RateLimited
from .schemas import ErrorOut, TeamRef

router = Router(tags=["Requests"])

# Keys sent at the top level of the body; every other form field goes inside "fields".
TOP_LEVEL_KEYS = ("name", "email", "phone", "request_type", "subject", "message")
IDEMPOTENCY_PREFIX = "api:"
IDEMPOTENCY_MAX_LENGTH = 255
INTAKE_KEY_MAX_LENGTH = 80  # Ticket.intake_key

_LANGUAGE_CODES = ", ".join(code for code, _name in settings.LANGUAGES)


class RequestIn(BaseModel):
    """A customer's request, with the same fields and the same checks as the web form."""

    # A plain pydantic model, not a ninja ``Schema``: an input has no ORM object to read
    # attributes from, and the Schema's wrapping validator was a few per cent of an intake.

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "Elif Yılmaz",
                    "email": "elif@example.com",
                    "phone": "+90 532 123 45 67",
                    "request_type": "refund",
                    "message": "My flight on 12 May was cancelled. I would like a refund.",
                    "fields": {"departure_date": "2026-05-12", "booking_reference": "XK7P2Q"},
                    "language": "tr",
                }
            ]
        },
    )

    name: str | None = Field(None, description="The customer's name.", examples=["Elif Yılmaz"])
    email: str | None = Field(
        None, description="Where the acknowledgement and replies go.", examples=["elif@example.com"]
    )
    phone: str | None = Field(
        None, description="With its country code.", examples=["+90 532 123 45 67"]
    )
    request_type: str | None = Field(
        None,
        description="The key of a request type (see `GET /api/v1/form`).",
        examples=["refund"],
    )
    subject: str | None = Field(
        None, description="Optional; derived from the message when empty.", examples=[None]
    )
    message: str | None = Field(
        None,
        description="What the customer needs, as plain text.",
        examples=["My flight was cancelled. I would like a refund."],
    )
    fields: dict[str, str] = Field(
        default_factory=dict,
        description=(
            "Every other form field, by its key (see `GET /api/v1/form`). Values are strings; "
            "dates are `YYYY-MM-DD`, choices are the choice's value."
        ),
        examples=[{"departure_date": "2026-05-12", "booking_reference": "XK7P2Q"}],
    )
    language: str | None = Field(
        None,
        description=(
            f"The customer's language ({_LANGUAGE_CODES}): messages, the acknowledgement "
            "email and the wait label use it. Defaults to the Accept-Language header."
        ),
        examples=["tr"],
    )


class ExpectedWaitOut(Schema):
    minutes: int | None = Field(
        description=(
            "The expected time to a first reply announced to the customer, padded and rounded "
            "up: the same figure as the confirmation page and the acknowledgement email."
        ),
        examples=[360],
    )
    label: str = Field(
        description="The same figure in words, in the request's language.",
        examples=["within about 6 hours"],
    )


class RequestOut(Schema):
    outcome: Literal["received"] = Field(
        "received",
        description=(
            "The request was accepted (status 202, or 200 on a repeat). It is filed a moment "
            "later; the tracking page shows it from the start."
        ),
    )
    reference: str = Field(description="Quote it in any contact.", examples=["CD-000123"])
    tracking_url: str = Field(
        description="The customer's private page: status, conversation, reply form.",
        examples=["https://help.example.com/t/8dJ3kq…"],
    )
    status: TicketStatus = Field(examples=["new"])
    priority: Priority = Field(
        description="After the triage rules (e.g. departure within 7 days → urgent).",
        examples=["urgent"],
    )
    team: TeamRef | None = Field(description="The team the request was routed to.")
    expected_wait: ExpectedWaitOut
    language: str = Field(examples=["tr"])


class ChoiceOut(Schema):
    value: str = Field(examples=["refund"])
    label: str = Field(examples=["Refund"])


class FormFieldOut(Schema):
    key: str = Field(examples=["departure_date"])
    type: FieldType = Field(examples=["date"])
    label: str = Field(examples=["Departure date"])
    help_text: str = Field(examples=["The date on your ticket."])
    required: bool
    max_length: int | None = None
    choices: list[ChoiceOut] = Field(description="For choice fields (and `request_type`).")
    location: str = Field(
        description=(
            "`top` when the key goes at the top level of `POST /api/v1/requests`, `fields` "
            "when it goes inside `fields`, `unsupported` for file fields (attachments are "
            "accepted on the web form only)."
        ),
        examples=["fields"],
    )


class FormOut(Schema):
    language: str = Field(examples=["en"])
    fields: list[FormFieldOut]


def _language(request: HttpRequest, requested: str | None) -> str:
    supported = {code for code, _name in settings.LANGUAGES}
    if requested is None or not requested.strip():
        return translation.get_language_from_request(request)[:2]
    code = requested.strip().lower()
    if code not in supported:
        raise SubmissionInvalid(
            {"language": [_("Choose one of: %(codes)s.") % {"codes": _LANGUAGE_CODES}]}
        )
    return code


def _intake_key(raw: str | None) -> str | None:
    """The Idempotency-Key header → Ticket.intake_key, in a namespace of its own."""
    if raw is None or not raw.strip():
        return None
    key = raw.strip()
    if len(key) > IDEMPOTENCY_MAX_LENGTH or not key.isprintable() or not key.isascii():
        raise SubmissionInvalid(
            {
                "Idempotency-Key": [
                    _("Use at most %(n)s printable ASCII characters.")
                    % {"n": IDEMPOTENCY_MAX_LENGTH}
                ]
            }
        )
    if len(IDEMPOTENCY_PREFIX) + len(key) <= INTAKE_KEY_MAX_LENGTH:
        return IDEMPOTENCY_PREFIX + key
    return IDEMPOTENCY_PREFIX + "sha256:" + hashlib.sha256(key.encode()).hexdigest()


def _submission_data(payload: RequestIn) -> dict[str, Any]:
    """The body in the shape the form validator takes: field key → raw value."""
    clashes = sorted(k for k in payload.fields if k in SYSTEM_FIELD_KEYS)
    if clashes:
        raise SubmissionInvalid(
            {
                f"fields.{k}": [
                    _("Attachments are not accepted by the API.")
                    if k == "attachments"
                    else _("Send this field at the top level of the body.")
                ]
                for k in clashes
            }
        )
    data: dict[str, Any] = dict(payload.fields)
    for key in TOP_LEVEL_KEYS:
        value = getattr(payload, key)
        if value is not None:
            data[key] = value
    return data


def _error_paths(exc: SubmissionInvalid) -> SubmissionInvalid:
    """Name custom-field errors by their place in the body (``fields.<key>``)."""
    return SubmissionInvalid(
        {
            (key if key in SYSTEM_FIELD_KEYS else f"fields.{key}"): [str(m) for m in messages]
            for key, messages in exc.errors.items()
        }
    )


def _retry_after() -> int:
    window = int(settings.CALMDESK["INTAKE_RATE_WINDOW_SECONDS"])
    return max(1, window - int(time.time()) % window)


def request_out(accepted: Accepted) -> dict[str, Any]:
    row = accepted.submission
    # The figure announced at intake, also on a repeat: the customer was told this one, and the
    # confirmation page and the acknowledgement email show the same.
    if translation.get_language() == row.language:  # as when just accepted
        label = wait_label(row.wait_minutes)
    else:
        with translation.override(row.language):
            label = wait_label(row.wait_minutes)
    team = row.team
    return {
        "outcome": "received",
        "reference": row.reference,
        "tracking_url": accepted.tracking_url,
        "status": TicketStatus.NEW,
        "priority": row.priority,
        "team": {"slug": team.slug, "name": team.name} if team else None,
        "expected_wait": {"minutes": row.wait_minutes, "label": label},
        "language": row.language,
    }


@router.post(
    "/requests",
    response={
        202: RequestOut,
        200: RequestOut,
        400: ErrorOut,
        413: ErrorOut,
        422: ErrorOut,
        429: ErrorOut,
    },
    operation_id="createRequest",
    summary="Submit a customer request",
    auth=None,
)
def create_request(
    request: HttpRequest,
    payload: RequestIn,
    idempotency_key: str | None = Header(
        None,
        alias="Idempotency-Key",
        description=(
            "Any unique string (e.g. a UUID) per submission. Repeating a request with the same "
            "key returns the first answer again (200) and creates nothing."
        ),
    ),
) -> JsonResponse:
    """Accept a customer's request: the same fields, checks and triage rules as the web form,
    and the same expected wait as the confirmation page and the acknowledgement email.

    - **No authentication.** Rate limited per client address; over the limit the answer is
      429 with `Retry-After` (seconds).
    - **Custom form fields** (departure date, booking reference, …) go inside `fields`, keyed
      as in `GET /api/v1/form`; the built-in ones (name, email, …) at the top level.
    - **Attachments are not accepted** here; the customer can add them on the web form.
    - Invalid input is a 422 with messages per field (`errors.email`,
      `errors.fields.departure_date`): the web form's messages, in the request's language.
    - **Accepted at once, filed right after.** The answer (**202**) carries the reference, the
      private tracking link, the priority, the team and the expected wait, decided from the
      submitted fields; the worker then files the request, usually within a second. Rules on
      the customer's record apply then and may change the priority and the team; the tracking
      page always shows the current state.
    - **One conversation per problem.** When the customer (recognised by the email) already
      has an open request on the same matter, the request is added to it when it is filed:
      the reference in the answer is then not used, its tracking page says the message was
      added to an open request, and the customer is told by email at the address on that
      request (the email in the body is unverified, so nothing of it is shown to the caller).
    """
    # The hit is counted now and its verdict read before anything is written: the rate
    # limit's round trip to Redis goes on while the request is checked.
    with intake_rate_hit(request) as hit, _limit_first(hit):
        language = _language(request, payload.language)
        with translation.override(language):
            intake_key = _intake_key(idempotency_key)
            data = _submission_data(payload)
            try:
                submission = validate_submission(data, [], language=language)
            except SubmissionInvalid as exc:
                raise _error_paths(exc) from exc
            if hit.exceeded():
                raise RateLimited(_retry_after())
            accepted = intake_accept(
                submission=submission, channel=Channel.API, intake_key=intake_key
            )
            # The answer as built, not validated again: ``request_out`` builds exactly
            # RequestOut (tests compare it with the schema), and the surge's hot path saves a
            # model round trip.
            return JsonResponse(
                request_out(accepted),
                status=202 if accepted.created else 200,
                content_type="application/json; charset=utf-8",
            )


@contextlib.contextmanager
def _limit_first(hit: Hit) -> Iterator[None]:
    """Over the rate limit the answer is 429, whether or not the request was valid."""
    try:
        yield
    except SubmissionInvalid:
        if hit.exceeded():
            raise RateLimited(_retry_after()) from None
        raise


@router.get(
    "/form",
    response=FormOut,
    operation_id="getForm",
    summary="The request form's fields",
    auth=None,
)
def get_form(request: HttpRequest, language: str | None = None) -> dict[str, Any]:
    """The active form fields in order, with labels in the requested language (default:
    Accept-Language), so a client can build its own form for `POST /api/v1/requests`."""
    code = _language(request, language)
    request_types = list(RequestType.objects.filter(active=True).order_by("order", "key"))
    fields = []
    for field in FormField.objects.filter(active=True).order_by("order", "id"):
        if field.key == "request_type":
            choices = [{"value": rt.key, "label": rt.name(code)} for rt in request_types]
        else:
            choices = [
                {
                    "value": str(c.get("value", "")),
                    "label": str((c.get("labels") or {}).get(code) or c.get("value", "")),
                }
                for c in (field.choices or [])
                if isinstance(c, dict)
            ]
        if field.field_type == FieldType.FILE:
            location = "unsupported"
        elif field.key in SYSTEM_FIELD_KEYS:
            location = "top"
        else:
            location = "fields"
        fields.append(
            {
                "key": field.key,
                "type": field.field_type,
                "label": field.label(code),
                "help_text": field.help_text(code),
                "required": field.required,
                "max_length": field.max_length,
                "choices": choices,
                "location": location,
            }
        )
    return {"language": code, "fields": fields}
