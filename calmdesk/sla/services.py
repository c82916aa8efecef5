"""SLA due times and the "no agent reply" alert to the team lead."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from calmdesk.accounts.models import Team
from calmdesk.core.config_cache import ProcessCache
from calmdesk.tickets.enums import ACTIVE_STATUSES, EventType, Priority
from calmdesk.tickets.events import record_event
from calmdesk.tickets.models import Ticket

from .calendar import add_working_minutes
from .models import Alert, AlertKind, SlaPolicy

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PolicyTargets:
    first_reply_minutes: int
    resolution_minutes: int
    alert_after_minutes: int | None


# Used for a priority without an SlaPolicy row (working minutes; alert in calendar minutes).
DEFAULT_TARGETS: dict[str, PolicyTargets] = {
    Priority.URGENT: PolicyTargets(60, 480, 3 * 24 * 60),
    Priority.HIGH: PolicyTargets(240, 1440, None),
    Priority.NORMAL: PolicyTargets(480, 2880, None),
    Priority.LOW: PolicyTargets(1440, 5760, None),
}


def _load_policies() -> dict[str, PolicyTargets]:
    return {
        p.priority: PolicyTargets(
            p.first_reply_minutes, p.resolution_minutes, p.alert_after_minutes
        )
        for p in SlaPolicy.objects.all()
    }


# Policies by priority, kept in each process (intake is a hot path); an admin's change
# reaches every process within a second (``core.config_cache``).
SLA_POLICIES: ProcessCache[dict[str, PolicyTargets]] = ProcessCache(
    "sla-policies", _load_policies, ttl=300
)


def _policies() -> dict[str, PolicyTargets]:
    return SLA_POLICIES.get()


def policy_for(priority: str) -> PolicyTargets:
    return (
        _policies().get(priority)
        or DEFAULT_TARGETS.get(priority)
        or DEFAULT_TARGETS[Priority.NORMAL]
    )


def sla_due_times(
    *, team: Team | None, priority: str, start: datetime
) -> tuple[datetime | None, datetime | None]:
    """(first reply due, resolution due) counted in the team's working hours from ``start``."""
    targets = policy_for(priority)
    return (
        add_working_minutes(team, start, targets.first_reply_minutes),
        add_working_minutes(team, start, targets.resolution_minutes),
    )


def sla_alert_due_at(*, priority: str, created_at: datetime) -> datetime | None:
    """When an unanswered ticket of this priority alerts its lead (None: never)."""
    minutes = policy_for(priority).alert_after_minutes
    if not minutes:
        return None
    return created_at + timedelta(minutes=minutes)


# ------------------------------------------------------------------------------------------
# Alerts
# ------------------------------------------------------------------------------------------


def due_alert_ticket_ids(*, now: datetime, limit: int = 500) -> list[int]:
    """Tickets whose alert time has come, through the partial ``alert_due_at`` index."""
    return list(
        Ticket.objects.filter(alert_due_at__isnull=False, alert_due_at__lte=now)
        .order_by("alert_due_at")
        .values_list("pk", flat=True)[:limit]
    )


def sla_raise_due_alerts(*, now: datetime | None = None, limit: int = 500) -> int:
    """Raise the "no agent reply" alert on every due ticket. Returns how many were raised.

    Each ticket is handled in its own transaction, so one failure does not hold back the rest,
    and the unique (ticket, kind) constraint makes a second run raise nothing.
    """
    now = now or timezone.now()
    raised = 0
    for ticket_id in due_alert_ticket_ids(now=now, limit=limit):
        try:
            if _raise_alert(ticket_id=ticket_id, now=now) is not None:
                raised += 1
        except Exception:  # keep going; the row stays due and the next run retries it
            log.exception("could not raise the alert on ticket %s", ticket_id)
    return raised


@transaction.atomic
def _raise_alert(*, ticket_id: int, now: datetime) -> Alert | None:
    ticket = (
        Ticket.objects.select_for_update()
        .filter(pk=ticket_id, alert_due_at__isnull=False, alert_due_at__lte=now)
        .first()
    )
    if ticket is None:
        return None
    Ticket.objects.filter(pk=ticket.pk).update(alert_due_at=None)
    ticket.alert_due_at = None
    if ticket.first_replied_at is not None or ticket.status not in ACTIVE_STATUSES:
        return None
    try:
        with transaction.atomic():
            alert = Alert.objects.create(
                ticket=ticket, kind=AlertKind.NO_AGENT_REPLY, team=ticket.team, raised_at=now
            )
    except IntegrityError:
        return None
    team = (
        Team.objects.select_related("lead").filter(pk=ticket.team_id).first()
        if ticket.team_id is not None
        else None
    )
    outbox = _queue_alert_email(ticket=ticket, team=team, alert=alert)
    record_event(
        ticket,
        EventType.ALERT,
        at=now,
        data={
            "alert": alert.pk,
            "kind": alert.kind,
            "to": outbox.to if outbox else None,
            "outbox": outbox.pk if outbox else None,
        },
    )
    return alert


def _queue_alert_email(*, ticket: Ticket, team: Team | None, alert: Alert) -> Any:
    from calmdesk.replies.services import alert_email_queue

    if team is None:
        return None
    lead = team.lead
    to = (lead.email if lead is not None and lead.is_active else "") or team.email
    if not to:
        log.warning("ticket %s: team %s has neither a lead email nor a team email", ticket.pk, team)
        return None
    return alert_email_queue(ticket=ticket, alert=alert, team=team, to=to)


@transaction.atomic
def alert_acknowledge(*, alert: Alert, actor: Any, now: datetime | None = None) -> Alert:
    """The lead has seen the alert: it leaves the queue badge. Idempotent."""
    now = now or timezone.now()
    locked = Alert.objects.select_for_update().select_related("ticket").get(pk=alert.pk)
    if locked.acknowledged_at is not None:
        return locked
    locked.acknowledged_at = now
    locked.save(update_fields=["acknowledged_at"])
    record_event(
        locked.ticket,
        EventType.ALERT,
        actor=actor,
        at=now,
        data={"alert": locked.pk, "kind": locked.kind, "acknowledged": True},
    )
    return locked
