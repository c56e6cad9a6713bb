from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PatrolsConfig(AppConfig):
    name = "cityloop.patrols"
    label = "patrols"
    verbose_name = _("Patrols")

    def ready(self) -> None:
        # patrol_coverage for the assessment (assessment.indicators), when it is installed.
        from django.apps import apps

        from cityloop.cases import queries as case_queries
        from cityloop.patrols import (
            labels,  # noqa: F401  (registers the vocabulary)
            queries,
        )

        case_queries.register_source_link(queries.case_source_link)

        if apps.is_installed("cityloop.assessment"):
            from cityloop.patrols import indicators

            indicators.register()
        if apps.is_installed("cityloop.bulletins") and apps.is_installed("cityloop.assessment"):
            from cityloop.patrols import bulletin_items

            bulletin_items.register()
