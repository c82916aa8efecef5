"""Configuration kept in each process, reloaded everywhere when an admin changes it.

Intake is the hot path of a surge: it must not re-read form fields, request types, rules or
templates from the database on every request. A ``ProcessCache`` keeps the loaded value in the
process for ``ttl`` seconds at most and checks a version number in the shared cache (Redis when
scaled out) on every use; ``invalidate()`` bumps that version, so every process reloads on its
next use. Call ``invalidate`` from the model's ``save``/``delete`` (and on commit).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from django.core.cache import cache

T = TypeVar("T")


class ProcessCache(Generic[T]):
    def __init__(self, name: str, loader: Callable[[], T], *, ttl: float = 30.0) -> None:
        self.key = f"config-version:{name}"
        self.loader = loader
        self.ttl = ttl
        self._lock = threading.Lock()
        self._version: object = None
        self._loaded_at = 0.0
        self._value: T | None = None

    def version(self) -> object:
        version = cache.get(self.key)
        if version is None:
            cache.add(self.key, secrets.randbits(62), timeout=None)
            version = cache.get(self.key)
        return version

    def get(self) -> T:
        version = self.version()
        now = time.monotonic()
        with self._lock:
            if (
                self._value is not None
                and self._version == version
                and now - self._loaded_at < self.ttl
            ):
                return self._value
        value = self.loader()
        with self._lock:
            self._value, self._version, self._loaded_at = value, version, now
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
