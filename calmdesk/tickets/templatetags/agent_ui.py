"""Small presentation helpers for the agent workspace: due times, ages, the event timeline."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any, cast

from django import template
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.timesince import TIME_STRINGS, timesince, timeuntil
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from calmdesk.tickets.enums import Channel, EventType, Priority, TicketStatus
from calmdesk.tickets.models import Ticket, TicketEvent, format_reference
from calmdesk.tickets.selectors import QueueRow

register = template.Library()


def _agent_name(user: Any) -> str:
    if user is None:
        return _("someone")
    profile = getattr(user, "agent", None)
    return (profile.display_name if profile else "") or user.get_full_name() or user.get_username()


@register.filter
def agent_name(user: Any) -> str:
    return _agent_name(user)


def due_at(ticket: Ticket | QueueRow) -> datetime | None:
    """The deadline that matters now: the first reply until it is sent, then the resolution."""
    if ticket.status in (TicketStatus.SOLVED, TicketStatus.CLOSED):
        return None
    if ticket.first_replied_at is None:
        return ticket.first_reply_due_at
    return ticket.resolution_due_at


@register.simple_tag
def due_label(ticket: Ticket | QueueRow, now: datetime | None = None) -> SafeString:
    """'due in 2 hours' or 'overdue 3 hours', with the exact time on hover."""
    due = due_at(ticket)
    if due is None:
        return mark_safe('<span class="muted">—</span>')
    now = now or timezone.now()
    from calmdesk.core.templatetags.calmdesk import format_date

    exact = format_date(due, with_time=True)
    if due <= now:
        return format_html(
            '<span class="due due-overdue" title="{}">{}</span>',
            exact,
            _("overdue %(time)s") % {"time": timesince(due, now, depth=1, time_strings=_units())},
        )
    soon = (due - now).total_seconds() < 3600
    return format_html(
        '<span class="due{}" title="{}">{}</span>',
        " due-soon" if soon else "",
        exact,
        _("due in %(time)s") % {"time": timeuntil(due, now, depth=1, time_strings=_units())},
    )


@register.simple_tag
def age(value: datetime, now: datetime | None = None) -> str:
    return timesince(value, now or timezone.now(), depth=1, time_strings=_units())


class _Unit:
    """One of ``timesince``'s phrases ("%(num)d hours") in one language: each number is
    translated once per process, not on every row of every page."""

    def __init__(self, unit: str, language: str | None) -> None:
        self.unit, self.language = unit, language

    def __mod__(self, params: dict[str, int]) -> str:
        return _unit_text(self.unit, params["num"], self.language)


@lru_cache(maxsize=1024)
def _unit_text(unit: str, num: int, language: str | None) -> str:
    return str(TIME_STRINGS[unit] % {"num": num})


@lru_cache(maxsize=16)
def _units_in(language: str | None) -> dict[str, _Unit]:
    return {unit: _Unit(unit, language) for unit in TIME_STRINGS}


def _units() -> dict[str, str]:
    """``time_strings`` for ``timesince``/``timeuntil`` in the active language (typed as the
    strings Django's own lazy phrases stand for: ``timesince`` only applies ``%`` to them)."""
    return cast("dict[str, str]", _units_in(get_language()))


@lru_cache(maxsize=64)
def _choice_labels(choices: type[Any], language: str | None) -> dict[str, str]:
    """``{value: label}`` of a choices class in one language (the catalogs do not change while
    the process runs). A model's ``get_FOO_display`` translates every choice on every call."""
    return {str(value): str(label) for value, label in choices.choices}


@register.filter
def priority_label(priority: str) -> str:
    """``Ticket.get_priority_display`` for a bare value (a queue row)."""
    return _choice_labels(Priority, get_language()).get(priority, priority)


@register.filter
def status_label(status: str) -> str:
    """``Ticket.get_status_display`` for a bare value (a queue row)."""
    return _choice_labels(TicketStatus, get_language()).get(status, status)


@register.filter
def priority_class(priority: str) -> str:
    classes: dict[str, str] = {Priority.URGENT: "badge-urgent", Priority.HIGH: "badge-high"}
    return classes.get(priority, "")


@register.filter
def status_class(status: str) -> str:
    return f"status-{status}"


def _label(choices: type[Any], value: Any) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value) if value not in (None, "") else _("(none)")


def _name(mapping: dict[Any, Any], key: Any) -> str:
    if key in (None, ""):
        return _("(none)")
    obj = mapping.get(key)
    if obj is None:
        return _("(deleted #%(id)s)") % {"id": key}
    return obj.name() if callable(getattr(obj, "name", None)) else str(obj)


