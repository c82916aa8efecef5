"""Forms of the phone app: they parse and check input; the services decide."""

from __future__ import annotations

import datetime as dt
import re
from datetime import date, datetime, time
from typing import Any, cast
from zoneinfo import ZoneInfo, available_timezones

import jdatetime
from django import forms
from django.conf import settings
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from calmdesk.accounts.models import Team
from calmdesk.tickets.models import RequestType

from .models import CallDirection, CallOutcome
from .selectors import CALLBACK_VIEWS

# Where a visitor most likely is, by the language they read (the browser's own zone, sent by
# a line of script, wins).
LANGUAGE_ZONE = {"fa": "Asia/Tehran", "tr": "Europe/Istanbul", "lt": "Europe/Vilnius"}
_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_SLASHED_DATE = re.compile(r"^(\d{4})\s*[/\-.]\s*(\d{1,2})\s*[/\-.]\s*(\d{1,2})$")
_DURATION = re.compile(r"^(?:(\d{1,3}):)?(\d{1,4})(?::(\d{1,2}))?$")


def zone_choices() -> list[tuple[str, str]]:
    return [(zone, zone.replace("_", " ")) for zone in sorted(available_timezones())]


def is_persian(language: str | None = None) -> bool:
    return ((language or get_language() or "en")[:2]) == "fa"


def parse_local_date(text: str, *, persian: bool) -> date:
    """2026-12-24 (what ``<input type=date>`` sends); in Persian also 1405/10/03 (Solar Hijri,
    Persian or Arabic digits) and 2026/12/24."""
    value = (text or "").strip().translate(_DIGITS)
    match = _ISO_DATE.match(value) or (_SLASHED_DATE.match(value) if persian else None)
    if match:
        year, month, day = (int(part) for part in match.groups())
        try:
            if persian and 1300 <= year < 1500:
                return jdatetime.date(year, month, day).togregorian()
            if 1900 <= year < 2200:
                return date(year, month, day)
        except ValueError:
            pass
    if persian:
        raise forms.ValidationError(_("Enter a date like 1405/10/03 (or 2026-12-24)."))
    raise forms.ValidationError(_("Enter a date like 2026-12-24."))


def parse_duration(text: str) -> int:
    """'4:30' → 270 s; '12' → 12 min; '1:02:03' → 3723 s; '' → 0."""
    value = (text or "").strip().translate(_DIGITS)
    if not value:
        return 0
    match = _DURATION.match(value)
    if not match:
        raise forms.ValidationError(_("Write minutes (12) or minutes:seconds (4:30)."))
    first, second, third = match.groups()
    if third is not None:  # h:mm:ss
        return int(first or 0) * 3600 + int(second) * 60 + int(third)
    if first is not None:  # m:ss
        return int(first) * 60 + int(second)
    return int(second) * 60


class RequestTypeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name())


