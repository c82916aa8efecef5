"""Live chat in a real browser, over real websockets (uvicorn + ``config.asgi``).

A customer's own site (another origin) embeds the widget with one script tag; the customer opens
it, sees the expected wait, and writes. An agent, signed in in a second browser context, finds
the chat in the queue, opens it and sees the customer's next message and typing live, and
answers from the live panel; the customer sees the agent typing, joining and the answer live.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from calmdesk.accounts.models import Team
from calmdesk.chat.models import ChatSession, ChatWidget
from calmdesk.core.testing.factories import AgentFactory
from calmdesk.tickets.enums import Channel
from calmdesk.tickets.models import Ticket
from e2e.asgi_server import asgi_server, host_site  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AGENT_PASSWORD = "calm-pass-123"  # noqa: S105 - a test user
TIMEOUT = 15_000


@pytest.fixture
def desk(asgi_server: Any, host_site: Any) -> Any:  # noqa: F811
    team = Team.objects.create(
        name="Chat",
        slug="chat",
        working_hours={
            d: [["00:00", "23:59"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
        },
    )
    AgentFactory.create(
        username="maria", first_name="Maria", password=AGENT_PASSWORD, profile__teams=[team]
    )
    ChatWidget.objects.create(
        name="Ferries site", key="ferries", team=team, allowed_origins=host_site.url
    )
    host_site.html = (
        "<!doctype html><html lang='en'><title>Aegean Ferries</title>"
        "<h1>Aegean Ferries</h1><p>Timetables and bookings.</p>"
        f'<script src="{asgi_server.url}/chat/widget.js" data-widget="ferries" async></script>'
    )
    return asgi_server


def _page(browser: Any) -> tuple[Any, Any]:
    """A new browser context (British English) and a page in it."""
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    return context, page


def _start_chat(shop: Any, *, name: str, email: str, text: str) -> None:
    """Fill the widget's pre-chat form and press Start."""
    shop.fill("#calmdesk-chat input[name=name]", name)
    shop.fill("#calmdesk-chat input[name=email]", email)
    shop.fill("#calmdesk-chat textarea[name=text]", text)
    shop.locator("#calmdesk-chat button", has_text="Start the chat").click()


def _agent_maria(browser: Any, desk: Any) -> tuple[Any, Any]:
    """Maria, signed in to the workspace in a context of her own."""
    agent, desk_page = _page(browser)
    desk_page.goto(f"{desk.url}/accounts/login/")
    desk_page.fill("input[name=username]", "maria")
    desk_page.fill("input[name=password]", AGENT_PASSWORD)
    desk_page.get_by_role("button", name="Sign in").click()
    return agent, desk_page


