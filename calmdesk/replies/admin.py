from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import MessageTemplate
from .services import check_template_syntax


class MessageTemplateForm(forms.ModelForm):
    language = forms.ChoiceField(label=_("language"), choices=settings.LANGUAGES)

    class Meta:
        model = MessageTemplate
        fields = ("kind", "language", "subject", "body")
        widgets = {"body": forms.Textarea(attrs={"rows": 18, "cols": 100})}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in ("subject", "body"):
            error = check_template_syntax(data.get(name) or "")
            if error:
                self.add_error(
                    name, _("This template does not compile: %(error)s") % {"error": error}
                )
        return data


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    form = MessageTemplateForm
    list_display = ("kind", "language", "subject")
    list_filter = ("kind", "language")
    search_fields = ("subject", "body")
    ordering = ("kind", "language")
