"""What every template may show of crisis mode: the public incidents (for the banner on the
request form and the tracking pages) and the announced wait per request type.

Both are callables, so a page that does not show them costs nothing; the incidents come from
the per-process cache (no query while current) and the waits from ``public_wait`` (30 s).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from calmdesk.inbox.validation import active_request_types

from .selectors import public_incidents
from .selectors_public import WaitLine, waits_for


def _public_waits() -> list[WaitLine]:
    return waits_for(types=active_request_types(), incident=None, now=timezone.now())


def crisis_banner(request: HttpRequest) -> dict[str, Any]:
    return {"CRISIS_INCIDENTS": public_incidents, "PUBLIC_WAITS": _public_waits}
