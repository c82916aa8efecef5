"""WRITES on calls: events posted by a phone system, calls logged by agents, and the contact a
finished call leaves on its ticket.

A phone system posts each call event (``call_event_receive``). Events are stored once (their
key), the call's figures are recomputed from all its events sorted by time — so an ``ended`` that
arrives before ``answered`` still gives the right duration — and impossible input is refused with
a ``DomainError`` (the webhook answers 409/422). ``PHONE_FINALIZE_DELAY_SECONDS`` after ``ended``
the call is written to a ticket (``call_finalize``): one contact through
``conversations.contact_receive`` (so a second call on an open problem follows it up) and a
``CALL`` event with duration, holds and transfers. An event that arrives after that revises the
call and records a revised ``CALL`` event.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from calmdesk.accounts.models import Team
from calmdesk.conversations.services import InboundContact, contact_receive
from calmdesk.core.errors import DomainError
from calmdesk.customers.models import IdentityKind
from calmdesk.customers.services import normalize_phone
from calmdesk.tickets.enums import Channel, EventType, TicketStatus
from calmdesk.tickets.events import record_event
from calmdesk.tickets.models import Ticket
from calmdesk.tickets.services import ticket_add_note

from ..conf import conf
from ..models import (
    Call,
    Callback,
    CallDirection,
    CallEvent,
    CallEventType,
    CallOutcome,
    CallState,
    PhoneSystem,
)
from ..text import call_event_data, call_summary, format_number
from .webhook import (
    CallEventInput,
    WebhookError,
    phone_number_or_blank,
    resolve_agent,
)

log = logging.getLogger(__name__)

MAX_CALL_SECONDS = 12 * 3600
# Events of one call in the order they happen when they share a timestamp.
_SAME_TIME_ORDER: dict[str, int] = {
    CallEventType.RINGING: 0,
    CallEventType.ANSWERED: 1,
    CallEventType.HOLD: 2,
    CallEventType.RESUME: 3,
    CallEventType.TRANSFER: 4,
    CallEventType.ENDED: 5,
}
# A call a phone system never reported as ended is closed after this long without events.
STALE_CALL = timedelta(hours=6)


# ------------------------------------------------------------------------------------------
# Events → the call's figures
# ------------------------------------------------------------------------------------------


@dataclass
class CallEventResult:
    call: Call
    duplicate: bool  # this event was received before: nothing changed


def _conflict(message: str) -> WebhookError:
    return WebhookError(message, status=409, code="conflict")


def _check_consistent(existing: list[CallEvent], new: CallEventInput) -> None:
    """Refuse an event that cannot belong to this call whatever arrives later."""
    ended = next((e for e in existing if e.type == CallEventType.ENDED), None)
    if new.event == CallEventType.ENDED:
        if ended is not None:
            raise _conflict(_("This call already ended at %(at)s.") % {"at": ended.at.isoformat()})
        late = [e for e in existing if e.at > new.at]
        if late:
            raise _conflict(
                _("The call cannot end before its '%(event)s' event at %(at)s.")
                % {"event": late[0].type, "at": late[0].at.isoformat()}
            )
    elif ended is not None and new.at > ended.at:
        raise _conflict(
            _("The call ended at %(at)s; '%(event)s' comes after its end.")
            % {"at": ended.at.isoformat(), "event": new.event}
        )
    answers = [e.at for e in existing if e.type == CallEventType.ANSWERED]
    first_answer = min(answers) if answers else None
    mid_call = (CallEventType.HOLD, CallEventType.RESUME, CallEventType.TRANSFER)
    if new.event in mid_call and first_answer is not None and new.at < first_answer:
        raise _conflict(
            _("'%(event)s' before the call was answered at %(at)s.")
            % {"event": new.event, "at": first_answer.isoformat()}
        )
    if new.event == CallEventType.ANSWERED and (first_answer is None or new.at < first_answer):
        early = [e for e in existing if e.type in mid_call and e.at < new.at]
        if early:
            raise _conflict(
                _("'%(event)s' at %(at)s came before this answer.")
                % {"event": early[0].type, "at": early[0].at.isoformat()}
            )


def _seconds(delta: timedelta) -> int:
    return max(round(delta.total_seconds()), 0)


def recompute_call(call: Call, events: list[CallEvent]) -> None:
    """Set the call's state, times, durations, holds, transfers and agent from its events,
    in time order (whatever order they arrived in)."""
    if not events:
        return
    ordered = sorted(events, key=lambda e: (e.at, _SAME_TIME_ORDER.get(e.type, 9), e.pk or 0))
    ringing = [e.at for e in ordered if e.type == CallEventType.RINGING]
    call.started_at = ringing[0] if ringing else ordered[0].at
    answers = [e for e in ordered if e.type == CallEventType.ANSWERED]
    call.answered_at = answers[0].at if answers else None
    ended = next((e for e in ordered if e.type == CallEventType.ENDED), None)
    call.ended_at = ended.at if ended is not None else None
    hold_started: datetime | None = None
    hold_count = 0
    hold_total = timedelta()
    transfers: list[dict[str, Any]] = []
    agent_id: int | None = None
    agent_ref = ""
    for event in ordered:
        data = event.data or {}
        if event.type == CallEventType.ANSWERED:
            if data.get("agent_id"):
                agent_id = data["agent_id"]
            agent_ref = data.get("agent") or agent_ref
        elif event.type == CallEventType.HOLD and hold_started is None:
            hold_started = event.at
            hold_count += 1
        elif event.type == CallEventType.RESUME and hold_started is not None:
            hold_total += event.at - hold_started
            hold_started = None
        elif event.type == CallEventType.TRANSFER:
            source = data.get("agent") or agent_ref
            transfers.append(
                {
                    "at": event.at.isoformat(),
                    "from": source,
                    "to": data.get("transfer_to", ""),
                    "agent": data.get("transfer_agent_id"),
                }
            )
            agent_ref = data.get("transfer_to") or agent_ref
            if data.get("transfer_agent_id"):
                agent_id = data["transfer_agent_id"]
    if hold_started is not None and call.ended_at is not None:
        hold_total += call.ended_at - hold_started
    call.hold_count = hold_count
    call.hold_seconds = _seconds(hold_total)
    call.transfers = transfers
    call.transfer_count = len(transfers)
    if agent_id is not None:
        call.agent_id = agent_id
    if call.ended_at is not None:
        call.duration_seconds = _seconds(call.ended_at - call.started_at)
        if call.answered_at is not None:
            talk = _seconds(call.ended_at - call.answered_at) - call.hold_seconds
            call.talk_seconds = max(talk, 0)
            call.state = CallState.COMPLETED
            call.outcome = CallOutcome.REACHED
        else:
            call.talk_seconds = 0
            call.state = CallState.MISSED
            call.outcome = CallOutcome.MISSED
    elif hold_started is not None:
        call.state = CallState.ON_HOLD
    elif call.answered_at is not None:
        call.state = CallState.IN_PROGRESS
    else:
        call.state = CallState.RINGING


def _figures(call: Call) -> tuple[Any, ...]:
    return (
        call.state,
        call.duration_seconds,
        call.talk_seconds,
        call.hold_count,
        call.hold_seconds,
        call.transfer_count,
        call.agent_id,
    )


def _lock_or_create(system: PhoneSystem, event: CallEventInput, now: datetime) -> Call:
    lookup = {"phone_system": system, "external_id": event.call_id}
    call = Call.objects.select_for_update().filter(**lookup).first()
    if call is not None:
        return call
    try:
        with transaction.atomic():
            return Call.objects.create(
                **lookup,
                direction=event.direction or CallDirection.INBOUND,
                started_at=event.at,
                created_at=now,
            )
    except IntegrityError:  # created meanwhile by a concurrent event of the same call
        return Call.objects.select_for_update().get(**lookup)


def _fill_from_event(call: Call, system: PhoneSystem, event: CallEventInput) -> None:
    """Numbers, direction, queue and recording: the first value given stays (the recording:
    the latest)."""
    region = system.default_region or None
    if event.direction:
        call.direction = event.direction
    if event.from_raw and not call.raw_from:
        call.raw_from = event.from_raw
    if event.to_raw and not call.raw_to:
        call.raw_to = event.to_raw
    call.from_number = phone_number_or_blank(call.raw_from, region=region)
    call.to_number = phone_number_or_blank(call.raw_to, region=region)
    ours = call.to_number if call.direction == CallDirection.INBOUND else call.from_number
    call.did = ours
    if event.queue and not call.queue:
        call.queue = event.queue
    if event.recording_url:
        call.recording_url = event.recording_url


def call_event_receive(
    *, system: PhoneSystem, event: CallEventInput, now: datetime | None = None
) -> CallEventResult:
    """Store one event of a call and recompute the call. Idempotent on the event's key
    (``event_id``, else type + time): the same event twice is stored once."""
    now = now or timezone.now()
    key = (event.event_id or f"{event.event}:{event.at.isoformat()}")[:160]
    with transaction.atomic():
        call = _lock_or_create(system, event, now)
        existing = list(call.events.all())
        if any(e.key == key for e in existing):
            return CallEventResult(call=call, duplicate=True)
        _check_consistent(existing, event)
        data: dict[str, Any] = {}
        for name in ("from_raw", "to_raw", "agent", "queue", "transfer_to", "recording_url"):
            value = getattr(event, name)
            if value:
                data[name.removesuffix("_raw")] = value
        if event.agent:
            data["agent_id"] = resolve_agent(system, event.agent)
        if event.transfer_to:
            data["transfer_agent_id"] = resolve_agent(system, event.transfer_to)
        row = CallEvent.objects.create(
            call=call, type=event.event, at=event.at, key=key, data=data, received_at=now
        )
        before = _figures(call)
        _fill_from_event(call, system, event)
        recompute_call(call, [*existing, row])
        call.save()
        if call.finalized_at is not None and call.ticket_id is not None:
            if _figures(call) != before:
                _record_call_event(call, revised=True)
        elif call.ended_at is not None and event.event == CallEventType.ENDED:
            call_id = call.pk
            transaction.on_commit(lambda: _schedule_finalize(call_id))
    return CallEventResult(call=call, duplicate=False)


def _schedule_finalize(call_id: int) -> None:
    from huey.contrib.djhuey import HUEY

    from ..tasks import finalize_call

    delay = conf("PHONE_FINALIZE_DELAY_SECONDS")
    try:
        if delay <= 0 or HUEY.immediate:  # immediate mode (tests, debugging) has no timer
            finalize_call(call_id)
        else:
            finalize_call.schedule((call_id,), delay=delay)
    except Exception:  # the queue is down: the minute sweep finalizes the call
        log.exception("could not schedule finalizing call %s; the sweep will", call_id)


# ------------------------------------------------------------------------------------------
# A finished call → its ticket
# ------------------------------------------------------------------------------------------


def _record_call_event(call: Call, *, revised: bool = False) -> None:
    assert call.ticket is not None
    record_event(
        call.ticket,
        EventType.CALL,
        actor=call.logged_by,
        at=timezone.now() if revised else call.ended_at,
        data=call_event_data(call, revised=revised),
    )


def _subject(call: Call) -> str:
    number = format_number(call.customer_number) or _("an anonymous caller")
    if call.direction == CallDirection.OUTBOUND:
        return _("Phone call to %(number)s") % {"number": number}
    if call.state == CallState.MISSED:
        return _("Missed call from %(number)s") % {"number": number}
    return _("Phone call from %(number)s") % {"number": number}


def _matching_callback(call: Call) -> Callback | None:
    """A callback due now on this call's number: the call is (or answers) that callback."""
    from ..models import DUE_CALLBACK_STATUSES

    number = call.customer_number
    if not number:
        return None
    return (
        Callback.objects.filter(phone=number, status__in=DUE_CALLBACK_STATUSES)
        .select_related("ticket")
        .order_by("window_end", "id")
        .first()
    )


