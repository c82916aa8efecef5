"""WRITES on callbacks: a customer asks to be called (number + time window) from the callback
page, the tracking page or the chat, or an agent schedules one.

Life of a callback::

    scheduled ──(window starts: callbacks_advance)──▶ queued ──(agent: Call now)──▶ in_progress
        │                                               │  ▲                          │
        │                                               │  └──(no answer, busy: retry)┘
        └──────────────(window ends unreached)──────────┴──▶ missed      reached ──▶ done
                                                              cancelled (customer, agent,
                                                                         wrong number)

Its ticket is held out of the queue (status pending) while the callback is scheduled; when the
window starts the ticket enters the queue (open, at least high priority) so it is reached within
the window. Every step records a ``CALLBACK`` event on the ticket.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast
from zoneinfo import available_timezones

from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from calmdesk.accounts.models import Team
from calmdesk.conversations.services import InboundContact, contact_receive
from calmdesk.core.errors import DomainError
from calmdesk.core.models import OutboxChannel
from calmdesk.core.outbox import outbox_enqueue
from calmdesk.customers.models import IdentityKind
from calmdesk.customers.services import normalize_email, normalize_phone
from calmdesk.inbox.validation import LANGUAGE_REGION
from calmdesk.sla.calendar import add_working_minutes, is_round_the_clock, working_minutes_between
from calmdesk.tickets.enums import ActorKind, Channel, EventType, Priority, TicketStatus
from calmdesk.tickets.events import record_event
from calmdesk.tickets.models import RequestType, Ticket
from calmdesk.tickets.services import (
    ticket_add_note,
    ticket_assign,
    ticket_change_priority,
    ticket_change_status,
)

from ..conf import conf
from ..models import (
    ACTIVE_CALLBACK_STATUSES,
    Call,
    Callback,
    CallbackAttempt,
    CallbackSource,
    CallbackStatus,
    CallDirection,
    CallOutcome,
    CallState,
    PhoneSystem,
)
from ..text import agent_label, format_number, local_window

# A window may start a little in the past (the page was open a few minutes).
START_SLACK = timedelta(minutes=5)
RAISED_PRIORITIES = (Priority.LOW, Priority.NORMAL)


def default_callback_team() -> Team | None:
    """The team of callbacks nothing else routes: the first active phone system's team."""
    system = (
        PhoneSystem.objects.filter(active=True, team__isnull=False)
        .select_related("team")
        .order_by("name")
        .first()
    )
    return system.team if system is not None else None


# ------------------------------------------------------------------------------------------
# Validation
# ------------------------------------------------------------------------------------------


def callback_window_check(
    *, start: datetime, end: datetime, zone: str, team: Team | None, now: datetime
) -> None:
    """Refuse a window we cannot keep, with the field at fault: in the future, start before
    end, not too short or long, not too far ahead, within the team's working hours."""
    if zone not in available_timezones():
        raise DomainError(_("Choose your time zone."), field="timezone")
    if end <= start:
        raise DomainError(_("The end of the window must be after its start."), field="window_end")
    length = end - start
    shortest = timedelta(minutes=conf("CALLBACK_MIN_WINDOW_MINUTES"))
    if length < shortest:
        raise DomainError(
            _("Give us a window of at least %(minutes)d minutes.")
            % {"minutes": conf("CALLBACK_MIN_WINDOW_MINUTES")},
            field="window_end",
        )
    if length > timedelta(hours=conf("CALLBACK_MAX_WINDOW_HOURS")):
        raise DomainError(
            _("Keep the window under %(hours)d hours.")
            % {"hours": conf("CALLBACK_MAX_WINDOW_HOURS")},
            field="window_end",
        )
    if end <= now or start < now - START_SLACK:
        raise DomainError(_("This time has passed: choose a time from now on."), field="date")
    days = conf("CALLBACK_MAX_DAYS_AHEAD")
    if start > now + timedelta(days=days):
        raise DomainError(
            _("We can schedule a call up to %(days)d days ahead.") % {"days": days}, field="date"
        )
    if is_round_the_clock(team):
        return
    begin = max(start, now)
    needed = min(length, shortest).total_seconds() / 60
    if working_minutes_between(team, begin, end) < needed:
        opens = add_working_minutes(team, begin, 0)
        with timezone.override(zone):
            from calmdesk.core.templatetags.calmdesk import format_date

            when = format_date(opens, with_time=True)
        raise DomainError(
            _("Our team is not working then. The earliest time we can call you is %(when)s.")
            % {"when": when},
            field="window_start",
        )


