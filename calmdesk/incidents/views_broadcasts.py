"""Broadcast screens for leads (/agent/broadcasts/…) and the public opt-out page (/optout/…).

Views parse, authorise (leads and administrators only; agents get 403), call one service or
selector of ``broadcasts`` and render. Sending progress is polled by HTMX every 2 seconds.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from calmdesk.accounts.decorators import lead_required
from calmdesk.core.errors import DomainError
from calmdesk.tickets.selectors import open_alert_count

from . import broadcasts as svc
from .forms_broadcasts import (
    OUTCOME_LABELS,
    SKIP_LABELS,
    BroadcastForm,
    RecipientFilterForm,
    StartForm,
    TestSendForm,
)
from .models import Broadcast, BroadcastStatus, Incident

RECIPIENTS_PAGE = 50
LIST_PAGE = 50
SUPPORTED = [code for code, _name in settings.LANGUAGES]


def _chrome(request: HttpRequest) -> dict[str, Any]:
    return {"open_alerts": open_alert_count(user=request.user), "active_nav": "broadcasts"}


def _languages(incident: Incident | None, broadcast: Broadcast | None = None) -> list[str]:
    """The incident's languages first, then the broadcast's, then every other one."""
    first = list(incident.languages if incident else [])
    if broadcast is not None:
        first += list(broadcast.templates)
    ordered = [c for c in dict.fromkeys(first) if c in SUPPORTED]
    return ordered + [c for c in SUPPORTED if c not in ordered]


def _broadcast(pk: int) -> Broadcast:
    return get_object_or_404(Broadcast.objects.select_related("incident__team"), pk=pk)


def _detail_url(broadcast: Broadcast) -> str:
    return reverse("broadcasts:detail", args=[broadcast.pk])


# ------------------------------------------------------------------------------------------
# List, compose, edit
# ------------------------------------------------------------------------------------------


@require_GET
@lead_required
def broadcast_list(request: HttpRequest) -> HttpResponse:
    paginator = Paginator(
        Broadcast.objects.select_related("incident").order_by("-created_at", "-id"), LIST_PAGE
    )
    page = paginator.get_page(request.GET.get("page"))
    return render(request, "incidents/broadcasts/list.html", {**_chrome(request), "page": page})


def _incident_from_query(request: HttpRequest) -> Incident | None:
    raw = request.GET.get("incident", "")
    if not raw.isdigit():
        return None
    return Incident.objects.prefetch_related("texts").filter(pk=int(raw)).first()


@require_http_methods(["GET", "POST"])
@lead_required
def broadcast_compose(request: HttpRequest) -> HttpResponse:
    incident = _incident_from_query(request)
    languages = _languages(incident)
    if request.method == "POST":
        form = BroadcastForm(request.POST, languages=languages)
        if form.is_valid():
            try:
                broadcast = svc.broadcast_create(actor=request.user, **form.values())
            except DomainError as exc:
                form.add_domain_error(exc)
            else:
                messages.success(request, _("Draft saved. Check the preview, then send."))
                return HttpResponseRedirect(_detail_url(broadcast))
        status = 400
    else:
        form = BroadcastForm(
            initial=BroadcastForm.initial_for(None, incident, languages), languages=languages
        )
        status = 200
    context = {**_chrome(request), "form": form, "incident": incident, "broadcast": None}
    return render(request, "incidents/broadcasts/form.html", context, status=status)


@require_http_methods(["GET", "POST"])
@lead_required
def broadcast_edit(request: HttpRequest, pk: int) -> HttpResponse:
    broadcast = _broadcast(pk)
    if broadcast.status != BroadcastStatus.DRAFT:
        return HttpResponseRedirect(_detail_url(broadcast))
    languages = _languages(broadcast.incident, broadcast)
    if request.method == "POST":
        form = BroadcastForm(request.POST, languages=languages)
        if form.is_valid():
            values = form.values()
            values.pop("incident")
            try:
                svc.broadcast_update(broadcast=broadcast, actor=request.user, **values)
            except DomainError as exc:
                form.add_domain_error(exc)
            else:
                messages.success(request, _("Draft saved."))
                return HttpResponseRedirect(_detail_url(broadcast))
        status = 400
    else:
        form = BroadcastForm(
            initial=BroadcastForm.initial_for(broadcast, broadcast.incident, languages),
            languages=languages,
        )
        status = 200
    form.fields["incident"].disabled = True
    context = {**_chrome(request), "form": form, "incident": broadcast.incident}
    context["broadcast"] = broadcast
    return render(request, "incidents/broadcasts/form.html", context, status=status)


# ------------------------------------------------------------------------------------------
# Detail: preview (draft) or progress and recipients (started)
# ------------------------------------------------------------------------------------------


def _recipients_context(request: HttpRequest, broadcast: Broadcast) -> dict[str, Any]:
    filters = RecipientFilterForm(request.GET)
    outcome = filters.outcome_value()
    page = filters.page_number()
    rows = svc.recipients_with_outcome(broadcast).select_related("customer", "booking")
    if outcome:
        rows = rows.filter(outcome=outcome)  # type: ignore[misc]  # an annotation
    offset = (page - 1) * RECIPIENTS_PAGE
    window = list(rows.order_by("id")[offset : offset + RECIPIENTS_PAGE + 1])
    for row in window:
        row.outcome_label = OUTCOME_LABELS.get(row.outcome, row.outcome)  # type: ignore[attr-defined]
        row.reason = SKIP_LABELS.get(row.error, "")  # type: ignore[attr-defined]
    return {
        "filters": filters,
        "recipients": window[:RECIPIENTS_PAGE],
        "has_more": len(window) > RECIPIENTS_PAGE,
        "page_number": page,
        "outcome": outcome or "",
    }


def _progress_context(broadcast: Broadcast) -> dict[str, Any]:
    progress = svc.broadcast_progress(broadcast)
    return {
        "progress": progress,
        "outcomes": [(key, OUTCOME_LABELS[key], progress.counts[key]) for key in svc.OUTCOMES],
        "polling": broadcast.status == BroadcastStatus.SENDING
        or (broadcast.status != BroadcastStatus.DRAFT and progress.queued > 0),
    }


@require_GET
@lead_required
def broadcast_detail(request: HttpRequest, pk: int) -> HttpResponse:
    broadcast = _broadcast(pk)
    context: dict[str, Any] = {**_chrome(request), "broadcast": broadcast}
    if broadcast.status == BroadcastStatus.DRAFT:
        context["previews"] = svc.broadcast_preview(broadcast=broadcast)
        context["recipient_count"] = svc.broadcast_recipient_count(broadcast)
        context["test_form"] = TestSendForm(languages=list(broadcast.templates))
        context["start_form"] = StartForm()
    else:
        context.update(_progress_context(broadcast))
        context.update(_recipients_context(request, broadcast))
    return render(request, "incidents/broadcasts/detail.html", context)


@require_GET
@lead_required
def broadcast_progress(request: HttpRequest, pk: int) -> HttpResponse:
    broadcast = _broadcast(pk)
    context = {"broadcast": broadcast, **_progress_context(broadcast)}
    return render(request, "incidents/broadcasts/partials/_progress.html", context)


@require_GET
@lead_required
def broadcast_recipients(request: HttpRequest, pk: int) -> HttpResponse:
    broadcast = _broadcast(pk)
    context = {"broadcast": broadcast, **_recipients_context(request, broadcast)}
    return render(request, "incidents/broadcasts/partials/_recipients.html", context)


# ------------------------------------------------------------------------------------------
# Actions
# ------------------------------------------------------------------------------------------


@require_POST
@lead_required
def broadcast_test(request: HttpRequest, pk: int) -> HttpResponse:
    broadcast = _broadcast(pk)
    form = TestSendForm(request.POST, languages=list(broadcast.templates))
    if form.is_valid():
        try:
            row = svc.broadcast_send_test(
                broadcast=broadcast,
                actor=request.user,
                to=form.cleaned_data.get("to") or "",
                language=form.cleaned_data.get("language") or None,
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Test sent to %(to)s.") % {"to": row.to})
    else:
        messages.error(request, _("Check the test address."))
    return HttpResponseRedirect(_detail_url(broadcast))


@require_POST
@lead_required
def broadcast_start(request: HttpRequest, pk: int) -> HttpResponse:
    broadcast = _broadcast(pk)
    form = StartForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Tick the confirmation to send."))
        return HttpResponseRedirect(_detail_url(broadcast))
    try:
        broadcast = svc.broadcast_start(broadcast=broadcast, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Sending to %(n)s recipients at %(rate)s per minute.")
            % {"n": broadcast.total, "rate": broadcast.rate_per_minute},
        )
    return HttpResponseRedirect(_detail_url(broadcast))


_ACTIONS = {
    "pause": (
        svc.broadcast_pause,
        gettext_lazy("Paused. Nothing more is queued until you resume."),
    ),
    "resume": (svc.broadcast_resume, gettext_lazy("Sending again.")),
    "cancel": (
        svc.broadcast_cancel,
        gettext_lazy("Cancelled. Recipients not yet queued are skipped."),
    ),
}


@require_POST
@lead_required
def broadcast_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in _ACTIONS:
        raise Http404
    broadcast = _broadcast(pk)
    service, done = _ACTIONS[action]
    try:
        service(broadcast=broadcast, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, str(done))
    return HttpResponseRedirect(_detail_url(broadcast))


# ------------------------------------------------------------------------------------------
# Public opt-out (one-click for List-Unsubscribe-Post)
# ------------------------------------------------------------------------------------------


@csrf_exempt  # RFC 8058 one-click: mail providers POST without our form token; the
# unguessable token in the URL is the authorisation.
@require_http_methods(["GET", "POST"])
def optout(request: HttpRequest, token: str) -> HttpResponse:
    customer = svc.customer_for_opt_out(token)
    if customer is None:
        raise Http404
    language = customer.language[:2] if customer.language[:2] in SUPPORTED else None
    with translation.override(language or translation.get_language()):
        if request.method == "POST":
            svc.customer_opt_out(token=token)
            response = render(request, "incidents/broadcasts/optout_done.html", {})
        else:
            response = render(
                request,
                "incidents/broadcasts/optout.html",
                {"token": token, "already": customer.broadcast_opt_out_at is not None},
            )
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"
    return response