def _write_to_ticket(
    call: Call, *, name: str = "", subject: str = "", team: Team | None = None
) -> None:
    """One contact on the call's ticket (or a new ticket) and the CALL event."""
    if call.callback_id is None:
        callback = _matching_callback(call)
        if callback is not None:
            call.callback = callback
    thread: Ticket | None = call.ticket
    if thread is None and call.callback is not None:
        thread = call.callback.ticket
    if thread is not None and thread.status == TicketStatus.CLOSED:
        thread = None  # a closed ticket is not continued: the call opens a new one
    summary = call_summary(call)
    at = call.ended_at or timezone.now()
    if call.direction == CallDirection.OUTBOUND and thread is not None:
        # Our call to the customer about their ticket: an internal note, not a contact.
        author = call.logged_by or call.agent
        # A phone system's call may have no known agent: the note is then the system's.
        ticket_add_note(ticket=thread, actor=cast(Any, author), body_text=summary, now=at)
        call.ticket = thread
        call.customer_id = thread.customer_id
    else:
        number = call.customer_number
        identities: list[tuple[str, str]] = [(IdentityKind.PHONE, number)] if number else []
        if thread is not None:
            # An unknown number on a known conversation becomes that customer's number.
            identities += [(i.kind, i.value) for i in thread.customer.identities.all()]
        system = call.phone_system
        external_key = (
            f"phone:{system.pk}:{call.external_id}" if system else f"phone:agent:{call.pk}"
        )
        result = contact_receive(
            InboundContact(
                channel=Channel.PHONE,
                identities=identities,
                name=name or ("" if identities else _("Anonymous caller")),
                subject=subject or _subject(call),
                body_text=summary,
                language=system.language if system else "en",
                team=team or (system.team if system else None),
                thread=thread,
                external_key=external_key,
                external_id=call.external_id,
                acknowledge=False,
            ),
            now=at,
        )
        call.ticket = result.ticket
        call.customer_id = (
            result.contact.customer_id if result.contact is not None else result.ticket.customer_id
        )
        if result.duplicate:
            return
    _record_call_event(call)


