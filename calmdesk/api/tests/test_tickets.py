from __future__ import annotations

import json
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from calmdesk.core.models import OutboxMessage
from calmdesk.core.testing.factories import (
    AgentFactory,
    RequestTypeFactory,
    TeamFactory,
    UserFactory,
    make_ticket,
)
from calmdesk.tickets.enums import EventType, MessageKind, Priority, TicketStatus
from calmdesk.tickets.models import Ticket
from calmdesk.tickets.services import ticket_add_note, ticket_set_tags

from .factories import agent_with_token, bearer

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk() -> dict[str, Any]:
    """Two teams, a request type each, and an agent of the first with a token."""
    refunds = TeamFactory.create(slug="refunds", name="Refunds")
    changes = TeamFactory.create(slug="changes", name="Changes")
    agent, raw = agent_with_token(teams=[refunds], username="aylin")
    return {
        "refunds": refunds,
        "changes": changes,
        "refund": RequestTypeFactory.create(key="refund", team=refunds),
        "change": RequestTypeFactory.create(key="change", team=changes),
        "agent": agent,
        "auth": bearer(raw),
    }


def patch(client: Client, ticket: Ticket, body: Any, auth: dict[str, str]) -> Any:
    return client.patch(
        f"/api/v1/tickets/{ticket.reference}",
        json.dumps(body),
        content_type="application/json",
        headers=auth,
    )


def post(client: Client, path: str, body: Any, auth: dict[str, str]) -> Any:
    return client.post(path, json.dumps(body), content_type="application/json", headers=auth)


def event_types(ticket: Ticket) -> list[str]:
    return list(ticket.events.order_by("at", "id").values_list("type", flat=True))


# --- the queue --------------------------------------------------------------------------------


def test_queue_lists_my_teams_tickets_most_urgent_first(client: Client, desk: Any) -> None:
    normal = make_ticket(request_type=desk["refund"], subject="Normal one")
    urgent = make_ticket(request_type=desk["refund"], subject="Urgent one")
    Ticket.objects.filter(pk=urgent.pk).update(priority=Priority.URGENT, queue_score=900)
    make_ticket(request_type=desk["change"], subject="Another team's")

    response = client.get("/api/v1/tickets", headers=desk["auth"])

    assert response.status_code == 200
    body = response.json()
    assert [row["reference"] for row in body["items"]] == [urgent.reference, normal.reference]
    assert body["has_more"] is False
    assert body["next_offset"] is None
    assert body["items"][1]["team"] == {"slug": "refunds", "name": "Refunds"}


def test_queue_pages_with_limit_and_offset(client: Client, desk: Any) -> None:
    tickets = [make_ticket(request_type=desk["refund"]) for _ in range(3)]

    first = client.get("/api/v1/tickets?limit=2", headers=desk["auth"]).json()
    rest = client.get("/api/v1/tickets?limit=2&offset=2", headers=desk["auth"]).json()

    assert (len(first["items"]), first["has_more"], first["next_offset"]) == (2, True, 2)
    assert (len(rest["items"]), rest["has_more"]) == (1, False)
    seen = {row["id"] for row in first["items"] + rest["items"]}
    assert seen == {t.pk for t in tickets}


def test_queue_filters_by_status_team_and_tag(client: Client, desk: Any) -> None:
    tagged = make_ticket(request_type=desk["refund"])
    make_ticket(request_type=desk["refund"])
    ticket_set_tags(ticket=tagged, names=["vip"], actor=desk["agent"])

    by_tag = client.get("/api/v1/tickets?tag=vip", headers=desk["auth"]).json()
    by_team = client.get("/api/v1/tickets?team=refunds&status=new", headers=desk["auth"]).json()
    solved = client.get("/api/v1/tickets?status=solved", headers=desk["auth"]).json()

    assert [row["id"] for row in by_tag["items"]] == [tagged.pk]
    assert by_tag["items"][0]["tags"] == ["vip"]
    assert len(by_team["items"]) == 2
    assert solved["items"] == []


