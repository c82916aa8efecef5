"""Forms of the lead's incident screens: they parse input; the services validate and decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _

from calmdesk.accounts.models import Team
from calmdesk.core.errors import DomainError
from calmdesk.customers.models import CustomerImport
from calmdesk.tickets.models import RequestType

from .models import Incident, IncidentStatus
from .services import REQUIRED_TEXT_FIELDS, TEXT_FIELDS, text_field_name, update_field_name

TEXT_LABELS = {
    "title": _("Title"),
    "summary": _("What happened"),
    "what_to_do": _("What to do"),
    "policy": _("Policy in force (refunds, rebooking, cancellation)"),
    "guidance": _("Guidance"),
}
TEXT_HELP = {
    "guidance": _('e.g. "Contact us only if you travel within the next 3 days."'),
}

# Segment keys that are plain text fields of the form, under the same name.
SEGMENT_TEXT_KEYS = ("trip", "ship", "route", "product", "tag")
SEGMENT_DATE_KEYS = ("departure_from", "departure_to")
# The segment key "import" is a Python keyword: the form calls it "import_list".
SEGMENT_FIELD_NAMES = {
    **{k: k for k in SEGMENT_TEXT_KEYS + SEGMENT_DATE_KEYS},
    "import": "import_list",
}


def language_codes() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def _lang_attrs(code: str) -> dict[str, str]:
    info = get_language_info(code)
    return {"lang": code, "dir": "rtl" if info.get("bidi") else "ltr"}


class ImportChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.filename} · {obj.created_at:%Y-%m-%d} · {obj.accepted}"


class RequestTypeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name())


class DomainErrorsMixin:
    """Puts a service's ``DomainError`` on the form field it names (or on the form)."""

    field_aliases: dict[str, str] = {}

    def add_domain_error(self, exc: DomainError) -> None:
        name = self.field_aliases.get(exc.field or "", exc.field)
        form: Any = self
        form.add_error(name if name in form.fields else None, exc.message)


