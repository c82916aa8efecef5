"""The chat's websockets through the real ASGI application (origin check, session auth, URL
routing, channel layer): the visitor's flow, the agent's panel, and who may open what."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import channel_layers
from django.test import Client
from django.utils import timezone

from calmdesk.chat.models import ChatSession, SessionStatus
from calmdesk.chat.selectors import widget_wait
from calmdesk.core.models import OutboxMessage
from calmdesk.core.testing.factories import AgentFactory, TeamFactory, UserFactory
from calmdesk.tickets.enums import Channel, MessageKind
from calmdesk.tickets.models import Message, Ticket
from calmdesk.tickets.services import ticket_reply

from .communicator import WebsocketCommunicator
from .factories import ChatWidgetFactory, new_visitor, online

pytestmark = pytest.mark.django_db(transaction=True)

SITE = [(b"origin", b"http://testserver"), (b"host", b"testserver")]
TIMEOUT = 5


@pytest.fixture(autouse=True)
def _fresh_layer() -> Iterator[None]:
    """Each test runs on its own event loop: a layer made on another loop is not reused."""
    channel_layers.backends = {}
    yield
    channel_layers.backends = {}


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    async_to_sync(scenario)()


def application() -> Any:
    from config.asgi import application

    return application


def visitor_socket(key: str, headers: list[tuple[bytes, bytes]] | None = None) -> Any:
    return WebsocketCommunicator(application(), f"/ws/chat/{key}/", headers=headers or SITE)


def agent_socket(ticket_id: int, cookie: str = "") -> Any:
    headers = list(SITE)
    if cookie:
        headers.append((b"cookie", f"sessionid={cookie}".encode()))
    return WebsocketCommunicator(application(), f"/ws/agent/ticket/{ticket_id}/", headers=headers)


def session_cookie(user: Any) -> str:
    client = Client()
    client.force_login(user)
    return str(client.cookies["sessionid"].value)


async def receive_until(socket: Any, kind: str, **match: Any) -> dict[str, Any]:
    """The next frame of ``kind`` (and the given values), skipping others."""
    for _ in range(20):
        frame: dict[str, Any] = await socket.receive_json_from(timeout=TIMEOUT)
        if frame.get("type") == kind and all(frame.get(k) == v for k, v in match.items()):
            return frame
    raise AssertionError(f"no {kind} frame")


@pytest.fixture
def team() -> Any:
    return TeamFactory(slug="chat", name="Chat")


@pytest.fixture
def agent(team: Any) -> Any:
    agent = AgentFactory(username="maria", first_name="Maria", profile__teams=[team])
    online(agent)
    return agent


@pytest.fixture
def widget(team: Any) -> Any:
    return ChatWidgetFactory(team=team, key="ferries")


def test_visitor_chats_live_with_an_agent_both_ways(widget: Any, agent: Any) -> None:
    visitor = new_visitor()
    cookie = session_cookie(agent)
    # One agent at the default rate: the same figure the form would announce.
    announced = widget_wait(widget, now=timezone.now()).label()
    assert announced == "within about 30 minutes"

    async def scenario() -> None:
        customer = visitor_socket("ferries")
        assert (await customer.connect())[0] is True
        await customer.send_json_to(
            {"type": "hello", "visitor": visitor.visitor_id, "token": visitor.token, "lang": "en"}
        )
        before = await receive_until(customer, "state")
        assert before["session"] is None
        assert before["busy"] is False
        assert before["wait"]["label"] == announced

        await customer.send_json_to(
            {
                "type": "start",
                "id": "c1",
                "name": "Leyla",
                "email": "",
                "text": "Is the 14:00 ferry running?",
                "page": "https://ferries.example.com/timetable",
            }
        )
        ack = await receive_until(customer, "ack", client="c1")
        state = await receive_until(customer, "state")
        assert state["session"]["status"] == "waiting"
        assert [m["text"] for m in state["messages"]] == ["Is the 14:00 ferry running?"]
        ticket_id = await database_sync_to_async(
            lambda: Message.objects.get(pk=ack["id"]).ticket_id
        )()

        desk = agent_socket(ticket_id, cookie)
        assert (await desk.connect())[0] is True
        panel = await receive_until(desk, "state")
        assert panel["session"]["status"] == "waiting"
        assert panel["presence"]["online"] is True
        assert panel["presence"]["page"] == "https://ferries.example.com/timetable"

        # Visitor writes and types: the agent's panel gets both live.
        await customer.send_json_to({"type": "typing", "on": True})
        typing = await receive_until(desk, "typing")
        assert (typing["sender"], typing["on"], typing["author"]) == ("visitor", True, "Leyla")
        await customer.send_json_to({"type": "message", "id": "c2", "text": "<b>Hi</b> & bye"})
        pushed = await receive_until(desk, "message")
        assert (pushed["sender"], pushed["text"]) == ("visitor", "<b>Hi</b> & bye")

        # Agent types and replies: the visitor sees the typing, the join line and the reply.
        await desk.send_json_to({"type": "typing", "on": True})
        agent_typing = await receive_until(customer, "typing")
        assert (agent_typing["sender"], agent_typing["author"]) == ("agent", "Maria")
        reply = await database_sync_to_async(
            lambda: ticket_reply(
                ticket=Ticket.objects.get(pk=ticket_id), actor=agent, body_text="Yes, on time."
            )
        )()
        joined = await receive_until(customer, "status")
        assert (joined["status"], joined["line"]) == ("active", "Maria joined the chat.")
        live = await receive_until(customer, "message", sender="agent")
        assert (live["id"], live["text"], live["author"]) == (reply.pk, "Yes, on time.", "Maria")

        # The visitor's widget shows it: the agent sees "seen".
        await customer.send_json_to({"type": "seen", "upto": reply.pk})
        seen = await receive_until(desk, "read")
        assert (seen["sender"], seen["upto"]) == ("visitor", reply.pk)

        await customer.disconnect()
        away = await receive_until(desk, "presence")
        assert away["online"] is False
        await desk.disconnect()

    run(scenario)
    ticket = Ticket.objects.get()
    assert ticket.channel == Channel.CHAT
    assert list(ticket.messages.values_list("kind", "body_text")) == [
        (MessageKind.INBOUND, "Is the 14:00 ferry running?"),
        (MessageKind.INBOUND, "<b>Hi</b> & bye"),
        (MessageKind.OUTBOUND, "Yes, on time."),
    ]
    # Shown as text, never as HTML.
    assert ticket.messages.all()[1].body_html == "<p>&lt;b&gt;Hi&lt;/b&gt; &amp; bye</p>"
    session = ChatSession.objects.get()
    assert session.status == SessionStatus.ACTIVE
    assert session.connections == 0


def test_a_returning_visitor_resyncs_the_messages_missed_while_offline(
    widget: Any, agent: Any
) -> None:
    visitor = new_visitor()
    hello = {"type": "hello", "visitor": visitor.visitor_id, "token": visitor.token}

    async def scenario() -> None:
        first = visitor_socket("ferries")
        await first.connect()
        await first.send_json_to(hello)
        await receive_until(first, "state")
        await first.send_json_to(
            {"type": "start", "id": "c1", "name": "Ayşe", "text": "Cabin upgrade?"}
        )
        ack = await receive_until(first, "ack", client="c1")
        await first.disconnect()  # network drop

        ticket = await database_sync_to_async(lambda: Ticket.objects.get())()
        missed = await database_sync_to_async(ticket_reply)(
            ticket=ticket, actor=agent, body_text="Yes, 40 EUR."
        )

        again = visitor_socket("ferries")
        await again.connect()
        await again.send_json_to({**hello, "after": ack["id"]})
        state = await receive_until(again, "state")
        assert state["session"]["name"] == "Ayşe"
        assert [(m["id"], m["text"]) for m in state["messages"]] == [(missed.pk, "Yes, 40 EUR.")]
        await again.disconnect()

    run(scenario)
    # Sent while the visitor was away, without an email address: kept for the widget only.
    assert OutboxMessage.objects.count() == 0


def test_a_visitor_cannot_open_another_visitors_chat(widget: Any, agent: Any) -> None:
    owner = new_visitor()

    async def scenario() -> None:
        first = visitor_socket("ferries")
        await first.connect()
        await first.send_json_to(
            {"type": "hello", "visitor": owner.visitor_id, "token": owner.token}
        )
        await receive_until(first, "state")
        await first.send_json_to({"type": "start", "id": "c1", "name": "Jonas", "text": "Secret"})
        await receive_until(first, "ack")
        await first.disconnect()

        # Someone else, with their own id: a fresh start, nothing of the owner's chat.
        other = new_visitor()
        stranger = visitor_socket("ferries")
        await stranger.connect()
        await stranger.send_json_to(
            {"type": "hello", "visitor": other.visitor_id, "token": other.token}
        )
        state = await receive_until(stranger, "state")
        assert state["session"] is None
        assert state["messages"] == []
        assert state["prefill"] == {"name": "", "email": ""}
        await stranger.disconnect()

        # The owner's id without the owner's secret: refused and closed.
        thief = visitor_socket("ferries")
        await thief.connect()
        await thief.send_json_to(
            {"type": "hello", "visitor": owner.visitor_id, "token": other.token}
        )
        error = await receive_until(thief, "error")
        assert error["code"] == "forbidden"
        assert (await thief.receive_output(timeout=TIMEOUT))["code"] == 4403
        # And nothing works on that socket before a valid hello.
        await thief.disconnect()

    run(scenario)
    assert Message.objects.count() == 1


def test_messages_before_hello_are_refused(widget: Any) -> None:
    async def scenario() -> None:
        socket = visitor_socket("ferries")
        await socket.connect()
        await socket.send_json_to({"type": "start", "id": "x", "name": "A", "text": "B"})
        error = await receive_until(socket, "error")
        assert error["code"] == "no_hello"
        await socket.disconnect()

    run(scenario)
    assert ChatSession.objects.count() == 0


def test_the_widget_socket_accepts_only_its_allowed_sites(widget: Any) -> None:
    widget.allowed_origins = "https://ferries.example.com"
    widget.save()

    async def scenario() -> None:
        allowed = visitor_socket(
            "ferries", [(b"origin", b"https://ferries.example.com"), (b"host", b"testserver")]
        )
        assert (await allowed.connect())[0] is True
        await allowed.disconnect()
        elsewhere = visitor_socket(
            "ferries", [(b"origin", b"https://evil.example"), (b"host", b"testserver")]
        )
        assert (await elsewhere.connect())[0] is False
        no_origin = visitor_socket("ferries", [(b"host", b"testserver")])
        assert (await no_origin.connect())[0] is False
        unknown = visitor_socket("nope")
        assert (await unknown.connect())[0] is False

    run(scenario)


def test_agent_sockets_need_an_agent_who_may_see_the_ticket(widget: Any, agent: Any) -> None:
    from .factories import start_chat

    ticket = start_chat(widget).session.ticket
    outsider = AgentFactory(username="bora", profile__teams=[TeamFactory(slug="other")])
    customer_user = UserFactory(username="not-an-agent")
    cookies = {
        "outsider": session_cookie(outsider),
        "user": session_cookie(customer_user),
        "agent": session_cookie(agent),
    }

    async def scenario() -> None:
        for who in ("outsider", "user"):
            socket = agent_socket(ticket.pk, cookies[who])
            assert (await socket.connect())[0] is False, who
        anonymous = agent_socket(ticket.pk)
        assert (await anonymous.connect())[0] is False
        # An agent's socket from another site is refused by the origin check.
        foreign = WebsocketCommunicator(
            application(),
            f"/ws/agent/ticket/{ticket.pk}/",
            headers=[
                (b"origin", b"https://evil.example"),
                (b"host", b"testserver"),
                (b"cookie", f"sessionid={cookies['agent']}".encode()),
            ],
        )
        assert (await foreign.connect())[0] is False
        allowed = agent_socket(ticket.pk, cookies["agent"])
        assert (await allowed.connect())[0] is True
        await allowed.disconnect()

    run(scenario)


def test_an_agent_presence_socket_counts_the_agent_online(team: Any) -> None:
    from calmdesk.chat.models import AgentPresence

    agent = AgentFactory(username="ece", profile__teams=[team])
    cookie = session_cookie(agent)

    async def scenario() -> None:
        socket = WebsocketCommunicator(
            application(),
            "/ws/agent/",
            headers=[*SITE, (b"cookie", f"sessionid={cookie}".encode())],
        )
        assert (await socket.connect())[0] is True
        assert (await socket.receive_json_from(timeout=TIMEOUT))["type"] == "hello"
        await socket.disconnect()

    run(scenario)
    assert AgentPresence.objects.filter(user=agent).count() == 1


def test_a_frame_naming_an_id_too_large_for_the_database_is_capped() -> None:
    from calmdesk.chat.consumers import MAX_ID, _int

    assert _int(10**30) == MAX_ID
    assert (_int("12"), _int(-3), _int("x"), _int(None), _int(float("inf"))) == (12, 0, 0, 0, 0)
