"""Calls and callbacks in words: durations, the call summary a ticket gets, timeline lines."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from calmdesk.core.templatetags.calmdesk import format_date, persian_digits
from calmdesk.tickets.enums import EventType

if TYPE_CHECKING:
    from calmdesk.tickets.models import TicketEvent

    from .models import Call


def format_duration(seconds: int | float | None) -> str:
    """125 → '2 min 05 s'; 3725 → '1 h 02 min'; 40 → '40 s'."""
    total = max(int(seconds or 0), 0)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return _("%(h)d h %(m)02d min") % {"h": hours, "m": minutes}
    if minutes:
        return _("%(m)d min %(s)02d s") % {"m": minutes, "s": secs}
    return _("%(s)d s") % {"s": secs}


def format_number(value: str) -> str:
    """An E.164 number in international format (+90 532 123 45 67); '' stays ''."""
    if not value:
        return ""
    import phonenumbers

    try:
        parsed = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return value
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def agent_label(user: Any) -> str:
    if user is None:
        return ""
    profile = getattr(user, "agent", None)
    name = getattr(profile, "display_name", "") if profile is not None else ""
    return str(name or user.get_full_name() or user.get_username())


def call_summary(call: Call) -> str:
    """The text a call leaves on its ticket: direction, who, duration, holds, transfers, notes."""
    from .models import CallDirection, CallState

    lines: list[str] = []
    inbound = call.direction == CallDirection.INBOUND
    number = format_number(call.customer_number) or _("a withheld number")
    if call.state == CallState.MISSED:
        if inbound:
            lines.append(_("Missed call from %(number)s.") % {"number": number})
        else:
            lines.append(
                _("Call to %(number)s, not answered (%(outcome)s).")
                % {"number": number, "outcome": call.get_outcome_display() or _("no answer")}
            )
    elif inbound:
        lines.append(_("Call from %(number)s.") % {"number": number})
    else:
        lines.append(_("Call to %(number)s.") % {"number": number})
    if call.duration_seconds:
        line = _("Duration %(duration)s") % {"duration": format_duration(call.duration_seconds)}
        if call.answered_at is not None and call.talk_seconds != call.duration_seconds:
            line += _(", talk time %(talk)s") % {"talk": format_duration(call.talk_seconds)}
        lines.append(line + ".")
    if call.agent_id is not None:
        lines.append(_("Agent: %(agent)s.") % {"agent": agent_label(call.agent)})
    if call.hold_count:
        lines.append(
            ngettext(
                "On hold %(count)d time (%(time)s).",
                "On hold %(count)d times (%(time)s).",
                call.hold_count,
            )
            % {"count": call.hold_count, "time": format_duration(call.hold_seconds)}
        )
    if call.transfer_count:
        path = " → ".join(str(t.get("to") or "?") for t in call.transfers if isinstance(t, dict))
        lines.append(
            ngettext(
                "Transferred %(count)d time: %(path)s.",
                "Transferred %(count)d times: %(path)s.",
                call.transfer_count,
            )
            % {"count": call.transfer_count, "path": path}
        )
    if call.queue:
        lines.append(_("Queue: %(queue)s.") % {"queue": call.queue})
    if call.recording_url:
        lines.append(_("Recording: %(url)s") % {"url": call.recording_url})
    if call.notes.strip():
        lines.append("")
        lines.append(_("Agent notes:"))
        lines.append(call.notes.strip())
    return "\n".join(lines)


def call_event_data(call: Call, *, revised: bool = False) -> dict[str, Any]:
    """The CALL ticket event's data: the figures reports read."""
    return {
        "call": call.pk,
        "direction": call.direction,
        "state": call.state,
        "outcome": call.outcome,
        "number": call.customer_number,
        "duration": call.duration_seconds,
        "talk": call.talk_seconds,
        "holds": call.hold_count,
        "hold_seconds": call.hold_seconds,
        "transfers": call.transfer_count,
        "transfer_list": call.transfers,
        "agent": call.agent_id,
        "queue": call.queue,
        "source": "pbx" if call.phone_system_id else "agent",
        "revised": revised,
    }


def local_window(start: datetime, end: datetime, zone: str) -> str:
    """'24 Dec 2026, 14:00 – 15:30 (Europe/Istanbul)' in the active language's calendar."""
    tz = ZoneInfo(zone)
    with timezone.override(tz):
        first = format_date(start, with_time=True)
        local_start, local_end = timezone.localtime(start), timezone.localtime(end)
        if local_start.date() == local_end.date():
            until = local_end.strftime("%H:%M")
            from django.utils.translation import get_language

            if (get_language() or "en")[:2] == "fa":
                until = persian_digits(until)
        else:
            until = format_date(end, with_time=True)
    return f"{first} – {until} ({zone})"


def describe_phone_event(event: TicketEvent) -> str:
    """One line for a CALL or CALLBACK ticket event (for the ticket's timeline)."""
    data = event.data or {}
    if event.type == EventType.CALL:
        inbound = data.get("direction") == "in"
        if data.get("state") == "missed":
            text = _("Missed call") if inbound else _("Outbound call, not answered")
        else:
            text = _("Inbound call, %(duration)s") if inbound else _("Outbound call, %(duration)s")
            text = text % {"duration": format_duration(data.get("duration"))}
        extras = []
        if data.get("holds"):
            extras.append(
                ngettext("%(n)d hold", "%(n)d holds", data["holds"]) % {"n": data["holds"]}
            )
        if data.get("transfers"):
            extras.append(
                ngettext("%(n)d transfer", "%(n)d transfers", data["transfers"])
                % {"n": data["transfers"]}
            )
        if extras:
            text += " (" + ", ".join(extras) + ")"
        if data.get("revised"):
            text += " · " + _("figures revised by a late event")
        return text
    if event.type == EventType.CALLBACK:
        action = data.get("action")
        labels = {
            "scheduled": _("Callback requested"),
            "queued": _("Callback due now: in the queue"),
            "calling": _("Calling the customer back"),
            "attempt": _("Callback attempt: %(outcome)s"),
            "done": _("Callback done"),
            "missed": _("Callback window missed"),
            "cancelled": _("Callback cancelled"),
        }
        text = labels.get(str(action), _("Callback"))
        if action == "attempt":
            from .models import CallOutcome

            outcome = data.get("outcome")
            label = CallOutcome(outcome).label if outcome in CallOutcome.values else outcome
            text = text % {"outcome": label}
        return text
    return str(event.get_type_display())
