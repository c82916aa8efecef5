"""Chat test helpers: widgets, visitors, sessions started through the real service."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import factory
from django.utils import timezone

from calmdesk.chat.models import AgentPresence, ChatWidget
from calmdesk.chat.services import ChatPost, chat_start
from calmdesk.core.testing.factories import TeamFactory


class ChatWidgetFactory(factory.django.DjangoModelFactory[ChatWidget]):
    class Meta:
        model = ChatWidget

    name = factory.Sequence(lambda n: f"Widget {n}")
    key = factory.Sequence(lambda n: f"widget-{n}")
    team = factory.SubFactory(TeamFactory)
    busy_wait_minutes = 24 * 60


@dataclass
class Visitor:
    visitor_id: str
    token: str


def new_visitor() -> Visitor:
    return Visitor(visitor_id=secrets.token_urlsafe(18), token=secrets.token_urlsafe(24))


def online(user: Any, *, now: datetime | None = None) -> AgentPresence:
    """The agent is in the workspace with a live socket."""
    presence, _created = AgentPresence.objects.update_or_create(
        user=user, defaults={"last_seen_at": now or timezone.now()}
    )
    return presence


def start_chat(
    widget: ChatWidget,
    visitor: Visitor | None = None,
    *,
    text: str = "Hello, my ferry to Rhodes was cancelled. Can I get a refund?",
    name: str = "Leyla Sadeghi",
    email: str = "leyla@example.com",
    client_id: str = "first-message",
    now: datetime | None = None,
) -> ChatPost:
    visitor = visitor or new_visitor()
    return chat_start(
        widget=widget,
        visitor_id=visitor.visitor_id,
        token=visitor.token,
        name=name,
        email=email,
        text=text,
        client_id=client_id,
        language="en",
        page_url="https://ferries.example.com/booking",
        now=now,
    )
