from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailConfig(AppConfig):
    """Email in (IMAP, SMTP/LMTP, provider webhooks) and out (SMTP), one mailbox per team."""

    name = "calmdesk.mail"
    label = "mail"
    verbose_name = _("Email")