def _phone(raw: str, *, region: str | None) -> str:
    try:
        return normalize_phone(raw, region=region)
    except DomainError as exc:
        raise DomainError(exc.message, field="phone") from exc


# ------------------------------------------------------------------------------------------
# Requesting
# ------------------------------------------------------------------------------------------


def _event(
    callback: Callback,
    action: str,
    *,
    actor: Any = None,
    actor_kind: ActorKind | None = None,
    **data: Any,
) -> None:
    record_event(
        callback.ticket,
        EventType.CALLBACK,
        actor=actor,
        actor_kind=actor_kind,
        data={
            "callback": callback.pk,
            "action": action,
            "phone": callback.phone,
            "window_start": callback.window_start.isoformat(),
            "window_end": callback.window_end.isoformat(),
            "timezone": callback.time_zone,
            "source": callback.source,
            "attempts": callback.attempts,
            **data,
        },
    )


def _request_text(*, phone: str, start: datetime, end: datetime, zone: str, reason: str) -> str:
    line = _("Please call me back on %(phone)s, %(window)s.") % {
        "phone": format_number(phone),
        "window": local_window(start, end, zone),
    }
    return f"{reason.strip()}\n\n{line}" if reason.strip() else line


def callback_request(
    *,
    phone: str,
    window_start: datetime,
    window_end: datetime,
    timezone_name: str,
    language: str = "en",
    source: str = CallbackSource.FORM,
    ticket: Ticket | None = None,
    name: str = "",
    email: str = "",
    reason: str = "",
    request_type: RequestType | None = None,
    team: Team | None = None,
    actor: Any = None,
    request_key: str | None = None,
    region: str | None = None,
    now: datetime | None = None,
) -> Callback:
    """Schedule a callback; the entry point for every channel (the chat offers callbacks
    through it with ``source=CallbackSource.CHAT`` and the chat's ``ticket``).

    Without ``ticket`` the request is a phone contact (``contact_receive``): a new ticket
    "Callback requested", or a follow-up on the customer's open ticket on the same matter. From
    the tracking page the request is added to that ticket as the customer's message. Raises
    DomainError with the field at fault (phone, email, date, window_start, window_end,
    timezone). Idempotent on ``request_key``.
    """
    now = now or timezone.now()
    if request_key:
        existing = Callback.objects.filter(request_key=request_key).first()
        if existing is not None:
            return existing
    if source not in CallbackSource.values:
        raise DomainError(_("Unknown source."), field="source")
    language = (language or "en")[:10]
    phone = _phone(phone, region=region or LANGUAGE_REGION.get(language[:2]))
    if email.strip():
        email = normalize_email(email)
    if ticket is not None and ticket.status == TicketStatus.CLOSED:
        raise DomainError(
            _("This request is closed. Please send a new request."), field="ticket", code="closed"
        )
    check_team = ticket.team if ticket is not None else None
    if ticket is None:
        routed = request_type.team if request_type is not None else None
        check_team = routed or team or default_callback_team()
    callback_window_check(
        start=window_start, end=window_end, zone=timezone_name, team=check_team, now=now
    )
    active = (
        Callback.objects.filter(phone=phone, status__in=ACTIVE_CALLBACK_STATUSES)
        .order_by("window_start")
        .first()
    )
    if active is not None:
        raise DomainError(
            _(
                "We already have a callback for this number (%(window)s). Cancel it first to "
                "choose another time."
            )
            % {"window": local_window(active.window_start, active.window_end, active.time_zone)},
            field="phone",
            code="duplicate",
        )
    text = _request_text(
        phone=phone, start=window_start, end=window_end, zone=timezone_name, reason=reason
    )
    try:
        with transaction.atomic():
            if ticket is None:
                result = contact_receive(
                    InboundContact(
                        channel=Channel.PHONE,
                        identities=[(IdentityKind.PHONE, phone), (IdentityKind.EMAIL, email)],
                        name=name.strip(),
                        subject=_("Callback requested"),
                        body_text=text,
                        language=language,
                        request_type=request_type,
                        team=check_team,
                        external_key=f"callback:{request_key}" if request_key else None,
                    ),
                    now=now,
                )
                ticket = result.ticket
            elif source == CallbackSource.TRACKING:
                # The customer wrote on their own ticket: their message, the ticket's customer.
                contact_receive(
                    InboundContact(
                        channel=Channel.FORM,
                        identities=[
                            *((i.kind, i.value) for i in ticket.customer.identities.all()),
                            (IdentityKind.PHONE, phone),
                        ],
                        subject=ticket.subject,
                        body_text=text,
                        language=language,
                        thread=ticket,
                        external_key=f"callback:{request_key}" if request_key else None,
                    ),
                    now=now,
                )
            ticket.refresh_from_db()
            due = window_start <= now
            callback = Callback.objects.create(
                customer_id=ticket.customer_id,
                ticket=ticket,
                phone=phone,
                window_start=window_start,
                window_end=window_end,
                time_zone=timezone_name,
                language=language,
                reason=reason.strip()[:5000],
                source=source,
                status=CallbackStatus.QUEUED if due else CallbackStatus.SCHEDULED,
                queued_at=now if due else None,
                created_by=actor if getattr(actor, "is_authenticated", False) else None,
                request_key=request_key,
                created_at=now,
            )
            _event(
                callback,
                "scheduled",
                actor=actor,
                actor_kind=None if actor is not None else ActorKind.CUSTOMER,
            )
            if due:
                _enter_queue(callback, now=now)
                _event(callback, "queued")
            elif ticket.status in (TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.SOLVED):
                # Held out of the queue until the window starts.
                ticket_change_status(
                    ticket=ticket, status=TicketStatus.PENDING, actor=None, now=now
                )
            ticket.refresh_from_db()
    except IntegrityError:
        if request_key:
            existing = Callback.objects.filter(request_key=request_key).first()
            if existing is not None:
                return existing
        raise
    return callback