def test_customer_and_agent_chat_live_with_typing_indicators(
    desk: Any,
    host_site: Any,  # noqa: F811
    browser: Any,
) -> None:
    # The customer, on their own site, opens the chat and sees the wait before starting.
    customer, shop = _page(browser)
    shop.goto(host_site.url)
    shop.locator("#calmdesk-chat .launcher").click()
    wait = shop.locator("#calmdesk-chat .note.wait")
    wait.wait_for()
    assert re.fullmatch(
        r"Expected wait for an agent: within about \d+ (minutes|hours?)\.", wait.inner_text()
    )
    # Nobody online yet: the widget asks for an email address and says why.
    assert "Leave your email address" in shop.locator("#calmdesk-chat .note.busy").inner_text()
    _start_chat(
        shop,
        name="Leyla Sadeghi",
        email="leyla@example.com",
        text="Is the 14:00 ferry to Rhodes running?",
    )
    shop.locator("#calmdesk-chat li.m.visitor[data-id]", has_text="14:00 ferry").wait_for()

    ticket = Ticket.objects.get()
    assert ticket.channel == Channel.CHAT

    # The agent finds it in the queue and opens it.
    agent, desk_page = _agent_maria(browser, desk)
    desk_page.wait_for_selector("table.queue tbody tr.queue-row")
    row = desk_page.locator("table.queue tbody tr.queue-row", has_text=ticket.reference)
    row.locator(".ref").click()
    desk_page.locator("#chat-panel").wait_for()
    desk_page.locator("#chat-presence.is-online").wait_for()

    # The customer writes and types: it shows on the agent's page without a reload.
    shop.fill("#calmdesk-chat .compose textarea", "Booking QX7T2M, two adults.")
    shop.keyboard.press("Enter")
    desk_page.locator("#ticket-conversation .msg-inbound", has_text="QX7T2M").wait_for()
    shop.locator("#calmdesk-chat .compose textarea").press_sequentially("And a car")
    desk_page.locator("#chat-typing", has_text="Leyla Sadeghi is typing…").wait_for()

    # The agent types (the customer sees it) and answers live.
    desk_page.locator("#chat-reply-body").press_sequentially("Yes, it sails")
    shop.locator("#calmdesk-chat .typing", has_text="Maria is typing…").wait_for()
    desk_page.locator("#chat-reply-body").fill("Yes, it sails on time today.")
    desk_page.locator("#chat-reply button[type=submit]").click()
    shop.locator("#calmdesk-chat li.sys", has_text="Maria joined the chat.").wait_for()
    answer = shop.locator("#calmdesk-chat li.m.agent", has_text="Yes, it sails on time today.")
    answer.wait_for()
    assert answer.locator(".who").inner_text() == "Maria"
    desk_page.locator("#ticket-conversation .msg-outbound", has_text="sails on time").wait_for()
    # The customer's widget showed it: the agent sees it was seen.
    desk_page.locator("#ticket-conversation .chat-seen").wait_for()

    session = ChatSession.objects.get()
    assert session.status == "active"
    assert session.agent is not None
    assert session.agent.username == "maria"
    assert list(ticket.messages.values_list("kind", flat=True)) == [
        "inbound",
        "inbound",
        "outbound",
    ]

    # A reload (a returning visitor) shows the conversation again.
    shop.reload()
    shop.locator("#calmdesk-chat .launcher").click()
    shop.locator("#calmdesk-chat li.m.agent", has_text="sails on time").wait_for()
    assert shop.locator("#calmdesk-chat li.m.visitor").count() == 2
    customer.close()
    agent.close()


def test_the_widget_is_right_to_left_in_persian(
    desk: Any,
    host_site: Any,  # noqa: F811
    browser: Any,
) -> None:
    host_site.html = host_site.html.replace(
        'data-widget="ferries"', 'data-widget="ferries" data-lang="fa"'
    )
    context = browser.new_context(locale="fa-IR")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    page.goto(host_site.url)
    page.locator("#calmdesk-chat .launcher").click()
    page.locator("#calmdesk-chat .note.wait").wait_for()

    assert page.locator("#calmdesk-chat .cd").get_attribute("dir") == "rtl"
    # The widget's styles stay in its shadow root: the host page's heading is untouched.
    assert page.evaluate("getComputedStyle(document.querySelector('h1')).position") == "static"
    context.close()


