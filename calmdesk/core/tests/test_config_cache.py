from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache

from calmdesk.core.config_cache import ProcessCache

pytestmark = pytest.mark.usefixtures("in_process_cache")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def counting_cache(clock: Clock, **kwargs: Any) -> tuple[ProcessCache[int], list[int]]:
    loads: list[int] = []

    def load() -> int:
        loads.append(1)
        return len(loads)

    return ProcessCache("test-config", load, clock=clock, **kwargs), loads


def test_a_loaded_value_is_reused_without_asking_the_shared_cache_within_the_interval() -> None:
    clock = Clock()
    config, loads = counting_cache(clock)
    config.get()
    cache.delete(config.key)  # were the version read again, it would be recreated

    clock.now += 0.5
    assert config.get() == 1

    assert cache.get(config.key) is None
    assert len(loads) == 1


def test_another_process_change_is_seen_after_the_check_interval() -> None:
    clock = Clock()
    config, _loads = counting_cache(clock)
    other, _ = counting_cache(clock)  # stands for the same cache in another process
    assert config.get() == 1

    other.invalidate()  # bumps the shared version
    clock.now += 0.5
    still = config.get()
    clock.now += 0.6
    after = config.get()

    assert (still, after) == (1, 2)


def test_invalidate_reloads_in_this_process_at_once() -> None:
    clock = Clock()
    config, _loads = counting_cache(clock)
    config.get()

    config.invalidate()

    assert config.get() == 2


def test_the_value_is_reloaded_after_its_ttl_even_without_a_change() -> None:
    clock = Clock()
    config, _loads = counting_cache(clock, ttl=30.0)
    config.get()

    clock.now += 31
    assert config.get() == 2