class WindowForm(forms.Form):
    """A callback window as a person gives it: a day, from, until, in their time zone."""

    date = forms.CharField(label=gettext_lazy("Day"), max_length=20)
    start = forms.TimeField(
        label=gettext_lazy("From"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    end = forms.TimeField(
        label=gettext_lazy("Until"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    timezone = forms.ChoiceField(label=gettext_lazy("Time zone"), choices=())

    def __init__(self, *args: Any, default_zone: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.persian = is_persian()
        cast(forms.ChoiceField, self.fields["timezone"]).choices = zone_choices()
        zone = default_zone or LANGUAGE_ZONE.get((get_language() or "en")[:2])
        self.fields["timezone"].initial = zone or settings.TIME_ZONE
        date_widget = self.fields["date"].widget
        if self.persian:
            date_widget.attrs.update(
                {"inputmode": "numeric", "placeholder": "1405/10/03", "dir": "ltr"}
            )
        else:
            date_widget.input_type = "date"

    def clean_date(self) -> dt.date:
        return parse_local_date(self.cleaned_data["date"], persian=self.persian)

    def window(self) -> tuple[datetime, datetime, str]:
        """The window as aware datetimes in the chosen zone (valid form only)."""
        data = self.cleaned_data
        zone = ZoneInfo(data["timezone"])
        day: dt.date = data["date"]
        start: time = data["start"]
        end: time = data["end"]
        return (
            datetime.combine(day, start, tzinfo=zone),
            datetime.combine(day, end, tzinfo=zone),
            data["timezone"],
        )


class PublicCallbackForm(WindowForm):
    """The public "call me back" page."""

    name = forms.CharField(label=gettext_lazy("Your name"), max_length=200)
    phone = forms.CharField(
        label=gettext_lazy("Phone number"),
        max_length=40,
        widget=forms.TextInput(attrs={"type": "tel", "dir": "ltr", "autocomplete": "tel"}),
    )
    email = forms.CharField(
        label=gettext_lazy("Email"),
        max_length=254,
        required=False,
        help_text=gettext_lazy("Optional: we send your reference and private tracking link."),
        widget=forms.TextInput(attrs={"type": "email", "dir": "ltr", "autocomplete": "email"}),
    )
    language = forms.ChoiceField(label=gettext_lazy("Language of the call"), choices=())
    request_type = RequestTypeChoiceField(
        label=gettext_lazy("What is it about?"),
        queryset=RequestType.objects.none(),
        required=False,
        empty_label=gettext_lazy("Choose…"),
    )
    reason = forms.CharField(
        label=gettext_lazy("What should we know before we call?"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "dir": "auto"}),
    )

    field_order = ["name", "phone", "email", "language", "request_type", "reason"]

    def __init__(self, *args: Any, request_types: list[RequestType], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["language"]).choices = [
            (code, str(name)) for code, name in settings.LANGUAGES
        ]
        self.fields["language"].initial = (get_language() or "en")[:2]
        field = cast(forms.ModelChoiceField, self.fields["request_type"])
        field.queryset = RequestType.objects.filter(pk__in=[rt.pk for rt in request_types])
        if not request_types:
            del self.fields["request_type"]


class TrackingCallbackForm(WindowForm):
    """ "Ask us to call you back" on the customer's tracking page."""

    phone = forms.CharField(
        label=gettext_lazy("Phone number"),
        max_length=40,
        widget=forms.TextInput(attrs={"type": "tel", "dir": "ltr", "autocomplete": "tel"}),
    )
    field_order = ["phone"]


class AgentCallbackForm(WindowForm):
    """An agent schedules a callback on a ticket."""

    phone = forms.CharField(
        label=gettext_lazy("Number"),
        max_length=40,
        widget=forms.TextInput(attrs={"type": "tel", "dir": "ltr"}),
    )
    reason = forms.CharField(
        label=gettext_lazy("Note"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    field_order = ["phone"]


class LogCallForm(forms.Form):
    """Log a call that just ended (on a ticket: the number is prefilled)."""

    direction = forms.ChoiceField(
        label=gettext_lazy("Direction"),
        choices=CallDirection.choices,
        initial=CallDirection.INBOUND,
    )
    number = forms.CharField(
        label=gettext_lazy("Number"),
        max_length=40,
        required=False,
        help_text=gettext_lazy("With its country code; empty for a withheld number."),
        widget=forms.TextInput(attrs={"type": "tel", "dir": "ltr"}),
    )
    duration = forms.CharField(
        label=gettext_lazy("Duration"),
        max_length=12,
        required=False,
        help_text=gettext_lazy("Minutes (12) or minutes:seconds (4:30)."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "dir": "ltr"}),
    )
    outcome = forms.ChoiceField(
        label=gettext_lazy("Outcome"),
        choices=[(v, label) for v, label in CallOutcome.choices if v != CallOutcome.MISSED],
        initial=CallOutcome.REACHED,
    )
    notes = forms.CharField(
        label=gettext_lazy("Notes"),
        max_length=10_000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean_duration(self) -> int:
        return parse_duration(self.cleaned_data.get("duration", ""))


class NewCallForm(LogCallForm):
    """A call with no ticket yet: it opens one."""

    name = forms.CharField(label=gettext_lazy("Caller's name"), max_length=200, required=False)
    subject = forms.CharField(
        label=gettext_lazy("Subject"),
        max_length=300,
        required=False,
        help_text=gettext_lazy("Empty: “Phone call from …”."),
    )
    team = forms.ModelChoiceField(
        label=gettext_lazy("Team"), queryset=Team.objects.order_by("name"), required=False
    )
    field_order = ["direction", "number", "name", "subject", "team", "duration", "outcome"]


class AttemptForm(forms.Form):
    """The agent reports a callback attempt."""

    outcome = forms.ChoiceField(
        label=gettext_lazy("Outcome"),
        choices=[(v, label) for v, label in CallOutcome.choices if v != CallOutcome.MISSED],
    )
    duration = forms.CharField(
        label=gettext_lazy("Duration"),
        max_length=12,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "dir": "ltr", "size": 6}),
    )
    notes = forms.CharField(
        label=gettext_lazy("Notes"),
        max_length=10_000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean_duration(self) -> int:
        return parse_duration(self.cleaned_data.get("duration", ""))


class CallFilterForm(forms.Form):
    day = forms.DateField(
        label=gettext_lazy("Day"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    direction = forms.ChoiceField(
        label=gettext_lazy("Direction"),
        required=False,
        choices=[("", gettext_lazy("Both")), *CallDirection.choices],
    )
    state = forms.ChoiceField(
        label=gettext_lazy("Calls"),
        required=False,
        choices=[
            ("", gettext_lazy("All")),
            ("missed", gettext_lazy("Missed")),
            ("completed", gettext_lazy("Answered")),
            ("live", gettext_lazy("Live now")),
        ],
    )
    mine = forms.BooleanField(label=gettext_lazy("Mine only"), required=False)
    q = forms.CharField(label=gettext_lazy("Number"), required=False, max_length=40)


class CallbackViewForm(forms.Form):
    view = forms.ChoiceField(choices=[(v, v) for v in CALLBACK_VIEWS], required=False)
