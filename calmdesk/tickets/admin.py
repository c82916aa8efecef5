"""Admin for ticket configuration (request types, tags) and a read-only look at tickets.

Ticket state (status, priority, team, assignee, …) changes only through ``tickets.services``,
which writes the event history and the derived SLA state; the admin therefore shows tickets,
their messages and events read-only and offers the agent workspace link for work.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .models import Attachment, Message, RequestType, Tag, Ticket, TicketEvent, parse_reference

NAMES_HELP = _(
    'The name shown to customers and agents, per language code, e.g. {"en": "Refund", '
    '"fa": "استرداد وجه", "tr": "İade", "lt": "Grąžinimas"}. English is the fallback.'
)


class ReadOnlyMixin:
    """Rows written only by services: viewable, never added or edited here."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(RequestType)
class RequestTypeAdmin(admin.ModelAdmin):
    list_display = ("key", "display_name", "team", "default_priority", "order", "active")
    list_editable = ("order", "active")
    list_filter = ("active", "team", "default_priority")
    search_fields = ("key",)
    list_select_related = ("team",)

    @admin.display(description=_("name"))
    def display_name(self, obj: RequestType) -> str:
        return obj.name()

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        if "names" in form.base_fields:
            form.base_fields["names"].help_text = NAMES_HELP
        return form


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ("name",)
    search_fields = ("name",)


class MessageInline(ReadOnlyMixin, admin.TabularInline):
    model = Message
    extra = 0
    can_delete = False
    fields = ("created_at", "kind", "channel", "author_user", "author_customer", "body_text")
    readonly_fields = fields
    show_change_link = True


class EventInline(ReadOnlyMixin, admin.TabularInline):
    model = TicketEvent
    extra = 0
    can_delete = False
    fields = ("at", "type", "actor_kind", "actor_user", "data")
    readonly_fields = fields


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = (
        "reference",
        "subject",
        "status",
        "priority",
        "queue_score",
        "team",
        "assignee",
        "channel",
        "created_at",
        "first_reply_due_at",
    )
    list_filter = ("status", "priority", "channel", "team", "request_type", "language")
    list_select_related = ("team", "assignee", "customer")
    search_fields = ("subject", "customer__name")
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    # Status, priority, team and assignee change through the services (events, SLA, mail).
    readonly_fields = (
        "reference",
        "workspace_link",
        "subject",
        "customer",
        "request_type",
        "team",
        "assignee",
        "status",
        "priority",
        "queue_score",
        "queue_boost",
        "custom_fields",
        "channel",
        "language",
        "tags",
        "created_at",
        "first_reply_due_at",
        "resolution_due_at",
        "first_replied_at",
        "solved_at",
        "announced_wait_minutes",
    )
    fields = readonly_fields
    inlines = (MessageInline, EventInline)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Ticket], search_term: str
    ) -> tuple[QuerySet[Ticket], bool]:
        """A reference (CD-000123 or 123) finds that ticket; anything else searches text."""
        ticket_id = parse_reference(search_term)
        if ticket_id is not None:
            return queryset.filter(pk=ticket_id), False
        return super().get_search_results(request, queryset, search_term)

    @admin.display(description=_("reference"), ordering="id")
    def reference(self, obj: Ticket) -> str:
        return obj.reference

    @admin.display(description=_("work on it"))
    def workspace_link(self, obj: Ticket) -> str:
        return format_html(
            '<a href="{}">{}</a>',
            reverse("tickets:detail", args=[obj.pk]),
            _("Open in the agent workspace"),
        )


class AttachmentInline(ReadOnlyMixin, admin.TabularInline):
    model = Attachment
    extra = 0
    can_delete = False
    fields = ("filename", "content_type", "size")
    readonly_fields = fields


@admin.register(Message)
class MessageAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("id", "ticket", "kind", "channel", "created_at")
    list_filter = ("kind", "channel")
    list_select_related = ("ticket",)
    search_fields = ("body_text",)
    raw_id_fields = ("ticket",)
    inlines = (AttachmentInline,)


@admin.register(TicketEvent)
class TicketEventAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("at", "ticket", "type", "actor_kind", "actor_user")
    list_filter = ("type", "actor_kind")
    list_select_related = ("ticket", "actor_user")
    date_hierarchy = "at"
