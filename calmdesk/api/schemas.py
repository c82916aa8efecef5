"""Schemas shared by the API's routers: references to related objects and the error body."""

from __future__ import annotations

from ninja import Field, Schema


class ErrorOut(Schema):
    """Every error answer of the API has this shape, whatever its status code."""

    detail: str = Field(
        description="A human-readable summary, in the request's language where translated.",
        examples=["Some fields are not valid."],
    )
    code: str = Field(
        description=(
            "A stable machine-readable code: `invalid`, `validation_error`, `malformed_json`, "
            "`unauthorized`, `forbidden`, `not_found`, `rate_limited`, `payload_too_large`, "
            "`server_error`."
        ),
        examples=["validation_error"],
    )
    field: str | None = Field(
        None,
        description="The input at fault, when one input is (the first key of `errors`).",
        examples=["email"],
    )
    errors: dict[str, list[str]] = Field(
        default_factory=dict,
        description=(
            "Messages per input. Keys are the JSON paths of the request: `email`, "
            "`fields.departure_date` (a custom form field), `limit` (a query parameter), "
            "`Idempotency-Key` (a header)."
        ),
        examples=[{"email": ["Enter a valid email address."]}],
    )


class TeamRef(Schema):
    slug: str = Field(examples=["refunds"])
    name: str = Field(examples=["Refunds"])


class RequestTypeRef(Schema):
    key: str = Field(examples=["refund"])
    name: str = Field(description="In the request's language.", examples=["Refund"])


class UserRef(Schema):
    username: str = Field(examples=["aylin"])
    name: str = Field(description="Display name.", examples=["Aylin Demir"])