# ------------------------------------------------------------------------------------------
# Time: into the queue when the window starts, missed when it ends
# ------------------------------------------------------------------------------------------


def _enter_queue(callback: Callback, *, now: datetime) -> None:
    """The ticket goes (back) to the queue, at least at high priority."""
    ticket = Ticket.objects.get(pk=callback.ticket_id)
    if ticket.status in (TicketStatus.PENDING, TicketStatus.SOLVED):
        ticket = ticket_change_status(ticket=ticket, status=TicketStatus.OPEN, actor=None, now=now)
    if ticket.priority in RAISED_PRIORITIES:
        ticket_change_priority(ticket=ticket, priority=Priority.HIGH, actor=None, now=now)


def _lock(callback_id: int) -> Callback | None:
    return (
        Callback.objects.select_for_update(of=("self",))
        .select_related("ticket__customer")
        .filter(pk=callback_id)
        .first()
    )


@transaction.atomic
def callback_enqueue(*, callback_id: int, now: datetime | None = None) -> Callback | None:
    """A scheduled callback whose window has started enters the queue."""
    now = now or timezone.now()
    callback = _lock(callback_id)
    if callback is None or callback.status != CallbackStatus.SCHEDULED:
        return callback
    if callback.window_start > now:
        return callback
    if callback.ticket.status == TicketStatus.CLOSED:
        callback.status = CallbackStatus.CANCELLED
        callback.notes = _("The ticket was closed before the window.")
        callback.save()
        _event(callback, "cancelled", reason="ticket_closed")
        return callback
    callback.status = CallbackStatus.QUEUED
    callback.queued_at = now
    callback.save()
    _enter_queue(callback, now=now)
    _event(callback, "queued")
    return callback


def callbacks_advance(*, now: datetime | None = None, limit: int = 500) -> tuple[int, int]:
    """The minute task: callbacks whose window started enter the queue; those whose window
    ended unreached are missed. Returns (queued, missed)."""
    now = now or timezone.now()
    due = list(
        Callback.objects.filter(status=CallbackStatus.SCHEDULED, window_start__lte=now)
        .exclude(window_end__lte=now)
        .order_by("window_start")
        .values_list("pk", flat=True)[:limit]
    )
    for callback_id in due:
        callback_enqueue(callback_id=callback_id, now=now)
    grace = timedelta(minutes=conf("CALLBACK_CALLING_GRACE_MINUTES"))
    ended = list(
        Callback.objects.filter(
            status__in=(CallbackStatus.SCHEDULED, CallbackStatus.QUEUED), window_end__lte=now
        )
        .order_by("window_end")
        .values_list("pk", flat=True)[:limit]
    )
    ended += list(
        Callback.objects.filter(status=CallbackStatus.IN_PROGRESS, window_end__lte=now - grace)
        .order_by("window_end")
        .values_list("pk", flat=True)[:limit]
    )
    for callback_id in ended:
        callback_miss(callback_id=callback_id, now=now)
    return len(due), len(ended)


