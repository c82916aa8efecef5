"""Every failure of the API becomes JSON in one shape (``schemas.ErrorOut``), never an HTML page.

Bad input is a 4xx with the input at fault named; only a bug reaches the catch-all 500, which
is logged.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, ValidationError
from ninja.parser import Parser

from calmdesk.core.errors import DomainError, NotFound, PermissionDenied
from calmdesk.inbox.validation import SubmissionInvalid

log = logging.getLogger("calmdesk.api")

# JSON bodies only (attachments are not accepted by the API), so a small cap is plenty.
DEFAULT_MAX_BODY_BYTES = 1024 * 1024


def max_body_bytes() -> int:
    return int(settings.CALMDESK.get("API_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES))


class PayloadTooLarge(Exception):
    pass


class RateLimited(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__("rate limited")
        self.retry_after = retry_after


class JsonParser(Parser):
    """Ninja's JSON parser with a size cap (checked before decoding)."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        if len(request.body) > max_body_bytes():
            raise PayloadTooLarge()
        data: dict[str, Any] = json.loads(request.body)
        return data


def error_body(
    *,
    detail: str,
    code: str,
    errors: Mapping[str, list[str]] | None = None,
    field: str | None = None,
) -> dict[str, Any]:
    errors = dict(errors or {})
    if field is None and errors:
        field = next(iter(errors))
    return {"detail": detail, "code": code, "field": field, "errors": errors}


def _respond(
    api: NinjaAPI,
    request: HttpRequest,
    status: int,
    body: dict[str, Any],
    headers: Mapping[str, str] | None = None,
) -> HttpResponse:
    response = api.create_response(request, body, status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _pydantic_message(error: Mapping[str, Any]) -> str:
    """Pydantic's English messages for the common cases, translated; the rest as they are."""
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return _("This field is required.")
    if kind == "extra_forbidden":
        return _("Unknown field.")
    if kind in ("string_type", "string_unicode"):
        return _("Enter text.")
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return _("Enter a whole number.")
    if kind in ("bool_type", "bool_parsing"):
        return _("Enter true or false.")
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return _("Enter a JSON object.")
    if kind == "enum" and "expected" in ctx:
        return _("Select one of: %(choices)s.") % {"choices": ctx["expected"]}
    if kind == "string_too_long" and "max_length" in ctx:
        return _("Enter at most %(n)s characters.") % {"n": ctx["max_length"]}
    if kind == "string_too_short" and "min_length" in ctx:
        return _("Enter at least %(n)s characters.") % {"n": ctx["min_length"]}
    if kind in ("less_than_equal", "less_than") and ("le" in ctx or "lt" in ctx):
        return _("Enter at most %(n)s.") % {"n": ctx.get("le", ctx.get("lt"))}
    if kind in ("greater_than_equal", "greater_than") and ("ge" in ctx or "gt" in ctx):
        return _("Enter at least %(n)s.") % {"n": ctx.get("ge", ctx.get("gt"))}
    return str(error.get("msg", _("Not valid.")))


def _error_key(loc: tuple[Any, ...] | list[Any]) -> str:
    """('body', 'payload', 'fields', 'x') → 'fields.x'; ('query', 'limit') → 'limit'."""
    parts = [str(p) for p in loc]
    if parts and parts[0] == "body":
        parts = parts[2:]  # drop the source and the name of the body parameter
    elif parts:
        parts = parts[1:]
    return ".".join(parts) or "body"


def validation_errors(errors: list[dict[str, Any]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for error in errors:
        out.setdefault(_error_key(error.get("loc", ())), []).append(_pydantic_message(error))
    return out


def install_error_handlers(api: NinjaAPI) -> None:
    def handler(exc_class: type[Exception]) -> Callable[[Callable[..., Any]], Any]:
        return api.exception_handler(exc_class)

    @handler(ValidationError)
    def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        body = error_body(
            detail=_("Some inputs are not valid."),
            code="validation_error",
            errors=validation_errors(exc.errors),
        )
        return _respond(api, request, 422, body)

    @handler(SubmissionInvalid)
    def on_submission_invalid(request: HttpRequest, exc: SubmissionInvalid) -> HttpResponse:
        body = error_body(
            detail=_("Some fields are not valid."),
            code="validation_error",
            errors={key: [str(m) for m in msgs] for key, msgs in exc.errors.items()},
        )
        return _respond(api, request, 422, body)

    @handler(NotFound)
    @handler(Http404)
    def on_not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
        return _respond(api, request, 404, error_body(detail=_("Not found."), code="not_found"))

    @handler(PermissionDenied)
    @handler(DjangoPermissionDenied)
    @handler(AuthorizationError)
    def on_forbidden(request: HttpRequest, exc: Exception) -> HttpResponse:
        detail = _("You are not allowed to do this.")
        return _respond(api, request, 403, error_body(detail=detail, code="forbidden"))

    @handler(AuthenticationError)
    def on_unauthorized(request: HttpRequest, exc: Exception) -> HttpResponse:
        body = error_body(
            detail=_("Send a valid API token: Authorization: Bearer <token>."),
            code="unauthorized",
        )
        return _respond(api, request, 401, body, {"WWW-Authenticate": 'Bearer realm="calmdesk"'})

    @handler(DomainError)
    def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        errors = {exc.field: [exc.message]} if exc.field else {}
        body = error_body(detail=exc.message, code=exc.code, errors=errors, field=exc.field)
        return _respond(api, request, 400, body)

    @handler(RateLimited)
    def on_rate_limited(request: HttpRequest, exc: RateLimited) -> HttpResponse:
        body = error_body(
            detail=_("Too many requests from your address. Please try again later."),
            code="rate_limited",
        )
        return _respond(api, request, 429, body, {"Retry-After": str(exc.retry_after)})

    @handler(PayloadTooLarge)
    @handler(RequestDataTooBig)
    def on_too_large(request: HttpRequest, exc: Exception) -> HttpResponse:
        body = error_body(
            detail=_("The request body is too large (at most %(n)s bytes).")
            % {"n": max_body_bytes()},
            code="payload_too_large",
        )
        return _respond(api, request, 413, body)

    @handler(HttpError)
    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        # Ninja wraps every parser failure in a 400; tell a too-large body from broken JSON.
        if isinstance(exc.__cause__, PayloadTooLarge | RequestDataTooBig):
            return on_too_large(request, exc)
        if exc.status_code == 400 and isinstance(exc.__cause__, ValueError):
            body = error_body(
                detail=_("The request body is not valid JSON."), code="malformed_json"
            )
            return _respond(api, request, 400, body)
        code = {401: "unauthorized", 403: "forbidden", 404: "not_found"}.get(
            exc.status_code, "invalid"
        )
        return _respond(api, request, exc.status_code, error_body(detail=str(exc), code=code))

    @handler(Exception)
    def on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        log.exception("unhandled API error on %s %s", request.method, request.path)
        body = error_body(
            detail=_("Something went wrong on our side. It has been logged."),
            code="server_error",
        )
        return _respond(api, request, 500, body)
