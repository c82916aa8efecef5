"""Configuration kept in each process, reloaded everywhere when an admin changes it.

Intake is the hot path of a surge: it must not re-read form fields, request types, rules or
templates from the database on every request. A ``ProcessCache`` keeps the loaded value in the
process for ``ttl`` seconds at most and checks a version number in the shared cache (Redis when
scaled out) at most once every ``check_interval`` seconds; ``invalidate()`` bumps that version
and drops this process's copy at once, so this process reloads on its next use and every other
process within ``check_interval`` (one second by default: an admin's change reaches every worker
within a second, and a surge's intakes do not each pay a round trip to Redis per cache).
Call ``invalidate`` from the model's ``save``/``delete`` (and on commit).
"""

from __future__ import annotations

import secrets
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from django.core.cache import cache

T = TypeVar("T")

_ALL: weakref.WeakSet[ProcessCache[Any]] = weakref.WeakSet()


def forget_all() -> None:
    """Drop every process's cached configuration (tests: the database was rolled back)."""
    for config in list(_ALL):
        config.forget()


class ProcessCache(Generic[T]):
    def __init__(
        self,
        name: str,
        loader: Callable[[], T],
        *,
        ttl: float = 30.0,
        check_interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.key = f"config-version:{name}"
        self.loader = loader
        self.ttl = ttl
        self.check_interval = check_interval
        self.clock = clock
        self._lock = threading.Lock()
        self._version: object = None
        self._loaded_at = 0.0
        self._checked_at = 0.0
        self._value: T | None = None
        _ALL.add(self)

    def forget(self) -> None:
        with self._lock:
            self._value = None

    def version(self) -> object:
        version = cache.get(self.key)
        if version is None:
            cache.add(self.key, secrets.randbits(62), timeout=None)
            version = cache.get(self.key)
        return version

    def get(self) -> T:
        now = self.clock()
        with self._lock:
            value = self._value
            fresh = value is not None and now - self._loaded_at < self.ttl
            if fresh and now - self._checked_at < self.check_interval:
                return value  # type: ignore[return-value]
        version = self.version()
        with self._lock:
            if fresh and self._value is value and self._version == version:
                self._checked_at = now
                return value  # type: ignore[return-value]
        value = self.loader()
        with self._lock:
            self._value, self._version = value, version
            self._loaded_at = self._checked_at = now
        return value

    def invalidate(self) -> None:
        """Make every process reload on its next use."""
        try:
            cache.incr(self.key)
        except ValueError:
            cache.set(self.key, secrets.randbits(62), timeout=None)
        with self._lock:
            self._value = None


def invalidate_now_and_on_commit(*caches: ProcessCache[Any]) -> None:
    """Invalidate at once and again after commit: a process that reloads in between must not
    keep the configuration as it was before the change committed."""
    from django.db import transaction

    for config in caches:
        config.invalidate()
        transaction.on_commit(config.invalidate)


class InvalidatesConfig:
    """Model mixin: saving or deleting a row invalidates the named process caches.

    ``config_caches`` lists dotted paths to ``ProcessCache`` objects (resolved lazily, so a
    model never imports the code that reads it).
    """

    config_caches: tuple[str, ...] = ()

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)  # type: ignore[misc]
        self._invalidate_config()

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        result = super().delete(*args, **kwargs)  # type: ignore[misc]
        self._invalidate_config()
        return result

    def _invalidate_config(self) -> None:
        from django.utils.module_loading import import_string

        invalidate_now_and_on_commit(*(import_string(path) for path in self.config_caches))
