"""Inbound email from providers (Mailgun, SendGrid, Postmark, Mailjet, Brevo, Amazon SES, …)
through django-anymail: ``hooks/email/anymail/<esp>/inbound/``.

Anymail parses each provider's own request format into one email message and verifies what the
provider offers (Mailgun's HMAC signature, Amazon SNS's message headers, …); on top of that we
require anymail's shared ``WEBHOOK_SECRET`` (HTTP basic auth in the URL the provider posts to) for
every provider: a webhook is refused while it is not configured. Anymail hands the message to
its ``inbound`` signal — its public API — whose receiver here stores it with ``mail_receive``.

Answers: 200 once stored (or when no mailbox takes the recipients: retrying would not help);
403 for a wrong or missing secret or signature (nothing stored); 400 for a payload that is not
the provider's format; 503 while the provider's own setting (e.g. Mailgun's signing key) is
missing. A database outage propagates as a 500, so the provider retries: nothing is lost.
"""

from __future__ import annotations

import importlib.util
import logging
import warnings
from collections.abc import Callable
from email.message import EmailMessage
from email.policy import compat32
from typing import Any

from anymail.exceptions import (
    AnymailAPIError,
    AnymailConfigurationError,
    AnymailNotSupportedWarning,
    AnymailWebhookValidationFailure,
)
from anymail.signals import AnymailInboundEvent
from anymail.utils import get_anymail_setting
from anymail.webhooks.amazon_ses import AmazonSESInboundWebhookView
from anymail.webhooks.base import AnymailCoreWebhookView
from anymail.webhooks.brevo import BrevoInboundWebhookView
from anymail.webhooks.mailersend import MailerSendInboundWebhookView
from anymail.webhooks.mailgun import MailgunInboundWebhookView
from anymail.webhooks.mailjet import MailjetInboundWebhookView
from anymail.webhooks.postal import PostalInboundWebhookView
from anymail.webhooks.postmark import PostmarkInboundWebhookView
from anymail.webhooks.resend import ResendInboundWebhookView
from anymail.webhooks.sendgrid import SendGridInboundWebhookView
from anymail.webhooks.sparkpost import SparkPostInboundWebhookView
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from .ingest import mail_receive
from .selectors import mailbox_for_recipients, mailbox_per_recipient

log = logging.getLogger(__name__)

# The providers whose inbound webhook we take (the path segment → anymail's view).
INBOUND_VIEWS: dict[str, type[AnymailCoreWebhookView]] = {
    "amazon_ses": AmazonSESInboundWebhookView,
    "brevo": BrevoInboundWebhookView,
    "mailersend": MailerSendInboundWebhookView,
    "mailgun": MailgunInboundWebhookView,
    "mailjet": MailjetInboundWebhookView,
    "postal": PostalInboundWebhookView,
    "postmark": PostmarkInboundWebhookView,
    "resend": ResendInboundWebhookView,
    "sendgrid": SendGridInboundWebhookView,
    "sparkpost": SparkPostInboundWebhookView,
}
# Python packages a provider's view needs beyond anymail itself.
NEEDS: dict[str, str] = {"amazon_ses": "boto3", "postal": "cryptography"}

# Anymail warns on every SendGrid request that it no longer tests SendGrid; its inbound parse
# format has not changed, and our tests replay it.
warnings.filterwarnings("ignore", category=AnymailNotSupportedWarning)


# ------------------------------------------------------------------------------------------
# The receiver of anymail's inbound signal
# ------------------------------------------------------------------------------------------


def _recipients(message: Any) -> list[str]:
    """Where the message was delivered: the envelope recipient first, then To, Cc and the
    delivery headers (a provider route may forward mail for an alias)."""
    found: list[str] = []
    if getattr(message, "envelope_recipient", None):
        found.extend(a.strip() for a in str(message.envelope_recipient).split(","))
    for header in ("To", "Cc", "Delivered-To", "X-Original-To"):
        try:
            addresses = message.get_address_header(header)
        except Exception:  # a header that does not parse is no recipient
            log.debug("inbound webhook: unreadable %s header", header, exc_info=True)
            continue
        found.extend(a.addr_spec for a in addresses)
    return [a for a in dict.fromkeys(found) if a]


