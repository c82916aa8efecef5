from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailConfig(AppConfig):
    """Email in (IMAP, SMTP/LMTP, provider webhooks) and out (SMTP), one mailbox per team."""

    name = "calmdesk.mail"
    label = "mail"
    verbose_name = _("Email")

    def ready(self) -> None:
        from anymail.signals import inbound

        from calmdesk.conversations.outbound import register_reply_sender
        from calmdesk.tickets.enums import Channel

        from . import imap  # noqa: F401  (its periodic task: poll every IMAP mailbox)
        from .outbound import email_reply_send
        from .webhooks import anymail_inbound_received

        # Agents' replies by email, From the customer's mailbox, threaded under their mail.
        register_reply_sender(Channel.EMAIL, email_reply_send)
        # Provider webhooks (hooks/email/anymail/<esp>/inbound/): anymail's signal is its API.
        inbound.connect(anymail_inbound_received, dispatch_uid="calmdesk.mail.inbound")
