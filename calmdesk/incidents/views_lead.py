"""The lead's incident screens: list, declare, edit, the incident page (status, updates, history).

Leads and administrators only (agents get 403). Views parse, authorise, call one service or
selector and render; every form works as a plain POST + redirect, and the update form also as
an HTMX request that swaps the updates region.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from calmdesk.accounts.decorators import lead_required
from calmdesk.core.errors import DomainError
from calmdesk.tickets.selectors import open_alert_count

from . import services
from .forms import IncidentForm, StatusForm, UpdateForm
from .models import Incident, IncidentEvent, IncidentEventType, IncidentStatus
from .selectors_lead import event_lookups, incident_by_slug, incident_list, incident_page


def _chrome(request: HttpRequest) -> dict[str, Any]:
    return {
        "open_alerts": open_alert_count(user=request.user),
        "now": timezone.now(),
        "active_nav": "incidents",
    }


def _incident(slug: str) -> Incident:
    incident = incident_by_slug(slug)
    if incident is None:
        raise Http404(_("No such incident."))
    return incident


def _is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


# ------------------------------------------------------------------------------------------
# List, declare, edit
# ------------------------------------------------------------------------------------------


@require_GET
@lead_required
def incident_list_view(request: HttpRequest) -> HttpResponse:
    return render(
        request, "incidents/lead/list.html", {**_chrome(request), "incidents": incident_list()}
    )


@require_http_methods(["GET", "POST"])
@lead_required
def incident_new(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = IncidentForm(request.POST)
        if form.is_valid():
            try:
                incident = services.incident_declare(actor=request.user, **form.service_kwargs())
            except DomainError as exc:
                form.add_domain_error(exc)
            else:
                messages.success(request, _("Incident declared. Its crisis page is live."))
                return redirect("incidents:detail", slug=incident.slug)
        status = 400
    else:
        form = IncidentForm(initial={"languages": ["en"]})
        status = 200
    context = {**_chrome(request), "form": form, "incident": None}
    return render(request, "incidents/lead/form.html", context, status=status)


@require_http_methods(["GET", "POST"])
@lead_required
def incident_edit(request: HttpRequest, slug: str) -> HttpResponse:
    incident = _incident(slug)
    if request.method == "POST":
        form = IncidentForm(request.POST, with_slug=False)
        if form.is_valid():
            try:
                services.incident_edit(
                    incident=incident, actor=request.user, **form.service_kwargs()
                )
            except DomainError as exc:
                form.add_domain_error(exc)
            else:
                messages.success(request, _("Incident saved."))
                return redirect("incidents:detail", slug=incident.slug)
        status = 400
    else:
        form = IncidentForm(initial=IncidentForm.initial_for(incident), with_slug=False)
        status = 200
    context = {**_chrome(request), "form": form, "incident": incident}
    return render(request, "incidents/lead/form.html", context, status=status)


# ------------------------------------------------------------------------------------------
# The incident page
# ------------------------------------------------------------------------------------------

STATUS_ACTIONS = {
    IncidentStatus.MONITORING: {
        "label": _("Monitor"),
        "question": _(
            "Move to monitoring? The crisis page stays public and requests are still linked."
        ),
        "confirm": _("Yes, monitor"),
    },
    IncidentStatus.RESOLVED: {
        "label": _("Resolve"),
        "question": _(
            "Resolve the incident? Its crisis page and the banner go away and new requests are "
            "no longer linked."
        ),
        "confirm": _("Yes, resolve"),
    },
    IncidentStatus.ACTIVE: {
        "label": _("Reactivate"),
        "question": _("Make the incident active again? Its crisis page and the banner return."),
        "confirm": _("Yes, reactivate"),
    },
}


def _name(mapping: dict[Any, Any], key: Any) -> str:
    if key in (None, ""):
        return _("(none)")
    obj = mapping.get(key)
    if obj is None:
        return _("(deleted #%(id)s)") % {"id": key}
    return str(obj.name()) if callable(getattr(obj, "name", None)) else str(obj)


def _status_label(value: Any) -> str:
    try:
        return str(IncidentStatus(value).label)
    except ValueError:
        return str(value)


FIELD_LABELS = {
    "team": _("handling team"),
    "languages": _("languages"),
    "segment": _("affected segment"),
    "keywords": _("keywords"),
    "request_type": _("request type of the form link"),
    "texts": _("texts"),
}


BROADCAST_ACTIONS = {
    "update": _("Update sent to the affected customers (broadcast #%(id)s)"),
    "created": _("Broadcast #%(id)s created"),
    "started": _("Broadcast #%(id)s started"),
    "paused": _("Broadcast #%(id)s paused"),
    "resumed": _("Broadcast #%(id)s resumed"),
    "cancelled": _("Broadcast #%(id)s cancelled"),
    "done": _("Broadcast #%(id)s sent"),
    "tested": _("Broadcast #%(id)s: test message sent"),
}


def describe_event(event: IncidentEvent, lookups: dict[str, dict[Any, Any]]) -> str:
    """One line in words per event, in the active language."""
    data = event.data or {}
    if event.type == IncidentEventType.DECLARED:
        return _("Declared (team: %(team)s; languages: %(languages)s)") % {
            "team": _name(lookups["team"], data.get("team")),
            "languages": ", ".join(data.get("languages") or []),
        }
    if event.type == IncidentEventType.STATUS:
        return _("Status: %(before)s → %(after)s") % {
            "before": _status_label(data.get("from")),
            "after": _status_label(data.get("to")),
        }
    if event.type == IncidentEventType.EDITED:
        parts = []
        for key, change in data.items():
            label = str(FIELD_LABELS.get(key, key))
            if key == "team" and isinstance(change, dict):
                label += f" ({_name(lookups['team'], change.get('from'))} → "
                label += f"{_name(lookups['team'], change.get('to'))})"
            elif key == "texts" and isinstance(change, dict):
                label += f" ({', '.join(change.get('languages') or [])})"
            parts.append(label)
        return _("Edited: %(fields)s") % {"fields": ", ".join(parts)}
    if event.type == IncidentEventType.UPDATE_POSTED:
        return _("Update posted (%(languages)s)") % {
            "languages": ", ".join(data.get("languages") or [])
        }
    if event.type == IncidentEventType.BROADCAST:
        action = data.get("action")
        template = BROADCAST_ACTIONS.get(action or "", _("Broadcast #%(id)s: %(action)s"))
        return str(template) % {"id": data.get("broadcast"), "action": action or "—"}
    return str(event.get_type_display())


def _url_or(name: str, fallback: str) -> str:
    try:
        return reverse(name)
    except NoReverseMatch:
        return fallback


def _broadcast_url(broadcast_id: int | None) -> str:
    """The broadcast's page if the broadcasts screens are installed, else their list."""
    try:
        if broadcast_id is not None:
            return reverse("broadcasts:detail", args=[broadcast_id])
    except NoReverseMatch:
        pass
    return "/agent/broadcasts/"


