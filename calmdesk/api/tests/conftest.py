from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _no_unhandled_api_errors(
    request: pytest.FixtureRequest, caplog: pytest.LogCaptureFixture
) -> Iterator[None]:
    """Bad input must be answered with a 4xx: fail any test in which the catch-all 500 ran."""
    caplog.set_level(logging.ERROR, logger="calmdesk.api")
    yield
    if "allow_server_error" in request.fixturenames:
        return
    unhandled = [r for r in caplog.records if r.name == "calmdesk.api"]
    assert unhandled == []


@pytest.fixture
def allow_server_error() -> None:
    """Opt out of ``_no_unhandled_api_errors`` (for the test of the catch-all itself)."""


@pytest.fixture
def intake_limit(settings: Any) -> Any:
    """Set the per-address intake limit: ``intake_limit(2)``."""

    def set_limit(limit: int) -> None:
        settings.CALMDESK = {**settings.CALMDESK, "INTAKE_RATE_LIMIT": limit}

    return set_limit
