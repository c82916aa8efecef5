"""Every ticket read from a request goes through here."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from calmdesk.accounts.permissions import is_agent, visible_team_ids
from calmdesk.core.errors import NotFound, PermissionDenied

from .models import Ticket


def visible_tickets(user: Any) -> QuerySet[Ticket]:
    """Tickets an agent may see: their teams', those with no team, and those assigned to them."""
    if not is_agent(user):
        return Ticket.objects.none()
    return tickets_visible_to(user, visible_team_ids(user))


def tickets_visible_to(user: Any, team_ids: list[int] | None) -> QuerySet[Ticket]:
    """``visible_tickets`` when the page already read ``visible_team_ids(user)`` (None: every
    team): the same rule without reading the agent's teams again."""
    if not is_agent(user):
        return Ticket.objects.none()
    qs = Ticket.objects.all()
    if team_ids is None:
        return qs
    return qs.filter(Q(team_id__in=team_ids) | Q(team__isnull=True) | Q(assignee=user))


def access_ticket(user: Any, ticket_id: int) -> Ticket:
    """The ticket, if this agent may see it. Raises NotFound (also for a forbidden ticket, so
    ids do not leak) or PermissionDenied for a non-agent."""
    if not is_agent(user):
        raise PermissionDenied()
    ticket = visible_tickets(user).filter(pk=ticket_id).first()
    if ticket is None:
        raise NotFound()
    return ticket


def access_ticket_by_token(token: str) -> Ticket:
    """The customer's own ticket behind a private tracking link."""
    if not token or len(token) > 64:
        raise NotFound()
    ticket = Ticket.objects.select_related("customer").filter(tracking_token=token).first()
    if ticket is None:
        raise NotFound()
    return ticket
