"""Admin for incidents and their updates.

The lifecycle (status, resolved time) and updates are changed through the lead's incident page
(``incidents.services``), which records the history; here the texts and settings can be
corrected, the history is read-only, and each save bumps ``updated_at`` so the public page's
caches see the change.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .models import Incident, IncidentEvent, IncidentText, IncidentUpdate


class IncidentTextInline(admin.StackedInline):
    model = IncidentText
    extra = 0
    fields = ("language", "title", "summary", "what_to_do", "policy", "guidance")


class IncidentEventInline(admin.TabularInline):
    model = IncidentEvent
    extra = 0
    can_delete = False
    fields = ("at", "type", "actor", "data")
    readonly_fields = fields
    ordering = ("-at", "-id")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    list_display = ("slug", "title", "status", "team", "declared_at", "updated_at", "lead_page")
    list_filter = ("status", "team")
    search_fields = ("slug", "texts__title")
    list_select_related = ("team",)
    readonly_fields = ("status", "declared_by", "declared_at", "updated_at", "resolved_at")
    fields = (
        "slug",
        "status",
        "team",
        "languages",
        "segment",
        "keywords",
        "request_type",
        "declared_by",
        "declared_at",
        "updated_at",
        "resolved_at",
    )
    inlines = (IncidentTextInline, IncidentEventInline)

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).prefetch_related("texts")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # The short name is the public URL: fixed once declared.
        if obj is not None:
            return ("slug", *self.readonly_fields)
        return self.readonly_fields

    @admin.display(description=_("title"))
    def title(self, obj: Incident) -> str:
        text = obj.text()
        return text.title if text else ""

    @admin.display(description=_("incident page"))
    def lead_page(self, obj: Incident) -> str:
        return format_html(
            '<a href="{}">{}</a>', reverse("incidents:detail", args=[obj.slug]), _("open")
        )

    def save_model(self, request: HttpRequest, obj: Incident, form: Any, change: bool) -> None:
        obj.updated_at = timezone.now()
        if not change:
            obj.declared_by = request.user  # type: ignore[assignment]
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        # A text edited inline changes the public page: bump and invalidate again.
        incident = form.instance
        incident.updated_at = timezone.now()
        incident.save(update_fields=["updated_at"])


@admin.register(IncidentUpdate)
class IncidentUpdateAdmin(admin.ModelAdmin):
    list_display = ("incident", "posted_at", "posted_by", "broadcast")
    list_filter = ("incident",)
    list_select_related = ("incident", "posted_by", "broadcast")
    readonly_fields = ("posted_by", "broadcast")
    fields = ("incident", "texts", "posted_at", "posted_by", "broadcast")
    date_hierarchy = "posted_at"

    def save_model(
        self, request: HttpRequest, obj: IncidentUpdate, form: Any, change: bool
    ) -> None:
        if not change:
            obj.posted_by = request.user  # type: ignore[assignment]
        super().save_model(request, obj, form, change)
        Incident.objects.filter(pk=obj.incident_id).update(updated_at=timezone.now())
        # update() skips the model's save: invalidate the public incidents explicitly.
        from .selectors import PUBLIC_INCIDENTS

        PUBLIC_INCIDENTS.invalidate()
