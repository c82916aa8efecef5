"""Phone settings: read from ``settings.CALMDESK`` with these defaults (env: CALMDESK_<NAME>)."""

from __future__ import annotations

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # A callback window may start at most this many days ahead.
    "CALLBACK_MAX_DAYS_AHEAD": 14,
    # Shortest and longest callback window.
    "CALLBACK_MIN_WINDOW_MINUTES": 15,
    "CALLBACK_MAX_WINDOW_HOURS": 24,
    # Tries without reaching the customer before a callback is given up as missed.
    "CALLBACK_MAX_ATTEMPTS": 3,
    # An agent still "calling" this long after the window ended: the callback is missed.
    "CALLBACK_CALLING_GRACE_MINUTES": 30,
    # Public callback page: requests per client IP per window.
    "CALLBACK_RATE_LIMIT": 5,
    "CALLBACK_RATE_WINDOW_SECONDS": 600,
    # A call is written to its ticket this long after its "ended" event, so late events of a
    # retried delivery still count (a periodic sweep catches any lost task).
    "PHONE_FINALIZE_DELAY_SECONDS": 15,
    # Webhook: largest body, and how far an event's time may be from now.
    "PHONE_WEBHOOK_MAX_BYTES": 64 * 1024,
    "PHONE_EVENT_MAX_AGE_HOURS": 72,
    "PHONE_EVENT_MAX_FUTURE_SECONDS": 300,
}


def conf(name: str) -> Any:
    """The setting ``name`` from ``settings.CALMDESK``, else its default here."""
    values = getattr(settings, "CALMDESK", {}) or {}
    return values.get(name, DEFAULTS[name])