def _raw(message: EmailMessage) -> bytes:
    try:
        return message.as_bytes()
    except Exception:  # a header the modern policy cannot fold: the legacy one writes it as is
        return message.as_bytes(policy=compat32)


def anymail_inbound_received(
    sender: object, event: AnymailInboundEvent, esp_name: str, **kwargs: Any
) -> None:
    """Store one provider-delivered email for the mailbox it was sent to."""
    message = event.message
    if message is None:
        return
    recipients = _recipients(message)
    mailbox = mailbox_for_recipients(recipients)
    source = f"webhook:{esp_name.lower().replace(' ', '_')}"[:30]
    if mailbox is None:
        log.warning("%s: no mailbox takes %s; message not stored", source, recipients)
        return
    by_recipient = mailbox_per_recipient(recipients)
    envelope_to = [r for r in recipients if by_recipient[r] == mailbox]
    mail_receive(
        raw=_raw(message),
        mailbox=mailbox,
        source=source,
        envelope_from=str(getattr(message, "envelope_sender", None) or ""),
        envelope_to=envelope_to or recipients[:1],
    )


# ------------------------------------------------------------------------------------------
# The views: anymail's, behind our checks
# ------------------------------------------------------------------------------------------


class _BadPayload(Exception):
    pass


def webhook_secret_configured() -> bool:
    secret = get_anymail_setting("webhook_secret", default=None)
    if isinstance(secret, str):
        return bool(secret.strip())
    return bool(secret)


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"code": code, "message": message}, status=status)


def _guarded(esp: str, view_class: type[AnymailCoreWebhookView]) -> Callable[..., HttpResponse]:
    class Guarded(view_class):
        def parse_events(self, request: HttpRequest) -> Any:
            try:
                return super().parse_events(request)
            except (AnymailWebhookValidationFailure, AnymailConfigurationError):
                raise
            except (AnymailAPIError, LookupError, TypeError, ValueError) as exc:
                raise _BadPayload(f"{type(exc).__name__}: {exc}") from exc

    inner = Guarded.as_view()
    needs = NEEDS.get(esp)

    @csrf_exempt
    def view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method == "POST" and not webhook_secret_configured():
            return _error(
                403,
                "webhook_secret_missing",
                _("Inbound email webhooks are off until ANYMAIL_WEBHOOK_SECRET is set."),
            )
        if needs and importlib.util.find_spec(needs) is None:
            return _error(
                503,
                "not_installed",
                _("This provider needs the Python package %(package)s.") % {"package": needs},
            )
        try:
            response: HttpResponse = inner(request, *args, **kwargs)
        except AnymailWebhookValidationFailure as exc:
            log.warning("webhook:%s refused: %s", esp, exc)
            return _error(403, "webhook_auth", _("Wrong or missing webhook credentials."))
        except _BadPayload as exc:
            log.warning("webhook:%s bad payload: %s", esp, exc)
            return _error(400, "webhook_payload", _("This is not the provider's inbound format."))
        except ImproperlyConfigured as exc:  # anymail's settings for this provider
            log.error("webhook:%s not configured: %s", esp, exc)
            return _error(503, "not_configured", _("This provider's webhook is not configured."))
        return response

    return view


def _urls() -> list[URLPattern]:
    patterns = [
        path(
            f"hooks/email/anymail/{esp}/inbound/",
            _guarded(esp, view_class),
            name=f"anymail_{esp}_inbound",
        )
        for esp, view_class in INBOUND_VIEWS.items()
    ]
    # A Mailgun route whose URL contains "mime" forwards the raw message (body-mime).
    patterns.append(
        path(
            "hooks/email/anymail/mailgun/inbound_mime/",
            _guarded("mailgun", MailgunInboundWebhookView),
            name="anymail_mailgun_inbound_mime",
        )
    )
    return patterns


# Included by ``calmdesk.mail.urls`` (``urlpatterns += webhook_urlpatterns``).
webhook_urlpatterns: list[URLPattern] = _urls()
