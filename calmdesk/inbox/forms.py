"""The public form as the templates draw it: one ``ShownField`` per configured field.

The form is drawn by hand from the FormField configuration and checked by
``validation.validate_submission`` (the same checks as the API), so there is one source of truth
for what a valid request is. What the visitor typed is always put back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from calmdesk.tickets.models import RequestType

from .models import FieldType, FormField
from .validation import active_form_fields, active_request_types, attachment_limits

# Choice fields with this many options or fewer are radio buttons (one tap on a phone).
MAX_RADIO_CHOICES = 6
HONEYPOT_FIELD = "website_address"
FORM_TOKEN_FIELD = "form_token"  # noqa: S105 - a field name, not a secret


@dataclass
class ShownChoice:
    value: str
    label: str
    selected: bool


@dataclass
class ShownField:
    key: str
    widget: str  # text, email, tel, date, jdate, textarea, radio, select, file
    label: str
    help_text: str
    required: bool
    value: str = ""
    errors: list[str] = field(default_factory=list)
    choices: list[ShownChoice] = field(default_factory=list)
    max_length: int | None = None
    extra_help: str = ""
    accept: str = ""
    multiple: bool = False
    autocomplete: str = ""

    @property
    def input_id(self) -> str:
        return f"field-{self.key}"

    @property
    def described_by(self) -> str:
        ids = []
        if self.help_text or self.extra_help:
            ids.append(f"{self.input_id}-help")
        if self.errors:
            ids.append(f"{self.input_id}-error")
        return " ".join(ids)


_AUTOCOMPLETE = {"name": "name", "email": "email", "phone": "tel"}
_WIDGETS = {
    FieldType.TEXT: "text",
    FieldType.LONG_TEXT: "textarea",
    FieldType.EMAIL: "email",
    FieldType.PHONE: "tel",
    FieldType.DATE: "date",
    FieldType.FILE: "file",
}


def shown_fields(
    *,
    language: str,
    values: dict[str, Any] | None = None,
    errors: dict[str, list[str]] | None = None,
    preselect_type: RequestType | None = None,
    files_dropped: bool = False,
) -> list[ShownField]:
    """The active fields with labels in ``language``, the visitor's values and the errors."""
    values = values or {}
    errors = errors or {}
    shown: list[ShownField] = []
    types: list[RequestType] | None = None
    for form_field in active_form_fields():
        item = _shown(form_field, language)
        item.errors = list(errors.get(form_field.key, []))
        raw = values.get(form_field.key)
        item.value = raw.replace("\x00", "") if isinstance(raw, str) else ""
        if form_field.key == "request_type":
            if types is None:
                types = active_request_types()
            if not item.value and preselect_type is not None:
                item.value = preselect_type.key
            options = [(rt.key, rt.name(language)) for rt in types]
        else:
            options = [
                (str(c.get("value")), _choice_label(c, language))
                for c in form_field.choices
                if isinstance(c, dict) and c.get("value")
            ]
        if form_field.field_type == FieldType.CHOICE:
            item.widget = "radio" if len(options) <= MAX_RADIO_CHOICES else "select"
            item.choices = [ShownChoice(v, label, v == item.value) for v, label in options]
        if form_field.field_type == FieldType.FILE and files_dropped and not item.errors:
            item.errors = [_("Please attach your files again: they are not kept after an error.")]
        shown.append(item)
    return shown


def _shown(form_field: FormField, language: str) -> ShownField:
    widget = _WIDGETS.get(FieldType(form_field.field_type), "text")
    extra = ""
    accept = ""
    if widget == "date" and language == "fa":
        # Persian visitors type the Solar Hijri date they know; browsers' pickers are Gregorian.
        widget = "jdate"
        extra = _("For example 1405/10/03.")
    if widget == "file":
        limits = attachment_limits()
        accept = ",".join(f".{ext}" for ext in limits["extensions"])
        extra = _("Up to %(count)s files, %(size)s each (%(types)s).") % {
            "count": limits["max_files"],
            "size": filesizeformat(limits["max_bytes"]),
            "types": ", ".join(limits["extensions"]),
        }
    return ShownField(
        key=form_field.key,
        widget=widget,
        label=form_field.label(language),
        help_text=form_field.help_text(language),
        required=form_field.required,
        max_length=form_field.max_length,
        extra_help=extra,
        accept=accept,
        multiple=widget == "file",
        autocomplete=_AUTOCOMPLETE.get(form_field.key, ""),
    )


def _choice_label(choice: dict[str, Any], language: str) -> str:
    labels = choice.get("labels") or {}
    if isinstance(labels, dict):
        return str(labels.get(language) or labels.get("en") or choice.get("value"))
    return str(choice.get("value"))


def submitted_values(post: Any) -> dict[str, str]:
    """The text the visitor sent, per key (last value wins), exactly as sent."""
    return {key: str(post.get(key, "")) for key in post}
