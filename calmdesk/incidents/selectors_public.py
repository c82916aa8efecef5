"""READS for the public crisis pages: the incident, its texts and updates in the reader's
language, and the expected wait per request type (``staffing.selectors.public_wait``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.urls import reverse
from django.utils.http import urlencode

from calmdesk.inbox.validation import active_request_types
from calmdesk.staffing.selectors import public_wait
from calmdesk.tickets.models import RequestType

from .models import PUBLIC_STATUSES, Incident, IncidentStatus, IncidentText, IncidentUpdate
from .selectors import public_incidents

# More than any incident posts; a bound on what one page renders.
MAX_UPDATES = 200


@dataclass(frozen=True)
class WaitLine:
    key: str
    name: str
    minutes: int
    label: str  # "within about 6 hours", in the active language


@dataclass(frozen=True)
class UpdateLine:
    update: IncidentUpdate
    text: str


@dataclass
class IncidentPage:
    incident: Incident
    text: IncidentText | None
    updates: list[UpdateLine]
    waits: list[WaitLine]
    form_url: str
    resolved: bool


@dataclass
class CrisisData:
    single: IncidentPage | None = None
    listing: list[tuple[Incident, IncidentText | None]] = field(default_factory=list)


def incident_by_slug(slug: str) -> Incident | None:
    """Any incident by its short name, with its texts (no query for a public one)."""
    for incident in public_incidents():
        if incident.slug == slug:
            return incident
    return (
        Incident.objects.filter(slug=slug)
        .select_related("team", "request_type")
        .prefetch_related("texts")
        .first()
    )


def form_link(incident: Incident) -> str:
    """The request form preset for the incident: /help?type=<key>&incident=<slug>."""
    query = {"type": incident.request_type.key} if incident.request_type is not None else {}
    return reverse("inbox:help") + "?" + urlencode({**query, "incident": incident.slug})


def waits_for(
    *, types: Iterable[RequestType], incident: Incident | None, now: datetime
) -> list[WaitLine]:
    """The announced wait per request type; with a public ``incident``, for requests linked to
    it (intake sends those to the incident's team)."""
    linked = incident if incident is not None and incident.status in PUBLIC_STATUSES else None
    lines = []
    for request_type in types:
        estimate = public_wait(request_type=request_type, now=now, incident=linked)
        lines.append(
            WaitLine(
                key=request_type.key,
                name=request_type.name(),
                minutes=estimate.minutes,
                label=estimate.label(),
            )
        )
    return lines


def incident_page(*, incident: Incident, language: str, now: datetime) -> IncidentPage:
    """Everything the page of one incident shows (one query: its updates)."""
    fallbacks = tuple(incident.languages or ())
    updates = [
        UpdateLine(update=update, text=update.text(language, fallbacks))
        for update in IncidentUpdate.objects.filter(incident=incident).order_by(
            "-posted_at", "-id"
        )[:MAX_UPDATES]
    ]
    return IncidentPage(
        incident=incident,
        text=incident.text(language),
        updates=updates,
        waits=waits_for(types=active_request_types(), incident=incident, now=now),
        form_url=form_link(incident),
        resolved=incident.status == IncidentStatus.RESOLVED,
    )


def crisis_page_data(
    *, language: str, now: datetime, incident: Incident | None = None
) -> CrisisData:
    """/crisis/<slug> (``incident`` given) or /crisis: the one public incident's page, or the
    list of several, or nothing."""
    if incident is None:
        incidents = public_incidents()
        if len(incidents) != 1:
            return CrisisData(listing=[(i, i.text(language)) for i in incidents])
        incident = incidents[0]
    return CrisisData(single=incident_page(incident=incident, language=language, now=now))
