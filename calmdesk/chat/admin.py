from django.contrib import admin

from .models import AgentPresence, ChatSession, ChatWidget


@admin.register(ChatWidget)
class ChatWidgetAdmin(admin.ModelAdmin):
    list_display = ("name", "key", "team", "request_type", "busy_wait_minutes", "active")
    list_filter = ("active", "team")
    search_fields = ("name", "key")
    readonly_fields = ("created_at",)


@admin.register(ChatSession)
class ChatSessionAdmin(admin.ModelAdmin):
    list_display = ("pk", "name", "email", "status", "ticket", "agent", "started_at", "ended_at")
    list_filter = ("status", "widget")
    search_fields = ("name", "email", "visitor_id")
    raw_id_fields = ("ticket", "customer", "agent")
    readonly_fields = ("visitor_id", "started_at", "last_seen_at", "left_at")


@admin.register(AgentPresence)
class AgentPresenceAdmin(admin.ModelAdmin):
    list_display = ("user", "last_seen_at")
    raw_id_fields = ("user",)