def _detail_context(
    request: HttpRequest,
    incident: Incident,
    *,
    update_form: UpdateForm | None = None,
    status_error: str = "",
) -> dict[str, Any]:
    page = incident_page(incident=incident)
    lookups = event_lookups(page.events)
    return {
        **_chrome(request),
        "incident": incident,
        "text": incident.text(),
        "texts": sorted(
            incident.texts.all(),
            key=lambda t: (
                incident.languages.index(t.language) if t.language in incident.languages else 99
            ),
        ),
        "updates": page.updates,
        "events": [(event, describe_event(event, lookups)) for event in page.events],
        "broadcasts": [(b, _broadcast_url(b.pk)) for b in page.broadcasts],
        "broadcasts_url": _broadcast_url(None),
        "new_broadcast_url": f"{_url_or('broadcasts:compose', '/agent/broadcasts/new/')}"
        f"?incident={incident.pk}",
        "ticket_count": page.ticket_count,
        "affected_customers": page.affected_customers,
        "update_form": update_form or UpdateForm(incident=incident),
        "status_actions": [
            {"status": status, **STATUS_ACTIONS[IncidentStatus(status)]}
            for status in services.allowed_statuses(incident)
        ],
        "status_error": status_error,
        "public_url": f"/crisis/{incident.slug}",
        "dashboard_url": f"/agent/incidents/{incident.slug}/dashboard/",
        "tickets_url": reverse("tickets:queue") + f"?view=all&tag=incident-{incident.slug}",
    }


@require_GET
@lead_required
def incident_detail(request: HttpRequest, slug: str) -> HttpResponse:
    incident = _incident(slug)
    return render(request, "incidents/lead/detail.html", _detail_context(request, incident))


@require_POST
@lead_required
def incident_status(request: HttpRequest, slug: str) -> HttpResponse:
    incident = _incident(slug)
    form = StatusForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            incident = services.incident_set_status(
                incident=incident, status=form.cleaned_data["status"], actor=request.user
            )
        except DomainError as exc:
            error = exc.message
    else:
        error = _("Unknown status.")
    if error:
        context = _detail_context(request, incident, status_error=error)
        return render(request, "incidents/lead/detail.html", context, status=400)
    messages.success(
        request, _("Status set to %(status)s.") % {"status": _status_label(incident.status)}
    )
    return redirect("incidents:detail", slug=incident.slug)


@require_POST
@lead_required
def incident_update(request: HttpRequest, slug: str) -> HttpResponse:
    incident = _incident(slug)
    form = UpdateForm(request.POST, incident=incident)
    feedback = ""
    if form.is_valid():
        try:
            update = services.incident_post_update(
                incident=incident, actor=request.user, **form.service_kwargs()
            )
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            feedback = (
                _("Update posted and sent to the affected customers.")
                if update.broadcast_id
                else _("Update posted.")
            )
    if form.errors:
        context = _detail_context(request, incident, update_form=form)
        template = (
            "incidents/lead/partials/_updates.html"
            if _is_htmx(request)
            else "incidents/lead/detail.html"
        )
        return render(request, template, context, status=400)
    if _is_htmx(request):
        context = {**_detail_context(request, incident), "feedback": feedback}
        return render(request, "incidents/lead/partials/_updates.html", context)
    messages.success(request, feedback)
    return redirect("incidents:detail", slug=incident.slug)
