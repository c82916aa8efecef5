"""The agent workspace: queue, ticket page and its actions, as an agent's browser sees them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from calmdesk.accounts.models import Role
from calmdesk.core.testing.factories import (
    AgentFactory,
    CustomerFactory,
    RequestTypeFactory,
    TeamFactory,
    UserFactory,
    make_ticket,
)
from calmdesk.tickets.enums import Channel, EventType, MessageKind, Priority, TicketStatus
from calmdesk.tickets.models import Message, Ticket, TicketEvent
from calmdesk.tickets.services import (
    ticket_add_note,
    ticket_assign,
    ticket_change_priority,
    ticket_change_status,
    ticket_reply,
    ticket_set_tags,
)

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def team_a() -> Any:
    return TeamFactory(slug="refunds", name="Refunds")


@pytest.fixture
def team_b() -> Any:
    return TeamFactory(slug="changes", name="Trip changes")


@pytest.fixture
def refund(team_a: Any) -> Any:
    return RequestTypeFactory(key="refund", names={"en": "Refund"}, team=team_a)


@pytest.fixture
def change(team_b: Any) -> Any:
    return RequestTypeFactory(key="change", names={"en": "Change of a trip"}, team=team_b)


@pytest.fixture
def agent(team_a: Any) -> Any:
    return AgentFactory(username="ayla", first_name="Ayla", profile__teams=[team_a])


@pytest.fixture
def agent_client(client: Client, agent: Any) -> Client:
    client.force_login(agent)
    return client


def queue_refs(response: Any) -> list[str]:
    return [t.reference for t in response.context["rows"]]


def action_url(ticket: Ticket, action: str) -> str:
    return reverse("tickets:action", args=[ticket.pk, action])


# ------------------------------------------------------------------------------------------
# Access
# ------------------------------------------------------------------------------------------


def test_queue_requires_login(client: Client) -> None:
    response = client.get(reverse("tickets:queue"))

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next=/agent/"


def test_ticket_page_requires_login(client: Client, refund: Any) -> None:
    ticket = make_ticket(request_type=refund)

    response = client.get(reverse("tickets:detail", args=[ticket.pk]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_signed_in_non_agent_gets_a_polite_403(client: Client, refund: Any) -> None:
    ticket = make_ticket(request_type=refund)
    client.force_login(UserFactory(username="visitor"))

    queue = client.get(reverse("tickets:queue"))
    detail = client.get(reverse("tickets:detail", args=[ticket.pk]))
    post = client.post(action_url(ticket, "note"), {"body": "sneaky"})

    assert queue.status_code == 403
    assert detail.status_code == 403
    assert post.status_code == 403
    assert "This page is for agents" in queue.content.decode()
    assert "visitor" in queue.content.decode()
    assert ticket.messages.count() == 1


def test_agent_of_team_a_cannot_see_or_change_a_team_b_ticket(
    agent_client: Client, change: Any, team_a: Any
) -> None:
    ticket = make_ticket(request_type=change, subject="Move my flight")
    events_before = list(TicketEvent.objects.filter(ticket=ticket).values_list("pk", flat=True))

    page = agent_client.get(reverse("tickets:detail", args=[ticket.pk]))
    posts = [
        agent_client.post(action_url(ticket, "reply"), {"body": "Hello"}),
        agent_client.post(action_url(ticket, "note"), {"body": "Note"}),
        agent_client.post(action_url(ticket, "status"), {"status": "solved"}),
        agent_client.post(action_url(ticket, "priority"), {"priority": "low"}),
        agent_client.post(action_url(ticket, "transfer"), {"team": team_a.pk, "reason": "x"}),
        agent_client.post(action_url(ticket, "take"), {}),
    ]
    queue = agent_client.get(reverse("tickets:queue"), {"view": "all"})

    assert page.status_code == 404
    assert [p.status_code for p in posts] == [404] * 6
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.NEW
    assert ticket.priority == Priority.NORMAL
    assert ticket.assignee is None
    assert ticket.team == change.team
    assert ticket.messages.count() == 1
    assert list(ticket.events.values_list("pk", flat=True)) == events_before
    assert ticket.reference not in queue_refs(queue)


def test_unknown_action_is_404(agent_client: Client, refund: Any) -> None:
    ticket = make_ticket(request_type=refund)

    response = agent_client.post(action_url(ticket, "delete"), {})

    assert response.status_code == 404


# ------------------------------------------------------------------------------------------
# Queue
# ------------------------------------------------------------------------------------------


def test_urgent_ticket_comes_first_then_the_oldest(agent_client: Client, refund: Any) -> None:
    now = timezone.now()
    older = make_ticket(request_type=refund, subject="Old one", now=now - timedelta(hours=5))
    newer = make_ticket(request_type=refund, subject="New one", now=now - timedelta(hours=1))
    urgent = make_ticket(request_type=refund, subject="Flying tomorrow", now=now)
    ticket_change_priority(ticket=urgent, priority=Priority.URGENT, actor=None)

    response = agent_client.get(reverse("tickets:queue"))

    assert response.status_code == 200
    assert queue_refs(response) == [urgent.reference, older.reference, newer.reference]
    body = response.content.decode()
    assert body.index(urgent.reference) < body.index(older.reference)
    assert "Flying tomorrow" in body


def test_queue_row_shows_customer_type_team_due_time_and_tags(
    agent_client: Client, refund: Any
) -> None:
    customer = CustomerFactory(name="Darius Karimi")
    ticket = make_ticket(request_type=refund, customer=customer, subject="Refund for PNR X1")
    ticket_set_tags(ticket=ticket, names=["vip"], actor=None)

    body = agent_client.get(reverse("tickets:queue")).content.decode()

    assert "Darius Karimi" in body
    assert "Refund for PNR X1" in body
    assert "Refunds" in body  # the team
    assert '<span class="tag">vip</span>' in body
    assert "due in" in body
    assert reverse("tickets:detail", args=[ticket.pk]) in body


def test_overdue_ticket_says_overdue(agent_client: Client, refund: Any) -> None:
    ticket = make_ticket(request_type=refund, now=timezone.now() - timedelta(days=10))
    assert ticket.first_reply_due_at is not None
    assert ticket.first_reply_due_at < timezone.now()

    body = agent_client.get(reverse("tickets:queue")).content.decode()

    assert "overdue" in body
    assert "due-overdue" in body


def test_views_return_the_right_rows(
    agent_client: Client, agent: Any, refund: Any, team_a: Any
) -> None:
    now = timezone.now()
    colleague = AgentFactory(username="bora", profile__teams=[team_a])
    mine = make_ticket(request_type=refund, subject="Mine", now=now - timedelta(hours=4))
    ticket_assign(ticket=mine, assignee=agent, actor=agent)
    theirs = make_ticket(request_type=refund, subject="Theirs", now=now - timedelta(hours=3))
    ticket_assign(ticket=theirs, assignee=colleague, actor=colleague)
    unassigned = make_ticket(request_type=refund, subject="Nobody's", now=now - timedelta(hours=2))
    urgent = make_ticket(request_type=refund, subject="Urgent", now=now - timedelta(minutes=1))
    ticket_change_priority(ticket=urgent, priority=Priority.URGENT, actor=None)
    solved = make_ticket(request_type=refund, subject="Done", now=now - timedelta(hours=6))
    ticket_change_status(ticket=solved, status=TicketStatus.SOLVED, actor=agent)
    overdue = make_ticket(request_type=refund, subject="Late", now=now - timedelta(days=10))
    url = reverse("tickets:queue")

    def refs(view: str) -> list[str]:
        return queue_refs(agent_client.get(url, {"view": view}))

    assert refs("mine") == [mine.reference]
    assert refs("unassigned") == [urgent.reference, overdue.reference, unassigned.reference]
    assert refs("urgent") == [urgent.reference]
    assert refs("overdue") == [overdue.reference]
    assert set(refs("all")) == {
        t.reference for t in (mine, theirs, unassigned, urgent, solved, overdue)
    }
    assert solved.reference not in refs("queue")


def test_filters_return_exactly_the_matching_rows(
    agent_client: Client, agent: Any, refund: Any, team_a: Any
) -> None:
    other_type = RequestTypeFactory(key="cancel", names={"en": "Cancellation"}, team=team_a)
    now = timezone.now()
    a = make_ticket(request_type=refund, subject="Refund A", now=now - timedelta(hours=3))
    b = make_ticket(
        request_type=other_type,
        subject="Cancel B",
        channel=Channel.API,
        now=now - timedelta(hours=2),
    )
    c = make_ticket(request_type=refund, subject="Refund C", now=now - timedelta(hours=1))
    ticket_set_tags(ticket=c, names=["storm"], actor=None)
    ticket_assign(ticket=a, assignee=agent, actor=agent)
    ticket_change_status(ticket=c, status=TicketStatus.PENDING, actor=agent)
    url = reverse("tickets:queue")

    def refs(**params: Any) -> list[str]:
        return queue_refs(agent_client.get(url, {"view": "all", **params}))

    assert refs(request_type=other_type.pk) == [b.reference]
    assert refs(channel="api") == [b.reference]
    assert refs(tag="storm") == [c.reference]
    assert refs(status="pending") == [c.reference]
    assert refs(status="open") == [a.reference]
    assert refs(assignee=agent.pk) == [a.reference]
    # "All" lists newest first.
    assert refs(team=team_a.pk) == [c.reference, b.reference, a.reference]
    assert refs(q=b.reference) == [b.reference]
    assert refs(q=str(b.pk)) == [b.reference]
    assert refs(q="refund") == [c.reference, a.reference]


def test_invalid_filter_values_are_ignored_not_500(agent_client: Client, refund: Any) -> None:
    ticket = make_ticket(request_type=refund)

    response = agent_client.get(
        reverse("tickets:queue"),
        {"team": "abc", "status": "bogus", "assignee": "x", "page": "-3", "view": "nope"},
    )

    assert response.status_code == 200
    assert queue_refs(response) == [ticket.reference]


def test_htmx_filter_swaps_only_the_rows(agent_client: Client, refund: Any) -> None:
    make_ticket(request_type=refund, subject="Refund A")

    response = agent_client.get(
        reverse("tickets:queue"), {"q": "refund"}, HTTP_HX_TARGET="queue-results", **HTMX
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<section id="queue-results"')
    assert "<html" not in body
    assert "Refund A" in body


def test_queue_pages_with_next_page(agent_client: Client, refund: Any) -> None:
    now = timezone.now()
    tickets = [
        make_ticket(request_type=refund, subject=f"T{i}", now=now - timedelta(minutes=100 - i))
        for i in range(52)
    ]

    first = agent_client.get(reverse("tickets:queue"))
    second = agent_client.get(reverse("tickets:queue"), {"page": 2})

    assert len(first.context["rows"]) == 50
    assert first.context["has_more"] is True
    assert "Next page" in first.content.decode()
    assert queue_refs(second) == [tickets[50].reference, tickets[51].reference]
    assert second.context["has_more"] is False


def test_queue_query_count_does_not_grow_with_rows(
    agent_client: Client, refund: Any, django_assert_num_queries: Any
) -> None:
    def count_queries() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            response = agent_client.get(reverse("tickets:queue"))
        assert response.status_code == 200
        return len(ctx.captured_queries)

    for _ in range(5):
        ticket = make_ticket(request_type=refund)
        ticket_set_tags(ticket=ticket, names=["a", "b"], actor=None)
    with_5 = count_queries()
    for _ in range(35):
        ticket = make_ticket(request_type=refund)
        ticket_set_tags(ticket=ticket, names=["c"], actor=None)

    with django_assert_num_queries(with_5):
        response = agent_client.get(reverse("tickets:queue"))
    assert len(response.context["rows"]) == 40


def test_queue_page_reads_eleven_statements(
    agent_client: Client, refund: Any, django_assert_num_queries: Any
) -> None:
    # Session, user and agent profile (sign-in); the agent's teams, every team, the request
    # types and the agents (filters); the rows, their tags and their contacts; the alert badge.
    for _ in range(3):
        ticket = make_ticket(request_type=refund)
        ticket_set_tags(ticket=ticket, names=["a", "b"], actor=None)

    with django_assert_num_queries(11):
        response = agent_client.get(reverse("tickets:queue"))

    assert len(response.context["rows"]) == 3


def test_queue_rows_name_team_type_and_assignee_also_outside_my_teams(
    agent_client: Client, agent: Any, refund: Any, change: Any, team_b: Any
) -> None:
    now = timezone.now()
    colleague = AgentFactory(username="bora", profile__teams=[team_b])
    colleague.agent.display_name = "Bora B."
    colleague.agent.save()
    nameless = AgentFactory(username="cem", first_name="", profile__teams=[team_b])
    elsewhere = make_ticket(request_type=change, subject="Theirs", now=now - timedelta(hours=4))
    ticket_assign(ticket=elsewhere, assignee=agent, actor=agent)
    by_colleague = make_ticket(request_type=refund, subject="Bora's", now=now - timedelta(hours=3))
    ticket_assign(ticket=by_colleague, assignee=colleague, actor=colleague)
    by_nameless = make_ticket(request_type=refund, subject="Cem's", now=now - timedelta(hours=2))
    ticket_assign(ticket=by_nameless, assignee=nameless, actor=nameless)
    ticket_set_tags(ticket=by_nameless, names=["vip", "baggage"], actor=None)
    no_team = make_ticket(subject="Nobody's team", now=now - timedelta(hours=1))
    assert no_team.team_id is None

    response = agent_client.get(reverse("tickets:queue"))

    rows = {t.reference: t for t in response.context["rows"]}
    assert (rows[elsewhere.reference].team_name, rows[elsewhere.reference].request_type_name) == (
        "Trip changes",
        "Change of a trip",
    )
    assert rows[elsewhere.reference].assignee_name == agent.get_full_name()
    assert rows[by_colleague.reference].assignee_name == "Bora B."
    assert rows[by_nameless.reference].assignee_name == "cem"
    assert rows[by_nameless.reference].tags == ["baggage", "vip"]
    assert (rows[no_team.reference].team_name, rows[no_team.reference].assignee_name) == ("", "")
    body = response.content.decode()
    assert "Trip changes" in body
    assert "Bora B." in body
    assert '<span class="tag">baggage</span><span class="tag">vip</span>' in body
    assert "(no team)" in body
    assert '<span class="muted">Unassigned</span>' in body


def test_persian_queue_is_right_to_left(agent_client: Client, refund: Any) -> None:
    make_ticket(request_type=refund)

    response = agent_client.get(reverse("tickets:queue"), HTTP_ACCEPT_LANGUAGE="fa")

    body = response.content.decode()
    assert '<html lang="fa" dir="rtl">' in body


def test_open_alert_shows_a_badge_on_the_row_and_in_the_header(
    agent_client: Client, refund: Any, team_a: Any
) -> None:
    from calmdesk.sla.defaults import install_default_policies
    from calmdesk.sla.services import sla_raise_due_alerts

    install_default_policies()
    start = timezone.now() - timedelta(days=4)
    urgent = make_ticket(request_type=refund, subject="No answer", now=start)
    quiet = make_ticket(request_type=refund, subject="Fine")
    with time_machine.travel(start + timedelta(minutes=1)):
        ticket_change_priority(ticket=urgent, priority=Priority.URGENT, actor=None)
    assert sla_raise_due_alerts(now=timezone.now()) == 1

    response = agent_client.get(reverse("tickets:queue"))

    rows = {t.reference: t.has_open_alert for t in response.context["rows"]}
    assert rows == {urgent.reference: True, quiet.reference: False}
    assert response.context["open_alerts"] == 1
    assert '<span class="badge badge-alert" id="open-alerts">1</span>' in response.content.decode()


# ------------------------------------------------------------------------------------------
# Ticket page
# ------------------------------------------------------------------------------------------


def test_ticket_page_shows_customer_history_fields_and_conversation(
    agent_client: Client, agent: Any, refund: Any
) -> None:
    from calmdesk.inbox.models import FieldType, FormField

    FormField.objects.create(
        key="booking_reference", field_type=FieldType.TEXT, labels={"en": "Booking reference"}
    )
    customer = CustomerFactory(name="Elif Yılmaz", email="elif@example.com")
    earlier = make_ticket(request_type=refund, customer=customer, subject="Lost bag")
    ticket_change_status(ticket=earlier, status=TicketStatus.SOLVED, actor=agent)
    ticket = make_ticket(
        request_type=refund,
        customer=customer,
        subject="Refund please",
        body="My <b>flight</b> was cancelled",
        custom_fields={"booking_reference": "ABC123"},
    )
    ticket_add_note(ticket=ticket, actor=agent, body_text="Checked the booking")

    response = agent_client.get(reverse("tickets:detail", args=[ticket.pk]))

    body = response.content.decode()
    assert response.status_code == 200
    assert "Elif Yılmaz" in body
    assert "elif@example.com" in body
    assert "Booking reference" in body
    assert "ABC123" in body
    assert earlier.reference in body
    assert "Lost bag" in body
    assert "My &lt;b&gt;flight&lt;/b&gt; was cancelled" in body  # text is escaped, not HTML
    assert 'class="msg msg-note"' in body
    assert "Internal note · not visible to the customer" in body
    assert "Checked the booking" in body


def test_reply_by_htmx_creates_an_outbound_message_and_event_and_shows_it(
    agent_client: Client, agent: Any, refund: Any
) -> None:
    ticket = make_ticket(request_type=refund)

    response = agent_client.post(
        action_url(ticket, "reply"), {"body": "Your refund is on its way.", **{}}, **HTMX
    )

    assert response.status_code == 200
    reply = ticket.messages.get(kind=MessageKind.OUTBOUND)
    assert reply.body_text == "Your refund is on its way."
    assert reply.author_user == agent
    event = ticket.events.get(type=EventType.AGENT_REPLY)
    assert event.actor_user == agent
    assert event.data["message"] == reply.pk
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="ticket-composer"')
    assert 'id="ticket-conversation" class="conversation" hx-swap-oob="true"' in body
    assert "Your refund is on its way." in body
    assert "Reply sent." in body
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.OPEN


def test_reply_and_set_solved_without_js_redirects_back(agent_client: Client, refund: Any) -> None:
    ticket = make_ticket(request_type=refund)

    response = agent_client.post(
        action_url(ticket, "reply"), {"body": "Done!", "status_after": "solved"}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("tickets:detail", args=[ticket.pk])
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.SOLVED
    page = agent_client.get(response["Location"]).content.decode()
    assert "Reply sent; the ticket is solved." in page


def test_empty_reply_is_a_field_error(agent_client: Client, refund: Any) -> None:
    ticket = make_ticket(request_type=refund)

    response = agent_client.post(action_url(ticket, "reply"), {"body": "   "}, **HTMX)

    assert response.status_code == 400
    assert "Write a reply first." in response.content.decode()
    assert ticket.messages.filter(kind=MessageKind.OUTBOUND).count() == 0


def test_note_is_internal_and_not_on_the_tracking_page(
    agent_client: Client, client: Client, refund: Any
) -> None:
    ticket = make_ticket(request_type=refund)

    response = agent_client.post(
        action_url(ticket, "note"), {"body": "Customer is a VIP; be generous."}, **HTMX
    )

    assert response.status_code == 200
    note = ticket.messages.get(kind=MessageKind.NOTE)
    assert note.body_text == "Customer is a VIP; be generous."
    assert "Internal note added." in response.content.decode()
    tracking = Client().get(reverse("inbox:track", args=[ticket.tracking_token]))
    assert tracking.status_code == 200
    assert "be generous" not in tracking.content.decode()


def test_transfer_without_reason_is_refused_and_the_team_unchanged(
    agent_client: Client, refund: Any, team_a: Any, team_b: Any
) -> None:
    ticket = make_ticket(request_type=refund)

    response = agent_client.post(
        action_url(ticket, "transfer"), {"team": team_b.pk, "reason": "  "}, **HTMX
    )

    assert response.status_code == 400
    body = response.content.decode()
    assert "Say why the ticket is transferred." in body
    assert body.lstrip().startswith('<section id="ticket-properties"')
    ticket.refresh_from_db()
    assert ticket.team == team_a
    assert not ticket.events.filter(type=EventType.TRANSFER).exists()


def test_transfer_without_reason_without_js_shows_the_page_with_the_error(
    agent_client: Client, refund: Any, team_b: Any
) -> None:
    ticket = make_ticket(request_type=refund)

    response = agent_client.post(action_url(ticket, "transfer"), {"team": team_b.pk})

    assert response.status_code == 400
    assert "<html" in response.content.decode()
    assert "Say why the ticket is transferred." in response.content.decode()


def test_transfer_with_reason_records_it_and_leaves_when_the_team_is_not_mine(
    agent_client: Client, refund: Any, team_a: Any, team_b: Any
) -> None:
    ticket = make_ticket(request_type=refund)

    response = agent_client.post(
        action_url(ticket, "transfer"),
        {"team": team_b.pk, "reason": "Date change, not a refund"},
        **HTMX,
    )

    ticket.refresh_from_db()
    assert ticket.team == team_b
    event = ticket.events.get(type=EventType.TRANSFER)
    assert event.data == {"from": team_a.pk, "to": team_b.pk, "reason": "Date change, not a refund"}
    assert response.status_code == 204
    assert response["HX-Redirect"] == reverse("tickets:queue")


def test_transfer_shows_in_the_timeline_in_words(
    client: Client, refund: Any, team_a: Any, team_b: Any
) -> None:
    lead = AgentFactory(username="lead", profile__teams=[team_a], profile__role=Role.LEAD)
    client.force_login(lead)
    ticket = make_ticket(request_type=refund)

    response = client.post(
        action_url(ticket, "transfer"), {"team": team_b.pk, "reason": "Wrong team"}, **HTMX
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert "Transferred to Trip changes." in body
    assert "Transferred: Refunds → Trip changes" in body
    assert "Wrong team" in body


def test_take_assigns_me_and_opens_the_ticket(
    agent_client: Client, agent: Any, refund: Any
) -> None:
    ticket = make_ticket(request_type=refund)

    response = agent_client.post(action_url(ticket, "take"), {}, **HTMX)

    assert response.status_code == 200
    ticket.refresh_from_db()
    assert ticket.assignee == agent
    assert ticket.status == TicketStatus.OPEN
    assert "You took this ticket." in response.content.decode()
    assert "Assigned to you." in response.content.decode()


def test_assign_to_a_team_agent_and_unassign(
    agent_client: Client, refund: Any, team_a: Any
) -> None:
    colleague = AgentFactory(username="bora", first_name="Bora", profile__teams=[team_a])
    outsider = AgentFactory(username="zed", profile__teams=[TeamFactory(slug="other")])
    ticket = make_ticket(request_type=refund)

    assigned = agent_client.post(action_url(ticket, "assign"), {"assignee": colleague.pk}, **HTMX)
    ticket.refresh_from_db()
    assert assigned.status_code == 200
    assert ticket.assignee == colleague

    refused = agent_client.post(action_url(ticket, "assign"), {"assignee": outsider.pk}, **HTMX)
    ticket.refresh_from_db()
    assert refused.status_code == 400
    assert ticket.assignee == colleague

    unassigned = agent_client.post(action_url(ticket, "assign"), {"assignee": ""}, **HTMX)
    ticket.refresh_from_db()
    assert unassigned.status_code == 200
    assert ticket.assignee is None
    assert "Unassigned." in unassigned.content.decode()


def test_status_priority_and_type_changes_update_the_header(
    agent_client: Client, refund: Any, team_a: Any
) -> None:
    other = RequestTypeFactory(key="cancel", names={"en": "Cancellation"}, team=team_a)
    ticket = make_ticket(request_type=refund)

    status = agent_client.post(action_url(ticket, "status"), {"status": "pending"}, **HTMX)
    priority = agent_client.post(action_url(ticket, "priority"), {"priority": "high"}, **HTMX)
    rtype = agent_client.post(
        action_url(ticket, "request_type"), {"request_type": other.pk}, **HTMX
    )
    bad = agent_client.post(action_url(ticket, "priority"), {"priority": "extreme"}, **HTMX)

    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority, ticket.request_type) == ("pending", "high", other)
    assert [status.status_code, priority.status_code, rtype.status_code] == [200, 200, 200]
    assert 'id="ticket-header" class="ticket-header card" hx-swap-oob="true"' in (
        status.content.decode()
    )
    assert "Status set to Pending." in status.content.decode()
    assert "Priority: Normal → High" in priority.content.decode()
    assert "Request type set to Cancellation." in rtype.content.decode()
    assert bad.status_code == 400
    assert ticket.events.filter(type=EventType.PRIORITY).count() == 1


def test_ticket_page_query_count_does_not_grow_with_the_conversation(
    agent_client: Client, agent: Any, refund: Any, django_assert_num_queries: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    ticket = make_ticket(request_type=refund)
    ticket_reply(ticket=ticket, actor=agent, body_text="First")
    ticket_assign(ticket=ticket, assignee=agent, actor=agent)
    url = reverse("tickets:detail", args=[ticket.pk])
    with CaptureQueriesContext(connection) as small:
        agent_client.get(url)
    colleague = AgentFactory(username="bora", profile__teams=[ticket.team])
    for i in range(8):
        ticket_add_note(ticket=ticket, actor=agent, body_text=f"Note {i}")
        ticket_reply(ticket=ticket, actor=agent, body_text=f"Reply {i}")
        ticket_assign(ticket=ticket, assignee=colleague if i % 2 == 0 else agent, actor=agent)
        make_ticket(request_type=refund, customer=ticket.customer)

    with django_assert_num_queries(len(small.captured_queries)):
        response = agent_client.get(url)
    assert response.status_code == 200
    assert len(response.context["conversation"]) == 18


def test_attachment_downloads_for_agents_only_as_a_sandboxed_attachment(
    agent_client: Client, agent: Any, refund: Any, team_b: Any, client: Client
) -> None:
    ticket = make_ticket(request_type=refund)
    ticket_add_note(
        ticket=ticket,
        actor=agent,
        body_text="See file",
        attachments=[SimpleUploadedFile("evil.html", b"<script>x</script>", "text/html")],
    )
    attachment = Message.objects.get(kind=MessageKind.NOTE).attachments.get()
    url = reverse("tickets:attachment", args=[attachment.pk])

    response = agent_client.get(url)
    outsider = Client()
    outsider.force_login(AgentFactory(username="zed", profile__teams=[team_b]))

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="evil.html"'
    assert response["Content-Type"] == "application/octet-stream"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"].startswith("sandbox")
    assert b"".join(response.streaming_content) == b"<script>x</script>"
    assert outsider.get(url).status_code == 404
    assert Client().get(url).status_code == 302
    assert url in agent_client.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()


def _ticket_with_an_alert(refund: Any) -> tuple[Ticket, Any]:
    """An urgent ticket unanswered for four days: its alert has been raised."""
    from calmdesk.sla.defaults import install_default_policies
    from calmdesk.sla.models import Alert
    from calmdesk.sla.services import sla_raise_due_alerts

    install_default_policies()
    start = timezone.now() - timedelta(days=4)
    ticket = make_ticket(request_type=refund, now=start)
    with time_machine.travel(start + timedelta(minutes=1)):
        ticket_change_priority(ticket=ticket, priority=Priority.URGENT, actor=None)
    sla_raise_due_alerts(now=timezone.now())
    return ticket, Alert.objects.get(ticket=ticket)


def test_acknowledging_an_alert_clears_the_badge(
    agent_client: Client, agent: Any, refund: Any
) -> None:
    ticket, alert = _ticket_with_an_alert(refund)
    page = agent_client.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()
    ack_url = reverse("tickets:alert_acknowledge", args=[ticket.pk, alert.pk])
    assert ack_url in page

    response = agent_client.post(ack_url, **HTMX)

    alert.refresh_from_db()
    assert response.status_code == 200
    assert alert.acknowledged_at is not None
    assert "Alert acknowledged." in response.content.decode()
    assert agent_client.get(reverse("tickets:queue")).context["open_alerts"] == 0


def test_without_htmx_an_action_says_what_it_did_once_on_the_next_page(
    agent_client: Client, agent: Any, refund: Any
) -> None:
    ticket, alert = _ticket_with_an_alert(refund)
    detail = reverse("tickets:detail", args=[ticket.pk])

    response = agent_client.post(
        reverse("tickets:alert_acknowledge", args=[ticket.pk, alert.pk]), follow=True
    )

    assert response.redirect_chain == [(detail, 302)]
    assert "Alert acknowledged." in response.content.decode()
    assert "Alert acknowledged." not in agent_client.get(detail).content.decode()
