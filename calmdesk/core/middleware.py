"""Middleware of Calmdesk's own."""

from __future__ import annotations

from typing import Any

from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.messages.storage import default_storage
from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject, empty


class LazyMessageMiddleware(MessageMiddleware):
    """Django's ``MessageMiddleware`` with the message storage made on first use.

    Most requests never touch it (the API, the public intake in a surge, HTMX fragments),
    and making it (a cookie and a session storage, the class looked up by name) was a few per
    cent of an intake request. A storage nobody used has nothing to save, so the response is
    left as Django's would leave it.
    """

    def process_request(self, request: HttpRequest) -> None:
        request._messages = SimpleLazyObject(lambda: default_storage(request))  # type: ignore[attr-defined]

    def process_response(self, request: HttpRequest, response: HttpResponse) -> Any:
        storage = getattr(request, "_messages", None)
        if isinstance(storage, SimpleLazyObject) and storage._wrapped is empty:
            return response
        return super().process_response(request, response)
