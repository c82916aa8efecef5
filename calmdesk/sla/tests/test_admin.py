"""The SLA admin: policies editable in the list, alerts acknowledged in bulk."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.urls import reverse

from calmdesk.core.testing.factories import TeamFactory, UserFactory, make_ticket
from calmdesk.sla.defaults import install_default_policies
from calmdesk.sla.models import Alert
from calmdesk.tickets.enums import EventType

pytestmark = pytest.mark.django_db


def test_admin_lists_policies_and_acknowledges_alerts(client: Any) -> None:
    install_default_policies()
    admin_user = UserFactory.create(is_staff=True, is_superuser=True)
    client.force_login(admin_user)
    ticket = make_ticket()
    alert = Alert.objects.create(
        ticket=ticket, kind="no_agent_reply", team=TeamFactory.create(), raised_at=datetime.now(UTC)
    )

    policies = client.get(reverse("admin:sla_slapolicy_changelist"))
    response = client.post(
        reverse("admin:sla_alert_changelist"),
        {"action": "acknowledge", "_selected_action": [alert.pk]},
    )

    assert policies.status_code == 200
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.acknowledged_at is not None
    assert ticket.events.filter(type=EventType.ALERT, actor_user=admin_user).count() == 1
