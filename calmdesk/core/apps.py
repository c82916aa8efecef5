from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "calmdesk.core"
    label = "core"
    verbose_name = "Calmdesk core"
