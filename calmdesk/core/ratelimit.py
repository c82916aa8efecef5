"""Fixed-window rate limits on the shared cache (Redis when scaled out)."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
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
    backend = caches["default"]  # ``cache`` is a proxy to it
    if isinstance(backend, RedisCache):
        return _redis_hit(backend, cache_key, timeout=window_seconds + 5) > limit
    if cache.add(cache_key, 1, timeout=window_seconds + 5):
        hits = 1
    else:
        try:
            hits = cache.incr(cache_key)
        except ValueError:  # expired between add and incr
            cache.set(cache_key, 1, timeout=window_seconds + 5)
            hits = 1
    return hits > limit


def _redis_hit(backend: RedisCache, cache_key: str, *, timeout: int) -> int:
    """INCR and EXPIRE in one round trip (a counter Django's ``incr`` can read too: the
    Redis cache stores integers as they are)."""
    key = backend.make_and_validate_key(cache_key)
    # Django builds a new client object for every operation; one per backend is enough (it
    # shares the backend's connection pool and is thread-safe).
    client = getattr(backend, "_calmdesk_client", None)
    if client is None:
        client = backend._cache.get_client(key, write=True)
        backend._calmdesk_client = client  # type: ignore[attr-defined]
    pipe = client.pipeline(transaction=False)
    pipe.incr(key)
    pipe.expire(key, timeout)
    hits, _expire = pipe.execute()
    return int(hits)


def intake_rate_limited(request: HttpRequest) -> bool:
    """The public intake flood limit, shared by the form and the API."""
    conf = settings.CALMDESK
    return rate_limited(
        "intake",
        client_ip(request),
        limit=conf["INTAKE_RATE_LIMIT"],
        window_seconds=conf["INTAKE_RATE_WINDOW_SECONDS"],
    )
