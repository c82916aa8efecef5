from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from calmdesk.accounts.models import ApiToken
from calmdesk.api.services import api_token_create, api_token_revoke
from calmdesk.core.testing.factories import AgentFactory, TeamFactory, UserFactory

from .factories import agent_with_token, bearer

URL = "/api/v1/tickets"

pytestmark = pytest.mark.django_db


def test_no_token_is_401_with_a_bearer_challenge(client: Client) -> None:
    response = client.get(URL)

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["code"] == "unauthorized"


@pytest.mark.parametrize(
    "header",
    ["Bearer cdk_not-a-real-key", "Bearer ", "Basic dXNlcjpwdw==", "Bearer " + "x" * 5000],
)
def test_unknown_or_malformed_token_is_401(client: Client, header: str) -> None:
    response = client.get(URL, headers={"Authorization": header})

    assert response.status_code == 401


def test_revoked_token_is_401(client: Client) -> None:
    agent, raw = agent_with_token()
    api_token_revoke(token=ApiToken.objects.get(user=agent))

    response = client.get(URL, headers=bearer(raw))

    assert response.status_code == 401


def test_token_of_a_user_who_is_not_an_agent_is_403(client: Client) -> None:
    _token, raw = api_token_create(user=UserFactory.create(), name="ci")

    response = client.get(URL, headers=bearer(raw))

    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"


def test_token_of_a_deactivated_agent_is_403(client: Client) -> None:
    agent, raw = agent_with_token()
    agent.is_active = False
    agent.save()

    response = client.get(URL, headers=bearer(raw))

    assert response.status_code == 403


def test_superuser_without_agent_profile_is_allowed(client: Client) -> None:
    admin = UserFactory.create(is_superuser=True, is_staff=True)
    _token, raw = api_token_create(user=admin, name="admin")

    response = client.get(URL, headers=bearer(raw))

    assert response.status_code == 200


def test_only_the_hash_of_a_key_is_stored(client: Client) -> None:
    agent, raw = agent_with_token(teams=[TeamFactory.create()])

    token = ApiToken.objects.get(user=agent)
    assert token.key_hash == ApiToken.hash_key(raw)
    assert raw not in (token.key_hash, token.prefix)
    assert raw.startswith(token.prefix)


def test_last_used_is_written_at_most_once_a_minute(client: Client) -> None:
    agent, raw = agent_with_token()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.get(URL, headers=bearer(raw))
    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        client.get(URL, headers=bearer(raw))
        after_30s = ApiToken.objects.get(user=agent).last_used_at
    with time_machine.travel(start + timedelta(seconds=61), tick=False):
        client.get(URL, headers=bearer(raw))
        after_61s = ApiToken.objects.get(user=agent).last_used_at

    assert after_30s == start
    assert after_61s == start + timedelta(seconds=61)


def test_create_api_token_command_prints_a_key_that_authenticates(client: Client) -> None:
    AgentFactory.create(username="aylin")
    out = StringIO()

    call_command("create_api_token", user="aylin", name="Zapier", stdout=out, stderr=StringIO())

    raw = out.getvalue().strip()
    token = ApiToken.objects.get()
    assert (token.user.username, token.name) == ("aylin", "Zapier")
    assert token.key_hash == ApiToken.hash_key(raw)
    assert client.get(URL, headers=bearer(raw)).status_code == 200


def test_create_api_token_command_refuses_an_unknown_user() -> None:
    with pytest.raises(CommandError, match="No user named 'ghost'"):
        call_command("create_api_token", user="ghost", name="x", stdout=StringIO())

    assert not ApiToken.objects.exists()


def test_create_api_token_command_warns_for_a_non_agent() -> None:
    UserFactory.create(username="bob")
    err = StringIO()

    call_command("create_api_token", user="bob", name="x", stdout=StringIO(), stderr=err)

    assert "not an active agent" in err.getvalue()
    assert ApiToken.objects.count() == 1