def describe_event(event: TicketEvent, lookups: Any) -> str:
    """One line in words for each event type, in the active language."""
    data = event.data or {}
    kind = event.type
    if kind in (EventType.CALL, EventType.CALLBACK):
        from calmdesk.phone.text import describe_phone_event

        return describe_phone_event(event)
    if kind == EventType.CREATED:
        return _("Created via %(channel)s") % {"channel": _label(Channel, data.get("channel"))}
    if kind == EventType.CUSTOMER_MESSAGE:
        return _("The customer wrote via %(channel)s") % {
            "channel": _label(Channel, data.get("channel"))
        }
    if kind == EventType.AGENT_REPLY:
        return _("First reply sent") if data.get("first_reply") else _("Reply sent")
    if kind == EventType.NOTE:
        return _("Internal note added")
    if kind == EventType.STATUS:
        return _("Status: %(before)s → %(after)s") % {
            "before": _label(TicketStatus, data.get("from")),
            "after": _label(TicketStatus, data.get("to")),
        }
    if kind == EventType.PRIORITY:
        return _("Priority: %(before)s → %(after)s") % {
            "before": _label(Priority, data.get("from")),
            "after": _label(Priority, data.get("to")),
        }
    if kind == EventType.REQUEST_TYPE:
        return _("Request type: %(before)s → %(after)s") % {
            "before": _name(lookups.request_types, data.get("from")),
            "after": _name(lookups.request_types, data.get("to")),
        }
    if kind == EventType.TRANSFER:
        return _("Transferred: %(before)s → %(after)s") % {
            "before": _name(lookups.teams, data.get("from")),
            "after": _name(lookups.teams, data.get("to")),
        }
    if kind == EventType.ASSIGN:
        before, after = data.get("from"), data.get("to")
        return _("Assignee: %(before)s → %(after)s") % {
            "before": _agent_name(lookups.users.get(before)) if before else _("(nobody)"),
            "after": _agent_name(lookups.users.get(after)) if after else _("(nobody)"),
        }
    if kind == EventType.TAGS:
        return _("Tags: %(before)s → %(after)s") % {
            "before": ", ".join(data.get("from") or []) or _("(none)"),
            "after": ", ".join(data.get("to") or []) or _("(none)"),
        }
    if kind == EventType.TRIAGE:
        before, after = data.get("before") or {}, data.get("after") or {}
        parts = [_("Rules applied: %(rules)s") % {"rules": ", ".join(data.get("rules") or [])}]
        if before.get("priority") != after.get("priority"):
            parts.append(
                _("priority %(before)s → %(after)s")
                % {
                    "before": _label(Priority, before.get("priority")),
                    "after": _label(Priority, after.get("priority")),
                }
            )
        if before.get("team") != after.get("team"):
            parts.append(
                _("team %(before)s → %(after)s")
                % {
                    "before": _name(lookups.teams, before.get("team")),
                    "after": _name(lookups.teams, after.get("team")),
                }
            )
        if data.get("tags_added"):
            parts.append(_("tags added: %(tags)s") % {"tags": ", ".join(data["tags_added"])})
        return "; ".join(parts)
    if kind == EventType.AUTORESPONDER:
        return _("Acknowledgement sent to the customer")
    if kind == EventType.ALERT:
        if data.get("acknowledged"):
            return _("Alert acknowledged")
        return _("Alert raised: no agent reply yet")
    if kind == EventType.REOPENED:
        return _("Reopened by the customer")
    if kind in MERGE_EVENTS:
        return describe_merge_event(event)
    if kind == EventType.DELIVERY:
        detail = data.get("error") or data.get("status") or ""
        text = _("Delivery problem on %(channel)s") % {
            "channel": _label(Channel, data.get("channel") or Channel.EMAIL)
        }
        return f"{text}: {detail}" if detail else text
    return str(event.get_type_display())


MERGE_EVENTS = (EventType.MERGED, EventType.MERGED_INTO, EventType.SPLIT, EventType.SPLIT_FROM)


def _ticket_link(pk: Any, reference: Any) -> SafeString:
    from django.urls import NoReverseMatch, reverse

    label = reference or format_reference(pk if isinstance(pk, int) else None) or "?"
    try:
        return format_html('<a href="{}">{}</a>', reverse("tickets:detail", args=[pk]), label)
    except NoReverseMatch:
        return format_html("{}", label)


