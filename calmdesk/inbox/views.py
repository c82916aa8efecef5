"""Public pages: the request form (and its aliases), the confirmation, the tracking page.

Views parse, authorise, call one service or selector and render. They work without JavaScript.
"""

from __future__ import annotations

import functools
import secrets
import time
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.files.uploadedfile import UploadedFile
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import get_script_prefix, reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from calmdesk.core.errors import DomainError, NotFound
from calmdesk.core.ratelimit import intake_rate_hit, intake_rate_limited
from calmdesk.tickets.enums import Channel, TicketStatus
from calmdesk.tickets.models import Ticket
from calmdesk.tickets.permissions import access_ticket_by_token
from calmdesk.tickets.services import ticket_customer_reply

from .forms import FORM_TOKEN_FIELD, HONEYPOT_FIELD, shown_fields, submitted_values
from .models import FieldType, FormAlias
from .selectors import (
    accepted_by_token,
    public_attachment,
    public_messages,
    status_in_words,
    wait_label,
)
from .services import intake_accept, tracking_url
from .validation import (
    CleanSubmission,
    SubmissionInvalid,
    active_form_fields,
    active_request_types,
    attachment_limits,
    clean_reply_text,
    validate_attachments,
    validate_submission,
)

REPLY_FIELD = "body"
REPLY_FILES_FIELD = "attachments"


