"""The public crisis pages: /crisis, /crisis/<slug>, its Atom feed and /crisis/wait.txt.

The pages are the same for every reader in one language, so they are rendered without a
session, a user or a CSRF token and marked shareable: ``middleware.CrisisPageCacheMiddleware``
keeps them in the cache and answers the crowd from there. The language is the one the
middleware keys the copy by (``?lang=``, the language cookie, Accept-Language).
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from calmdesk.inbox.validation import active_request_types

from .middleware import SHAREABLE, crisis_language
from .selectors_public import crisis_page_data, incident_by_slug, waits_for

PLAIN_TEXT = "text/plain; charset=utf-8"


def _shareable(response: HttpResponse) -> HttpResponse:
    setattr(response, SHAREABLE, True)
    return response


def _render(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    language = crisis_language(request)
    with translation.override(language):
        response = render(request, template, {"crisis_language": language, **context})
    return _shareable(response)


@require_GET
def crisis_index(request: HttpRequest) -> HttpResponse:
    """/crisis: the one public incident's page, a list when there are several, or a calm
    "nothing is going on" page with the way to the request form."""
    language = crisis_language(request)
    with translation.override(language):
        data = crisis_page_data(language=language, now=timezone.now())
    if data.single is not None:
        return _render(request, "incidents/public/page.html", {"page": data.single})
    return _render(request, "incidents/public/index.html", {"listing": data.listing})


@require_GET
def crisis_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """/crisis/<slug>: any status; a resolved incident says so."""
    incident = incident_by_slug(slug)
    if incident is None:
        raise Http404
    language = crisis_language(request)
    with translation.override(language):
        data = crisis_page_data(language=language, now=timezone.now(), incident=incident)
    return _render(request, "incidents/public/page.html", {"page": data.single})


@require_GET
def wait_text(request: HttpRequest) -> HttpResponse:
    """/crisis/wait.txt?type=<key>&lang=<code>: one sentence per request type (or for the given
    one) that a phone system reads out. ``&incident=<slug>`` gives the waits of requests linked
    to that incident (what its crisis page announces)."""
    language = crisis_language(request)
    types = active_request_types()
    key = request.GET.get("type", "").strip()
    slug = request.GET.get("incident", "").strip()
    incident = None
    with translation.override(language):
        if key:
            types = [t for t in types if t.key == key]
            if not types:
                return HttpResponse(
                    _("Unknown request type.") + "\n", status=404, content_type=PLAIN_TEXT
                )
        if slug:
            incident = incident_by_slug(slug)
            if incident is None:
                return HttpResponse(
                    _("Unknown incident.") + "\n", status=404, content_type=PLAIN_TEXT
                )
        lines = [
            _("%(type)s: we expect to answer %(wait)s.") % {"type": wait.name, "wait": wait.label}
            for wait in waits_for(types=types, incident=incident, now=timezone.now())
        ]
    response = HttpResponse("\n".join(lines) + "\n", content_type=PLAIN_TEXT)
    # The waits behind it are kept 30 s (``public_wait``); a phone system may keep it as long.
    response["Cache-Control"] = "public, max-age=30"
    response["Vary"] = "Accept-Language, Cookie"
    response["Content-Language"] = language
    return response
