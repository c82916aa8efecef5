"""The chat's services: sessions into tickets through the hub, busy → email, the visitor who
leaves, and the reply sender live vs by email."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from calmdesk.chat import services
from calmdesk.chat.models import ChatSession, SessionStatus
from calmdesk.chat.selectors import session_messages, widget_state, widget_wait
from calmdesk.conversations.models import Contact, ContactOutcome
from calmdesk.core.errors import DomainError
from calmdesk.core.models import OutboxMessage
from calmdesk.core.testing.factories import AgentFactory, RequestTypeFactory, TeamFactory
from calmdesk.customers.models import Identity, IdentityKind
from calmdesk.staffing.selectors import public_wait
from calmdesk.tickets.enums import Channel, MessageKind
from calmdesk.tickets.models import Message
from calmdesk.tickets.services import ticket_reply

from .factories import ChatWidgetFactory, new_visitor, online, start_chat

pytestmark = pytest.mark.django_db


@pytest.fixture
def pushes(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any]]]:
    """The events the services push to the sockets (group, event)."""
    sent: list[tuple[str, dict[str, Any]]] = []
    monkeypatch.setattr(
        services, "push_on_commit", lambda group, event: sent.append((group, event["event"]))
    )
    return sent


@pytest.fixture
def team() -> Any:
    return TeamFactory(slug="chat", name="Chat")


@pytest.fixture
def agent(team: Any) -> Any:
    return AgentFactory(username="maria", first_name="Maria", profile__teams=[team])


@pytest.fixture
def widget(team: Any) -> Any:
    return ChatWidgetFactory(team=team)


def _connected(session: ChatSession) -> ChatSession:
    return services.chat_visitor_connected(session=session)


def test_first_message_opens_a_chat_ticket_for_the_visitor_and_their_email(
    widget: Any, agent: Any, pushes: list[Any]
) -> None:
    online(agent)
    visitor = new_visitor()

    post = start_chat(widget, visitor, email="Leyla@Example.com")

    session = post.session
    ticket = session.ticket
    assert post.created is True
    assert ticket is not None
    assert ticket.channel == Channel.CHAT
    assert ticket.team == widget.team
    assert ticket.subject == "Hello, my ferry to Rhodes was cancelled. Can I get a refund?"
    assert session.status == SessionStatus.WAITING
    assert session.busy_at_start is False
    assert post.message.kind == MessageKind.INBOUND
    assert post.message.channel == Channel.CHAT
    assert set(Identity.objects.filter(customer=ticket.customer).values_list("kind", "value")) == {
        (IdentityKind.CHAT, visitor.visitor_id),
        (IdentityKind.EMAIL, "leyla@example.com"),
    }
    contact = Contact.objects.get(ticket=ticket)
    assert contact.outcome == ContactOutcome.NEW
    assert contact.external_key == f"chat:{session.pk}:first-message"
    # Agents online: no acknowledgement email for a chat answered live.
    assert OutboxMessage.objects.count() == 0
    assert [(g, e["type"], e["sender"]) for g, e in pushes] == [
        (f"chat-ticket-{ticket.pk}", "message", "visitor"),
        (f"chat-visitor-{session.pk}", "message", "visitor"),
    ]


def test_every_later_message_of_the_session_joins_its_ticket(widget: Any, agent: Any) -> None:
    online(agent)
    post = start_chat(widget)

    second = services.chat_visitor_message(
        session=post.session, text="Booking QX7T2M, two adults.", client_id="m2"
    )

    assert second.ticket_id == post.session.ticket_id
    assert Contact.objects.filter(ticket_id=second.ticket_id).count() == 2
    assert Contact.objects.get(message=second).outcome == ContactOutcome.THREAD
    assert [m.body_text for m in session_messages(post.session)] == [
        "Hello, my ferry to Rhodes was cancelled. Can I get a refund?",
        "Booking QX7T2M, two adults.",
    ]


def test_a_message_sent_twice_with_its_client_id_is_stored_once(widget: Any, agent: Any) -> None:
    online(agent)
    post = start_chat(widget)

    first = services.chat_visitor_message(session=post.session, text="Again?", client_id="m2")
    again = services.chat_visitor_message(session=post.session, text="Again?", client_id="m2")

    assert again.pk == first.pk
    assert Message.objects.filter(ticket_id=post.session.ticket_id).count() == 2


def test_busy_agents_require_an_email_address_and_the_chat_is_acknowledged_by_email(
    widget: Any,
) -> None:
    visitor = new_visitor()
    with pytest.raises(DomainError) as refused:
        start_chat(widget, visitor, email="")
    assert refused.value.code == "email_required"
    assert refused.value.field == "email"
    assert ChatSession.objects.count() == 0

    post = start_chat(widget, visitor, email="leyla@example.com")

    assert post.session.busy_at_start is True
    ack = OutboxMessage.objects.get()
    assert ack.to == "leyla@example.com"
    assert ack.ticket_id == post.session.ticket_id


def test_busy_when_the_expected_wait_is_above_the_widget_threshold(widget: Any, agent: Any) -> None:
    online(agent)
    now = timezone.now()
    assert widget_state(widget, now=now).busy is False

    widget.busy_wait_minutes = 10  # the smallest announced wait is 15 minutes
    widget.save()

    state = widget_state(widget, now=now)
    assert state.busy is True
    assert state.agents_online == 1


def test_an_agent_seen_long_ago_or_of_another_team_is_not_online(widget: Any, agent: Any) -> None:
    now = timezone.now()
    online(agent, now=now - timedelta(minutes=10))
    other = AgentFactory(username="bora", profile__teams=[TeamFactory(slug="other")])
    online(other, now=now)

    assert widget_state(widget, now=now).agents_online == 0
    assert widget_state(widget, now=now).busy is True


def test_the_chat_announces_the_same_wait_as_the_form_for_its_request_type(team: Any) -> None:
    refund = RequestTypeFactory(key="refund", team=team)
    widget = ChatWidgetFactory(team=None, request_type=refund)
    now = timezone.now()

    assert widget_wait(widget, now=now) == public_wait(request_type=refund, now=now)


def test_a_too_long_message_and_a_flood_are_refused(widget: Any, agent: Any, settings: Any) -> None:
    online(agent)
    settings.CHAT_MESSAGE_MAX_CHARS = 50
    settings.CHAT_RATE_LIMIT = 3
    post = start_chat(widget, text="Short question")

    with pytest.raises(DomainError) as long:
        services.chat_visitor_message(session=post.session, text="x" * 51, client_id="long")
    assert long.value.code == "too_long"
    services.chat_visitor_message(session=post.session, text="two", client_id="m2")
    services.chat_visitor_message(session=post.session, text="three", client_id="m3")
    with pytest.raises(DomainError) as flood:
        services.chat_visitor_message(session=post.session, text="four", client_id="m4")
    assert flood.value.code == "rate_limited"
    assert Message.objects.filter(ticket_id=post.session.ticket_id).count() == 3


def test_a_visitor_id_opens_nothing_without_its_secret(widget: Any, agent: Any) -> None:
    online(agent)
    visitor = new_visitor()
    start_chat(widget, visitor)

    with pytest.raises(DomainError) as refused:
        services.chat_check_visitor(visitor_id=visitor.visitor_id, token=new_visitor().token)
    assert refused.value.code == "forbidden"
    services.chat_check_visitor(visitor_id=visitor.visitor_id, token=visitor.token)


def test_a_reply_while_the_visitor_is_connected_is_pushed_live_and_not_emailed(
    widget: Any, agent: Any, pushes: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    online(agent)
    post = start_chat(widget)
    session = _connected(post.session)
    pushes.clear()

    with django_capture_on_commit_callbacks(execute=True):
        reply = ticket_reply(ticket=session.ticket, actor=agent, body_text="Yes: 5 days.")

    session.refresh_from_db()
    assert reply.channel == Channel.CHAT
    assert OutboxMessage.objects.filter(message=reply).count() == 0
    assert session.status == SessionStatus.ACTIVE
    assert session.agent == agent
    visitor_events = [e for g, e in pushes if g == f"chat-visitor-{session.pk}"]
    assert [e["type"] for e in visitor_events] == ["status", "message"]
    assert visitor_events[0]["line"] == "Maria joined the chat."
    assert visitor_events[1] == {
        "type": "message",
        "id": reply.pk,
        "sender": "agent",
        "text": "Yes: 5 days.",
        "author": "Maria",
        "at": reply.created_at.isoformat(),
    }


def test_a_reply_after_the_visitor_closed_the_chat_goes_by_email(
    widget: Any, agent: Any, pushes: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    online(agent)
    post = start_chat(widget)
    session = _connected(post.session)
    services.chat_visitor_disconnected(session_id=session.pk)
    pushes.clear()

    with django_capture_on_commit_callbacks(execute=False):
        reply = ticket_reply(ticket=session.ticket, actor=agent, body_text="By email then.")

    mail = OutboxMessage.objects.get(message=reply)
    assert mail.to == "leyla@example.com"
    assert not [e for g, e in pushes if g == f"chat-visitor-{session.pk}"]


def test_a_visitor_who_left_continues_by_email_with_the_replies_they_did_not_see(
    widget: Any, agent: Any, pushes: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    online(agent)
    start = timezone.now()
    post = start_chat(widget, now=start)
    session = _connected(post.session)
    seen = ticket_reply(ticket=session.ticket, actor=agent, body_text="Looking into it.")
    services.chat_visitor_seen(session=session, upto=seen.pk)
    unseen = ticket_reply(ticket=session.ticket, actor=agent, body_text="Refund approved.")
    with time_machine.travel(start + timedelta(minutes=1), tick=False):
        services.chat_visitor_disconnected(session_id=session.pk)

    with time_machine.travel(start + timedelta(minutes=3), tick=False):
        assert services.chat_sweep_left() == 0  # not gone long enough: maybe a page change
    with (
        time_machine.travel(start + timedelta(minutes=5), tick=False),
        django_capture_on_commit_callbacks(execute=False),
    ):
        assert services.chat_sweep_left() == 1

    session.refresh_from_db()
    assert session.status == SessionStatus.EMAIL
    assert list(OutboxMessage.objects.values_list("message_id", "to")) == [
        (unseen.pk, "leyla@example.com")
    ]
    line = Message.objects.filter(ticket=session.ticket, kind=MessageKind.AUTO).get()
    assert line.body_text == "The visitor left the chat: the conversation continues by email."
    # The visitor comes back: live again.
    session = _connected(session)
    assert session.status == SessionStatus.ACTIVE


def test_a_socket_never_closed_is_treated_as_gone_after_silence(widget: Any, agent: Any) -> None:
    online(agent)
    start = timezone.now()
    post = start_chat(widget, now=start)
    with time_machine.travel(start, tick=False):
        _connected(post.session)

    with time_machine.travel(start + timedelta(minutes=10), tick=False):
        assert services.chat_sweep_left() == 1

    post.session.refresh_from_db()
    assert post.session.status == SessionStatus.EMAIL
    assert post.session.connections == 0


def test_ending_a_chat_leaves_a_line_on_the_ticket_and_keeps_the_ticket(
    widget: Any, agent: Any, pushes: list[Any]
) -> None:
    online(agent)
    post = start_chat(widget)
    status_before = post.session.ticket.status

    session = services.chat_end(session=post.session, by="agent", actor=agent)

    assert session.status == SessionStatus.ENDED
    assert session.ended_by == "agent"
    assert session.ticket.status == status_before
    line = Message.objects.get(ticket=session.ticket, kind=MessageKind.AUTO)
    assert line.body_text == "Maria ended the chat."
    with pytest.raises(DomainError) as ended:
        services.chat_visitor_message(session=session, text="Hello?", client_id="late")
    assert ended.value.code == "ended"


def test_a_new_chat_after_an_ended_one_starts_a_new_session(widget: Any, agent: Any) -> None:
    online(agent)
    visitor = new_visitor()
    first = start_chat(widget, visitor)
    services.chat_end(session=first.session, by="visitor")

    second = start_chat(widget, visitor, text="A different question: pets on board?", client_id="x")

    assert second.created is True
    assert second.session.pk != first.session.pk
    assert ChatSession.objects.filter(visitor_id=visitor.visitor_id).count() == 2


def test_the_demo_chat_is_made_once(team: Any) -> None:
    from calmdesk.chat.demo import demo_chat

    widget = demo_chat()
    demo_chat()

    assert widget.key == "default"
    assert widget.team == team
    session = ChatSession.objects.get()
    assert session.ticket is not None
    assert session.ticket.channel == Channel.CHAT
    assert session.left_at is not None
