from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupervisionConfig(AppConfig):
    name = "cityloop.supervision"
    label = "supervision"
    verbose_name = _("Supervision and follow-up")

    def ready(self) -> None:
        from cityloop.supervision import (
            actions,  # noqa: F401  the task and rectification action registries
            sweep,  # noqa: F401  registers the light sweeper
        )
