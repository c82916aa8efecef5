"""/crisis/<slug>/feed.atom: the incident's updates as an Atom feed, in the reader's language
(``?lang=``, the language cookie or Accept-Language), newest first."""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from django.contrib.syndication.views import Feed
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import translation
from django.utils.feedgenerator import Atom1Feed
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from .middleware import SHAREABLE, crisis_language
from .models import Incident, IncidentUpdate
from .selectors_public import MAX_UPDATES, incident_by_slug

TITLE_WORDS = 12


class IncidentUpdatesFeed(Feed):
    feed_type = Atom1Feed
    # Per request, set on the copy that serves it (``__call__``, ``items``).
    language: str
    fallbacks: tuple[str, ...]
    page_url: str

    def __call__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # One instance serves every request (urls_public): the reader's language and the
        # incident's fallbacks go on a copy, never on the shared feed.
        feed = copy.copy(self)
        feed.language = crisis_language(request)
        with translation.override(feed.language):
            response: HttpResponse = Feed.__call__(feed, request, *args, **kwargs)
        response["Content-Type"] = "application/atom+xml; charset=utf-8"
        setattr(response, SHAREABLE, True)
        return response

    def get_object(self, request: HttpRequest, slug: str) -> Incident:
        incident = incident_by_slug(slug)
        if incident is None:
            raise Http404
        return incident

    def title(self, incident: Incident) -> str:
        text = incident.text(self.language)
        return text.title if text is not None else incident.slug

    def subtitle(self, incident: Incident) -> str:
        return _("Updates on this incident, newest first.")

    def link(self, incident: Incident) -> str:
        return reverse("crisis:detail", args=[incident.slug])

    def feed_url(self, incident: Incident) -> str:
        return reverse("crisis:feed", args=[incident.slug]) + f"?lang={self.language}"

    def feed_guid(self, incident: Incident) -> str:
        return f"calmdesk:incident:{incident.slug}:{self.language}"

    def items(self, incident: Incident) -> list[IncidentUpdate]:
        self.fallbacks = tuple(incident.languages or ())
        self.page_url = reverse("crisis:detail", args=[incident.slug])
        return list(
            IncidentUpdate.objects.filter(incident=incident).order_by("-posted_at", "-id")[
                :MAX_UPDATES
            ]
        )

    def item_title(self, item: IncidentUpdate) -> str:
        first_line = item.text(self.language, self.fallbacks).strip().splitlines()[:1]
        return Truncator(first_line[0] if first_line else "").words(TITLE_WORDS)

    def item_description(self, item: IncidentUpdate) -> str:
        return item.text(self.language, self.fallbacks)

    def item_link(self, item: IncidentUpdate) -> str:
        return f"{self.page_url}#update-{item.pk}"  # not item.incident: a query per update

    def item_guid(self, item: IncidentUpdate) -> str:
        return f"calmdesk:incident-update:{item.pk}"

    def item_guid_is_permalink(self, item: IncidentUpdate) -> bool:
        return False

    def item_pubdate(self, item: IncidentUpdate) -> datetime:
        return item.posted_at

    def item_updateddate(self, item: IncidentUpdate) -> datetime:
        return item.posted_at
