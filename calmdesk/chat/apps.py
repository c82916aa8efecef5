from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChatConfig(AppConfig):
    """Live chat: the embeddable widget and the agents' side, over websockets."""

    name = "calmdesk.chat"
    label = "chat"
    verbose_name = _("Live chat")

    def ready(self) -> None:
        from calmdesk.conversations.outbound import register_reply_sender
        from calmdesk.tickets.enums import Channel

        from .services import chat_reply_sender

        register_reply_sender(Channel.CHAT, chat_reply_sender)
