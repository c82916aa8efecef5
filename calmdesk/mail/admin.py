"""Admin for mailboxes (where mail comes in, which team it belongs to, IMAP settings) and the
inbound emails (read-only: what arrived and what became of it, with a Replay action)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .ingest import mail_replay
from .models import EmailDetails, InboundEmail, InboundStatus, Mailbox


class MailboxForm(forms.ModelForm):
    class Meta:
        model = Mailbox
        fields = (
            "name", "address", "aliases", "catch_all_domain", "team", "active", "from_name",
            "reply_to", "imap_host", "imap_port", "imap_security", "imap_user", "imap_password",
            "imap_folder",
        )  # fmt: skip
        widgets = {"imap_password": forms.PasswordInput(render_value=True)}


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin):
    form = MailboxForm
    list_display = ("name", "address", "catch_all_domain", "team", "active", "imap_host",
                    "imap_last_checked_at")  # fmt: skip
    list_filter = ("active", "team")
    search_fields = ("name", "address", "catch_all_domain")
    readonly_fields = ("imap_last_checked_at", "imap_last_error", "created_at")
    fieldsets = (
        (
            _("Address and team"),
            {
                "fields": (
                    "name",
                    "address",
                    "aliases",
                    "catch_all_domain",
                    "team",
                    "active",
                    "from_name",
                    "reply_to",
                )
            },
        ),
        (
            _("IMAP (leave the host empty for SMTP/LMTP or a provider's webhook)"),
            {
                "fields": (
                    "imap_host",
                    "imap_port",
                    "imap_security",
                    "imap_user",
                    "imap_password",
                    "imap_folder",
                    "imap_last_checked_at",
                    "imap_last_error",
                ),
            },
        ),
    )


@admin.action(description=_("Replay (process again) the selected failed or stuck messages"))
def replay_selected(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet[InboundEmail],
) -> None:
    done = failed = 0
    for pk in queryset.filter(
        status__in=[InboundStatus.FAILED, InboundStatus.RECEIVED]
    ).values_list("pk", flat=True):
        row = mail_replay(inbound_id=pk)
        if row.status == InboundStatus.FAILED:
            failed += 1
        else:
            done += 1
    modeladmin.message_user(
        request,
        ngettext("%(count)d message processed.", "%(count)d messages processed.", done)
        % {"count": done},
        messages.SUCCESS,
    )
    if failed:
        modeladmin.message_user(
            request,
            ngettext("%(count)d message failed again.", "%(count)d messages failed again.", failed)
            % {"count": failed},
            messages.ERROR,
        )


@admin.register(InboundEmail)
class InboundEmailAdmin(admin.ModelAdmin):
    list_display = ("received_at", "mailbox", "source", "from_address", "subject", "status",
                    "attempts", "ticket")  # fmt: skip
    list_filter = ("status", "source", "mailbox")
    search_fields = ("subject", "from_address", "header_message_id", "envelope_from")
    date_hierarchy = "received_at"
    actions = [replay_selected]
    exclude = ("raw",)
    readonly_fields = ("mailbox", "source", "raw_link", "size", "dedup_key", "header_message_id",
                       "envelope_from", "envelope_to", "subject", "from_address", "status",
                       "reason", "error", "attempts", "ticket", "message", "received_at",
                       "processed_at")  # fmt: skip

    def get_queryset(self, request: HttpRequest) -> QuerySet[InboundEmail]:
        return super().get_queryset(request).defer("raw").select_related("mailbox", "ticket")

    @admin.display(description=_("raw message"))
    def raw_link(self, obj: InboundEmail) -> str:
        return format_html(
            '<a href="{}">{}</a>', reverse("mail:raw", args=[obj.pk]), _("Download (.eml)")
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(EmailDetails)
class EmailDetailsAdmin(admin.ModelAdmin):
    list_display = ("header_message_id", "message", "from_header", "threaded_by")
    search_fields = ("header_message_id", "from_header", "to_header", "cc_header")
    readonly_fields = [f.name for f in EmailDetails._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
