from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PhoneConfig(AppConfig):
    """Phone calls (logged by agents or posted by a phone system) and callbacks."""

    name = "calmdesk.phone"
    label = "phone"
    verbose_name = _("Phone")