def describe_merge_event(event: TicketEvent) -> SafeString:
    """Merge and split events in words, with a link to the other ticket."""
    data = event.data or {}
    count = len(data.get("messages") or [])
    messages = ngettext("%(n)d message", "%(n)d messages", count) % {"n": count}
    if event.type == EventType.MERGED:
        text = _("%(ticket)s merged into this ticket (%(messages)s moved here)")
        link = _ticket_link(data.get("source"), data.get("source_reference"))
    elif event.type == EventType.MERGED_INTO:
        text = _("Merged into %(ticket)s (%(messages)s moved there)")
        link = _ticket_link(data.get("target"), data.get("target_reference"))
    elif event.type == EventType.SPLIT:
        text = _("%(messages)s split off into %(ticket)s")
        link = _ticket_link(data.get("ticket"), data.get("reference"))
    else:
        text = _("Split from %(ticket)s (%(messages)s)")
        link = _ticket_link(data.get("ticket"), data.get("reference"))
    return format_html(
        text.replace("%(ticket)s", "{ticket}").replace("%(messages)s", "{messages}"),
        ticket=link,
        messages=messages,
    )


@register.simple_tag
def event_text(event: TicketEvent, lookups: Any) -> str:
    return describe_event(event, lookups)


# ------------------------------------------------------------------------------------------
# Channels, deliveries and merge evidence (one conversation across channels)
# ------------------------------------------------------------------------------------------

# Symbols every common font has (Dingbats and Miscellaneous Symbols; no emoji font needed).
CHANNEL_ICONS: dict[str, str] = {
    Channel.FORM: "\u270e",  # pencil
    Channel.API: "\u2699",  # gear
    Channel.EMAIL: "\u2709",  # envelope
    Channel.CHAT: "\u275d",  # speech quotation mark
    Channel.SMS: "\u2706",  # telephone location sign
    Channel.PHONE: "\u260e",  # telephone
    Channel.WHATSAPP: "\u2706",
    Channel.TELEGRAM: "\u27a4",  # arrowhead (a paper plane)
    Channel.MESSAGING: "\u275e",
}


@register.simple_tag
def channel_badge(channel: str, label: bool = True) -> SafeString:
    """A channel as icon + name ("✉ Email"); ``label=False``: the icon alone, named on hover
    and for screen readers."""
    return _channel_badge(channel, label, get_language())


@register.simple_tag
def channel_badges(channels: list[str]) -> SafeString:
    """``channel_badge`` of each channel, one after the other (a queue row's channels)."""
    language = get_language()
    badges = [_channel_badge(channel, True, language) for channel in channels]
    return mark_safe("".join(badges))  # noqa: S308 (each one built by format_html)


@receiver(setting_changed)
def _forget_translated_words(**kwargs: object) -> None:
    """The memoised words come from the catalogs of the configured languages (tests change
    them)."""
    for memo in (_unit_text, _units_in, _choice_labels, _channel_badge):
        memo.cache_clear()


@lru_cache(maxsize=256)
def _channel_badge(channel: str, label: bool, language: str | None) -> SafeString:
    """The badge's HTML depends on the channel and the language only: built once each."""
    name = _label(Channel, channel)
    icon = CHANNEL_ICONS.get(channel, "\u2022")
    if label:
        return format_html(
            '<span class="chan chan-{}"><span aria-hidden="true">{}</span> {}</span>',
            channel,
            icon,
            name,
        )
    return format_html(
        '<span class="chan chan-{} chan-icon" title="{}"><span aria-hidden="true">{}</span>'
        '<span class="visually-hidden">{}</span></span>',
        channel,
        name,
        icon,
        name,
    )


@register.filter
def channel_label(channel: str) -> str:
    return _label(Channel, channel)


