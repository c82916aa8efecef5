"""Middleware of Calmdesk's own.

The API (``/api/``) is stateless JSON: bearer tokens, no cookies, no forms, no HTMX. The
site-only middleware below (sessions, CSRF, the user, messages, HTMX) lets its requests
through untouched, so an API answer sets no cookie and a surge of API intakes does not pay
for the web site's machinery (measured: a tenth of the API intake's throughput,
docs/performance.md). Django's process_view hooks still run (CSRF's returns at once for
Ninja's views, which are CSRF-exempt: Ninja checks CSRF itself where a cookie authenticates).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.conf.urls.i18n import is_language_prefix_patterns_used
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.messages.storage import default_storage
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.middleware.csrf import CsrfViewMiddleware
from django.middleware.locale import LocaleMiddleware as DjangoLocaleMiddleware
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.functional import SimpleLazyObject, empty
from django_htmx.middleware import HtmxMiddleware

# Where calmdesk/api is mounted (config/urls.py; a test holds the two together).
API_PATH_PREFIX = "/api/"


class SiteOnly:
    """Mixin: the middleware runs for the web site and lets API requests through untouched.

    Works in both modes: under ASGI ``get_response`` and ``super().__call__`` both return an
    awaitable, which the handler awaits."""

    get_response: Any

    def __call__(self, request: HttpRequest) -> Any:
        if request.path_info.startswith(API_PATH_PREFIX):
            return self.get_response(request)
        return super().__call__(request)  # type: ignore[misc]


class SiteSessionMiddleware(SiteOnly, SessionMiddleware):
    """Sessions for the web site; the API authenticates by bearer token."""


class SiteCsrfViewMiddleware(SiteOnly, CsrfViewMiddleware):
    """CSRF cookies and checks for the web site's forms; the API sets no cookie."""


class SiteAuthenticationMiddleware(SiteOnly, AuthenticationMiddleware):
    """``request.user`` from the session; the API's token authentication sets its own."""


class SiteHtmxMiddleware(SiteOnly, HtmxMiddleware):
    """``request.htmx`` for the web site's pages."""


class LazyMessageMiddleware(SiteOnly, MessageMiddleware):
    """Django's ``MessageMiddleware`` with the message storage made on first use.

    Most requests never touch it (the public intake in a surge, HTMX fragments), and making it
    (a cookie and a session storage, the class looked up by name) was a few per cent of an
    intake request. A storage nobody used has nothing to save, so the response is left as
    Django's would leave it. The API has no messages at all.
    """

    def process_request(self, request: HttpRequest) -> None:
        request._messages = SimpleLazyObject(lambda: default_storage(request))  # type: ignore[attr-defined]

    def process_response(self, request: HttpRequest, response: HttpResponse) -> Any:
        storage = getattr(request, "_messages", None)
        if isinstance(storage, SimpleLazyObject) and storage._wrapped is empty:
            return response
        return super().process_response(request, response)


class LocaleMiddleware(DjangoLocaleMiddleware):
    """Django's ``LocaleMiddleware``, without looking for a language in the path when no URL
    has one (Calmdesk uses no ``i18n_patterns``).

    Django's looks twice per request whatever the URLs, and every path whose first segment
    could be a language code (``/help``, ``/api``) raised and caught a LookupError each time:
    about 11 µs per request, on every page. The language (cookie, then
    Accept-Language), ``request.LANGUAGE_CODE``, ``Vary`` and ``Content-Language`` are the
    same as Django's; with ``i18n_patterns`` this is exactly Django's middleware.
    """

    def process_request(self, request: HttpRequest) -> None:
        urlconf = getattr(request, "urlconf", settings.ROOT_URLCONF)
        if is_language_prefix_patterns_used(urlconf)[0]:
            super().process_request(request)
            return
        translation.activate(translation.get_language_from_request(request))
        request.LANGUAGE_CODE = translation.get_language()

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> Any:
        urlconf = getattr(request, "urlconf", settings.ROOT_URLCONF)
        if is_language_prefix_patterns_used(urlconf)[0]:
            return super().process_response(request, response)
        patch_vary_headers(response, ("Accept-Language",))
        response.headers.setdefault("Content-Language", translation.get_language())
        return response
