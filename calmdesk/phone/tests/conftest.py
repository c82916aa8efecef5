from __future__ import annotations

from typing import Any

import pytest

from calmdesk.core.testing.factories import AgentFactory, TeamFactory

from .factories import ExtensionFactory, PhoneSystemFactory


@pytest.fixture
def team(db: Any) -> Any:
    return TeamFactory.create(name="Phones", slug="phones")


@pytest.fixture
def pbx(team: Any) -> Any:
    return PhoneSystemFactory.create(name="Office PBX", team=team)


@pytest.fixture
def agent(team: Any) -> Any:
    return AgentFactory.create(username="aylin", email="aylin@calmdesk.test", profile__teams=[team])


@pytest.fixture
def other_agent(team: Any) -> Any:
    return AgentFactory.create(username="jonas", email="jonas@calmdesk.test", profile__teams=[team])


@pytest.fixture
def extensions(pbx: Any, agent: Any, other_agent: Any) -> dict[str, Any]:
    return {
        "201": ExtensionFactory.create(phone_system=pbx, number="201", agent=agent),
        "305": ExtensionFactory.create(phone_system=pbx, number="305", agent=other_agent),
    }
