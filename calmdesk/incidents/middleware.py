"""The crisis page under a crowd: served from the shared cache before sessions, auth and CSRF.

Placed right after WhiteNoise in ``settings.MIDDLEWARE``. A GET or HEAD of ``/crisis``,
``/crisis/<slug>`` or ``/crisis/<slug>/feed.atom`` is answered from the cache when a rendered
copy exists — no session, no user, no database query. A miss falls through to the view
(``views_public``), which marks its response as shareable; on the way out this middleware
stores it and answers it exactly as it answers a hit (ETag, Last-Modified, Cache-Control), so a
conditional request gets its ``304`` either way.

The cache key holds the path, the reader's language and a version of the incidents: the
public-incident cache version (bumped by every save of an incident, which every incident
service does, posting an update included) and, for public incidents, their ``updated_at``.
A change therefore shows at once; nothing else on the page changes without it except the
expected waits, which are re-read when a copy is older than ``FRESH_SECONDS``.

Staleness, honestly: a copy is fresh for 30 s and ``public_wait`` itself keeps each wait for
30 s, so a wait on the page may be up to about a minute old (browsers may add their own
``max-age``). A stale copy is still served while ONE request (a short lock in the cache)
renders the next one, so an expiry under a crowd costs one render, not thousands.

Nothing personal is ever stored: only responses the view marked as shareable, with status 200
and no cookie set (a CSRF token or a session in the page would set one); the crisis templates
have no form, no CSRF token and no user.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from django.utils.translation import get_language_from_request

from .selectors import PUBLIC_INCIDENTS, public_incidents

# /crisis, /crisis/<slug>, /crisis/<slug>/feed.atom — not /crisis/wait.txt (a dot is no slug).
CACHED_PATH = re.compile(r"^/crisis(?:/(?P<slug>[-a-zA-Z0-9_]+)(?P<feed>/feed\.atom)?)?$")
FRESH_SECONDS = 30
# A stale copy is kept this much longer, to be served while one request renders the next.
KEEP_SECONDS = 120
RENDER_LOCK_SECONDS = 10
CACHE_CONTROL = "public, max-age=30, stale-while-revalidate=60"
VARY = "Accept-Language, Cookie"
# Set on a response by the view: the page is the same for every reader in this language.
SHAREABLE = "crisis_shareable"
# Headers of the rendered response that the cached copy repeats.
KEPT_HEADERS = ("Content-Type", "X-Frame-Options", "Link")


def crisis_language(request: HttpRequest) -> str:
    """The language of the page: ``?lang=`` when it names one of ours, else the language
    cookie, else Accept-Language, else the default."""
    codes = {code for code, _name in settings.LANGUAGES}
    asked = request.GET.get("lang", "")[:10]
    if asked in codes:
        return asked
    language = get_language_from_request(request)
    return language if language in codes else settings.LANGUAGE_CODE


@dataclass(frozen=True)
class CachedPage:
    body: bytes
    etag: str
    last_modified: float  # epoch seconds
    language: str
    headers: tuple[tuple[str, str], ...]
    fresh_until: float  # epoch seconds


def _version(slug: str | None) -> str:
    """The incidents' version: changes whenever an incident (or an update of it) is saved."""
    version = str(PUBLIC_INCIDENTS.version())
    incidents = public_incidents()  # per-process, no query while current
    if slug is None:
        stamps = ",".join(f"{i.pk}:{i.updated_at.timestamp()}" for i in incidents)
    else:
        stamps = next((str(i.updated_at.timestamp()) for i in incidents if i.slug == slug), "-")
    digest = hashlib.blake2b(stamps.encode(), digest_size=8).hexdigest()
    return f"{version}.{digest}"


def page_key(path: str, language: str, slug: str | None) -> str:
    return f"crisis-page:{_version(slug)}:{language}:{path}"


def _respond(request: HttpRequest, page: CachedPage) -> HttpResponseBase:
    conditional = get_conditional_response(
        request, etag=page.etag, last_modified=int(page.last_modified)
    )
    if conditional is not None:
        response: HttpResponseBase = conditional
    else:
        body = b"" if request.method == "HEAD" else page.body
        response = HttpResponse(body)
        for name, value in page.headers:
            response[name] = value
        response["Content-Length"] = str(len(page.body))
    response["ETag"] = page.etag
    response["Last-Modified"] = http_date(page.last_modified)
    response["Cache-Control"] = CACHE_CONTROL
    response["Vary"] = VARY
    response["Content-Language"] = page.language
    return response


def _storable(response: HttpResponseBase) -> bool:
    return (
        getattr(response, SHAREABLE, False)
        and response.status_code == 200
        and not response.streaming
        and not response.cookies
        and isinstance(response, HttpResponse)
    )


class CrisisPageCacheMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        match = CACHED_PATH.match(request.path_info)
        if match is None or request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        language = crisis_language(request)
        key = page_key(request.path_info, language, match["slug"])
        page: CachedPage | None = cache.get(key)
        now = time.time()
        if page is not None and (
            now < page.fresh_until or not cache.add(f"{key}:rendering", 1, RENDER_LOCK_SECONDS)
        ):
            return _respond(request, page)

        response = self.get_response(request)
        if not _storable(response):
            return response
        assert isinstance(response, HttpResponse)
        body = response.content
        page = CachedPage(
            body=body,
            etag='"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"',
            last_modified=page.last_modified if page is not None and page.body == body else now,
            language=language,
            headers=tuple((name, response[name]) for name in KEPT_HEADERS if name in response),
            fresh_until=now + FRESH_SECONDS,
        )
        cache.set(key, page, FRESH_SECONDS + KEEP_SECONDS)
        cache.delete(f"{key}:rendering")
        return _respond(request, page)
