"""Phone pages and the phone-system webhook.

- ``POST /hooks/phone/events/``: a phone system posts call events (JSON, bearer token, optional
  HMAC signature); answers JSON, 4xx ``{"code", "message", "field"}`` for refused input.
- Agents: ``/agent/calls/`` (the day's calls), ``/agent/calls/new/`` (log a call with no ticket
  yet), ``/agent/calls/callbacks/`` (callbacks by window end), and the ticket page's panel
  (log a call, schedule a callback, work a callback) — HTMX with a plain-POST fallback.
- Customers: ``/callback/`` (ask for a call back) and, from the tracking page,
  ``/callback/t/<token>/`` (a callback on their own ticket) and its cancel link.

Views parse, authorise, call one service or selector and render.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from django.contrib import messages
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
    QueryDict,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from calmdesk.accounts.decorators import agent_required, forbidden
from calmdesk.core.errors import DomainError, NotFound, PermissionDenied
from calmdesk.core.ratelimit import client_ip, rate_limited
from calmdesk.inbox.forms import HONEYPOT_FIELD
from calmdesk.inbox.validation import LANGUAGE_REGION, active_request_types
from calmdesk.tickets.enums import TicketStatus
from calmdesk.tickets.models import Ticket
from calmdesk.tickets.permissions import access_ticket, access_ticket_by_token
from calmdesk.tickets.selectors import open_alert_count, ticket_workspace

from .conf import conf
from .forms import (
    AgentCallbackForm,
    AttemptForm,
    CallFilterForm,
    LogCallForm,
    NewCallForm,
    PublicCallbackForm,
    TrackingCallbackForm,
    WindowForm,
)
from .models import Callback, CallbackSource, CallbackStatus
from .selectors import (
    CALLBACK_VIEWS,
    CallFilters,
    access_call,
    access_callback,
    agent_zone,
    call_stats,
    callback_counts,
    callbacks_list,
    calls_list,
    calls_queryset,
    customer_phone,
    ticket_phone_panel,
    tracking_callbacks,
)
from .services import (
    WebhookError,
    call_event_receive,
    call_log,
    callback_attempt,
    callback_cancel,
    callback_request,
    callback_start,
    parse_call_event,
    phone_system_authenticate,
)

FORM_TOKEN_FIELD = "form_token"  # noqa: S105 - a field name, not a secret

# ------------------------------------------------------------------------------------------
# The webhook
# ------------------------------------------------------------------------------------------


def _json_error(status: int, code: str, message: str, field: str | None = None) -> JsonResponse:
    body: dict[str, Any] = {"code": code, "message": message}
    if field:
        body["field"] = field
    response = JsonResponse(body, status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="calmdesk-phone"'
    return response


@csrf_exempt  # a phone system, not a browser: authenticated by its bearer token
@require_POST
def phone_events(request: HttpRequest) -> JsonResponse:
    """One call event from a phone system (docs/channels-phone.md): a JSON object, or the same
    fields form-encoded."""
    limit = conf("PHONE_WEBHOOK_MAX_BYTES")
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > limit:
        return _json_error(413, "too_large", _("The body is too large."))
    body = request.body
    if len(body) > limit:
        return _json_error(413, "too_large", _("The body is too large."))
    try:
        system = phone_system_authenticate(
            authorization=request.headers.get("Authorization", ""),
            signature=request.headers.get("X-Calmdesk-Signature", ""),
            body=body,
        )
        if request.content_type == "application/x-www-form-urlencoded":
            # What Asterisk's dialplan CURL() posts: no JSON quoting in the dialplan.
            payload: Any = dict(QueryDict(body, encoding="utf-8").items())
        else:
            try:
                payload = json.loads(body.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                return _json_error(400, "invalid_json", _("The body is not valid JSON."))
        result = call_event_receive(system=system, event=parse_call_event(payload))
    except WebhookError as exc:
        return _json_error(exc.status, exc.code, exc.message, exc.field)
    except DomainError as exc:
        return _json_error(422, exc.code, exc.message, exc.field)
    call = result.call
    return JsonResponse(
        {
            "ok": True,
            "duplicate": result.duplicate,
            "call": {
                "id": call.pk,
                "call_id": call.external_id,
                "state": call.state,
                "direction": call.direction,
                "from": call.from_number,
                "to": call.to_number,
                "duration": call.duration_seconds,
                "talk": call.talk_seconds,
                "holds": call.hold_count,
                "hold_seconds": call.hold_seconds,
                "transfers": call.transfer_count,
                "ticket": call.ticket.reference if call.ticket_id and call.ticket else None,
            },
        },
        status=200 if result.duplicate else 201,
    )


# ------------------------------------------------------------------------------------------
# Agents: the ticket page's panel
# ------------------------------------------------------------------------------------------


def _chrome(request: HttpRequest) -> dict[str, Any]:
    """What the workspace header shows on every agent page."""
    return {"open_alerts": open_alert_count(user=request.user), "now": timezone.now()}


def _agent_ticket(request: HttpRequest, ticket_id: int) -> Ticket:
    try:
        return access_ticket(request.user, ticket_id)
    except NotFound as exc:
        raise Http404(_("No such ticket.")) from exc


def ticket_panel_context(
    ticket: Ticket,
    user: Any,
    *,
    log_form: LogCallForm | None = None,
    callback_form: AgentCallbackForm | None = None,
    attempt_forms: dict[int, AttemptForm] | None = None,
    feedback: str = "",
    error: str = "",
    open_form: str = "",
) -> dict[str, Any]:
    """What the ticket page's phone panel shows (the template tag and the HTMX answers)."""
    panel = ticket_phone_panel(ticket)
    number = customer_phone(ticket)
    zone = ticket.team.time_zone if ticket.team_id and ticket.team else None
    attempt_forms = attempt_forms or {}
    for callback in panel["active_callbacks"]:
        form = attempt_forms.get(callback.pk) or AttemptForm(prefix=f"cb{callback.pk}")
        callback.attempt_form = form
    return {
        "ticket": ticket,
        **panel,
        "log_form": log_form or LogCallForm(initial={"number": number}, prefix="call"),
        "callback_form": callback_form
        or AgentCallbackForm(initial={"phone": number}, prefix="cb", default_zone=zone),
        "feedback": feedback,
        "error": error,
        "open_form": open_form,
        "closed": ticket.status == TicketStatus.CLOSED,
        "user": user,
    }


