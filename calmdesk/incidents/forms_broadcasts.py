"""Forms of the broadcast screens: they parse input; ``broadcasts`` services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, override

from calmdesk.core.errors import DomainError
from calmdesk.customers.models import CustomerImport

from .broadcasts import OUTCOMES
from .models import Broadcast, BroadcastChannel, Incident

LANGUAGE_NAMES = dict(settings.LANGUAGES)
SEGMENT_TEXT_KEYS = ("ship", "route", "trip", "product", "tag")
SEGMENT_LABELS = {
    "ship": gettext_lazy("Ship"),
    "route": gettext_lazy("Route"),
    "trip": gettext_lazy("Trip"),
    "product": gettext_lazy("Product"),
    "tag": gettext_lazy("Tag"),
    "departure_from": gettext_lazy("Departure from"),
    "departure_to": gettext_lazy("Departure to"),
    "import": gettext_lazy("Uploaded list"),
}
OUTCOME_LABELS = {
    "pending": gettext_lazy("Waiting"),
    "queued": gettext_lazy("Queued"),
    "sent": gettext_lazy("Sent"),
    "failed": gettext_lazy("Failed"),
    "bounced": gettext_lazy("Bounced"),
    "skipped": gettext_lazy("Skipped"),
}
SKIP_LABELS = {
    "opted_out": gettext_lazy("opted out"),
    "no_address": gettext_lazy("no address"),
    "bounced": gettext_lazy("address bounced"),
    "cancelled": gettext_lazy("broadcast cancelled"),
}


def starting_template(incident: Incident | None, language: str, channel: str) -> dict[str, str]:
    """A first draft of the message in ``language`` with every placeholder in place."""
    text = incident.text(language) if incident is not None else None
    with override(language):
        title = text.title if text else _("Important information about your trip")
        if channel == BroadcastChannel.SMS:
            body = _(
                "{{ name }}, {{ booking }}: %(title)s. Updates: {{ crisis_url }} "
                "Your request: {{ tracking_url }}"
            ) % {"title": title}
            return {"subject": "", "body": body}
        lines = [
            _("Dear {{ name }},"),
            "",
            text.summary if text else "",
            "",
            _("Your booking {{ booking }} (departure {{ departure }}) is affected."),
            text.what_to_do if text and text.what_to_do else "",
            "",
            _("Follow the updates: {{ crisis_url }}"),
            _("Write to us or follow your request: {{ tracking_url }}"),
        ]
        body = "\n".join(lines).replace("\n\n\n", "\n\n").strip()
        return {"subject": title, "body": body}


class BroadcastForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    incident = forms.ModelChoiceField(
        label=gettext_lazy("Incident"),
        queryset=Incident.objects.order_by("-declared_at"),
        required=False,
    )
    channel = forms.ChoiceField(label=gettext_lazy("Channel"), choices=BroadcastChannel.choices)
    rate_per_minute = forms.IntegerField(
        label=gettext_lazy("Messages per minute"),
        min_value=1,
        max_value=100_000,
        initial=600,
        help_text=gettext_lazy("Keep it within what your mail or SMS provider accepts."),
    )
    seg_ship = forms.CharField(label=SEGMENT_LABELS["ship"], required=False, max_length=120)
    seg_route = forms.CharField(label=SEGMENT_LABELS["route"], required=False, max_length=120)
    seg_trip = forms.CharField(label=SEGMENT_LABELS["trip"], required=False, max_length=120)
    seg_product = forms.CharField(label=SEGMENT_LABELS["product"], required=False, max_length=120)
    seg_tag = forms.CharField(label=SEGMENT_LABELS["tag"], required=False, max_length=120)
    seg_departure_from = forms.DateField(
        label=SEGMENT_LABELS["departure_from"],
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    seg_departure_to = forms.DateField(
        label=SEGMENT_LABELS["departure_to"],
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    seg_import = forms.ModelChoiceField(
        label=SEGMENT_LABELS["import"],
        queryset=CustomerImport.objects.order_by("-created_at"),
        required=False,
    )

    def __init__(self, *args: Any, languages: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.languages = languages
        for code in languages:
            name = LANGUAGE_NAMES.get(code, code)
            self.fields[f"subject_{code}"] = forms.CharField(
                label=_("Subject (%(language)s)") % {"language": name},
                required=False,
                max_length=200,
            )
            self.fields[f"body_{code}"] = forms.CharField(
                label=_("Message (%(language)s)") % {"language": name},
                required=False,
                widget=forms.Textarea(attrs={"rows": 10, "dir": "auto"}),
            )

    def language_fields(self) -> list[tuple[str, Any, Any]]:
        return [
            (str(LANGUAGE_NAMES.get(code, code)), self[f"subject_{code}"], self[f"body_{code}"])
            for code in self.languages
        ]

    def segment_fields(self) -> list[Any]:
        return [
            self[f"seg_{key}"]
            for key in (*SEGMENT_TEXT_KEYS, "departure_from", "departure_to", "import")
        ]

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        segment: dict[str, Any] = {}
        for key in SEGMENT_TEXT_KEYS:
            if data.get(f"seg_{key}"):
                segment[key] = data[f"seg_{key}"]
        for key in ("departure_from", "departure_to"):
            if data.get(f"seg_{key}"):
                segment[key] = data[f"seg_{key}"].isoformat()
        if data.get("seg_import"):
            segment["import"] = data["seg_import"].pk
        templates = {
            code: {"subject": data.get(f"subject_{code}", ""), "body": data.get(f"body_{code}", "")}
            for code in self.languages
        }
        return {
            "name": data["name"],
            "incident": data.get("incident"),
            "channel": data["channel"],
            "rate_per_minute": data["rate_per_minute"],
            "segment": segment,
            "templates": templates,
        }

    def add_domain_error(self, error: DomainError) -> None:
        """Show a service's refusal on the field it names."""
        name = error.field or ""
        if name.startswith("templates."):
            parts = name.split(".")
            if len(parts) == 3 and f"{parts[2]}_{parts[1]}" in self.fields:
                name = f"{parts[2]}_{parts[1]}"
            elif len(parts) >= 2 and f"body_{parts[1]}" in self.fields:
                name = f"body_{parts[1]}"
            else:
                name = ""
        elif f"seg_{name}" in self.fields:
            name = f"seg_{name}"
        elif name not in self.fields:
            name = ""
        self.add_error(name or None, error.message)

    @staticmethod
    def initial_for(
        broadcast: Broadcast | None, incident: Incident | None, languages: list[str]
    ) -> dict[str, Any]:
        if broadcast is not None:
            initial: dict[str, Any] = {
                "name": broadcast.name,
                "incident": broadcast.incident_id,
                "channel": broadcast.channel,
                "rate_per_minute": broadcast.rate_per_minute,
            }
            segment = broadcast.segment
            for code, parts in broadcast.templates.items():
                initial[f"subject_{code}"] = parts.get("subject", "")
                initial[f"body_{code}"] = parts.get("body", "")
        else:
            initial = {"channel": BroadcastChannel.EMAIL, "rate_per_minute": 600}
            segment = incident.segment if incident else {}
            if incident is not None:
                initial["incident"] = incident.pk
                text = incident.text(languages[0] if languages else None)
                initial["name"] = _("%(title)s: message to the affected") % {
                    "title": text.title if text else incident.slug
                }
                for code in incident.languages or ["en"]:
                    start = starting_template(incident, code, BroadcastChannel.EMAIL)
                    initial[f"subject_{code}"] = start["subject"]
                    initial[f"body_{code}"] = start["body"]
        for key, value in (segment or {}).items():
            initial[f"seg_{key}"] = value
        return initial