@register.filter
def phone_display(value: str) -> str:
    """+905321234567 → '+90 532 123 45 67'; anything else as it is."""
    if not value or not value.startswith("+"):
        return value
    import phonenumbers

    try:
        parsed = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return value
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def describe_reason(reason: dict[str, Any]) -> str:
    """One piece of merge evidence in words (the kinds: docs/dedup.md). Unknown kinds are shown
    by name and value."""
    kind = str(reason.get("kind") or "")
    value = reason.get("value")
    text = _value_text(value)
    simple = {
        "same_customer": _("same customer"),
        "same_request_type": _("same request type"),
        "request_type": _("same request type"),
        "thread": _("reply in the conversation"),
        "chaser": _("asks for news"),
        "only_open_request": _("the customer's only open request"),
        "recently_solved": _("solved recently"),
    }
    if kind in simple:
        return simple[kind]
    if kind in ("booking_reference", "same_booking", "same_booking_reference"):
        return _("same booking reference %(ref)s") % {"ref": text}
    if kind in ("similar_text", "text"):
        return _("similar text %(pct)s %%") % {"pct": _percent(value)}
    if kind in ("similar_name", "name"):
        if value is None:
            return _("similar name")
        return _("similar name %(pct)s %%") % {"pct": _percent(value)}
    if kind in ("same_incident", "incident"):
        return _("same incident %(slug)s") % {"slug": text}
    if kind in ("same_identity", "identity"):
        return _("same %(what)s") % {"what": _identity_kind(value) or _("address")}
    if kind == "recognised_by":
        return _("recognised by their %(what)s") % {"what": _identity_kind(value)}
    if kind == "shares_identity":
        return _("one of them typed the other's %(what)s") % {"what": _identity_kind(value)}
    if kind == "other_customer":
        return _("another customer: %(name)s") % {"name": text}
    if kind == "same_family_name":
        return _("same family name as %(name)s") % {"name": text}
    if kind == "common_name":
        return _("a common name (%(count)s customers)") % {"count": text}
    if kind == "holds_booking":
        return _("holds booking %(ref)s") % {"ref": text}
    if kind == "similar_reference":
        return _("a booking reference one character apart (%(refs)s)") % {"refs": text}
    if kind == "other_request_type":
        return _("another request type (%(change)s)") % {"change": text}
    if kind == "same_topic":
        return _("same topic: %(topics)s") % {"topics": text}
    if kind == "other_topic":
        return _("another topic (%(change)s)") % {"change": text}
    if kind == "shared_details":
        return _("shared details: %(details)s") % {"details": text}
    if kind == "channel_switch":
        return _("came back on another channel (%(change)s)") % {"change": text}
    if kind in ("recent", "recent_activity"):
        weight = reason.get("weight")
        if isinstance(weight, int | float) and weight < 0:
            return _("no activity for over a week")
        return _("recent activity")
    if kind == "ambiguous":
        return _("another open request is as likely (%(ref)s)") % {"ref": text}
    label = kind.replace("_", " ").strip() or _("other evidence")
    if value in (None, "", True):
        return label
    return f"{label}: {text}"


def _value_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def _identity_kind(value: Any) -> str:
    from calmdesk.customers.models import IdentityKind

    try:
        return str(IdentityKind(value).label).lower()
    except ValueError:
        return _value_text(value)


def _percent(value: Any) -> str:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    return str(round(number * 100) if number <= 1 else round(number))


@register.filter
def reason_text(reason: Any) -> str:
    return describe_reason(reason) if isinstance(reason, dict) else str(reason)


@register.filter
def evidence_text(evidence: Any) -> str:
    """A contact's or suggestion's evidence ({"reasons": [...]}) as one line of words."""
    reasons = (evidence or {}).get("reasons") if isinstance(evidence, dict) else None
    return ", ".join(describe_reason(r) for r in reasons or [] if isinstance(r, dict))


def _moved_phrase(key: str, n: int) -> str:
    phrases = {
        "identities": ngettext("%(n)d identity", "%(n)d identities", n),
        "tickets": ngettext("%(n)d ticket", "%(n)d tickets", n),
        "bookings": ngettext("%(n)d booking", "%(n)d bookings", n),
        "contacts": ngettext("%(n)d contact", "%(n)d contacts", n),
    }
    phrase = phrases.get(key) or ngettext("%(n)d other record", "%(n)d other records", n)
    return phrase % {"n": n}


@register.filter
def moved_summary(moved: Any) -> str:
    """A customer merge's ``moved`` (ids per kind) or a preview (counts per kind) in words:
    "2 identities, 3 tickets, 5 contacts"."""
    if not isinstance(moved, dict):
        return ""
    parts = []
    for key, value in moved.items():
        if key in ("kept", "copied"):
            continue
        n = len(value) if isinstance(value, list) else int(value or 0)
        if n:
            parts.append(_moved_phrase(key, n))
    return ", ".join(parts) or _("nothing")


@register.simple_tag
def include_if_exists(template_name: str) -> bool:
    """Whether a template exists (another app provides it): guard an ``{% include %}``."""
    from django.template import TemplateDoesNotExist
    from django.template.loader import get_template

    try:
        get_template(template_name)
    except TemplateDoesNotExist:
        return False
    return True


@register.simple_tag
def event_actor(event: TicketEvent) -> str:
    if event.actor_user_id:
        return _agent_name(event.actor_user)
    if event.actor_kind == "customer":
        return _("Customer")
    return _("Calmdesk")


@register.filter
def minutes_label(minutes: int | None) -> str:
    """An announced wait in words: 'about 45 minutes', 'about 6 hours', 'about 2 days'."""
    if minutes is None:
        return ""
    if minutes < 90:
        return ngettext("about %(n)d minute", "about %(n)d minutes", minutes) % {"n": minutes}
    hours = round(minutes / 60)
    if hours < 48:
        return ngettext("about %(n)d hour", "about %(n)d hours", hours) % {"n": hours}
    days = round(minutes / 1440)
    return ngettext("about %(n)d day", "about %(n)d days", days) % {"n": days}
