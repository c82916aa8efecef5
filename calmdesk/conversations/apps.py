from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConversationsConfig(AppConfig):
    """Every channel's contacts → one customer, one conversation per problem."""

    name = "calmdesk.conversations"
    verbose_name = _("Conversations")
    default_auto_field = "django.db.models.BigAutoField"
