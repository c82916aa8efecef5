from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import FormAlias, FormField, Submission
from .services import submissions_refile


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


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    """Requests the form and the API accepted, and how their filing went. Read-only: a
    request a customer sent is never edited or deleted here; one whose filing failed can be
    filed again once the cause is fixed."""

    list_display = (
        "reference",
        "received_at",
        "channel",
        "state",
        "outcome",
        "attempts",
        "team",
        "priority",
        "wait_minutes",
        "ticket",
    )
    list_filter = ("state", "channel", "outcome")
    list_select_related = ("team", "ticket")
    search_fields = ("=id", "intake_key")
    ordering = ("-id",)
    actions = ("file_again",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in Submission._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("File again (failed or waiting requests)"))
    def file_again(self, request: HttpRequest, queryset: QuerySet[Submission]) -> None:
        count = submissions_refile(list(queryset.values_list("pk", flat=True)))
        self.message_user(
            request,
            ngettext(
                "%(count)d request will be filed again.",
                "%(count)d requests will be filed again.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )
