"""Providers' inbound webhooks (django-anymail), each replayed in the provider's own format."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import pytest
from django.test import Client

from calmdesk.mail.models import InboundEmail, InboundStatus, Mailbox
from calmdesk.tickets.models import Ticket

from .transport_helpers import make_mailbox, raw_mail

pytestmark = pytest.mark.django_db

SECRET = "calmdesk:hook-secret"
SIGNING_KEY = "mailgun-signing-key"


@pytest.fixture(autouse=True)
def anymail_settings(settings: Any) -> None:
    settings.ANYMAIL = {
        "WEBHOOK_SECRET": SECRET,
        "MAILGUN_WEBHOOK_SIGNING_KEY": SIGNING_KEY,
        "BREVO_API_KEY": "brevo-api-key",
    }


@pytest.fixture
def mailbox() -> Mailbox:
    return make_mailbox(catch_all_domain="calmdesk.test")


def auth(secret: str = SECRET) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(secret.encode()).decode()}


def url(esp: str) -> str:
    return f"/hooks/email/anymail/{esp}/inbound/"


def assert_one_ticket(mailbox: Mailbox, source: str, *, subject: str, sender: str) -> None:
    inbound = InboundEmail.objects.get()
    assert inbound.mailbox == mailbox
    assert inbound.source == source
    assert inbound.status == InboundStatus.PROCESSED
    ticket = Ticket.objects.get()
    assert ticket.subject == subject
    assert ticket.customer.primary_email == sender


def assert_nothing_stored() -> None:
    assert InboundEmail.objects.count() == 0
    assert Ticket.objects.count() == 0


# ------------------------------------------------------------------------------------------
# Mailgun: a form post, fully parsed or raw MIME, signed with HMAC-SHA256
# ------------------------------------------------------------------------------------------


def mailgun_signature(timestamp: str, token: str, key: str = SIGNING_KEY) -> str:
    return hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()


def mailgun_parsed(*, signature: str | None = None) -> dict[str, str]:
    timestamp, token = "1772443800", "0f8a6f3d2b6e4c1a9e7d5b3c1a2e4f6a8c0b2d4e6f8a1c3e5"
    return {
        "recipient": "support@calmdesk.test",
        "sender": "ayse@example.com",
        "from": "Ayşe Yılmaz <ayse@example.com>",
        "subject": "Bagajım kayboldu",
        "body-plain": "Merhaba, bagajım İstanbul aktarmasında kayboldu.\n",
        "stripped-text": "Merhaba, bagajım İstanbul aktarmasında kayboldu.",
        "message-headers": json.dumps(
            [
                ["Received", "by mxa.mailgun.org with SMTP"],
                ["From", "Ayşe Yılmaz <ayse@example.com>"],
                ["To", "support@calmdesk.test"],
                ["Subject", "Bagajım kayboldu"],
                ["Message-Id", "<mg-1@example.com>"],
                ["Content-Type", 'text/plain; charset="utf-8"'],
            ]
        ),
        "timestamp": timestamp,
        "token": token,
        "signature": signature or mailgun_signature(timestamp, token),
    }


def test_mailgun_parsed_post_becomes_a_ticket(client: Client, mailbox: Mailbox) -> None:
    response = client.post(url("mailgun"), mailgun_parsed(), **auth())

    assert response.status_code == 200
    assert_one_ticket(
        mailbox, "webhook:mailgun", subject="Bagajım kayboldu", sender="ayse@example.com"
    )
    assert InboundEmail.objects.get().header_message_id == "<mg-1@example.com>"
    assert InboundEmail.objects.get().envelope_to == ["support@calmdesk.test"]


def test_mailgun_raw_mime_post_becomes_a_ticket(client: Client, mailbox: Mailbox) -> None:
    timestamp, token = "1772443801", "b" * 50
    raw = raw_mail(message_id="<mg-mime@example.com>").decode()

    response = client.post(
        "/hooks/email/anymail/mailgun/inbound_mime/",
        {
            "recipient": "support@calmdesk.test",
            "sender": "ayse@example.com",
            "body-mime": raw,
            "timestamp": timestamp,
            "token": token,
            "signature": mailgun_signature(timestamp, token),
        },
        **auth(),
    )

    assert response.status_code == 200
    assert_one_ticket(
        mailbox, "webhook:mailgun", subject="My flight was cancelled", sender="ayse@example.com"
    )


def test_mailgun_with_a_wrong_signature_is_refused_and_nothing_is_stored(
    client: Client, mailbox: Mailbox
) -> None:
    response = client.post(url("mailgun"), mailgun_parsed(signature="0" * 64), **auth())

    assert response.status_code == 403
    assert response.json()["code"] == "webhook_auth"
    assert_nothing_stored()


def test_mailgun_without_its_signing_key_answers_503(
    client: Client, mailbox: Mailbox, settings: Any
) -> None:
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET}

    response = client.post(url("mailgun"), mailgun_parsed(), **auth())

    assert response.status_code == 503
    assert response.json()["code"] == "not_configured"
    assert_nothing_stored()


# ------------------------------------------------------------------------------------------
# The shared secret (basic auth), for every provider
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("credentials", [None, "calmdesk:wrong", "someone:hook-secret"])
def test_a_wrong_or_missing_secret_is_refused_and_nothing_is_stored(
    client: Client, mailbox: Mailbox, credentials: str | None
) -> None:
    headers = auth(credentials) if credentials else {}

    response = client.post(
        url("postmark"), postmark_payload(), content_type="application/json", **headers
    )

    assert response.status_code == 403
    assert response.json() == {
        "code": "webhook_auth",
        "message": "Wrong or missing webhook credentials.",
    }
    assert_nothing_stored()


def test_webhooks_are_off_until_a_secret_is_configured(
    client: Client, mailbox: Mailbox, settings: Any
) -> None:
    settings.ANYMAIL = {"MAILGUN_WEBHOOK_SIGNING_KEY": SIGNING_KEY}

    response = client.post(url("mailgun"), mailgun_parsed(), **auth())

    assert response.status_code == 403
    assert response.json()["code"] == "webhook_secret_missing"
    assert_nothing_stored()


def test_a_payload_in_the_wrong_format_is_a_400(client: Client, mailbox: Mailbox) -> None:
    response = client.post(
        url("postmark"), "this is not json", content_type="application/json", **auth()
    )

    assert response.status_code == 400
    assert response.json()["code"] == "webhook_payload"
    assert_nothing_stored()


def test_mail_for_an_address_no_mailbox_takes_is_acknowledged_and_not_stored(
    client: Client, mailbox: Mailbox
) -> None:
    payload = postmark_payload(to="someone@elsewhere.example")

    response = client.post(url("postmark"), payload, content_type="application/json", **auth())

    assert response.status_code == 200  # a retry would not help
    assert_nothing_stored()


# ------------------------------------------------------------------------------------------
# SendGrid Inbound Parse: multipart form, raw MIME ("Send Raw") or parsed fields
# ------------------------------------------------------------------------------------------


def test_sendgrid_raw_parse_post_becomes_a_ticket(client: Client, mailbox: Mailbox) -> None:
    raw = raw_mail(
        sender="Jonas Petraitis <jonas@example.lt>",
        subject="Pamestas bagažas",
        body="Laba diena, mano bagažas dingo Vilniuje.",
        message_id="<sg-raw@example.lt>",
    ).decode()

    response = client.post(
        url("sendgrid"),
        {
            "email": raw,
            "envelope": json.dumps({"to": ["support@calmdesk.test"], "from": "jonas@example.lt"}),
            "charsets": json.dumps({"to": "UTF-8", "subject": "UTF-8", "from": "UTF-8"}),
            "spam_score": "0.1",
            "SPF": "pass",
        },
        **auth(),
    )

    assert response.status_code == 200
    assert_one_ticket(
        mailbox, "webhook:sendgrid", subject="Pamestas bagažas", sender="jonas@example.lt"
    )
    assert InboundEmail.objects.get().envelope_from == "jonas@example.lt"


def test_sendgrid_parsed_post_becomes_a_ticket(client: Client, mailbox: Mailbox) -> None:
    headers = (
        "Received: by mx0047p1mdw1.sendgrid.net with SMTP id 6WCVv7KAWn\n"
        "From: Mehmet Demir <mehmet@example.com.tr>\n"
        "To: support@calmdesk.test\n"
        "Subject: Bilet iadesi\n"
        "Message-ID: <sg-parsed@example.com.tr>\n"
        "Date: Mon, 2 Mar 2026 09:30:00 +0300\n"
    )

    response = client.post(
        url("sendgrid"),
        {
            "headers": headers,
            "from": "Mehmet Demir <mehmet@example.com.tr>",
            "to": "support@calmdesk.test",
            "subject": "Bilet iadesi",
            "text": "Merhaba, biletimin iadesini istiyorum.\n",
            "envelope": json.dumps(
                {"to": ["support@calmdesk.test"], "from": "mehmet@example.com.tr"}
            ),
            "charsets": json.dumps(
                {"to": "UTF-8", "subject": "UTF-8", "from": "UTF-8", "text": "UTF-8"}
            ),
        },
        **auth(),
    )

    assert response.status_code == 200
    assert_one_ticket(
        mailbox, "webhook:sendgrid", subject="Bilet iadesi", sender="mehmet@example.com.tr"
    )


# ------------------------------------------------------------------------------------------
# Postmark: JSON, with or without RawEmail
# ------------------------------------------------------------------------------------------


def postmark_payload(*, to: str = "support@calmdesk.test") -> str:
    return json.dumps(
        {
            "FromName": "Sara Ahmadi",
            "From": "sara@example.ir",
            "FromFull": {"Email": "sara@example.ir", "Name": "Sara Ahmadi", "MailboxHash": ""},
            "To": to,
            "ToFull": [{"Email": to, "Name": "", "MailboxHash": ""}],
            "Cc": "",
            "CcFull": [],
            "Bcc": "",
            "BccFull": [],
            "OriginalRecipient": to,
            "Subject": "پرواز من لغو شد",
            "MessageID": "73e6d360-66eb-11e1-8e72-a8904824019b",
            "ReplyTo": "",
            "MailboxHash": "",
            "Date": "Mon, 2 Mar 2026 09:30:00 +0330",
            "TextBody": "سلام، پرواز من لغو شد. لطفا کمک کنید.",
            "HtmlBody": "<p>سلام، پرواز من لغو شد. لطفا کمک کنید.</p>",
            "StrippedTextReply": "",
            "Tag": "",
            "Headers": [
                {"Name": "Return-Path", "Value": "<sara@example.ir>"},
                {"Name": "X-Spam-Status", "Value": "No"},
                {"Name": "Message-ID", "Value": "<pm-1@example.ir>"},
            ],
            "Attachments": [],
        }
    )


def test_postmark_json_becomes_a_ticket(client: Client, mailbox: Mailbox) -> None:
    response = client.post(
        url("postmark"), postmark_payload(), content_type="application/json", **auth()
    )

    assert response.status_code == 200
    assert_one_ticket(
        mailbox, "webhook:postmark", subject="پرواز من لغو شد", sender="sara@example.ir"
    )
    inbound = InboundEmail.objects.get()
    assert inbound.header_message_id == "<pm-1@example.ir>"
    assert inbound.envelope_from == "sara@example.ir"


def test_the_same_postmark_delivery_twice_is_stored_once(client: Client, mailbox: Mailbox) -> None:
    for _attempt in range(2):
        response = client.post(
            url("postmark"), postmark_payload(), content_type="application/json", **auth()
        )
        assert response.status_code == 200

    assert InboundEmail.objects.count() == 1
    assert Ticket.objects.get().messages.count() == 1


def test_postmark_raw_email_is_used_when_included(client: Client, mailbox: Mailbox) -> None:
    payload = json.loads(postmark_payload())
    payload["RawEmail"] = raw_mail(
        sender="Sara Ahmadi <sara@example.ir>", message_id="<pm-raw@example.ir>"
    ).decode()

    response = client.post(
        url("postmark"), json.dumps(payload), content_type="application/json", **auth()
    )

    assert response.status_code == 200
    assert InboundEmail.objects.get().header_message_id == "<pm-raw@example.ir>"
    assert Ticket.objects.get().subject == "My flight was cancelled"


# ------------------------------------------------------------------------------------------
# Mailjet Parse API: JSON
# ------------------------------------------------------------------------------------------


def test_mailjet_parse_json_becomes_a_ticket(client: Client, mailbox: Mailbox) -> None:
    payload = {
        "Sender": "ayse@example.com",
        "Recipient": "support@calmdesk.test",
        "Date": "20260302T093000",
        "From": "Ayşe Yılmaz <ayse@example.com>",
        "Subject": "Koltuk değişikliği",
        "Headers": {
            "Return-Path": ["<ayse@example.com>"],
            "Received": ["by parse.mailjet.com", "from mail.example.com"],
            "From": "Ayşe Yılmaz <ayse@example.com>",
            "To": "support@calmdesk.test",
            "Subject": "Koltuk değişikliği",
            "Message-ID": "<mj-1@example.com>",
            "Date": "Mon, 2 Mar 2026 09:30:00 +0300",
        },
        "Parts": [
            {"Headers": {"Content-Type": 'text/plain; charset="UTF-8"'}, "ContentRef": "Text-part"}
        ],
        "Text-part": "Merhaba, koltuğumu değiştirmek istiyorum.",
        "Html-part": "",
        "SpamAssassinScore": "0.2",
        "CustomID": "",
        "Payload": "",
    }

    response = client.post(
        url("mailjet"), json.dumps(payload), content_type="application/json", **auth()
    )

    assert response.status_code == 200
    assert_one_ticket(
        mailbox, "webhook:mailjet", subject="Koltuk değişikliği", sender="ayse@example.com"
    )
    assert InboundEmail.objects.get().header_message_id == "<mj-1@example.com>"


# ------------------------------------------------------------------------------------------
# Brevo inbound parsing: JSON {"items": [...]}
# ------------------------------------------------------------------------------------------


def test_brevo_inbound_json_becomes_a_ticket(client: Client, mailbox: Mailbox) -> None:
    payload = {
        "items": [
            {
                "Uuid": ["1c0a5ba5-1b9d-4f39-8b2f-0f2e2f4b5f1a"],
                "MessageId": "<brevo-1@example.lt>",
                "InReplyTo": None,
                "From": {"Name": "Jonas Petraitis", "Address": "jonas@example.lt"},
                "To": [{"Name": None, "Address": "support@calmdesk.test"}],
                "Cc": None,
                "ReplyTo": None,
                "SentAtDate": "Mon, 2 Mar 2026 09:30:00 +0200",
                "Subject": "Skrydžio atšaukimas",
                "Attachments": [],
                "Headers": {
                    "Return-Path": "<jonas@example.lt>",
                    "Delivered-To": "support@calmdesk.test",
                    "Message-ID": "<brevo-1@example.lt>",
                    "From": "Jonas Petraitis <jonas@example.lt>",
                    "To": "support@calmdesk.test",
                    "Subject": "Skrydžio atšaukimas",
                    "Date": "Mon, 2 Mar 2026 09:30:00 +0200",
                },
                "SpamScore": 0.5,
                "ExtractedMarkdownMessage": "Laba diena, mano skrydis atšauktas.",
                "ExtractedMarkdownSignature": None,
                "RawHtmlBody": "<p>Laba diena, mano skrydis atšauktas.</p>",
                "RawTextBody": "Laba diena, mano skrydis atšauktas.\n",
            }
        ]
    }

    response = client.post(
        url("brevo"), json.dumps(payload), content_type="application/json", **auth()
    )

    assert response.status_code == 200
    assert_one_ticket(
        mailbox, "webhook:brevo", subject="Skrydžio atšaukimas", sender="jonas@example.lt"
    )
    inbound = InboundEmail.objects.get()
    assert inbound.envelope_from == "jonas@example.lt"
    assert inbound.envelope_to == ["support@calmdesk.test"]


# ------------------------------------------------------------------------------------------
# Amazon SES through SNS: needs boto3 (optional)
# ------------------------------------------------------------------------------------------


def test_amazon_ses_without_boto3_says_what_is_missing(client: Client, mailbox: Mailbox) -> None:
    import importlib.util

    if importlib.util.find_spec("boto3") is not None:
        pytest.skip("boto3 is installed here")
    response = client.post(url("amazon_ses"), "{}", content_type="application/json", **auth())

    assert response.status_code == 503
    assert response.json()["code"] == "not_installed"
    assert_nothing_stored()
