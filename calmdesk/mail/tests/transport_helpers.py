"""Helpers of the transport tests (IMAP, SMTP/LMTP, webhooks, outbound): mailboxes, raw mail."""

from __future__ import annotations

from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid
from typing import Any

from django.utils import timezone

from calmdesk.accounts.models import Team
from calmdesk.core.testing.factories import TeamFactory
from calmdesk.mail.models import Mailbox


def make_mailbox(
    *, address: str = "support@calmdesk.test", team: Team | None = None, **fields: Any
) -> Mailbox:
    fields.setdefault("name", "Support")
    fields.setdefault("from_name", "Calmdesk Support")
    return Mailbox.objects.create(address=address, team=team or TeamFactory.create(), **fields)


def raw_mail(
    *,
    sender: str = "Ayşe Yılmaz <ayse@example.com>",
    to: str = "support@calmdesk.test",
    subject: str = "My flight was cancelled",
    body: str = "Hello, my flight TK1980 was cancelled. I would like a refund.",
    message_id: str | None = None,
    cc: str = "",
    in_reply_to: str = "",
    references: str = "",
    headers: dict[str, str] | None = None,
) -> bytes:
    msg = EmailMessage(policy=SMTP)
    msg["From"] = sender
    msg["To"] = to
    if cc:
        msg["Cc"] = cc
    msg["Subject"] = subject
    msg["Date"] = format_datetime(timezone.now())
    msg["Message-ID"] = message_id or make_msgid(domain="example.com")
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = references
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    return msg.as_bytes()
