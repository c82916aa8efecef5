from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class TicketStatus(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", _("Open")
    PENDING = "pending", _("Pending")
    SOLVED = "solved", _("Solved")
    CLOSED = "closed", _("Closed")


# Statuses that sit in the agents' queue (pending waits on the customer, not on us).
QUEUE_STATUSES = (TicketStatus.NEW, TicketStatus.OPEN)
ACTIVE_STATUSES = (TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.PENDING)


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


# Base of the numeric queue score per priority; rules may add a boost on top
# (the seed's "move to the top of the queue").
PRIORITY_BASE_SCORE = {
    Priority.LOW: 100,
    Priority.NORMAL: 200,
    Priority.HIGH: 300,
    Priority.URGENT: 400,
}


class Channel(models.TextChoices):
    FORM = "form", _("Web form")
    API = "api", _("API")
    EMAIL = "email", _("Email")
    CHAT = "chat", _("Chat")
    SMS = "sms", _("SMS")
    PHONE = "phone", _("Phone")
    WHATSAPP = "whatsapp", _("WhatsApp")
    TELEGRAM = "telegram", _("Telegram")
    MESSAGING = "messaging", _("Messaging")


class MessageKind(models.TextChoices):
    INBOUND = "inbound", _("From customer")
    OUTBOUND = "outbound", _("Reply to customer")
    NOTE = "note", _("Internal note")
    AUTO = "auto", _("Automatic message")


class EventType(models.TextChoices):
    CREATED = "created", _("Created")
    CUSTOMER_MESSAGE = "customer_message", _("Customer wrote")
    AGENT_REPLY = "agent_reply", _("Agent replied")
    NOTE = "note", _("Internal note")
    STATUS = "status", _("Status changed")
    PRIORITY = "priority", _("Priority changed")
    REQUEST_TYPE = "request_type", _("Request type changed")
    TRANSFER = "transfer", _("Transferred")
    ASSIGN = "assign", _("Assignee changed")
    TAGS = "tags", _("Tags changed")
    TRIAGE = "triage", _("Triage rules applied")
    AUTORESPONDER = "autoresponder", _("Acknowledgement sent")
    ALERT = "alert", _("Alert raised")
    REOPENED = "reopened", _("Reopened by customer")
    # Issue 3: one conversation per problem, every channel.
    MERGED = "merged", _("Merged another ticket in")
    MERGED_INTO = "merged_into", _("Merged into another ticket")
    SPLIT = "split", _("Split into a new ticket")
    SPLIT_FROM = "split_from", _("Split from another ticket")
    CALL = "call", _("Phone call")
    CALLBACK = "callback", _("Callback")
    DELIVERY = "delivery", _("Delivery problem")


class ActorKind(models.TextChoices):
    AGENT = "agent", _("Agent")
    CUSTOMER = "customer", _("Customer")
    SYSTEM = "system", _("System")
