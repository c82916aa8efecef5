"""The incident dashboard (leads only): the page, and its panels alone for the HTMX refresh."""

from __future__ import annotations

from datetime import UTC, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language
from django.views.decorators.http import require_GET

from calmdesk.accounts.decorators import lead_required
from calmdesk.accounts.permissions import agent_profile
from calmdesk.tickets.selectors import open_alert_count

from .selectors import incident_dashboard as dashboard_selector
from .selectors import incident_for_dashboard

REFRESH_SECONDS = 15


def viewer_time_zone(user: object) -> tzinfo:
    """The agent's own time zone (hours on the charts are cut and labelled in it), else UTC."""
    profile = agent_profile(user)
    if profile is None or not profile.time_zone:
        return UTC
    try:
        return ZoneInfo(profile.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


@require_GET
@lead_required
def incident_dashboard(request: HttpRequest, slug: str) -> HttpResponse:
    incident = incident_for_dashboard(slug=slug)
    if incident is None:
        raise Http404
    tz = viewer_time_zone(request.user)
    language = get_language()
    dashboard = dashboard_selector(incident=incident, now=timezone.now(), tz=tz, language=language)
    context: dict[str, object] = {
        "incident": incident,
        "incident_text": incident.text(language),
        "dashboard": dashboard,
        "refresh_seconds": REFRESH_SECONDS,
        "active_nav": "incidents",
    }
    if getattr(request, "htmx", False):
        template = "reporting/partials/_dashboard_panels.html"
    else:
        template = "reporting/incident_dashboard.html"
        context.update(open_alerts=open_alert_count(user=request.user), now=dashboard.now)
    with timezone.override(tz):
        response = render(request, template, context)
    # The same URL answers with the page or the panels: caches must tell them apart.
    patch_vary_headers(response, ["HX-Request"])
    response["Cache-Control"] = "private, no-store"
    return response