def test_queue_with_an_unknown_team_is_400_naming_the_filter(client: Client, desk: Any) -> None:
    response = client.get("/api/v1/tickets?team=nope", headers=desk["auth"])

    assert response.status_code == 400
    assert response.json()["field"] == "team"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=101", "limit"),
        ("limit=0", "limit"),
        ("offset=-1", "offset"),
        ("status=lost", "status"),
        ("view=everything", "view"),
        ("limit=ten", "limit"),
    ],
)
def test_queue_with_bad_parameters_is_422_naming_them(
    client: Client, desk: Any, query: str, field: str
) -> None:
    response = client.get(f"/api/v1/tickets?{query}", headers=desk["auth"])

    assert response.status_code == 422
    assert list(response.json()["errors"]) == [field]


def test_queue_query_count_does_not_grow_with_the_rows(
    client: Client, desk: Any, django_assert_num_queries: Any
) -> None:
    other = AgentFactory.create(profile__teams=[desk["refunds"]])

    def add(n: int) -> None:
        for i in range(n):
            ticket = make_ticket(request_type=desk["refund"])
            ticket_set_tags(ticket=ticket, names=[f"tag-{i % 4}"], actor=other)
            Ticket.objects.filter(pk=ticket.pk).update(assignee=other if i % 2 else None)

    def queue() -> list[Any]:
        return list(client.get("/api/v1/tickets", headers=desk["auth"]).json()["items"])

    with time_machine.travel(timezone.now(), tick=False):  # last_used_at written once
        add(3)
        queue()
        with CaptureQueriesContext(connection) as small:
            assert len(queue()) == 3
        add(27)
        # token, agent profile, teams, rows, tags: the same for 3 rows as for 30
        with django_assert_num_queries(len(small)):
            assert len(queue()) == 30
    assert len(small) == 5


# --- one ticket ------------------------------------------------------------------------------


def test_ticket_shows_conversation_with_notes_history_and_customer(
    client: Client, desk: Any
) -> None:
    ticket = make_ticket(
        request_type=desk["refund"],
        subject="Cancelled flight",
        custom_fields={"booking_reference": "XK7P2Q"},
    )
    ticket_add_note(ticket=ticket, actor=desk["agent"], body_text="Called them back.")

    response = client.get(f"/api/v1/tickets/{ticket.reference}", headers=desk["auth"])

    assert response.status_code == 200
    body = response.json()
    assert body["reference"] == ticket.reference
    assert body["custom_fields"] == {"booking_reference": "XK7P2Q"}
    assert [(m["kind"], m["author"]["kind"]) for m in body["messages"]] == [
        ("inbound", "customer"),
        ("note", "agent"),
    ]
    assert body["messages"][1]["author"]["username"] == "aylin"
    assert body["events"][0]["type"] == EventType.CREATED
    assert body["events"][-1]["type"] == EventType.NOTE
    assert body["customer"]["identities"] == [
        {"kind": "email", "value": ticket.customer.primary_email, "verified": False}
    ]
    assert body["first_reply_due_at"] is not None
    assert body["tracking_url"].endswith(ticket.tracking_token)


def test_ticket_is_found_by_reference_or_by_id(client: Client, desk: Any) -> None:
    ticket = make_ticket(request_type=desk["refund"])

    by_id = client.get(f"/api/v1/tickets/{ticket.pk}", headers=desk["auth"])
    lower = client.get(f"/api/v1/tickets/{ticket.reference.lower()}", headers=desk["auth"])

    assert by_id.json()["id"] == lower.json()["id"] == ticket.pk


@pytest.mark.parametrize("reference", ["CD-999999", "banana", "CD-", "0"])
def test_unknown_reference_is_404(client: Client, desk: Any, reference: str) -> None:
    response = client.get(f"/api/v1/tickets/{reference}", headers=desk["auth"])

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_ticket_page_query_count_does_not_grow_with_the_conversation(
    client: Client, desk: Any, django_assert_num_queries: Any
) -> None:
    ticket = make_ticket(request_type=desk["refund"])
    url = f"/api/v1/tickets/{ticket.reference}"
    with time_machine.travel(timezone.now(), tick=False):  # last_used_at written once
        client.get(url, headers=desk["auth"])
        with CaptureQueriesContext(connection) as small:
            client.get(url, headers=desk["auth"])
        for i in range(10):
            ticket_add_note(ticket=ticket, actor=desk["agent"], body_text=f"note {i}")
        with django_assert_num_queries(len(small)):
            client.get(url, headers=desk["auth"])


