"""Messaging accounts (credentials per provider, the webhook URL to paste into the provider's
console), the stored webhook deliveries (replay), and the messages received."""

from __future__ import annotations

import contextlib
import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, Max, Q, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .adapters import ProviderError, adapters, get_adapter
from .models import DeliveryStatus, MessagingAccount, ReceivedMessage, WebhookDelivery
from .services import account_set_webhook, credentials_complete, webhook_replay


def _field_name(provider: str, key: str) -> str:
    return f"{provider}__{key}"


def _credential_fields() -> dict[str, forms.Field]:
    fields: dict[str, forms.Field] = {}
    for adapter in adapters():
        for spec in adapter.credential_fields:
            widget: forms.Widget = (
                forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"})
                if spec.secret
                else forms.TextInput(attrs={"size": 60})
            )
            fields[_field_name(adapter.provider, spec.key)] = forms.CharField(
                label=spec.label,
                required=False,
                max_length=500,
                help_text=spec.help_text,
                widget=widget,
            )
    return fields


class MessagingAccountFormBase(forms.ModelForm):
    """The provider's credentials as ordinary fields (one group per provider); only the chosen
    provider's are kept. Secrets are never shown again; left empty, they keep their value."""

    provider = forms.ChoiceField(label=_("provider"), choices=())
    base_url = forms.URLField(
        label=_("API base URL"),
        required=False,
        assume_scheme="https",
        help_text=_("Leave empty for the provider's own API (set only for a proxy or tests)."),
    )

    class Meta:
        model = MessagingAccount
        fields = ["provider", "name", "team", "base_url", "active"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        provider_field = self.fields["provider"]
        assert isinstance(provider_field, forms.ChoiceField)
        provider_field.choices = [(a.provider, a.label) for a in adapters()]
        stored = self.instance.credentials or {}
        for adapter in adapters():
            mine = self.instance.pk is not None and self.instance.provider == adapter.provider
            for spec in adapter.credential_fields:
                field = self.fields[_field_name(adapter.provider, spec.key)]
                if not mine:
                    continue
                if spec.secret:
                    if stored.get(spec.key):
                        field.help_text = format_html(
                            "{} <strong>{}</strong>",
                            spec.help_text,
                            gettext("Set; leave empty to keep it."),
                        )
                else:
                    field.initial = stored.get(spec.key, "")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        provider = cleaned.get("provider")
        if not provider:
            return cleaned
        adapter = get_adapter(provider)
        stored = self.instance.credentials or {}
        same_provider = self.instance.pk is not None and self.instance.provider == provider
        given: dict[str, str] = {}
        for spec in adapter.credential_fields:
            value = (cleaned.get(_field_name(provider, spec.key)) or "").strip()
            if not value and spec.secret and same_provider:
                value = str(stored.get(spec.key) or "")
            given[spec.key] = value
        filled, problems = credentials_complete(adapter=adapter, credentials=given)
        for key, problem in problems.items():
            self.add_error(_field_name(provider, key), problem)
        self.instance.credentials = filled
        return cleaned


MessagingAccountForm = type(
    "MessagingAccountForm", (MessagingAccountFormBase,), _credential_fields()
)


@admin.register(MessagingAccount)
class MessagingAccountAdmin(admin.ModelAdmin):
    form = MessagingAccountForm
    list_display = ["name", "provider", "team", "active", "webhook_link", "last_received", "failed"]
    list_filter = ["provider", "active", "team"]
    search_fields = ["name"]
    readonly_fields = ["webhook_url_display"]
    actions = ["set_webhook"]

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets: list[Any] = [
            (None, {"fields": ["provider", "name", "team", "active", "webhook_url_display"]})
        ]
        fieldsets += [
            (
                gettext("%(provider)s credentials") % {"provider": adapter.label},
                {
                    "fields": [
                        _field_name(adapter.provider, spec.key)
                        for spec in adapter.credential_fields
                    ],
                    "classes": []
                    if obj is None or obj.provider == adapter.provider
                    else ["collapse"],
                },
            )
            for adapter in adapters()
        ]
        fieldsets.append((_("Advanced"), {"fields": ["base_url"], "classes": ["collapse"]}))
        return fieldsets

    def get_queryset(self, request: HttpRequest) -> QuerySet[MessagingAccount]:
        return (
            super()
            .get_queryset(request)
            .select_related("team")
            .annotate(
                _last=Max("received__received_at"),
                _failed=Count(
                    "deliveries", filter=Q(deliveries__status=DeliveryStatus.FAILED), distinct=True
                ),
            )
        )

    @admin.display(description=_("webhook URL"))
    def webhook_url_display(self, obj: MessagingAccount) -> str:
        if obj.pk is None:
            return gettext("Shown once the account is saved.")
        return format_html(
            "<code>{}</code><br><small>{}</small>",
            obj.webhook_url,
            gettext(
                "Paste this URL into the provider's console (Twilio: the number's “A message "
                "comes in” webhook, HTTP POST; Meta: the app's WhatsApp webhook, with the verify "
                "token above); for Telegram use the “Set webhook” action."
            ),
        )

    @admin.display(description=_("webhook URL"))
    def webhook_link(self, obj: MessagingAccount) -> str:
        return format_html("<code>{}</code>", obj.webhook_path)

    @admin.display(description=_("last message"), ordering="_last")
    def last_received(self, obj: MessagingAccount) -> Any:
        return getattr(obj, "_last", None)

    @admin.display(description=_("failed webhooks"), ordering="_failed")
    def failed(self, obj: MessagingAccount) -> int:
        return int(getattr(obj, "_failed", 0) or 0)

    @admin.action(description=_("Set the webhook at the provider (Telegram)"))
    def set_webhook(self, request: HttpRequest, queryset: QuerySet[MessagingAccount]) -> None:
        for account in queryset:
            try:
                answer = account_set_webhook(account=account)
            except ProviderError as exc:
                self.message_user(request, f"{account}: {exc}", messages.ERROR)
            else:
                self.message_user(
                    request, f"{account}: {answer} → {account.webhook_url}", messages.SUCCESS
                )


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["received_at", "account", "status", "summary", "attempts", "short_error"]
    list_filter = ["status", "account__provider", "account"]
    date_hierarchy = "received_at"
    list_select_related = ["account"]
    actions = ["replay"]
    fields = (
        "account",
        "status",
        "summary",
        "received_at",
        "processed_at",
        "attempts",
        "next_attempt_at",
        "error",
        "method",
        "url",
        "headers_display",
        "body_display",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("error"))
    def short_error(self, obj: WebhookDelivery) -> str:
        return obj.error[:120]

    @admin.display(description=_("headers"))
    def headers_display(self, obj: WebhookDelivery) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.headers, indent=2, ensure_ascii=False))

    @admin.display(description=_("body"))
    def body_display(self, obj: WebhookDelivery) -> str:
        text = bytes(obj.body or b"").decode("utf-8", "replace")
        with contextlib.suppress(ValueError):
            text = json.dumps(json.loads(text), indent=2, ensure_ascii=False)
        return format_html("<pre style='white-space: pre-wrap'>{}</pre>", text[:20000])

    @admin.action(description=_("Process again"))
    def replay(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        done = 0
        for delivery in queryset.exclude(
            status__in=[DeliveryStatus.PROCESSED, DeliveryStatus.IGNORED]
        ):
            status = webhook_replay(delivery=delivery)
            if status in (DeliveryStatus.PROCESSED, DeliveryStatus.IGNORED):
                done += 1
            else:
                delivery.refresh_from_db()
                self.message_user(request, f"{delivery.pk}: {delivery.error[:300]}", messages.ERROR)
        self.message_user(request, gettext("%(count)s processed.") % {"count": done})


@admin.register(ReceivedMessage)
class ReceivedMessageAdmin(admin.ModelAdmin):
    list_display = ["received_at", "account", "handle", "outcome", "ticket", "external_id"]
    list_filter = ["provider", "outcome", "account"]
    search_fields = ["handle", "external_id", "=ticket__id"]
    list_select_related = ["account", "ticket"]
    raw_id_fields = ["ticket", "message", "contact", "delivery"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