def test_a_chat_started_before_the_socket_is_ready_starts_once_it_is(
    desk: Any,
    host_site: Any,  # noqa: F811
    browser: Any,
) -> None:
    # A quick visitor (or a slow connection): the pre-chat form is on screen from the widget's
    # configuration before the websocket's hello has come back. The server's frames are held
    # back until the visitor has pressed Start, then let through.
    sockets: list[Any] = []
    held: list[Any] = []
    holding = True

    def hold_the_server(ws: Any) -> None:
        def from_server(message: Any) -> None:
            if holding:
                held.append(message)
            else:
                ws.send(message)

        ws.connect_to_server().on_message(from_server)
        sockets.append(ws)

    context, shop = _page(browser)
    shop.route_web_socket(re.compile(r".*/ws/chat/ferries/$"), hold_the_server)
    shop.goto(host_site.url)
    shop.locator("#calmdesk-chat .launcher").click()
    shop.locator("#calmdesk-chat .note.wait").wait_for()
    _start_chat(
        shop,
        name="Ona Petraitė",
        email="ona@example.com",
        text="Is the night ferry to Kiel on time?",
    )
    shop.wait_for_timeout(500)
    assert not Ticket.objects.exists()
    assert len(sockets) == 1, "the widget opened no socket"

    # The hello comes back: the start goes, and the chat begins with the visitor's message.
    holding = False
    for message in held:
        sockets[0].send(message)
    shop.locator("#calmdesk-chat li.m.visitor[data-id]", has_text="night ferry").wait_for()
    assert Ticket.objects.get().channel == Channel.CHAT
    assert ChatSession.objects.get().name == "Ona Petraitė"
    context.close()


def test_a_reply_read_while_the_connection_is_down_is_marked_seen_once_it_is_back(
    desk: Any,
    host_site: Any,  # noqa: F811
    browser: Any,
) -> None:
    # The widget's connections go straight through, except the reconnect after the test drops
    # the connection: that one is held, unanswered, until the visitor has opened the panel.
    sockets: list[Any] = []
    servers: list[Any] = []
    held: list[str] = []
    hold: dict[str, Any] = {"armed": False, "socket": None, "server": None}

    def route(ws: Any) -> None:
        if hold["armed"] and hold["socket"] is None:
            hold["socket"] = ws

            def from_page(message: str) -> None:
                if hold["server"] is not None:
                    hold["server"].send(message)
                else:
                    held.append(message)

            ws.on_message(from_page)
            return
        sockets.append(ws)
        servers.append(ws.connect_to_server())

    customer, shop = _page(browser)
    shop.route_web_socket(re.compile(r".*/ws/chat/ferries/$"), route)
    shop.goto(host_site.url)
    launcher = shop.locator("#calmdesk-chat .launcher")
    launcher.click()
    _start_chat(
        shop,
        name="Elif Demir",
        email="elif@example.com",
        text="Can I take my bicycle on the ferry?",
    )
    shop.locator("#calmdesk-chat li.m.visitor[data-id]", has_text="bicycle").wait_for()
    launcher.click()  # the visitor closes the panel
    ticket = Ticket.objects.get()

    # The agent answers; the closed widget counts it as unread.
    agent, desk_page = _agent_maria(browser, desk)
    desk_page.wait_for_selector("table.queue")  # signed in
    desk_page.goto(f"{desk.url}/agent/tickets/{ticket.pk}/")
    desk_page.locator("#chat-presence.is-online").wait_for()
    desk_page.locator("#chat-reply-body").fill("Yes, bicycles travel free.")
    desk_page.locator("#chat-reply button[type=submit]").click()
    shop.locator("#calmdesk-chat .launcher .unread", has_text="1").wait_for()

    # The connection drops; the widget reconnects, and its new socket gets no hello yet.
    hold["armed"] = True
    sockets[-1].close()
    servers[-1].close()
    for _ in range(150):
        if hold["socket"] is not None:
            break
        shop.wait_for_timeout(100)
    assert hold["socket"] is not None, "the widget did not reconnect"

    # The visitor opens the panel and reads the answer while the connection is not back.
    launcher.click()
    shop.locator("#calmdesk-chat li.m.agent", has_text="bicycles travel free").wait_for()
    shop.wait_for_timeout(300)
    assert ChatSession.objects.get().seen_message_id is None

    # The connection comes back: the receipt goes, and the agent sees the answer was seen.
    hold["server"] = hold["socket"].connect_to_server()
    for message in held:
        hold["server"].send(message)
    desk_page.locator("#ticket-conversation .chat-seen").wait_for()
    answer = ticket.messages.get(kind="outbound")
    assert ChatSession.objects.get().seen_message_id == answer.pk
    customer.close()
    agent.close()
