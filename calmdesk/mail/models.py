"""Mailboxes (one per team address) and every inbound email, stored raw before parsing."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Mailbox(models.Model):
    """An address customers write to, bound to a team.

    Mail arrives by IMAP (the ``imap_*`` settings), by SMTP/LMTP (``manage.py smtpd``) or by a
    provider's inbound webhook; a message is routed to the mailbox whose ``address`` or
    ``aliases`` it was sent to, or whose ``catch_all_domain`` matches the recipient's domain.
    Replies from the team go out From ``address`` (``from_name``) with Reply-To ``reply_to``.
    """

    name = models.CharField(_("name"), max_length=120)
    address = models.EmailField(_("address"), unique=True)
    from_name = models.CharField(_("sender name"), max_length=120, blank=True)
    reply_to = models.EmailField(_("reply-to"), blank=True)
    aliases = models.JSONField(
        _("other addresses"), default=list, blank=True, help_text=_('e.g. ["help@example.com"]')
    )
    catch_all_domain = models.CharField(
        _("catch-all domain"),
        max_length=253,
        blank=True,
        help_text=_("Take mail for any address at this domain (e.g. calmdesk.test)."),
    )
    team = models.ForeignKey(
        "accounts.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="mailboxes",
        verbose_name=_("team"),
    )
    active = models.BooleanField(_("active"), default=True)
    # IMAP polling (leave the host empty for mail delivered by SMTP/LMTP or a webhook).
    imap_host = models.CharField(_("IMAP host"), max_length=253, blank=True)
    imap_port = models.PositiveIntegerField(_("IMAP port"), default=993)
    imap_security = models.CharField(
        _("IMAP security"),
        max_length=10,
        choices=[("ssl", "SSL/TLS"), ("starttls", "STARTTLS"), ("none", _("None"))],
        default="ssl",
    )
    imap_user = models.CharField(_("IMAP user"), max_length=320, blank=True)
    imap_password = models.CharField(_("IMAP password"), max_length=500, blank=True)
    imap_folder = models.CharField(_("IMAP folder"), max_length=200, default="INBOX")
    imap_last_checked_at = models.DateTimeField(null=True, blank=True, editable=False)
    imap_last_error = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")

    def __str__(self) -> str:
        return f"{self.name} <{self.address}>"


class InboundStatus(models.TextChoices):
    RECEIVED = "received", _("Received")  # stored, not processed yet
    PROCESSED = "processed", _("Processed")  # became a ticket or a message on one
    IGNORED = "ignored", _("Ignored")  # auto-reply, out-of-office, loop: stored, not answered
    BOUNCE = "bounce", _("Bounce")  # a delivery status notification: the address was marked
    FAILED = "failed", _("Failed")  # could not be processed: kept for replay (health page)


class InboundEmail(models.Model):
    """One received email, exactly as it arrived (``raw``), written before any parsing.

    Idempotent on (mailbox, ``dedup_key``): the Message-ID, or a hash of the raw bytes when a
    message has none.
    """

    mailbox = models.ForeignKey(
        Mailbox, on_delete=models.PROTECT, related_name="inbound", verbose_name=_("mailbox")
    )
    source = models.CharField(
        _("source"), max_length=30, help_text=_("imap, smtp, lmtp, webhook:<provider>, …")
    )
    raw = models.BinaryField(_("raw message"))
    size = models.PositiveIntegerField(_("size"), default=0)
    dedup_key = models.CharField(max_length=255)
    header_message_id = models.CharField(_("Message-ID"), max_length=998, blank=True)
    envelope_from = models.CharField(_("envelope sender"), max_length=320, blank=True)
    envelope_to = models.JSONField(_("envelope recipients"), default=list, blank=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    from_address = models.CharField(_("from"), max_length=320, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=InboundStatus.choices, default=InboundStatus.RECEIVED
    )
    error = models.TextField(_("error"), blank=True)
    # Why an IGNORED or BOUNCE message was not answered (auto-reply, loop, ...), for the lead.
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    ticket = models.ForeignKey(
        "tickets.Ticket",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inbound_emails",
    )
    message = models.ForeignKey(
        "tickets.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("inbound email")
        verbose_name_plural = _("inbound emails")
        constraints = [
            models.UniqueConstraint(fields=["mailbox", "dedup_key"], name="inbound_email_unique")
        ]
        indexes = [
            # The health page and the replay sweep: what is not done.
            models.Index(
                fields=["status", "received_at"],
                name="inbound_email_pending_idx",
                condition=Q(status__in=["received", "failed"]),
            ),
            # Loop protection: how many mails one sender sent to a mailbox in the last hour.
            models.Index(
                fields=["mailbox", "from_address", "received_at"], name="inbound_email_sender_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source}: {self.subject or self.header_message_id}"


class EmailDetails(models.Model):
    """The email headers of one ticket message that came by mail: who it was from, who else
    it was sent to (reply-all to the Cc'd parties), how it threads, and the full HTML (the
    message itself shows the new part, without the quoted history)."""

    message = models.OneToOneField(
        "tickets.Message",
        on_delete=models.CASCADE,
        related_name="email_details",
        verbose_name=_("message"),
    )
    inbound = models.ForeignKey(
        InboundEmail,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="details",
        verbose_name=_("inbound email"),
    )
    from_header = models.TextField(_("from"), blank=True)
    to_header = models.TextField(_("to"), blank=True)
    cc_header = models.TextField(_("cc"), blank=True)
    reply_to_header = models.TextField(_("reply-to"), blank=True)
    # Parsed (name, address) pairs, for reply-all: [["Ayla", "ayla@example.com"], ...]
    to_addresses = models.JSONField(default=list, blank=True)
    cc_addresses = models.JSONField(default=list, blank=True)
    header_message_id = models.CharField(_("Message-ID"), max_length=998, blank=True)
    in_reply_to = models.TextField(_("In-Reply-To"), blank=True)
    references = models.TextField(_("References"), blank=True)
    # The whole message as HTML (sanitised), quoted history included.
    full_html = models.TextField(_("full message (HTML)"), blank=True)
    # How the message joined its ticket: "headers", "subject", "token", "broadcast", "" …
    threaded_by = models.CharField(_("threaded by"), max_length=20, blank=True)
    # An agent forwarded a customer's mail: the agent who did (the ticket is the customer's).
    forwarded_by = models.CharField(_("forwarded by"), max_length=320, blank=True)

    class Meta:
        verbose_name = _("email details")
        verbose_name_plural = _("email details")

    def __str__(self) -> str:
        return self.header_message_id or f"#{self.pk}"
