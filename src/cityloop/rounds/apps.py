from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RoundsConfig(AppConfig):
    name = "cityloop.rounds"
    label = "rounds"
    verbose_name = _("Demand rounds")

    def ready(self) -> None:
        from cityloop.rounds import labels  # noqa: F401  (registers the vocabulary)
