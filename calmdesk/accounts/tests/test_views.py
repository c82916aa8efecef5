"""Signing in and out of the agent workspace, and the admin screens of this app."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from calmdesk.accounts.models import ApiToken
from calmdesk.core.testing.factories import (
    AgentFactory,
    RequestTypeFactory,
    TeamFactory,
    UserFactory,
    make_ticket,
)
from calmdesk.tickets.enums import TicketStatus

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests"


@pytest.fixture
def superuser() -> Any:
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(client: Client, superuser: Any) -> Client:
    client.force_login(superuser)
    return client


def test_login_page_has_the_form_and_a_language_switcher(client: Client) -> None:
    response = client.get(reverse("accounts:login"))

    body = response.content.decode()
    assert response.status_code == 200
    assert 'name="username"' in body
    assert 'autocomplete="current-password"' in body
    assert 'name="language"' in body


def test_login_page_in_persian_is_right_to_left(client: Client) -> None:
    response = client.get(reverse("accounts:login"), HTTP_ACCEPT_LANGUAGE="fa")

    assert '<html lang="fa" dir="rtl">' in response.content.decode()


def test_agent_signs_in_and_lands_on_the_queue(client: Client) -> None:
    AgentFactory(username="ayla", profile__teams=[TeamFactory()])

    response = client.post(
        reverse("accounts:login"), {"username": "ayla", "password": PASSWORD}, follow=True
    )

    assert response.redirect_chain == [(reverse("tickets:queue"), 302)]
    assert response.status_code == 200


def test_login_goes_back_to_the_page_asked_for(client: Client) -> None:
    team = TeamFactory()
    AgentFactory(username="ayla", profile__teams=[team])
    ticket = make_ticket(request_type=RequestTypeFactory(team=team))
    detail = reverse("tickets:detail", args=[ticket.pk])

    asked = client.get(detail)
    response = client.post(
        asked["Location"], {"username": "ayla", "password": PASSWORD, "next": detail}
    )

    assert response.status_code == 302
    assert response["Location"] == detail


def test_wrong_password_says_so_and_signs_nobody_in(client: Client) -> None:
    AgentFactory(username="ayla")

    response = client.post(reverse("accounts:login"), {"username": "ayla", "password": "nope"})

    assert response.status_code == 200
    assert "That username and password do not match." in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_signed_in_agent_visiting_login_goes_to_the_queue(client: Client) -> None:
    client.force_login(AgentFactory(username="ayla"))

    response = client.get(reverse("accounts:login"))

    assert response.status_code == 302
    assert response["Location"] == reverse("tickets:queue")


def test_logout_is_a_post_and_ends_the_session(client: Client) -> None:
    client.force_login(AgentFactory(username="ayla"))

    by_link = client.get(reverse("accounts:logout"))
    assert by_link.status_code == 405
    assert "_auth_user_id" in client.session

    response = client.post(reverse("accounts:logout"))

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login")
    assert "_auth_user_id" not in client.session


def test_non_agent_who_signs_in_gets_a_polite_403(client: Client) -> None:
    UserFactory(username="guest")

    response = client.post(
        reverse("accounts:login"), {"username": "guest", "password": PASSWORD}, follow=True
    )

    assert response.status_code == 403
    body = response.content.decode()
    assert "This page is for agents" in body
    assert "ask your team lead or administrator" in body
    assert reverse("accounts:logout") in body


def test_superuser_without_agent_profile_may_use_the_workspace(admin_client: Client) -> None:
    response = admin_client.get(reverse("tickets:queue"))

    assert response.status_code == 200


def test_admin_creates_an_api_token_and_shows_the_key_once(
    admin_client: Client, superuser: Any
) -> None:
    response = admin_client.post(
        reverse("admin:accounts_apitoken_add"),
        {"user": superuser.pk, "name": "Phone system"},
        follow=True,
    )

    token = ApiToken.objects.get()
    shown = [str(m) for m in response.context["messages"]]
    assert len(shown) >= 1
    match = re.search(r"(cdk_[A-Za-z0-9_-]+)", " ".join(shown))
    assert match is not None
    raw = match.group(1)
    assert token.key_hash == ApiToken.hash_key(raw)
    assert token.prefix == raw[:12]
    assert token.name == "Phone system"
    again = admin_client.get(reverse("admin:accounts_apitoken_change", args=[token.pk]))
    assert raw not in again.content.decode()


def test_admin_revokes_tokens(admin_client: Client, superuser: Any) -> None:
    from calmdesk.api.services import api_token_create

    token, _raw = api_token_create(user=superuser, name="CI")

    admin_client.post(
        reverse("admin:accounts_apitoken_changelist"),
        {"action": "revoke", "_selected_action": [token.pk]},
    )

    token.refresh_from_db()
    assert token.revoked_at is not None


def test_admin_user_page_edits_the_agent_profile_inline(admin_client: Client) -> None:
    agent = AgentFactory(username="ayla")

    response = admin_client.get(reverse("admin:auth_user_change", args=[agent.pk]))

    body = response.content.decode()
    assert response.status_code == 200
    assert 'name="agent-0-role"' in body
    assert 'name="agent-0-teams"' in body


def test_admin_team_form_explains_working_hours(admin_client: Client) -> None:
    response = admin_client.get(reverse("admin:accounts_team_add"))

    assert "A missing or empty day is closed" in response.content.decode()


def test_admin_ticket_status_is_read_only(admin_client: Client) -> None:
    ticket = make_ticket(request_type=RequestTypeFactory())
    url = reverse("admin:tickets_ticket_change", args=[ticket.pk])

    page = admin_client.get(url)
    admin_client.post(url, {"status": "closed", "priority": "urgent"})

    body = page.content.decode()
    assert page.status_code == 200
    assert 'name="status"' not in body
    assert 'name="priority"' not in body
    assert 'name="team"' not in body
    assert 'name="assignee"' not in body
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.NEW


def test_admin_pages_of_tickets_open(admin_client: Client) -> None:
    ticket = make_ticket(request_type=RequestTypeFactory())

    pages = [
        admin_client.get(reverse("admin:tickets_ticket_changelist")),
        admin_client.get(reverse("admin:tickets_ticket_changelist"), {"q": ticket.reference}),
        admin_client.get(reverse("admin:tickets_message_changelist")),
        admin_client.get(reverse("admin:tickets_ticketevent_changelist")),
        admin_client.get(reverse("admin:tickets_requesttype_changelist")),
        admin_client.get(reverse("admin:tickets_requesttype_add")),
        admin_client.get(reverse("admin:tickets_tag_changelist")),
        admin_client.get(reverse("admin:accounts_apitoken_add")),
    ]

    assert [p.status_code for p in pages] == [200] * 8
    assert ticket.reference in pages[1].content.decode()
