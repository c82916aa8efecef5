"""Mailboxes and raw emails for the mail tests."""

from __future__ import annotations

from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid
from typing import Any

import factory
from django.utils import timezone

from calmdesk.mail.models import Mailbox


class MailboxFactory(factory.django.DjangoModelFactory[Mailbox]):
    class Meta:
        model = Mailbox

    name = factory.Sequence(lambda n: f"Support {n}")
    address = factory.Sequence(lambda n: f"support{n}@calmdesk.test")


def build_mail(
    *,
    sender: str = "Ayla Demir <ayla@example.com>",
    to: str = "support0@calmdesk.test",
    subject: str = "My booking",
    text: str | None = "Hello, my cabin is wrong.",
    html: str | None = None,
    message_id: str | None = None,
    headers: dict[str, str] | None = None,
    attachments: list[tuple[str, str, bytes]] = (),  # type: ignore[assignment]
    **extra: Any,
) -> bytes:
    """A well-formed email as bytes (text and/or HTML, attachments, extra headers)."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(timezone.now())
    msg["Message-ID"] = message_id or make_msgid(domain="example.com")
    for name, value in (headers or {}).items():
        msg[name] = value
    if text is not None:
        msg.set_content(text)
    if html is not None:
        if text is None:
            msg.set_content(html, subtype="html")
        else:
            msg.add_alternative(html, subtype="html")
    for filename, content_type, data in attachments:
        maintype, subtype = content_type.split("/", 1)
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg.as_bytes(policy=SMTP)
