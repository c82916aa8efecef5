"""Fixed-window rate limits on the shared cache (Redis when scaled out)."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The client's address; X-Forwarded-For is trusted only for configured proxies."""
    proxies = settings.CALMDESK["TRUSTED_PROXY_COUNT"]
    if proxies:
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [p for p in forwarded if p]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return str(request.META.get("REMOTE_ADDR", "") or "unknown")


def rate_limited(scope: str, key: str, *, limit: int, window_seconds: int) -> bool:
    """Count one hit for ``key`` in ``scope``; True when the limit for this window is passed."""
    window = int(time.time() // window_seconds)
    cache_key = f"rl:{scope}:{key}:{window}"
    if cache.add(cache_key, 1, timeout=window_seconds + 5):
        hits = 1
    else:
        try:
            hits = cache.incr(cache_key)
        except ValueError:  # expired between add and incr
            cache.set(cache_key, 1, timeout=window_seconds + 5)
            hits = 1
    return hits > limit


def intake_rate_limited(request: HttpRequest) -> bool:
    """The public intake flood limit, shared by the form and the API."""
    conf = settings.CALMDESK
    return rate_limited(
        "intake",
        client_ip(request),
        limit=conf["INTAKE_RATE_LIMIT"],
        window_seconds=conf["INTAKE_RATE_WINDOW_SECONDS"],
    )