# --- another team's ticket -------------------------------------------------------------------


def test_agent_cannot_read_another_teams_ticket(client: Client, desk: Any) -> None:
    theirs = make_ticket(request_type=desk["change"])

    response = client.get(f"/api/v1/tickets/{theirs.reference}", headers=desk["auth"])
    listed = client.get("/api/v1/tickets?q=" + theirs.reference, headers=desk["auth"]).json()

    assert response.status_code == 404
    assert listed["items"] == []


def test_agent_cannot_change_reply_to_or_note_another_teams_ticket(
    client: Client, desk: Any
) -> None:
    theirs = make_ticket(request_type=desk["change"])
    before = event_types(theirs)
    base = f"/api/v1/tickets/{theirs.reference}"

    answers = [
        patch(client, theirs, {"status": "solved"}, desk["auth"]).status_code,
        post(client, f"{base}/replies", {"body": "Hello"}, desk["auth"]).status_code,
        post(client, f"{base}/notes", {"body": "Hmm"}, desk["auth"]).status_code,
    ]

    assert answers == [404, 404, 404]
    theirs.refresh_from_db()
    assert theirs.status == TicketStatus.NEW
    assert theirs.messages.count() == 1
    assert event_types(theirs) == before


# --- replies and notes -----------------------------------------------------------------------


def test_reply_is_sent_to_the_customer_and_opens_the_ticket(client: Client, desk: Any) -> None:
    ticket = make_ticket(request_type=desk["refund"])

    response = post(
        client,
        f"/api/v1/tickets/{ticket.reference}/replies",
        {"body": "Your refund is on its way."},
        desk["auth"],
    )

    assert response.status_code == 201
    body = response.json()
    assert body["message"]["kind"] == MessageKind.OUTBOUND
    assert body["message"]["body_text"] == "Your refund is on its way."
    assert body["ticket"]["status"] == TicketStatus.OPEN
    ticket.refresh_from_db()
    assert ticket.first_replied_at is not None
    assert event_types(ticket)[-2:] == [EventType.AGENT_REPLY, EventType.STATUS]
    assert OutboxMessage.objects.filter(ticket=ticket, to=ticket.customer.primary_email).exists()


def test_reply_can_solve_the_ticket(client: Client, desk: Any) -> None:
    ticket = make_ticket(request_type=desk["refund"])

    response = post(
        client,
        f"/api/v1/tickets/{ticket.reference}/replies",
        {"body": "Done.", "status_after": "solved"},
        desk["auth"],
    )

    assert response.json()["ticket"]["status"] == TicketStatus.SOLVED
    ticket.refresh_from_db()
    assert ticket.solved_at is not None


def test_empty_reply_is_400_naming_the_body(client: Client, desk: Any) -> None:
    ticket = make_ticket(request_type=desk["refund"])

    response = post(
        client, f"/api/v1/tickets/{ticket.reference}/replies", {"body": "   "}, desk["auth"]
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {"body": ["Write a reply first."]}
    assert ticket.messages.count() == 1


def test_note_is_internal_and_not_emailed(client: Client, desk: Any) -> None:
    ticket = make_ticket(request_type=desk["refund"])
    outbox_before = OutboxMessage.objects.count()

    response = post(
        client, f"/api/v1/tickets/{ticket.reference}/notes", {"body": "VIP."}, desk["auth"]
    )

    assert response.status_code == 201
    assert response.json()["message"]["kind"] == MessageKind.NOTE
    assert event_types(ticket)[-1] == EventType.NOTE
    assert OutboxMessage.objects.count() == outbox_before


# --- changes ---------------------------------------------------------------------------------


def test_patch_changes_status_and_priority_with_an_event_each(client: Client, desk: Any) -> None:
    ticket = make_ticket(request_type=desk["refund"])

    response = patch(client, ticket, {"status": "pending", "priority": "high"}, desk["auth"])

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["priority"]) == ("pending", "high")
    assert event_types(ticket)[-2:] == [EventType.PRIORITY, EventType.STATUS]
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority) == (TicketStatus.PENDING, Priority.HIGH)