def _language() -> str:
    code = (get_language() or settings.LANGUAGE_CODE)[:2]
    return code if code in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def _private(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Pages behind a private link: not cached, not indexed, the token never leaks as a
    Referer to the sites the page links to."""

    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = view(request, *args, **kwargs)
        response["Referrer-Policy"] = "no-referrer"
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return never_cache(wrapped)


def _see_other(url: str) -> HttpResponseRedirect:
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response


def _rate_limited(request: HttpRequest) -> HttpResponse:
    window = int(settings.CALMDESK["INTAKE_RATE_WINDOW_SECONDS"])
    retry_after = max(1, window - int(time.time()) % window)
    response = render(
        request,
        "inbox/rate_limited.html",
        {"retry_minutes": max(1, -(-retry_after // 60))},
        status=429,
    )
    response["Retry-After"] = str(retry_after)
    return response


# ------------------------------------------------------------------------------------------
# The form
# ------------------------------------------------------------------------------------------


def _form_not_cached(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """``never_cache`` for the form's pages: a form restored by the Back button must not reuse
    a spent single-use token. The 303 that answers an accepted request is left as it is: a
    redirect without freshness information is never stored by a browser or a cache (RFC 9111),
    and its no-cache headers were a few per cent of an accepted request in a surge."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if response.status_code != 303:
            add_never_cache_headers(response)
        return response

    return wrapped


@functools.lru_cache(maxsize=16)
def _thanks_url_parts(script_prefix: str) -> tuple[str, str]:
    marker = "token"
    head, tail = reverse("inbox:thanks", args=[marker]).rsplit(marker, 1)
    return head, tail


def _thanks_url(token: str) -> str:
    """``reverse("inbox:thanks", args=[token])``, resolved once per script prefix (a tracking
    token is URL-safe, nothing to quote)."""
    head, tail = _thanks_url_parts(get_script_prefix())
    return f"{head}{token}{tail}"


@require_http_methods(["GET", "HEAD", "POST"])
@_form_not_cached
def help_form(request: HttpRequest) -> HttpResponse:
    """The request form at /help; ``?type=<key>`` preselects a request type."""
    return _form_page(request, alias=None)


@require_http_methods(["GET", "HEAD", "POST"])
@_form_not_cached
def alias_form(request: HttpRequest, path: str) -> HttpResponse:
    """The same form at an admin-defined short path (/crisis, /refund), maybe preset."""
    alias = FormAlias.objects.select_related("request_type").filter(path=path, active=True).first()
    if alias is None:
        raise Http404
    return _form_page(request, alias=alias)


def _form_page(request: HttpRequest, *, alias: FormAlias | None) -> HttpResponse:
    language = _language()
    preselect = None
    if alias is not None and alias.request_type is not None and alias.request_type.active:
        preselect = alias.request_type
    elif request.GET.get("type"):
        key = request.GET["type"]
        preselect = next((rt for rt in active_request_types() if rt.key == key), None)
    if request.method != "POST":
        return _render_form(
            request, alias=alias, language=language, preselect=preselect, token=_new_token()
        )

    # The hit is counted now and its verdict read before anything is written or answered:
    # the rate limit's round trip to Redis goes on while the request is checked (the body,
    # uploads included, is read already: the CSRF check reads the form).
    submission: CleanSubmission | SubmissionInvalid | None = None
    with intake_rate_hit(request) as hit:
        token = _form_token(request.POST.get(FORM_TOKEN_FIELD, ""))
        data = submitted_values(request.POST)
        files = _uploaded_files(request)
        if not request.POST.get(HONEYPOT_FIELD):
            try:
                submission = validate_submission(data, files, language=language)
            except SubmissionInvalid as invalid:
                submission = invalid
        if hit.exceeded():
            return _rate_limited(request)
    if submission is None:
        # A bot filled the invisible field: look like success, keep nothing.
        return render(request, "inbox/received.html")
    if isinstance(submission, SubmissionInvalid):
        return _render_form(
            request,
            alias=alias,
            language=language,
            preselect=preselect,
            token=token or _new_token(),
            values=data,
            errors=submission.errors,
            files_dropped=bool(files),
            status=400,
        )
    accepted = intake_accept(
        submission=submission,
        channel=Channel.FORM,
        intake_key=f"form:{token}" if token else None,
        # The crisis page's form link (/help?incident=<slug>): the form posts to its own URL.
        incident_hint=request.GET.get("incident", "")[:60] or None,
    )
    return _see_other(_thanks_url(accepted.submission.tracking_token))


def _uploaded_files(request: HttpRequest) -> list[UploadedFile]:
    keys = [f.key for f in active_form_fields() if f.field_type == FieldType.FILE]
    return [upload for key in keys for upload in request.FILES.getlist(key)]


def _new_token() -> str:
    """The form's single-use token: a version 7 UUID (RFC 9562), the time in milliseconds
    first, 74 random bits after it. The token becomes the accepted request's intake key, so
    in a surge that unique index grows at its end instead of a random page per request."""
    ms = time.time_ns() // 1_000_000
    value = (
        (ms & 0xFFFF_FFFF_FFFF) << 80
        | 0x7 << 76
        | secrets.randbits(12) << 64
        | 0b10 << 62
        | secrets.randbits(62)
    )
    return uuid.UUID(int=value).hex


def _form_token(raw: str) -> str:
    """The hidden single-use token, if it is one we could have issued."""
    try:
        return uuid.UUID(raw.strip()).hex
    except (ValueError, AttributeError):
        return ""


def _render_form(
    request: HttpRequest,
    *,
    alias: FormAlias | None,
    language: str,
    preselect: Any,
    token: str,
    values: dict[str, Any] | None = None,
    errors: dict[str, list[str]] | None = None,
    files_dropped: bool = False,
    status: int = 200,
) -> HttpResponse:
    fields = shown_fields(
        language=language,
        values=values,
        errors=errors,
        preselect_type=preselect,
        files_dropped=files_dropped,
    )
    summary = [(f.input_id, f.label, message) for f in fields for message in f.errors]
    title = alias.title(language) if alias else ""
    context = {
        "fields": fields,
        "error_summary": summary,
        "alias": alias,
        "title": title or _("Contact us"),
        "intro": alias.intro(language) if alias else "",
        "form_token": token,
        "form_token_field": FORM_TOKEN_FIELD,
        "honeypot_field": HONEYPOT_FIELD,
        "has_files": any(f.widget == "file" for f in fields),
    }
    return render(request, "inbox/form.html", context, status=status)


# ------------------------------------------------------------------------------------------
# After the form: confirmation and tracking
# ------------------------------------------------------------------------------------------


@require_GET
@_private
def thanks(request: HttpRequest, token: str) -> HttpResponse:
    """The confirmation: reference, announced wait, private tracking link, what happens next.

    Shown at once, filed or not: the reference, the link and the wait were decided when the
    request was accepted. A request the filing added to the customer's open ticket (a
    follow-up) gets its own confirmation without that ticket's reference, content or link:
    the address typed into the form is unverified. The ticket's own address is told by
    email instead."""
    try:
        ticket = access_ticket_by_token(token)
    except NotFound:
        return _accepted_page(request, token, template="inbox/thanks.html")
    return render(
        request,
        "inbox/thanks.html",
        {
            "ticket": ticket,
            "wait": wait_label(ticket.announced_wait_minutes),
            "tracking_link": tracking_url(ticket),
            "email": ticket.customer.primary_email,
        },
    )


def _accepted_page(request: HttpRequest, token: str, *, template: str) -> HttpResponse:
    """A private link whose ticket does not exist: the request is being filed (``template``
    with what intake announced), or it was added to an open request."""
    try:
        row = accepted_by_token(token)
    except NotFound as exc:
        raise Http404 from exc
    email = str(row.payload.get("email") or "")
    if row.joined_open_ticket:
        return render(request, "inbox/added.html", {"email": email})
    return render(
        request,
        template,
        {
            "ticket": row,
            "wait": wait_label(row.wait_minutes),
            "tracking_link": tracking_url(row),
            "email": email,
            "filing": True,
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
@_private
def track(request: HttpRequest, token: str) -> HttpResponse:
    """The customer's own request: status, conversation (never internal notes), reply form.
    Before the request is filed (a second, usually), the page says so and reloads itself."""
    try:
        ticket = access_ticket_by_token(token)
    except NotFound:
        return _accepted_page(request, token, template="inbox/filing.html")
    if request.method != "POST":
        return _render_track(request, ticket)
    if intake_rate_limited(request):
        return _rate_limited(request)
    body = request.POST.get(REPLY_FIELD, "")
    files = request.FILES.getlist(REPLY_FILES_FIELD)
    try:
        text = clean_reply_text(body)
        attachments = validate_attachments(files)
        reply_token = _form_token(request.POST.get(FORM_TOKEN_FIELD, ""))
        ticket_customer_reply(
            ticket=ticket,
            customer=ticket.customer,
            body_text=text,
            channel=Channel.FORM,
            attachments=attachments,
            client_key=f"track:{reply_token}" if reply_token else None,
        )
    except SubmissionInvalid as exc:
        return _render_track(
            request, ticket, body=body, errors=exc.errors, files_dropped=bool(files), status=400
        )
    except DomainError as exc:
        return _render_track(
            request,
            ticket,
            body=body,
            errors={exc.field or REPLY_FIELD: [exc.message]},
            files_dropped=bool(files),
            status=409 if exc.code == "closed" else 400,
        )
    messages.success(request, _("Thank you, your message was added to your request."))
    return _see_other(reverse("inbox:track", args=[ticket.tracking_token]) + "#latest")


def _render_track(
    request: HttpRequest,
    ticket: Ticket,
    *,
    body: str = "",
    errors: dict[str, list[str]] | None = None,
    files_dropped: bool = False,
    status: int = 200,
) -> HttpResponse:
    errors = dict(errors or {})
    if files_dropped and REPLY_FILES_FIELD not in errors:
        errors[REPLY_FILES_FIELD] = [
            _("Please attach your files again: they are not kept after an error.")
        ]
    status_label, status_help = status_in_words(ticket.status)
    limits = attachment_limits()
    ticket_messages = list(public_messages(ticket))
    context = {
        "ticket": ticket,
        "request_type_name": ticket.request_type.name(_language()) if ticket.request_type else "",
        "status_label": status_label,
        "status_help": status_help,
        "conversation": ticket_messages,
        "can_reply": ticket.status != TicketStatus.CLOSED,
        "reply_body": body.replace("\x00", ""),
        "reply_errors": errors.get(REPLY_FIELD, []),
        "file_errors": errors.get(REPLY_FILES_FIELD, []),
        "accept": ",".join(f".{ext}" for ext in limits["extensions"]),
        "limits": limits,
        "form_token": _new_token(),
        "form_token_field": FORM_TOKEN_FIELD,
        "wait": wait_label(ticket.announced_wait_minutes)
        if ticket.status == TicketStatus.NEW and ticket.first_replied_at is None
        else "",
    }
    return render(request, "inbox/track.html", context, status=status)


@require_GET
@_private
def attachment(request: HttpRequest, token: str, attachment_id: int) -> FileResponse:
    """Download one attachment of the customer's ticket, never rendered inline."""
    try:
        found = public_attachment(token=token, attachment_id=attachment_id)
        handle = found.file.open("rb")
    except (NotFound, FileNotFoundError, ValueError) as exc:
        raise Http404 from exc
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=found.filename,
        content_type=found.content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    return response
