from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChatConfig(AppConfig):
    """Live chat: the embeddable widget and the agents' side, over websockets."""

    name = "calmdesk.chat"
    label = "chat"
    verbose_name = _("Live chat")