def test_team_change_without_a_reason_is_400_and_changes_nothing(client: Client, desk: Any) -> None:
    ticket = make_ticket(request_type=desk["refund"])
    before = event_types(ticket)

    response = patch(client, ticket, {"team": "changes", "priority": "high"}, desk["auth"])

    assert response.status_code == 400
    assert response.json()["field"] == "transfer_reason"
    ticket.refresh_from_db()
    assert (ticket.team_id, ticket.priority) == (desk["refunds"].pk, Priority.NORMAL)
    assert event_types(ticket) == before


def test_team_change_with_a_reason_is_a_recorded_transfer(client: Client, desk: Any) -> None:
    ticket = make_ticket(request_type=desk["refund"])

    response = patch(
        client, ticket, {"team": "changes", "transfer_reason": "It is a date change"}, desk["auth"]
    )

    assert response.status_code == 200
    assert response.json()["team"] == {"slug": "changes", "name": "Changes"}
    event = ticket.events.get(type=EventType.TRANSFER)
    assert event.data == {
        "from": desk["refunds"].pk,
        "to": desk["changes"].pk,
        "reason": "It is a date change",
    }
    assert event.actor_user == desk["agent"]


def test_assigning_by_username_opens_the_ticket_and_null_unassigns(
    client: Client, desk: Any
) -> None:
    ticket = make_ticket(request_type=desk["refund"])

    assigned = patch(client, ticket, {"assignee": "aylin"}, desk["auth"]).json()
    unassigned = patch(client, ticket, {"assignee": None}, desk["auth"]).json()

    assert (assigned["assignee"]["username"], assigned["status"]) == ("aylin", "open")
    assert unassigned["assignee"] is None
    assert event_types(ticket).count(EventType.ASSIGN) == 2


def test_request_type_change_by_key(client: Client, desk: Any) -> None:
    ticket = make_ticket(request_type=desk["refund"])

    body = patch(client, ticket, {"request_type": "change"}, desk["auth"]).json()

    assert body["request_type"]["key"] == "change"
    assert event_types(ticket)[-1] == EventType.REQUEST_TYPE


def test_patch_is_all_or_nothing(client: Client, desk: Any) -> None:
    ticket = make_ticket(request_type=desk["refund"])
    UserFactory.create(username="not-an-agent")

    response = patch(
        client, ticket, {"priority": "urgent", "assignee": "not-an-agent"}, desk["auth"]
    )

    assert response.status_code == 400
    assert response.json()["field"] == "assignee"
    ticket.refresh_from_db()
    assert (ticket.priority, ticket.assignee_id) == (Priority.NORMAL, None)
    assert EventType.PRIORITY not in event_types(ticket)


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"team": "nope", "transfer_reason": "x"}, 400, "team"),
        ({"request_type": "nope"}, 400, "request_type"),
        ({"assignee": "nobody"}, 400, "assignee"),
        ({"status": None}, 400, "status"),
        ({"status": "lost"}, 422, "status"),
        ({"colour": "red"}, 422, "colour"),
    ],
)
def test_patch_with_bad_values_names_the_field(
    client: Client, desk: Any, body: dict[str, Any], status: int, field: str
) -> None:
    ticket = make_ticket(request_type=desk["refund"])

    response = patch(client, ticket, body, desk["auth"])

    assert response.status_code == status
    assert response.json()["field"] == field


def test_unexpected_error_is_logged_and_answered_as_json_500(
    client: Client, desk: Any, monkeypatch: Any, allow_server_error: None, caplog: Any
) -> None:
    def broken(**kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr("calmdesk.api.tickets.queue_page", broken)

    response = client.get("/api/v1/tickets", headers=desk["auth"])

    assert response.status_code == 500
    assert response.json()["code"] == "server_error"
    logged = [r for r in caplog.records if r.name == "calmdesk.api"]
    assert [(r.levelname, r.exc_info[0] if r.exc_info else None) for r in logged] == [
        ("ERROR", RuntimeError)
    ]


def test_bearer_endpoints_need_no_csrf_token(desk: Any) -> None:
    ticket = make_ticket(request_type=desk["refund"])
    client = Client(enforce_csrf_checks=True)

    response = patch(client, ticket, {"priority": "high"}, desk["auth"])

    assert response.status_code == 200
