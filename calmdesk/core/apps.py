from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "calmdesk.core"
    label = "core"
    verbose_name = "Calmdesk core"

    def ready(self) -> None:
        from . import lookups  # noqa: F401  (registers field__literal_in)