@transaction.atomic
def callback_miss(*, callback_id: int, now: datetime | None = None) -> Callback | None:
    """The window ended without reaching the customer: the ticket goes back to the queue with
    a note, and the customer is told (email, else SMS) their request stays open."""
    now = now or timezone.now()
    callback = _lock(callback_id)
    if callback is None or callback.status not in ACTIVE_CALLBACK_STATUSES:
        return callback
    _miss(callback, now=now)
    return callback


def _miss(callback: Callback, *, now: datetime) -> None:
    callback.status = CallbackStatus.MISSED
    callback.claimed_by = None
    callback.save()
    _event(callback, "missed")
    ticket = callback.ticket
    if ticket.status != TicketStatus.CLOSED:
        _enter_queue(callback, now=now)
        note = _(
            "The callback window %(window)s passed without reaching the customer "
            "(%(attempts)d attempts). Please answer them another way or call again."
        ) % {
            "window": local_window(callback.window_start, callback.window_end, callback.time_zone),
            "attempts": callback.attempts,
        }
        ticket_add_note(ticket=ticket, actor=cast(Any, None), body_text=note, now=now)
    _notify_missed(callback)


def _notify_missed(callback: Callback) -> None:
    from calmdesk.inbox.services import tracking_url

    ticket = callback.ticket
    with translation.override(callback.language or "en"), timezone.override(callback.time_zone):
        window = local_window(callback.window_start, callback.window_end, callback.time_zone)
        body = _(
            "We are sorry: we could not reach you on %(phone)s between %(window)s.\n\n"
            "Your request %(reference)s stays open and we will answer you. To ask for "
            "another call, or to write to us, use your private page: %(url)s"
        ) % {
            "phone": format_number(callback.phone),
            "window": window,
            "reference": ticket.reference,
            "url": tracking_url(ticket),
        }
        subject = _("We could not reach you (%(reference)s)") % {"reference": ticket.reference}
    email = next(
        (
            i.value
            for i in ticket.customer.identities.all()
            if i.kind == IdentityKind.EMAIL and i.bounced_at is None
        ),
        "",
    )
    outbox_enqueue(
        kind="callback_missed",
        to=email or callback.phone,
        channel=OutboxChannel.EMAIL if email else OutboxChannel.SMS,
        delivery_key=f"callback-missed:{callback.pk}",
        subject=subject if email else "",
        body_text=body,
        ticket_id=ticket.pk,
    )


# ------------------------------------------------------------------------------------------
# Agents work the callback
# ------------------------------------------------------------------------------------------


def _active(callback: Callback | None) -> Callback:
    if callback is None:
        raise DomainError(_("No such callback."), code="not_found")
    if callback.status not in ACTIVE_CALLBACK_STATUSES:
        raise DomainError(
            _("This callback is already %(status)s.")
            % {"status": callback.get_status_display().lower()},
            code="conflict",
        )
    return callback


def _not_claimed_by_other(callback: Callback, actor: Any) -> None:
    if (
        callback.status == CallbackStatus.IN_PROGRESS
        and callback.claimed_by_id is not None
        and callback.claimed_by_id != actor.pk
    ):
        raise DomainError(
            _("%(agent)s is calling this customer now.")
            % {"agent": agent_label(callback.claimed_by)},
            code="conflict",
        )


@transaction.atomic
def callback_start(*, callback: Callback, actor: Any, now: datetime | None = None) -> Callback:
    """An agent starts calling: the callback is theirs (nobody else calls the same customer)
    and so is its ticket, if nobody has it."""
    now = now or timezone.now()
    locked = _active(_lock(callback.pk))
    _not_claimed_by_other(locked, actor)
    if locked.status == CallbackStatus.IN_PROGRESS:
        return locked
    locked.status = CallbackStatus.IN_PROGRESS
    locked.claimed_by = actor
    locked.save()
    _event(locked, "calling", actor=actor)
    if locked.ticket.assignee_id is None and locked.ticket.status != TicketStatus.CLOSED:
        ticket_assign(ticket=locked.ticket, assignee=actor, actor=actor, now=now)
    return locked


