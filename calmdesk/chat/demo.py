"""Demo data of the live chat (``make run``): the default widget answered by a team, and one
chat a visitor started and left, so the agents see a chat ticket with its live panel.

Idempotent; call ``demo_chat()`` after the teams and agents exist."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from calmdesk.accounts.models import Team

from .models import ChatSession, ChatWidget
from .services import chat_start, chat_visitor_connected, chat_visitor_disconnected

DEMO_VISITOR = "demo-visitor-0000000001"
DEMO_TOKEN = "demo-token-not-secret-000001"  # noqa: S105 - a demo visitor's public fixture


def demo_chat(*, now: datetime | None = None) -> ChatWidget:
    now = now or timezone.now()
    widget = ChatWidget.objects.order_by("created_at", "id").first()
    if widget is None:
        widget = ChatWidget.objects.create(name="Website chat", key="default")
    if widget.team_id is None:
        team = Team.objects.order_by("pk").first()
        if team is not None:
            widget.team = team
            widget.save(update_fields=["team"])
    if not ChatSession.objects.filter(visitor_id=DEMO_VISITOR).exists():
        started = now - timedelta(minutes=20)
        post = chat_start(
            widget=widget,
            visitor_id=DEMO_VISITOR,
            token=DEMO_TOKEN,
            name="Deniz Aydın",
            email="deniz.aydin@example.com",
            text="Hi! Can I bring my dog on the ferry to Bodrum next week?",
            client_id="demo-1",
            language="en",
            page_url="https://ferries.example.com/routes/bodrum",
            now=started,
        )
        session = chat_visitor_connected(session=post.session, now=started)
        chat_visitor_disconnected(session_id=session.pk, now=started + timedelta(minutes=2))
    return widget