def call_finalize(*, call_id: int, now: datetime | None = None) -> Call | None:
    """Write an ended call to its ticket, once. Returns the call (None when it is gone)."""
    now = now or timezone.now()
    with transaction.atomic():
        call = (
            # Only the call's row: PostgreSQL refuses FOR UPDATE on the nullable side of a join.
            Call.objects.select_for_update(of=("self",))
            .select_related("phone_system__team", "callback__ticket", "ticket", "agent__agent")
            .filter(pk=call_id)
            .first()
        )
        if call is None or call.finalized_at is not None or call.ended_at is None:
            return call
        _write_to_ticket(call)
        call.finalized_at = now
        call.save()
        if call.callback is not None:
            from .callbacks import callback_record_call

            callback_record_call(callback=call.callback, call=call, now=now)
    return call


def calls_sweep(*, now: datetime | None = None, limit: int = 200) -> int:
    """The minute sweep: finalize ended calls whose task was lost, and close calls a phone
    system never reported as ended. Returns how many calls it finalized."""
    now = now or timezone.now()
    delay = timedelta(seconds=conf("PHONE_FINALIZE_DELAY_SECONDS"))
    due = list(
        Call.objects.filter(
            finalized_at__isnull=True, ended_at__isnull=False, updated_at__lte=now - delay
        )
        .order_by("ended_at")
        .values_list("pk", flat=True)[:limit]
    )
    stale = Call.objects.filter(
        finalized_at__isnull=True,
        ended_at__isnull=True,
        phone_system__isnull=False,
        updated_at__lte=now - STALE_CALL,
    ).values_list("pk", flat=True)[:limit]
    for call_id in stale:
        _close_stale(call_id, now=now)
        due.append(call_id)
    for call_id in due:
        call_finalize(call_id=call_id, now=now)
    return len(due)


