"""Demo agents: one team lead (also the admin) and six agents spread over teams and time zones."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction

from calmdesk.accounts.models import AgentProfile, Role, Team

DEMO_PASSWORD = "calmdesk-demo"  # noqa: S105 - printed on purpose: demo logins only


@dataclass(frozen=True)
class DemoAgent:
    username: str
    first_name: str
    last_name: str
    time_zone: str
    languages: tuple[str, ...]
    role: str = Role.AGENT


DEMO_AGENTS = (
    DemoAgent("lead", "Mina", "Rahimi", "Europe/Istanbul", ("en", "fa", "tr"), Role.LEAD),
    DemoAgent("agent1", "Ayşe", "Demir", "Europe/Istanbul", ("tr", "en")),
    DemoAgent("agent2", "Reza", "Tehrani", "Asia/Tehran", ("fa", "en")),
    DemoAgent("agent3", "Rūta", "Petrauskienė", "Europe/Vilnius", ("lt", "en")),
    DemoAgent("agent4", "Emma", "Clarke", "Europe/London", ("en",)),
    DemoAgent("agent5", "Kerem", "Aydın", "Europe/Berlin", ("tr", "en")),
    DemoAgent("agent6", "Laleh", "Moradi", "America/Toronto", ("fa", "en", "lt")),
)


@transaction.atomic
def install_demo_agents() -> dict[str, object]:
    """Create the demo users (idempotent). The lead sees every team, leads every team and may
    use the Django admin; agent N works in two neighbouring teams."""
    User = get_user_model()
    teams = list(Team.objects.order_by("pk"))
    users: dict[str, object] = {}
    for index, spec in enumerate(DEMO_AGENTS):
        user = User.objects.filter(username=spec.username).first()
        if user is None:
            is_lead = spec.role == Role.LEAD
            user = User.objects.create_user(
                username=spec.username,
                email=f"{spec.username}@calmdesk.test",
                password=DEMO_PASSWORD,
                first_name=spec.first_name,
                last_name=spec.last_name,
                is_staff=is_lead,
                is_superuser=is_lead,
            )
            profile = AgentProfile.objects.create(
                user=user,
                role=spec.role,
                time_zone=spec.time_zone,
                languages=list(spec.languages),
                display_name=f"{spec.first_name} {spec.last_name}",
            )
            if is_lead:
                profile.teams.set(teams)
            elif teams:
                profile.teams.set({teams[(index - 1) % len(teams)], teams[index % len(teams)]})
        users[spec.username] = user
    lead = users["lead"]
    Team.objects.filter(lead__isnull=True).update(lead=lead)
    return users


def demo_logins() -> list[tuple[str, str]]:
    """(username, what it is) for the demo users that still have the demo password."""
    User = get_user_model()
    lead = User.objects.filter(username="lead").first()
    if lead is None or not lead.check_password(DEMO_PASSWORD):
        return []
    names = {spec.username for spec in DEMO_AGENTS}
    found = set(User.objects.filter(username__in=names).values_list("username", flat=True))
    logins = []
    for spec in DEMO_AGENTS:
        if spec.username in found:
            what = (
                "team lead of every team, and administrator (/admin/)"
                if spec.role == Role.LEAD
                else f"agent ({', '.join(spec.languages)}; {spec.time_zone})"
            )
            logins.append((spec.username, what))
    return logins