class IncidentForm(DomainErrorsMixin, forms.Form):
    """Declare (with ``slug``) or edit (without) an incident."""

    field_aliases = {"import": "import_list", "segment": None}  # type: ignore[dict-item]

    slug = forms.CharField(
        label=_("Short name"),
        max_length=60,
        help_text=_("The crisis page will be /crisis/<short name>, e.g. ship-fire-2026."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    languages = forms.MultipleChoiceField(
        label=_("Publish in"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    team = forms.ModelChoiceField(
        label=_("Handling team"),
        queryset=Team.objects.none(),
        help_text=_("Linked requests are routed to this team."),
    )
    request_type = RequestTypeChoiceField(
        label=_("Request type of the form link"),
        queryset=RequestType.objects.none(),
        required=False,
        help_text=_("The crisis page links to the request form with this type chosen."),
    )
    keywords = forms.CharField(
        label=_("Keywords"),
        required=False,
        max_length=2000,
        help_text=_("Comma separated; requests mentioning any of them are linked."),
    )
    trip = forms.CharField(label=_("Trip"), required=False, max_length=120)
    ship = forms.CharField(label=_("Ship"), required=False, max_length=120)
    route = forms.CharField(label=_("Route"), required=False, max_length=120)
    product = forms.CharField(label=_("Product"), required=False, max_length=120)
    tag = forms.CharField(label=_("Tag"), required=False, max_length=60)
    departure_from = forms.DateField(
        label=_("Departure from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    departure_to = forms.DateField(
        label=_("Departure to"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    import_list = ImportChoiceField(
        label=_("Uploaded list"),
        queryset=CustomerImport.objects.none(),
        required=False,
        empty_label=_("(none)"),
    )

    def __init__(
        self,
        *args: Any,
        with_slug: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if not with_slug:
            del self.fields["slug"]
        fields: Any = self.fields
        fields["languages"].choices = [(code, name) for code, name in settings.LANGUAGES]
        fields["team"].queryset = Team.objects.order_by("name")
        fields["request_type"].queryset = RequestType.objects.filter(active=True).order_by(
            "order", "key"
        )
        fields["import_list"].queryset = CustomerImport.objects.order_by("-created_at", "-id")
        for code in language_codes():
            attrs = _lang_attrs(code)
            for name in TEXT_FIELDS:
                widget: forms.Widget
                if name == "title":
                    widget = forms.TextInput(attrs=attrs)
                else:
                    widget = forms.Textarea(attrs={**attrs, "rows": 3 if name != "summary" else 4})
                self.fields[text_field_name(name, code)] = forms.CharField(
                    label=TEXT_LABELS[name],
                    help_text=TEXT_HELP.get(name, ""),
                    required=False,
                    max_length=200 if name == "title" else 20_000,
                    widget=widget,
                )

    @classmethod
    def initial_for(cls, incident: Incident) -> dict[str, Any]:
        segment = incident.segment or {}
        initial: dict[str, Any] = {
            "languages": list(incident.languages),
            "team": incident.team_id,
            "request_type": incident.request_type_id,
            "keywords": ", ".join(incident.keywords or []),
        }
        for key, name in SEGMENT_FIELD_NAMES.items():
            if key in segment:
                initial[name] = segment[key]
        for text in incident.texts.all():
            for name in TEXT_FIELDS:
                initial[text_field_name(name, text.language)] = getattr(text, name)
        return initial

    def clean(self) -> dict[str, Any]:
        """Flag every missing title and summary of a ticked language at once (the service
        checks the same and stays the authority)."""
        data = super().clean() or {}
        for code in data.get("languages") or []:
            for name in REQUIRED_TEXT_FIELDS:
                field = text_field_name(name, code)
                if field in self.fields and not (data.get(field) or "").strip():
                    self.add_error(field, _("Required for every published language."))
        return data

    def language_sections(self) -> list[dict[str, Any]]:
        """One fieldset per language: its name, whether it is ticked, its text fields."""
        chosen = set(self["languages"].value() or [])
        return [
            {
                "code": code,
                "name": name,
                "local_name": get_language_info(code).get("name_local", ""),
                "checked": code in chosen,
                "fields": [self[text_field_name(field, code)] for field in TEXT_FIELDS],
                "has_errors": any(
                    self.errors.get(text_field_name(field, code)) for field in TEXT_FIELDS
                ),
            }
            for code, name in settings.LANGUAGES
        ]

    def segment_fields(self) -> list[Any]:
        return [self[name] for name in SEGMENT_FIELD_NAMES.values()]

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        segment: dict[str, Any] = {}
        for key in SEGMENT_TEXT_KEYS:
            if data.get(key, "").strip():
                segment[key] = data[key].strip()
        for key in SEGMENT_DATE_KEYS:
            if data.get(key):
                segment[key] = data[key].isoformat()
        if data.get("import_list"):
            segment["import"] = data["import_list"].pk
        texts = {
            code: {name: data.get(text_field_name(name, code), "") for name in TEXT_FIELDS}
            for code in language_codes()
        }
        kwargs: dict[str, Any] = {
            "team": data["team"],
            "languages": list(data.get("languages") or []),
            "texts": texts,
            "segment": segment,
            "keywords": [w for w in (data.get("keywords") or "").split(",") if w.strip()],
            "request_type": data.get("request_type"),
        }
        if "slug" in self.fields:
            kwargs["slug"] = data["slug"]
        return kwargs


class UpdateForm(DomainErrorsMixin, forms.Form):
    """One short form: the update per published language, and whether to mail the affected."""

    field_aliases = {"texts": None}  # type: ignore[dict-item]

    send_to_affected = forms.BooleanField(
        label=_("Also send to all affected customers (by email)"), required=False
    )

    def __init__(self, *args: Any, incident: Incident, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.languages = list(incident.languages)
        names = dict(settings.LANGUAGES)
        for code in self.languages:
            self.fields[update_field_name(code)] = forms.CharField(
                label=names.get(code, code),
                required=False,
                max_length=5000,
                widget=forms.Textarea(attrs={**_lang_attrs(code), "rows": 3}),
            )
        # The checkbox comes last.
        self.fields["send_to_affected"] = self.fields.pop("send_to_affected")

    def text_fields(self) -> list[Any]:
        return [self[update_field_name(code)] for code in self.languages]

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "texts": {code: data.get(update_field_name(code), "") for code in self.languages},
            "send_to_affected": bool(data.get("send_to_affected")),
        }


class StatusForm(DomainErrorsMixin, forms.Form):
    status = forms.ChoiceField(choices=IncidentStatus.choices)
