from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import FormAlias, FormField


@admin.register(FormField)
class FormFieldAdmin(admin.ModelAdmin):
    list_display = ("key", "label_en", "field_type", "required", "active", "order")
    list_editable = ("required", "active", "order")
    list_filter = ("field_type", "required", "active")
    search_fields = ("key",)
    ordering = ("order", "id")
    fieldsets = (
        (None, {"fields": ("key", "field_type", "required", "active", "order", "max_length")}),
        (
            _("Texts per language"),
            {
                "fields": ("labels", "help_texts"),
                "description": _(
                    'JSON objects keyed by language code, e.g. {"en": "Departure date", '
                    '"fa": "تاریخ حرکت", "tr": "Kalkış tarihi", "lt": "Išvykimo data"}.'
                ),
            },
        ),
        (_("Choices"), {"fields": ("choices",), "classes": ("collapse",)}),
    )

    @admin.display(description=_("label (English)"))
    def label_en(self, obj: FormField) -> str:
        return obj.label("en")


@admin.register(FormAlias)
class FormAliasAdmin(admin.ModelAdmin):
    list_display = ("__str__", "request_type", "active")
    list_editable = ("active",)
    list_select_related = ("request_type",)
    fields = ("path", "request_type", "active", "titles", "intros")
