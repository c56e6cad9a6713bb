from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeliberationConfig(AppConfig):
    name = "cityloop.deliberation"
    label = "deliberation"
    verbose_name = _("Residents' deliberation")

    def ready(self) -> None:
        from cityloop.deliberation import actions  # noqa: F401  the registry

        # The project page shows the resolution a project carries out (issue 18.3).
        from cityloop.projects import views as project_views

        def resolution(user, project):
            from cityloop.deliberation import views

            return views.resolution_panel(user, project)

        project_views.register_page_part("resolution", resolution)