@transaction.atomic
def callback_attempt(
    *,
    callback: Callback,
    actor: Any,
    outcome: str,
    notes: str = "",
    duration_seconds: int = 0,
    now: datetime | None = None,
) -> Callback:
    """An agent reports a try: reached → done; wrong number → cancelled; no answer, busy or
    voicemail → retried while the window is open (missed after the last try or the window).
    The call is logged on the ticket like any other."""
    from .calls import call_log

    now = now or timezone.now()
    locked = _active(_lock(callback.pk))
    _not_claimed_by_other(locked, actor)
    if outcome not in CallOutcome.values or outcome == CallOutcome.MISSED:
        raise DomainError(_("Choose what came of the call."), field="outcome")
    call = call_log(
        actor=actor,
        direction=CallDirection.OUTBOUND,
        number=locked.phone,
        duration_seconds=duration_seconds if outcome == CallOutcome.REACHED else 0,
        outcome=outcome,
        notes=notes,
        ticket=locked.ticket,
        callback=locked,
        now=now,
    )
    _register_attempt(locked, outcome=outcome, agent=actor, notes=notes, call=call, now=now)
    return locked


def _register_attempt(
    callback: Callback, *, outcome: str, agent: Any, notes: str, call: Call | None, now: datetime
) -> None:
    CallbackAttempt.objects.create(
        callback=callback, at=now, agent=agent, outcome=outcome, notes=notes.strip(), call=call
    )
    callback.attempts += 1
    if outcome == CallOutcome.REACHED:
        callback.status = CallbackStatus.DONE
        callback.done_by = agent
        callback.done_at = now
        callback.claimed_by = None
        callback.save()
        _event(callback, "done", actor=agent, call=call.pk if call else None)
        return
    if outcome == CallOutcome.WRONG_NUMBER:
        callback.status = CallbackStatus.CANCELLED
        callback.claimed_by = None
        callback.notes = _("Wrong number.")
        callback.save()
        _event(callback, "cancelled", actor=agent, reason="wrong_number")
        _enter_queue(callback, now=now)
        return
    _event(callback, "attempt", actor=agent, outcome=outcome, call=call.pk if call else None)
    if callback.attempts >= conf("CALLBACK_MAX_ATTEMPTS") or now >= callback.window_end:
        _miss(callback, now=now)
        return
    callback.status = (
        CallbackStatus.SCHEDULED if now < callback.window_start else CallbackStatus.QUEUED
    )
    callback.claimed_by = None
    callback.save()


def callback_record_call(*, callback: Callback, call: Call, now: datetime) -> None:
    """A phone system's call on a callback's number (``calls.call_finalize``): our call to the
    customer counts as an attempt; the customer's own answered call completes it."""
    locked = _lock(callback.pk)
    if locked is None or locked.status not in ACTIVE_CALLBACK_STATUSES:
        return
    reached = call.state == CallState.COMPLETED
    if call.direction == CallDirection.OUTBOUND:
        outcome = CallOutcome.REACHED if reached else CallOutcome.NO_ANSWER
        _register_attempt(locked, outcome=outcome, agent=call.agent, notes="", call=call, now=now)
    elif reached:
        _register_attempt(
            locked, outcome=CallOutcome.REACHED, agent=call.agent, notes="", call=call, now=now
        )


@transaction.atomic
def callback_cancel(
    *,
    callback: Callback,
    actor: Any = None,
    by_customer: bool = False,
    reason: str = "",
    now: datetime | None = None,
) -> Callback:
    """Cancel a callback (the customer on their tracking page, or an agent). A ticket held out
    of the queue for it goes back to the queue: the request itself still needs an answer."""
    now = now or timezone.now()
    locked = _active(_lock(callback.pk))
    locked.status = CallbackStatus.CANCELLED
    locked.claimed_by = None
    if reason.strip():
        locked.notes = reason.strip()[:2000]
    locked.save()
    _event(
        locked,
        "cancelled",
        actor=None if by_customer else actor,
        actor_kind=ActorKind.CUSTOMER if by_customer else None,
        by="customer" if by_customer else "agent",
        reason=reason.strip()[:500],
    )
    others = Callback.objects.filter(
        ticket_id=locked.ticket_id, status__in=ACTIVE_CALLBACK_STATUSES
    ).exclude(pk=locked.pk)
    if locked.ticket.status == TicketStatus.PENDING and not others.exists():
        ticket_change_status(
            ticket=locked.ticket, status=TicketStatus.OPEN, actor=None if by_customer else actor
        )
    return locked
