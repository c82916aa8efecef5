"""Attachments by mail: stored through the tickets Attachment model, inline images too, limits
noted in the message, and never served inline as HTML or SVG from our origin."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from calmdesk.accounts.models import Role
from calmdesk.core.testing.factories import AgentFactory
from calmdesk.mail.ingest import mail_receive
from calmdesk.tickets.models import Attachment

from .factories import MailboxFactory, build_mail

pytestmark = pytest.mark.django_db

HTML = b"<html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


def _mail_with_dangerous_files() -> Any:
    raw = build_mail(
        attachments=[("invoice.html", "text/html", HTML), ("logo.svg", "image/svg+xml", SVG)]
    )
    return mail_receive(raw=raw, mailbox=MailboxFactory(), source="smtp")


def test_attachments_are_stored_with_their_names_types_and_sizes() -> None:
    inbound = _mail_with_dangerous_files()

    rows = list(
        Attachment.objects.filter(message=inbound.message)
        .order_by("pk")
        .values_list("filename", "content_type", "size")
    )
    assert rows == [
        ("invoice.html", "text/html", len(HTML)),
        ("logo.svg", "image/svg+xml", len(SVG)),
    ]


@pytest.mark.parametrize("filename", ["invoice.html", "logo.svg"])
def test_an_agent_downloads_an_html_or_svg_attachment_never_rendered(
    client: Client, filename: str
) -> None:
    inbound = _mail_with_dangerous_files()
    client.force_login(AgentFactory(profile__role=Role.LEAD))
    attachment = Attachment.objects.get(message=inbound.message, filename=filename)

    response = client.get(reverse("tickets:attachment", args=[attachment.pk]))

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Type"] == "application/octet-stream"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"].startswith("sandbox")


@pytest.mark.parametrize("filename", ["invoice.html", "logo.svg"])
def test_the_customer_downloads_an_html_or_svg_attachment_never_rendered(
    client: Client, filename: str
) -> None:
    inbound = _mail_with_dangerous_files()
    attachment = Attachment.objects.get(message=inbound.message, filename=filename)
    assert inbound.ticket is not None

    response = client.get(
        reverse("inbox:attachment", args=[inbound.ticket.tracking_token, attachment.pk])
    )

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"].startswith("sandbox")


def test_an_inline_image_is_stored_as_an_attachment() -> None:
    raw = (
        b"From: a@example.com\nTo: support0@calmdesk.test\nSubject: photo\n"
        b"Message-ID: <inline@example.com>\nMIME-Version: 1.0\n"
        b'Content-Type: multipart/related; boundary="r"\n\n'
        b"--r\nContent-Type: text/html; charset=utf-8\n\n"
        b'<p>See the damage:</p><img src="cid:img1@example.com">\n'
        b"--r\nContent-Type: image/png\nContent-ID: <img1@example.com>\n"
        b"Content-Transfer-Encoding: base64\n\niVBORw0KGgo=\n--r--\n"
    )

    inbound = mail_receive(raw=raw, mailbox=MailboxFactory(), source="smtp")

    assert inbound.message is not None
    assert inbound.message.body_text == "See the damage:"
    attachment = Attachment.objects.get(message=inbound.message)
    assert attachment.filename == "attachment.png"
    assert attachment.content_type == "image/png"
    assert attachment.size == 8


def test_an_attachment_over_the_limit_is_left_out_and_noted(settings: Any) -> None:
    settings.MAIL_MAX_ATTACHMENT_BYTES = 1000
    raw = build_mail(
        text="Two files.",
        attachments=[
            ("small.txt", "text/plain", b"x" * 10),
            ("big.pdf", "application/pdf", b"%" * 5000),
        ],
    )

    inbound = mail_receive(raw=raw, mailbox=MailboxFactory(), source="smtp")

    assert inbound.message is not None
    names = list(inbound.message.attachments.values_list("filename", flat=True))
    assert names == ["small.txt"]
    assert inbound.message.body_text == (
        "Two files.\n\n[Attachment not stored: big.pdf (4.9\xa0KB), larger than the limit of "
        "1000\xa0bytes]"
    )


def test_attachments_beyond_the_total_limit_are_left_out_and_noted(settings: Any) -> None:
    settings.MAIL_MAX_ATTACHMENT_BYTES = 1000
    settings.MAIL_MAX_TOTAL_ATTACHMENT_BYTES = 1500
    raw = build_mail(
        text="Three files.",
        attachments=[(f"f{i}.bin", "application/octet-stream", b"0" * 700) for i in range(3)],
    )

    inbound = mail_receive(raw=raw, mailbox=MailboxFactory(), source="smtp")

    assert inbound.message is not None
    assert list(inbound.message.attachments.values_list("filename", flat=True)) == [
        "f0.bin",
        "f1.bin",
    ]
    assert "[Attachment not stored: f2.bin (700\xa0bytes)" in inbound.message.body_text