def _panel_response(
    request: HttpRequest, ticket: Ticket, *, status: int = 200, **panel: Any
) -> HttpResponse:
    """The panel, and on success the regions the change touched (out of band)."""
    context = ticket_panel_context(ticket, request.user, **panel)
    if status == 200:
        page = ticket_workspace(ticket=ticket, user=request.user)
        conversation = page.pop("messages")
        context = {
            **page,
            **context,
            "ticket": page["ticket"],
            "conversation": conversation,
            "now": timezone.now(),
            "oob_regions": True,
        }
    return render(request, "phone/_panel_update.html", context, status=status)


def _done(request: HttpRequest, ticket: Ticket, feedback: str) -> HttpResponse:
    if getattr(request, "htmx", False):
        return _panel_response(request, ticket, feedback=feedback)
    messages.success(request, feedback)
    return redirect("tickets:detail", ticket_id=ticket.pk)


def _failed(request: HttpRequest, ticket: Ticket, **panel: Any) -> HttpResponse:
    if getattr(request, "htmx", False):
        return _panel_response(request, ticket, status=400, **panel)
    context = {**_chrome(request), **ticket_panel_context(ticket, request.user, **panel)}
    return render(request, "phone/ticket_form.html", context, status=400)


def _form_error(form: Any, exc: DomainError, aliases: dict[str, str] | None = None) -> None:
    field = (aliases or {}).get(exc.field or "", exc.field)
    form.add_error(field if field in form.fields else None, exc.message)


@require_POST
@agent_required
def ticket_log_call(request: HttpRequest, ticket_id: int) -> HttpResponse:
    ticket = _agent_ticket(request, ticket_id)
    form = LogCallForm(request.POST, prefix="call")
    if form.is_valid():
        data = form.cleaned_data
        try:
            call_log(
                actor=request.user,
                direction=data["direction"],
                number=data["number"],
                duration_seconds=data["duration"],
                outcome=data["outcome"],
                notes=data["notes"],
                ticket=ticket,
                region=LANGUAGE_REGION.get(ticket.language[:2]),
            )
        except DomainError as exc:
            _form_error(form, exc)
    if form.errors:
        return _failed(request, ticket, log_form=form, open_form="log")
    return _done(request, ticket, _("Call logged."))