def _close_stale(call_id: int, *, now: datetime) -> None:
    """A call with no ``ended`` for hours: ended at its last event, so it reaches its ticket."""
    with transaction.atomic():
        call = Call.objects.select_for_update().filter(pk=call_id, ended_at__isnull=True).first()
        if call is None:
            return
        events = list(call.events.all())
        last = max((e.at for e in events), default=call.started_at)
        row = CallEvent.objects.create(
            call=call,
            type=CallEventType.ENDED,
            at=last,
            key=f"ended:stale:{last.isoformat()}",
            data={"stale": True},
            received_at=now,
        )
        recompute_call(call, [*events, row])
        call.save()


# ------------------------------------------------------------------------------------------
# Calls agents log by hand
# ------------------------------------------------------------------------------------------


def call_log(
    *,
    actor: Any,
    direction: str,
    number: str,
    duration_seconds: int,
    outcome: str,
    notes: str = "",
    ticket: Ticket | None = None,
    name: str = "",
    subject: str = "",
    team: Team | None = None,
    region: str | None = None,
    callback: Callback | None = None,
    now: datetime | None = None,
) -> Call:
    """An agent logs a call that just ended (on a ticket, or opening one): a contact on the
    ticket and a CALL event, like a phone system's call."""
    now = now or timezone.now()
    if direction not in CallDirection.values:
        raise DomainError(_("Choose inbound or outbound."), field="direction")
    missed_outbound = outcome == CallOutcome.MISSED and direction == CallDirection.OUTBOUND
    if outcome not in CallOutcome.values or missed_outbound:
        raise DomainError(_("Choose what came of the call."), field="outcome")
    if not 0 <= duration_seconds <= MAX_CALL_SECONDS:
        raise DomainError(_("A call lasts between 0 seconds and 12 hours."), field="duration")
    number = number.strip()
    if number:
        try:
            number = normalize_phone(number, region=region)
        except DomainError as exc:
            raise DomainError(exc.message, field="number") from exc
    elif direction == CallDirection.OUTBOUND:
        raise DomainError(_("Enter the number you called."), field="number")
    reached = outcome == CallOutcome.REACHED
    if outcome == CallOutcome.MISSED:
        duration_seconds = 0
    with transaction.atomic():
        call = Call.objects.create(
            direction=direction,
            from_number=number if direction == CallDirection.INBOUND else "",
            to_number=number if direction == CallDirection.OUTBOUND else "",
            raw_from=number if direction == CallDirection.INBOUND else "",
            raw_to=number if direction == CallDirection.OUTBOUND else "",
            ticket=ticket,
            callback=callback,
            agent=actor,
            logged_by=actor,
            state=CallState.COMPLETED if reached else CallState.MISSED,
            outcome=outcome,
            started_at=now - timedelta(seconds=duration_seconds),
            answered_at=now - timedelta(seconds=duration_seconds) if reached else None,
            ended_at=now,
            duration_seconds=duration_seconds,
            talk_seconds=duration_seconds if reached else 0,
            notes=notes.strip()[:10_000],
            created_at=now,
        )
        _write_to_ticket(call, name=name.strip(), subject=subject.strip(), team=team)
        call.finalized_at = now
        call.save()
    return call
