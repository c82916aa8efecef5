"""The chat's HTTP side: the script, its configuration for other sites, the demo page and the
agent panel on the ticket page."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from calmdesk.chat.models import ChatWidget, SessionStatus
from calmdesk.chat.selectors import widget_wait
from calmdesk.core.testing.factories import AgentFactory, TeamFactory, make_ticket
from calmdesk.tickets.enums import MessageKind

from .factories import ChatWidgetFactory, online, start_chat

pytestmark = pytest.mark.django_db


@pytest.fixture
def team() -> Any:
    return TeamFactory(slug="chat", name="Chat")


@pytest.fixture
def agent(team: Any) -> Any:
    return AgentFactory(username="maria", first_name="Maria", profile__teams=[team])


@pytest.fixture
def widget(team: Any) -> Any:
    return ChatWidgetFactory(
        team=team, key="ferries", allowed_origins="https://ferries.example.com\n"
    )


def test_the_script_is_served_as_javascript(client: Client) -> None:
    response = client.get("/chat/widget.js")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    assert b"attachShadow" in response.content


def test_the_config_gives_the_wait_and_texts_to_the_allowed_site_only(
    client: Client, widget: Any, agent: Any
) -> None:
    online(agent)
    expected = widget_wait(widget, now=timezone.now())

    response = client.get(
        "/chat/config?widget=ferries&lang=en", HTTP_ORIGIN="https://ferries.example.com"
    )
    foreign = client.get("/chat/config?widget=ferries", HTTP_ORIGIN="https://evil.example")

    data = response.json()
    assert response["Access-Control-Allow-Origin"] == "https://ferries.example.com"
    assert "Access-Control-Allow-Origin" not in foreign
    assert data["widget"] == "ferries"
    assert data["dir"] == "ltr"
    assert data["wait"] == {"minutes": expected.minutes, "label": expected.label()}
    assert data["busy"] is False
    assert data["agents_online"] == 1
    assert data["socket"] == "/ws/chat/ferries/"
    assert data["texts"]["start"] == "Start the chat"


def test_the_config_in_persian_is_right_to_left_with_persian_digits(
    client: Client, widget: Any
) -> None:
    data = client.get("/chat/config?widget=ferries&lang=fa").json()

    assert data["lang"] == "fa"
    assert data["dir"] == "rtl"
    assert data["busy"] is True  # nobody online
    assert any("\u06f0" <= ch <= "\u06f9" for ch in data["wait"]["label"])


def test_without_a_key_the_default_widget_answers_and_an_unknown_key_is_404(
    client: Client,
) -> None:
    assert ChatWidget.objects.get().key == "default"  # made by the migration

    assert client.get("/chat/config").json()["widget"] == "default"
    unknown = client.get("/chat/config?widget=nope")
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "not_found"


def test_the_demo_page_exists_only_with_debug_or_the_setting(
    client: Client, settings: Any, widget: Any
) -> None:
    settings.DEBUG = False
    assert client.get("/chat/demo/").status_code == 404

    settings.CHAT_DEMO = True
    page = client.get("/chat/demo/?widget=ferries&lang=tr")

    assert page.status_code == 200
    assert b'src="http://testserver/chat/widget.js" data-widget="ferries" data-lang="tr"' in (
        page.content
    )


def test_the_live_panel_shows_on_a_chat_ticket_only(
    client: Client, widget: Any, agent: Any
) -> None:
    online(agent)
    chat = start_chat(widget).session.ticket
    form_ticket = make_ticket(request_type=None)
    form_ticket.team = widget.team
    form_ticket.save()
    client.force_login(agent)

    page = client.get(reverse("tickets:detail", args=[chat.pk])).content.decode()
    other = client.get(reverse("tickets:detail", args=[form_ticket.pk])).content.decode()

    assert 'id="chat-panel"' in page
    assert f'data-socket="/ws/agent/ticket/{chat.pk}/"' in page
    assert "If the visitor leaves, replies go by email to leyla@example.com." in page
    assert 'id="chat-panel"' not in other


def test_the_panel_reply_and_end_call_the_services(client: Client, widget: Any, agent: Any) -> None:
    online(agent)
    session = start_chat(widget).session
    client.force_login(agent)

    empty = client.post(reverse("chat:agent_reply", args=[session.ticket_id]), {"body": " "})
    sent = client.post(reverse("chat:agent_reply", args=[session.ticket_id]), {"body": "On it."})
    ended = client.post(reverse("chat:agent_end", args=[session.ticket_id]))

    assert empty.status_code == 400
    assert empty.json()["message"] == "Write a reply first."
    assert sent.status_code == 200
    reply = session.ticket.messages.get(kind=MessageKind.OUTBOUND)
    assert sent.json() == {"id": reply.pk, "channel": "chat"}
    assert ended.json() == {"status": SessionStatus.ENDED}


def test_the_panel_actions_refuse_agents_without_access(client: Client, widget: Any) -> None:
    session = start_chat(widget).session
    outsider = AgentFactory(username="bora", profile__teams=[TeamFactory(slug="other")])
    client.force_login(outsider)

    reply = client.post(reverse("chat:agent_reply", args=[session.ticket_id]), {"body": "Hi"})
    end = client.post(reverse("chat:agent_end", args=[session.ticket_id]))

    assert (reply.status_code, end.status_code) == (404, 404)
    session.refresh_from_db()
    assert session.status == SessionStatus.WAITING
    assert session.ticket.messages.filter(kind=MessageKind.OUTBOUND).count() == 0
