from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    """SMS and messaging providers (Twilio SMS, WhatsApp Cloud API, Telegram) behind one
    adapter interface."""

    name = "calmdesk.messaging"
    label = "messaging"
    verbose_name = _("SMS and messaging")

    def ready(self) -> None:
        from calmdesk.conversations.outbound import register_reply_sender

        from .adapters import adapters
        from .services import reply_sender

        # A reply goes back on the channel the customer last wrote on, through the account
        # they wrote to.
        for adapter in adapters():
            register_reply_sender(adapter.channel, reply_sender(adapter.channel))
