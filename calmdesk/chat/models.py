"""Live chat: the widgets embedded on customers' sites, the visitors' chat sessions and the
agents' presence (who is online to answer a chat)."""

from __future__ import annotations

import hashlib
import secrets
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def new_widget_key() -> str:
    return secrets.token_urlsafe(12)


def normalize_origin(value: str) -> str:
    """'https://Shop.Example.com/' → 'https://shop.example.com' (scheme://host[:port])."""
    value = value.strip()
    if not value:
        return ""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return ""
    host = parts.hostname.lower()
    if ":" in host:  # IPv6
        host = f"[{host}]"
    default_port = 443 if parts.scheme == "https" else 80
    try:
        port = parts.port
    except ValueError:
        return ""
    suffix = f":{port}" if port and port != default_port else ""
    return f"{parts.scheme}://{host}{suffix}"


def validate_origins(value: str) -> None:
    for line in value.splitlines():
        line = line.strip()
        if line and line != "*" and not normalize_origin(line):
            raise ValidationError(
                _("%(origin)s is not an origin such as https://shop.example.com."),
                params={"origin": line},
            )


class ChatWidget(models.Model):
    """One chat widget: the script tag's ``data-widget`` key, the team that answers its chats
    and the sites allowed to embed it."""

    name = models.CharField(_("name"), max_length=120)
    key = models.SlugField(
        _("key"),
        max_length=40,
        unique=True,
        default=new_widget_key,
        help_text=_('Goes in the script tag: data-widget="…".'),
    )
    team = models.ForeignKey(
        "accounts.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="chat_widgets",
        verbose_name=_("team"),
        help_text=_("The team that answers these chats (when no request type or rule routes)."),
    )
    request_type = models.ForeignKey(
        "tickets.RequestType",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="chat_widgets",
        verbose_name=_("request type"),
        help_text=_("Optional: chats open as requests of this type (its team and priority)."),
    )
    allowed_origins = models.TextField(
        _("allowed sites"),
        blank=True,
        validators=[validate_origins],
        help_text=_(
            "One origin per line (https://shop.example.com) of the sites that may embed the "
            "widget; * for any site. This site itself is always allowed."
        ),
    )
    busy_wait_minutes = models.PositiveIntegerField(
        _("busy above (minutes)"),
        default=30,
        help_text=_(
            "Above this expected wait (or with no agent online) the widget asks for an email "
            "address and says the conversation continues by email."
        ),
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("chat widget")
        verbose_name_plural = _("chat widgets")

    def __str__(self) -> str:
        return self.name

    def origins(self) -> set[str]:
        lines = (line.strip() for line in self.allowed_origins.splitlines())
        return {"*" if line == "*" else normalize_origin(line) for line in lines if line} - {""}


class SessionStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting for an agent")
    ACTIVE = "active", _("Active")
    ENDED = "ended", _("Ended")
    EMAIL = "email", _("Continued by email")


OPEN_SESSION_STATUSES = (SessionStatus.WAITING, SessionStatus.ACTIVE, SessionStatus.EMAIL)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ChatSession(models.Model):
    """One chat of one visitor: its ticket is the thread of every message of the session."""

    widget = models.ForeignKey(
        ChatWidget, on_delete=models.PROTECT, related_name="sessions", verbose_name=_("widget")
    )
    # The visitor's id (kept in the browser's localStorage), also their chat identity.
    visitor_id = models.CharField(_("visitor id"), max_length=64)
    # SHA-256 of the visitor's secret (also in localStorage): the visitor id alone (an agent
    # sees it among the customer's identities) does not open the visitor's conversations.
    token_hash = models.CharField(max_length=64, editable=False)
    ticket = models.ForeignKey(
        "tickets.Ticket",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="chat_sessions",
        verbose_name=_("ticket"),
    )
    customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="chat_sessions",
        verbose_name=_("customer"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=SessionStatus.choices, default=SessionStatus.WAITING
    )
    name = models.CharField(_("name"), max_length=200, blank=True)
    email = models.EmailField(_("email"), max_length=320, blank=True)
    language = models.CharField(_("language"), max_length=10, default="en")
    # The page the visitor chats from (an http(s) URL, checked by the service).
    page_url = models.CharField(_("page"), max_length=2000, blank=True)
    # The agents were busy when the chat started: it said it would continue by email.
    busy_at_start = models.BooleanField(_("busy at start"), default=False)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="chat_sessions",
        verbose_name=_("agent"),
    )
    agent_joined_at = models.DateTimeField(_("agent joined"), null=True, blank=True)
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    ended_by = models.CharField(_("ended by"), max_length=10, blank=True)  # visitor/agent/left
    last_seen_at = models.DateTimeField(_("last seen"), default=timezone.now)
    # Open visitor sockets (tabs); ``left_at``: when the last one closed (null while connected).
    connections = models.PositiveIntegerField(default=0, editable=False)
    left_at = models.DateTimeField(_("left"), null=True, blank=True)
    # The last agent message the visitor's widget has shown (read receipts, email fallback).
    seen_message_id = models.BigIntegerField(null=True, blank=True, editable=False)
    # The last visitor message an agent has read (shown as "read" in the widget).
    read_message_id = models.BigIntegerField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("chat session")
        verbose_name_plural = _("chat sessions")
        indexes = [
            models.Index(fields=["visitor_id", "-started_at"], name="chat_session_visitor_idx"),
            models.Index(fields=["ticket", "-started_at"], name="chat_session_ticket_idx"),
            # The sweep for visitors who left and did not come back.
            models.Index(
                fields=["left_at"],
                name="chat_session_left_idx",
                condition=Q(left_at__isnull=False, status__in=["waiting", "active"]),
            ),
        ]

    def __str__(self) -> str:
        return f"chat {self.pk} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_SESSION_STATUSES

    @property
    def visitor_connected(self) -> bool:
        return self.connections > 0 and self.left_at is None


class AgentPresence(models.Model):
    """When an agent was last seen in the workspace with a live socket (the busy decision)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_presence"
    )
    last_seen_at = models.DateTimeField(_("last seen"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("agent presence")
        verbose_name_plural = _("agent presence")

    def __str__(self) -> str:
        return f"{self.user_id} seen {self.last_seen_at:%Y-%m-%d %H:%M}"
