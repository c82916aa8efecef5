from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import Alert, SlaPolicy
from .services import alert_acknowledge


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = ("priority", "first_reply_minutes", "resolution_minutes", "alert_after_minutes")
    list_editable = ("first_reply_minutes", "resolution_minutes", "alert_after_minutes")
    ordering = ("priority",)


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ("ticket", "kind", "team", "raised_at", "acknowledged_at")
    list_filter = ("kind", "team", ("acknowledged_at", admin.EmptyFieldListFilter))
    list_select_related = ("ticket", "team")
    date_hierarchy = "raised_at"
    readonly_fields = ("ticket", "kind", "team", "raised_at", "acknowledged_at")
    actions = ("acknowledge",)
    ordering = ("-raised_at",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # alerts are raised by the SLA job only

    @admin.action(description=_("Acknowledge the selected alerts"))
    def acknowledge(self, request: HttpRequest, queryset: QuerySet[Alert]) -> None:
        count = 0
        for alert in queryset.filter(acknowledged_at__isnull=True).order_by("pk"):
            alert_acknowledge(alert=alert, actor=request.user)
            count += 1
        self.message_user(
            request,
            ngettext("%(count)d alert acknowledged.", "%(count)d alerts acknowledged.", count)
            % {"count": count},
            messages.SUCCESS,
        )
