from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    name = "cityloop.projects"
    label = "projects"
    verbose_name = _("Projects")

    def ready(self) -> None:
        from cityloop.core import imports
        from cityloop.projects import actions, importers  # noqa: F401  actions: the registry

        imports.register_runner(importers.KINDS, importers.run_import)  # ``cityloop import``

        # Figures the assessment can score (assessment.indicators), when it is installed.
        from django.apps import apps

        if apps.is_installed("cityloop.assessment"):
            from cityloop.projects import indicators

            indicators.register()
