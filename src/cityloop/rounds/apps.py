from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RoundsConfig(AppConfig):
    name = "cityloop.rounds"
    label = "rounds"
    verbose_name = _("Demand rounds")

    def ready(self) -> None:
        from django.apps import apps

        from cityloop.projects import views as project_views
        from cityloop.rounds import labels  # noqa: F401  (registers the vocabulary)

        def round_demands(user, project):
            from cityloop.rounds import views

            return views.project_demands_panel(user, project)

        # The project page lists the round demands it carries (issue 18.4).
        project_views.register_page_part("round_demands", round_demands)

        if apps.is_installed("cityloop.bulletins") and apps.is_installed("cityloop.assessment"):
            from cityloop.rounds import bulletin_items

            bulletin_items.register()