@require_POST
@agent_required
def ticket_schedule_callback(request: HttpRequest, ticket_id: int) -> HttpResponse:
    ticket = _agent_ticket(request, ticket_id)
    form = AgentCallbackForm(request.POST, prefix="cb")
    if form.is_valid():
        start, end, zone = form.window()
        try:
            callback_request(
                phone=form.cleaned_data["phone"],
                window_start=start,
                window_end=end,
                timezone_name=zone,
                language=ticket.language,
                source=CallbackSource.AGENT,
                ticket=ticket,
                reason=form.cleaned_data["reason"],
                actor=request.user,
                region=LANGUAGE_REGION.get(ticket.language[:2]),
            )
        except DomainError as exc:
            _form_error(form, exc, {"window_start": "start", "window_end": "end"})
    if form.errors:
        return _failed(request, ticket, callback_form=form, open_form="callback")
    return _done(request, ticket, _("Callback scheduled."))


@require_POST
@agent_required
def callback_action(request: HttpRequest, callback_id: int, action: str) -> HttpResponse:
    """Start calling, report an attempt, or cancel — from the ticket page or the list."""
    try:
        callback = access_callback(request.user, callback_id)
    except NotFound as exc:
        raise Http404(_("No such callback.")) from exc
    ticket = callback.ticket
    from_list = request.POST.get("next") == "list"
    attempt_form: AttemptForm | None = None
    try:
        if action == "start":
            callback_start(callback=callback, actor=request.user)
            feedback = _("You are calling %(number)s.") % {"number": callback.phone}
        elif action == "attempt":
            attempt_form = AttemptForm(request.POST, prefix=f"cb{callback.pk}")
            if not attempt_form.is_valid():
                raise DomainError(_("Choose what came of the call."), field="outcome")
            data = attempt_form.cleaned_data
            callback_attempt(
                callback=callback,
                actor=request.user,
                outcome=data["outcome"],
                notes=data["notes"],
                duration_seconds=data["duration"],
            )
            callback.refresh_from_db()
            feedback = _("Attempt recorded; the callback is %(status)s.") % {
                "status": callback.get_status_display().lower()
            }
        elif action == "cancel":
            callback_cancel(
                callback=callback, actor=request.user, reason=request.POST.get("reason", "")
            )
            feedback = _("Callback cancelled.")
        else:
            raise Http404(_("Unknown action."))
    except PermissionDenied:
        return forbidden(request)
    except DomainError as exc:
        if from_list:
            messages.error(request, exc.message)
            return redirect("phone:callbacks")
        forms = {callback.pk: attempt_form} if attempt_form is not None else None
        return _failed(request, ticket, attempt_forms=forms, error=exc.message)
    if from_list:
        messages.success(request, feedback)
        return redirect("phone:callbacks")
    return _done(request, ticket, feedback)


# ------------------------------------------------------------------------------------------
# Agents: lists and the standalone "log a call"
# ------------------------------------------------------------------------------------------


@require_GET
@agent_required
def calls(request: HttpRequest) -> HttpResponse:
    form = CallFilterForm(request.GET or None)
    filters = CallFilters()
    if form.is_valid():
        data = form.cleaned_data
        filters = CallFilters(
            day=data["day"],
            direction=data["direction"],
            state=data["state"],
            mine=data["mine"],
            q=data["q"],
        )
    now = timezone.now()
    zone = agent_zone(request.user)
    day = filters.day or now.astimezone(zone).date()
    rows = calls_list(user=request.user, filters=filters, now=now)
    stats = call_stats(calls_queryset(user=request.user, filters=filters, now=now))
    return render(
        request,
        "phone/calls.html",
        {
            **_chrome(request),
            "form": form,
            "rows": rows,
            "stats": stats,
            "day": day,
            "zone": zone,
            "now": now,
            "active_nav": "calls",
            "counts": callback_counts(user=request.user),
        },
    )


