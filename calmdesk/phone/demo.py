"""Demo data of the phone channel (``make run``): a phone system with a known token, a few
calls on the demo desk and one scheduled callback. Idempotent: running it again adds nothing.

The lead's demo loader calls ``demo_phone()`` after the demo tickets exist.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from calmdesk.accounts.models import Team
from calmdesk.core.errors import DomainError
from calmdesk.customers.models import IdentityKind
from calmdesk.sla.calendar import add_working_minutes
from calmdesk.tickets.enums import Channel, TicketStatus
from calmdesk.tickets.models import Ticket

from .models import Call, Callback, CallbackSource, CallOutcome, Extension, PhoneSystem
from .services import (
    call_event_receive,
    call_finalize,
    call_log,
    callback_request,
    parse_call_event,
)

log = logging.getLogger(__name__)

DEMO_SYSTEM = "Demo PBX"
# A fixed token, so the docs' curl and phone_simulate examples work against `make run` as is.
DEMO_TOKEN = "cdp_demo_pbx_token_change_me"  # noqa: S105 - demo data, documented as such
DEMO_CALLBACK_KEY = "demo:callback:1"


def demo_phone(*, now: datetime | None = None, verbose: bool = True) -> PhoneSystem:
    """Create the demo phone system, its calls and one callback (once)."""
    now = now or timezone.now()
    team = Team.objects.order_by("name").first()
    system, _created = PhoneSystem.objects.get_or_create(
        name=DEMO_SYSTEM,
        defaults={"token": DEMO_TOKEN, "team": team, "default_region": "TR", "language": "en"},
    )
    agents = list(
        get_user_model()
        .objects.filter(is_active=True, agent__isnull=False)
        .order_by("username")[:2]
    )
    for number, agent in zip(("201", "202"), agents, strict=False):
        Extension.objects.get_or_create(
            phone_system=system, number=number, defaults={"agent": agent}
        )
    _demo_pbx_calls(system, now=now)
    if agents:
        _demo_logged_call(agents[0], now=now)
    _demo_callback(now=now)
    if verbose:
        log.info(
            "Demo phone system %r: POST /hooks/phone/events/ with 'Authorization: Bearer %s' "
            "(python manage.py phone_simulate --token %s)",
            system.name,
            system.token,
            system.token,
        )
        print(f"Phone webhook token ({system.name}): {system.token}")
    return system


def _post(
    system: PhoneSystem,
    call_id: str,
    events: list[tuple[str, int, dict[str, str]]],
    *,
    start: datetime,
) -> None:
    for kind, offset, extra in events:
        payload = {
            "call_id": call_id,
            "event": kind,
            "at": (start + timedelta(seconds=offset)).isoformat(),
            **extra,
        }
        try:
            call_event_receive(system=system, event=parse_call_event(payload))
        except DomainError:
            log.warning("demo call %s: event %s refused", call_id, kind)
    call = Call.objects.filter(phone_system=system, external_id=call_id).first()
    if call is not None:
        call_finalize(call_id=call.pk)


def _demo_pbx_calls(system: PhoneSystem, *, now: datetime) -> None:
    answered = [
        ("ringing", 0, {"from": "0532 418 22 90", "to": "+902125550000", "queue": "support"}),
        ("answered", 11, {"agent": "201"}),
        ("hold", 80, {}),
        ("resume", 131, {}),
        ("transfer", 190, {"agent": "201", "transfer_to": "202"}),
        ("ended", 402, {"recording_url": "https://pbx.example.com/recordings/demo-1.wav"}),
    ]
    _post(system, "demo-1", answered, start=now - timedelta(hours=3))
    missed = [
        ("ringing", 0, {"from": "+37061555123", "to": "+902125550000", "queue": "support"}),
        ("ended", 38, {}),
    ]
    _post(system, "demo-2", missed, start=now - timedelta(minutes=40))


def _demo_logged_call(agent: object, *, now: datetime) -> None:
    ticket = (
        Ticket.objects.filter(status__in=(TicketStatus.NEW, TicketStatus.OPEN))
        .exclude(channel=Channel.PHONE)
        .order_by("id")
        .first()
    )
    if ticket is None or Call.objects.filter(ticket=ticket, phone_system__isnull=True).exists():
        return
    number = next(
        (i.value for i in ticket.customer.identities.all() if i.kind == IdentityKind.PHONE),
        "+905324180001",
    )
    call_log(
        actor=agent,
        direction="in",
        number=number,
        duration_seconds=263,
        outcome=CallOutcome.REACHED,
        notes="Called to check the request was received; promised an answer by email today.",
        ticket=ticket,
        now=now - timedelta(minutes=25),
    )


def _demo_callback(*, now: datetime) -> None:
    if Callback.objects.filter(request_key=DEMO_CALLBACK_KEY).exists():
        return
    ticket = (
        Ticket.objects.filter(status__in=(TicketStatus.NEW, TicketStatus.OPEN))
        .exclude(callbacks__isnull=False)
        .order_by("-id")
        .first()
    )
    if ticket is None:
        return
    begin = now + timedelta(hours=2)
    for _attempt in range(10):
        start = add_working_minutes(ticket.team, begin, 0).replace(minute=0, second=0)
        start = max(start, now + timedelta(minutes=30))
        try:
            callback_request(
                phone="+905324180077",
                window_start=start,
                window_end=start + timedelta(hours=1),
                timezone_name=ticket.team.time_zone if ticket.team else "UTC",
                language=ticket.language,
                source=CallbackSource.TRACKING,
                ticket=ticket,
                reason="Prefers to talk it through on the phone.",
                request_key=DEMO_CALLBACK_KEY,
                now=now,
            )
            return
        except DomainError:
            begin = start + timedelta(hours=1)
