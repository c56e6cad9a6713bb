from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    name = "cityloop.projects"
    label = "projects"
    verbose_name = _("Projects")

    def ready(self) -> None:
        # Figures the assessment can score (assessment.indicators), when it is installed.
        from django.apps import apps

        if apps.is_installed("cityloop.assessment"):
            from cityloop.projects import indicators

            indicators.register()
