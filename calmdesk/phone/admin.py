from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .models import (
    Call,
    Callback,
    CallbackAttempt,
    CallEvent,
    Extension,
    PhoneSystem,
    new_phone_token,
)


class ExtensionInline(admin.TabularInline):
    model = Extension
    extra = 1
    raw_id_fields = ("agent",)


@admin.register(PhoneSystem)
class PhoneSystemAdmin(admin.ModelAdmin):
    list_display = ("name", "team", "default_region", "require_signature", "active")
    list_filter = ("active", "require_signature")
    search_fields = ("name",)
    inlines = (ExtensionInline,)
    actions = ("regenerate_token",)
    fieldsets = (
        (None, {"fields": ("name", "team", "default_region", "language", "active")}),
        (
            _("Authentication"),
            {
                "fields": ("token", "require_signature"),
                "description": _(
                    "The phone system posts to /hooks/phone/events/ with "
                    "'Authorization: Bearer <token>' (see docs/channels-phone.md)."
                ),
            },
        ),
    )

    @admin.action(description=_("Generate a new token (the old one stops working)"))
    def regenerate_token(self, request: HttpRequest, queryset: QuerySet[PhoneSystem]) -> None:
        for system in queryset:
            system.token = new_phone_token()
            system.save(update_fields=["token"])
        messages.success(request, _("New tokens generated; update the phone systems."))


class CallEventInline(admin.TabularInline):
    model = CallEvent
    extra = 0
    can_delete = False
    fields = ("type", "at", "data", "received_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Call)
class CallAdmin(admin.ModelAdmin):
    list_display = (
        "started_at",
        "direction",
        "from_number",
        "to_number",
        "state",
        "duration_seconds",
        "hold_count",
        "transfer_count",
        "agent",
        "ticket",
    )
    list_filter = ("direction", "state", "phone_system")
    search_fields = ("external_id", "from_number", "to_number", "raw_from", "raw_to")
    date_hierarchy = "started_at"
    raw_id_fields = ("customer", "ticket", "agent", "callback", "logged_by")
    readonly_fields = ("finalized_at", "created_at", "updated_at")
    inlines = (CallEventInline,)


class CallbackAttemptInline(admin.TabularInline):
    model = CallbackAttempt
    extra = 0
    raw_id_fields = ("agent", "call")


@admin.register(Callback)
class CallbackAdmin(admin.ModelAdmin):
    list_display = ("window_start", "window_end", "phone", "status", "source", "attempts", "ticket")
    list_filter = ("status", "source")
    search_fields = ("phone",)
    date_hierarchy = "window_start"
    raw_id_fields = ("customer", "ticket", "claimed_by", "done_by", "created_by")
    inlines = (CallbackAttemptInline,)
