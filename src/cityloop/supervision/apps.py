from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupervisionConfig(AppConfig):
    name = "cityloop.supervision"
    label = "supervision"
    verbose_name = _("Supervision and follow-up")

    def ready(self) -> None:
        # Figures the assessment can score (assessment.indicators), when it is installed.
        from django.apps import apps

        from cityloop.supervision import (
            actions,  # noqa: F401  the task and rectification action registries
            sweep,  # noqa: F401  registers the light sweeper
        )

        if apps.is_installed("cityloop.assessment"):
            from cityloop.supervision import indicators

            indicators.register()
