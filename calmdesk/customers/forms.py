"""Forms of the import screens: the upload, and the column mapping."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from calmdesk.incidents.models import Incident, IncidentStatus

from .imports import FIELDS, MAX_FILE_BYTES, field_labels


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("Customer list"),
        help_text=_("CSV (UTF-8 or Excel “Unicode text”) or XLSX, at most 20 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.tsv,.xlsx"}),
    )
    incident = forms.ModelChoiceField(
        label=_("Incident"),
        queryset=Incident.objects.none(),
        required=False,
        empty_label=_("— none —"),
        help_text=_("The incident these customers are affected by."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        incident = self.fields["incident"]
        assert isinstance(incident, forms.ModelChoiceField)
        incident.queryset = Incident.objects.exclude(status=IncidentStatus.RESOLVED).order_by(
            "-declared_at"
        )

    def clean_file(self) -> Any:
        file = self.cleaned_data["file"]
        if file.size > MAX_FILE_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(n)s MB."), params={"n": MAX_FILE_BYTES // 2**20}
            )
        return file


class MappingForm(forms.Form):
    """One select per field of ours, offering the file's columns."""

    phone_region = forms.CharField(
        label=_("Country of phone numbers without a country code"),
        max_length=2,
        required=False,
        help_text=_("Two letters, e.g. TR. Leave empty when every number has its code."),
        widget=forms.TextInput(attrs={"size": 3, "autocomplete": "off"}),
    )
    default_language = forms.ChoiceField(
        label=_("Language when the list has none"),
        choices=settings.LANGUAGES,
        required=False,
    )

    def __init__(self, *args: Any, headers: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", _("— not in the file —")), *((h, h) for h in headers if h)]
        labels = field_labels()
        columns = {
            name: forms.ChoiceField(label=labels[name], choices=choices, required=False)
            for name in FIELDS
        }
        self.fields = {**columns, **self.fields}

    def column_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in FIELDS]

    def mapping(self) -> dict[str, str]:
        data = self.cleaned_data
        mapping = {name: data[name] for name in FIELDS if data.get(name)}
        for option in ("phone_region", "default_language"):
            if data.get(option):
                mapping[option] = data[option]
        return mapping
