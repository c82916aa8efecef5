from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import AgentProfile, ApiToken, Team

User = get_user_model()

WORKING_HOURS_HELP = _(
    "Opening hours in the team's time zone, per weekday (mon, tue, wed, thu, fri, sat, sun), "
    'each a list of ["HH:MM", "HH:MM"] spans. A missing or empty day is closed. Example: '
    '{"mon": [["09:00", "12:30"], ["13:30", "17:00"]], "sat": [["10:00", "14:00"]]}. '
    "Due times and expected waits count only these hours."
)


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "lead", "time_zone", "email")
    search_fields = ("name", "slug", "email")
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ("lead",)

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        if "working_hours" in form.base_fields:
            form.base_fields["working_hours"].help_text = WORKING_HOURS_HELP
        return form


class AgentProfileInline(admin.StackedInline):
    model = AgentProfile
    can_delete = True
    extra = 0
    max_num = 1
    verbose_name_plural = _("agent profile (leave empty for a non-agent account)")
    filter_horizontal = ("teams",)
    fields = ("display_name", "role", "teams", "time_zone", "languages")


admin.site.unregister(User)


@admin.register(User)
class CalmdeskUserAdmin(UserAdmin):
    inlines = (AgentProfileInline,)
    list_display = ("username", "email", "first_name", "last_name", "is_agent", "is_staff")
    list_select_related = ("agent",)

    @admin.display(boolean=True, description=_("agent"))
    def is_agent(self, obj: Any) -> bool:
        return hasattr(obj, "agent")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("name", "prefix", "user__username")
    list_select_related = ("user",)
    autocomplete_fields = ("user",)
    readonly_fields = ("prefix", "created_at", "last_used_at", "revoked_at")
    actions = ("revoke",)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ["user", "name"]
        return ["user", "name", "prefix", "created_at", "last_used_at", "revoked_at"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is None:
            return []
        return ["user", "prefix", "created_at", "last_used_at", "revoked_at"]

    def save_model(self, request: HttpRequest, obj: ApiToken, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        from calmdesk.api.services import api_token_create

        token, raw = api_token_create(user=obj.user, name=obj.name)
        obj.pk, obj.prefix, obj.key_hash = token.pk, token.prefix, token.key_hash
        obj.created_at = token.created_at
        message = _(
            "Key of %(name)s: %(key)s — copy it now; it is not stored and cannot be shown again."
        )
        messages.warning(request, message % {"name": token.name, "key": raw})

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        from calmdesk.api.services import api_token_revoke

        tokens = list(queryset.filter(revoked_at__isnull=True))
        for token in tokens:
            api_token_revoke(token=token)
        count = len(tokens)
        self.message_user(
            request,
            ngettext("%(count)d token revoked.", "%(count)d tokens revoked.", count)
            % {"count": count},
        )
