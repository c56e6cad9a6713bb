from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "cityloop.cases"
    label = "cases"
    verbose_name = _("Cases")

    def ready(self) -> None:
        from cityloop.cases import (
            actions,  # noqa: F401  the case loop's action registry
            summary,
            sweep,  # noqa: F401  registers the deadline sweeper
        )

        summary.connect()  # a deleted case leaves the figures summary

        from cityloop.cases import importers
        from cityloop.core import imports

        imports.register_runner(importers.KINDS, importers.run_import)  # ``cityloop import``

        # Figures the assessment can score (assessment.indicators), when it is installed.
        from django.apps import apps

        if apps.is_installed("cityloop.assessment"):
            from cityloop.cases import indicators

            indicators.register()
