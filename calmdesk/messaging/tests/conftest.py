from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client

from calmdesk.core.testing.factories import TeamFactory
from calmdesk.messaging.models import MessagingAccount, Provider
from calmdesk.messaging.simulate import SignedRequest

from .factories import MessagingAccountFactory
from .fakes import FakeProviders, providers  # noqa: F401 — the fixture

Post = Callable[..., Any]


@pytest.fixture
def team() -> Any:
    return TeamFactory(name="Support", slug="support")


def _account(provider: str, fake: FakeProviders, team: Any) -> MessagingAccount:
    return MessagingAccountFactory.create(provider=provider, base_url=fake.base_url, team=team)


@pytest.fixture
def twilio_account(providers: FakeProviders, team: Any) -> MessagingAccount:  # noqa: F811
    return _account(Provider.TWILIO, providers, team)


@pytest.fixture
def whatsapp_account(providers: FakeProviders, team: Any) -> MessagingAccount:  # noqa: F811
    return _account(Provider.WHATSAPP, providers, team)


@pytest.fixture
def telegram_account(providers: FakeProviders, team: Any) -> MessagingAccount:  # noqa: F811
    return _account(Provider.TELEGRAM, providers, team)


@pytest.fixture
def post(client: Client, django_capture_on_commit_callbacks: Any) -> Post:
    """POST a signed request to its webhook and run what is queued after commit (processing,
    then the outbox delivering acknowledgements), as the worker would."""

    def send(request: SignedRequest, *, headers: dict[str, str] | None = None) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return client.generic(
                request.method,
                urlsplit(request.url).path
                + ("?" + urlsplit(request.url).query if urlsplit(request.url).query else ""),
                request.body,
                content_type=request.content_type,
                headers=request.headers if headers is None else headers,
            )

    return send
