"""Who is an agent, and which teams' tickets an agent may see."""

from __future__ import annotations

from typing import Any

from .models import AgentProfile, Role


def agent_profile(user: Any) -> AgentProfile | None:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    try:
        return user.agent
    except AgentProfile.DoesNotExist:
        return None


def is_agent(user: Any) -> bool:
    return agent_profile(user) is not None or bool(getattr(user, "is_superuser", False))


def sees_all_teams(user: Any) -> bool:
    """Leads and administrators see every team's tickets."""
    if getattr(user, "is_superuser", False):
        return True
    profile = agent_profile(user)
    return profile is not None and profile.role in (Role.LEAD, Role.ADMIN)


def visible_team_ids(user: Any) -> list[int] | None:
    """The teams whose tickets the user may see; None means all teams."""
    if sees_all_teams(user):
        return None
    profile = agent_profile(user)
    if profile is None:
        return []
    return list(profile.teams.values_list("pk", flat=True))
