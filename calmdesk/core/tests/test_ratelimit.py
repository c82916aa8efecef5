"""Rate limits on Redis: every hit counted, on a connection each thread keeps."""

from __future__ import annotations

import socket
import time
import uuid
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import caches

from calmdesk.core import ratelimit
from calmdesk.core.ratelimit import rate_hit, rate_limited

pytestmark = pytest.mark.skipif(not settings.REDIS_URL, reason="the Redis path (CI's second run)")


def _kept_link() -> object:
    """The connection this thread keeps for the default cache's Redis."""
    pool = ratelimit._client(caches["default"], "any").connection_pool
    _pid, _pool, link = ratelimit._kept()[id(pool)]
    return link


def test_hits_pass_the_limit_after_limit_hits_and_the_counter_expires() -> None:
    key = uuid.uuid4().hex

    verdicts = [rate_limited("test", key, limit=3, window_seconds=3600) for _ in range(5)]

    assert verdicts == [False, False, False, True, True]
    link = _kept_link()
    backend: Any = caches["default"]
    full_key = backend.make_and_validate_key(f"rl:test:{key}:{int(time.time() // 3600)}")
    ttl = ratelimit._client(backend, full_key).ttl(full_key)
    assert 0 < ttl <= 3605
    assert _kept_link() is link  # one connection for all five


def test_a_broken_connection_loses_no_hit_and_is_replaced() -> None:
    key = uuid.uuid4().hex
    assert not rate_limited("test", key, limit=3, window_seconds=3600)
    broken = _kept_link()
    broken._sock.shutdown(socket.SHUT_RDWR)

    verdicts = [rate_limited("test", key, limit=3, window_seconds=3600) for _ in range(3)]

    assert verdicts == [False, False, True]
    assert _kept_link() is not broken


def test_a_forked_child_opens_its_own_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    key = uuid.uuid4().hex
    rate_limited("test", key, limit=3, window_seconds=3600)
    parents = _kept_link()

    monkeypatch.setattr(ratelimit.os, "getpid", lambda: -1)
    rate_limited("test", key, limit=3, window_seconds=3600)

    assert _kept_link() is not parents


def test_two_hits_awaited_at_once_each_get_their_own_answer() -> None:
    busy, quiet = uuid.uuid4().hex, uuid.uuid4().hex
    rate_limited("test", busy, limit=1, window_seconds=3600)

    with (
        rate_hit("test", busy, limit=1, window_seconds=3600) as first,
        rate_hit("test", quiet, limit=1, window_seconds=3600) as second,
    ):
        assert (second.exceeded(), first.exceeded()) == (False, True)

    assert _kept_link() is not None  # one of the two is kept for the next hits


def test_a_verdict_never_asked_for_is_read_at_the_end_of_the_block() -> None:
    key = uuid.uuid4().hex
    with rate_hit("test", key, limit=1, window_seconds=3600):
        pass  # the request failed before it asked

    assert rate_limited("test", key, limit=1, window_seconds=3600)  # the second hit: over
