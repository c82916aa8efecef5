"""Test data for the API: the form's fields and agents with tokens."""

from __future__ import annotations

from typing import Any

from calmdesk.accounts.models import Team
from calmdesk.api.services import api_token_create
from calmdesk.core.testing.factories import AgentFactory, RequestTypeFactory, TeamFactory
from calmdesk.inbox.models import FieldType, FormField
from calmdesk.tickets.models import RequestType


def install_form() -> RequestType:
    """The seed's form fields and one request type (``refund``, routed to ``refunds``)."""
    specs: list[tuple[str, str, bool]] = [
        ("name", FieldType.TEXT, True),
        ("email", FieldType.EMAIL, True),
        ("phone", FieldType.PHONE, False),
        ("request_type", FieldType.CHOICE, True),
        ("departure_date", FieldType.DATE, False),
        ("booking_reference", FieldType.TEXT, False),
        ("message", FieldType.LONG_TEXT, True),
        ("attachments", FieldType.FILE, False),
    ]
    for order, (key, field_type, required) in enumerate(specs):
        FormField.objects.create(
            key=key,
            field_type=field_type,
            required=required,
            order=order,
            labels={"en": key.replace("_", " ").capitalize(), "tr": f"{key} (tr)"},
        )
    team = TeamFactory.create(slug="refunds", name="Refunds")
    return RequestTypeFactory.create(key="refund", names={"en": "Refund", "tr": "İade"}, team=team)


def agent_with_token(*, teams: list[Team] | None = None, **kwargs: Any) -> tuple[Any, str]:
    """An agent of ``teams`` and the raw key of a token acting as them."""
    agent = AgentFactory.create(profile__teams=teams or [], **kwargs)
    _token, raw = api_token_create(user=agent, name="tests")
    return agent, raw


def bearer(raw: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {raw}"}
