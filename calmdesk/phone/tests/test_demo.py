from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine

from calmdesk.core.testing.factories import make_ticket

from ..demo import DEMO_TOKEN, demo_phone
from ..models import Call, Callback, CallbackStatus, PhoneSystem

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_the_demo_phone_data_is_created_once(team: Any, agent: Any, other_agent: Any) -> None:
    for _ in range(3):
        make_ticket()

    with time_machine.travel(NOW, tick=False):
        demo_phone(verbose=False)
        demo_phone(verbose=False)

    system = PhoneSystem.objects.get()
    assert system.token == DEMO_TOKEN
    assert system.extensions.count() == 2
    assert Call.objects.count() == 3
    assert Call.objects.filter(ticket__isnull=True).count() == 0
    callback = Callback.objects.get()
    assert callback.status == CallbackStatus.SCHEDULED