@require_GET
@agent_required
def call_detail(request: HttpRequest, call_id: int) -> HttpResponse:
    try:
        call = access_call(request.user, call_id)
    except NotFound as exc:
        raise Http404(_("No such call.")) from exc
    return render(
        request,
        "phone/call_detail.html",
        {
            **_chrome(request),
            "call": call,
            "events": list(call.events.all()),
            "active_nav": "calls",
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
@agent_required
def call_new(request: HttpRequest) -> HttpResponse:
    """Log a call with no ticket yet: it opens one (or follows up the caller's open one)."""
    if request.method != "POST":
        form = NewCallForm(initial={"number": request.GET.get("number", "")[:40]})
        context = {**_chrome(request), "form": form, "active_nav": "calls"}
        return render(request, "phone/call_new.html", context)
    form = NewCallForm(request.POST)
    call = None
    if form.is_valid():
        data = form.cleaned_data
        try:
            call = call_log(
                actor=request.user,
                direction=data["direction"],
                number=data["number"],
                duration_seconds=data["duration"],
                outcome=data["outcome"],
                notes=data["notes"],
                name=data["name"],
                subject=data["subject"],
                team=data["team"],
            )
        except DomainError as exc:
            _form_error(form, exc)
    if call is None or call.ticket is None:
        context = {**_chrome(request), "form": form, "active_nav": "calls"}
        return render(request, "phone/call_new.html", context, status=400)
    messages.success(
        request, _("Call logged on %(reference)s.") % {"reference": call.ticket.reference}
    )
    try:
        access_ticket(request.user, call.ticket.pk)
    except (NotFound, PermissionDenied):
        return redirect("phone:calls")  # routed to a team this agent does not see
    return redirect("tickets:detail", ticket_id=call.ticket_id)


@require_GET
@agent_required
def callbacks(request: HttpRequest) -> HttpResponse:
    view = request.GET.get("view", "due")
    if view not in CALLBACK_VIEWS:
        view = "due"
    now = timezone.now()
    rows = callbacks_list(user=request.user, view=view, now=now)
    for callback in rows:
        callback.attempt_form = AttemptForm(prefix=f"cb{callback.pk}")  # type: ignore[attr-defined]
    return render(
        request,
        "phone/callbacks.html",
        {
            **_chrome(request),
            "rows": rows,
            "view": view,
            "views": [
                ("due", _("Due now")),
                ("upcoming", _("Upcoming")),
                ("missed", _("Missed")),
                ("done", _("Done and cancelled")),
                ("all", _("All")),
            ],
            "counts": callback_counts(user=request.user),
            "now": now,
            "active_nav": "callbacks",
        },
    )


# ------------------------------------------------------------------------------------------
# Customers: the callback page and the tracking page's offer
# ------------------------------------------------------------------------------------------


def _rate_limited(request: HttpRequest) -> HttpResponse | None:
    window = int(conf("CALLBACK_RATE_WINDOW_SECONDS"))
    if not rate_limited(
        "callback", client_ip(request), limit=conf("CALLBACK_RATE_LIMIT"), window_seconds=window
    ):
        return None
    retry_after = max(1, window - int(time.time()) % window)
    response = render(
        request,
        "inbox/rate_limited.html",
        {"retry_minutes": max(1, -(-retry_after // 60))},
        status=429,
    )
    response["Retry-After"] = str(retry_after)
    return response


def _token(raw: str) -> str:
    try:
        return uuid.UUID((raw or "").strip()).hex
    except ValueError:
        return ""


def _see_other(url: str) -> HttpResponseRedirect:
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response


def _window_errors(form: WindowForm, exc: DomainError) -> None:
    _form_error(form, exc, {"window_start": "start", "window_end": "end"})


@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
def callback_page(request: HttpRequest) -> HttpResponse:
    """Public: "Prefer a call? We call you back" — number, time window, reason."""
    request_types = active_request_types()
    if request.method != "POST":
        form = PublicCallbackForm(request_types=request_types)
        return _render_public(request, form, token=uuid.uuid4().hex)
    limited = _rate_limited(request)
    if limited is not None:
        return limited
    if request.POST.get(HONEYPOT_FIELD):
        return render(request, "inbox/received.html")  # a bot: look like success, keep nothing
    token = _token(request.POST.get(FORM_TOKEN_FIELD, "")) or uuid.uuid4().hex
    form = PublicCallbackForm(request.POST, request_types=request_types)
    callback: Callback | None = None
    if form.is_valid():
        start, end, zone = form.window()
        data = form.cleaned_data
        language = data["language"]
        try:
            callback = callback_request(
                phone=data["phone"],
                window_start=start,
                window_end=end,
                timezone_name=zone,
                language=language,
                source=CallbackSource.FORM,
                name=data["name"],
                email=data["email"],
                reason=data["reason"],
                request_type=data.get("request_type"),
                request_key=f"callback-page:{token}",
                region=LANGUAGE_REGION.get((get_language() or "en")[:2]),
            )
        except DomainError as exc:
            _window_errors(form, exc)
    if callback is None:
        return _render_public(request, form, token=token, status=400)
    messages.success(request, _("Thank you. We will call you back."))
    return _see_other(reverse("inbox:track", args=[callback.ticket.tracking_token]) + "#callback")


def _render_public(
    request: HttpRequest, form: PublicCallbackForm, *, token: str, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "phone/callback_page.html",
        {
            "form": form,
            "form_token": token,
            "form_token_field": FORM_TOKEN_FIELD,
            "honeypot_field": HONEYPOT_FIELD,
        },
        status=status,
    )


def tracking_offer_context(
    ticket: Ticket, form: TrackingCallbackForm | None = None
) -> dict[str, Any]:
    """What the tracking page's "call me back" box shows for the customer's own ticket."""
    phone = customer_phone(ticket)
    shown = tracking_callbacks(ticket)
    return {
        "ticket": ticket,
        "callbacks": shown,
        "can_request": ticket.status != TicketStatus.CLOSED and not any(c.is_active for c in shown),
        "form": form or TrackingCallbackForm(initial={"phone": phone}),
        "form_token": uuid.uuid4().hex,
        "form_token_field": FORM_TOKEN_FIELD,
    }


def _customer_ticket(token: str) -> Ticket:
    try:
        return access_ticket_by_token(token)
    except NotFound as exc:
        raise Http404 from exc


def _private(response: HttpResponse) -> HttpResponse:
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
def tracking_callback(request: HttpRequest, token: str) -> HttpResponse:
    """A callback on the customer's own ticket (the tracking page's box posts here)."""
    ticket = _customer_ticket(token)
    if request.method != "POST":
        context = tracking_offer_context(ticket)
        return _private(render(request, "phone/callback_track.html", context))
    limited = _rate_limited(request)
    if limited is not None:
        return limited
    form = TrackingCallbackForm(request.POST)
    request_token = _token(request.POST.get(FORM_TOKEN_FIELD, ""))
    done = False
    if form.is_valid():
        start, end, zone = form.window()
        try:
            callback_request(
                phone=form.cleaned_data["phone"],
                window_start=start,
                window_end=end,
                timezone_name=zone,
                language=(get_language() or ticket.language)[:2],
                source=CallbackSource.TRACKING,
                ticket=ticket,
                request_key=f"tracking:{request_token}" if request_token else None,
                region=LANGUAGE_REGION.get((get_language() or "en")[:2]),
            )
            done = True
        except DomainError as exc:
            _window_errors(form, exc)
    if not done:
        context = tracking_offer_context(ticket, form)
        return _private(render(request, "phone/callback_track.html", context, status=400))
    messages.success(request, _("Thank you. We will call you back."))
    return _see_other(reverse("inbox:track", args=[ticket.tracking_token]) + "#callback")


@require_POST
@never_cache
def tracking_callback_cancel(request: HttpRequest, token: str, callback_id: int) -> HttpResponse:
    """The customer cancels a callback on their own ticket."""
    ticket = _customer_ticket(token)
    callback = Callback.objects.filter(pk=callback_id, ticket=ticket).first()
    if callback is None:
        raise Http404
    if callback.status in (CallbackStatus.SCHEDULED, CallbackStatus.QUEUED):
        try:
            callback_cancel(callback=callback, by_customer=True)
        except DomainError as exc:
            messages.error(request, exc.message)
            return _see_other(reverse("inbox:track", args=[ticket.tracking_token]) + "#callback")
        messages.success(request, _("Your callback is cancelled."))
    else:
        messages.error(request, _("This callback can no longer be cancelled."))
    return _see_other(reverse("inbox:track", args=[ticket.tracking_token]) + "#callback")
