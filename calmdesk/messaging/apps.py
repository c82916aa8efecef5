from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    """SMS and messaging providers (Twilio SMS, WhatsApp Cloud API, Telegram) behind one
    adapter interface."""

    name = "calmdesk.messaging"
    label = "messaging"
    verbose_name = _("SMS and messaging")