class TestSendForm(forms.Form):
    to = forms.CharField(
        label=gettext_lazy("Send to"),
        required=False,
        max_length=320,
        help_text=gettext_lazy("Empty: your own email address. For SMS: your mobile number."),
    )
    language = forms.ChoiceField(label=gettext_lazy("Language"), choices=[], required=False)

    def __init__(self, *args: Any, languages: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(c, LANGUAGE_NAMES.get(c, c)) for c in languages]
        self.fields["language"].choices = choices  # type: ignore[attr-defined]


class StartForm(forms.Form):
    confirm = forms.BooleanField(
        label=gettext_lazy("Yes, send it to every recipient now."), required=True
    )


class RecipientFilterForm(forms.Form):
    outcome = forms.ChoiceField(
        label=gettext_lazy("Status"),
        required=False,
        choices=[("", gettext_lazy("All")), *OUTCOME_LABELS.items()],
    )
    page = forms.IntegerField(required=False, min_value=1, max_value=100_000)

    def outcome_value(self) -> str | None:
        if not self.is_valid():
            return None
        value = self.cleaned_data.get("outcome") or None
        return value if value in OUTCOMES else None

    def page_number(self) -> int:
        if not self.is_valid():
            return 1
        return int(self.cleaned_data.get("page") or 1)
