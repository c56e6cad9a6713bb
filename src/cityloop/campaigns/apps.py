from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    name = "cityloop.campaigns"
    label = "campaigns"
    verbose_name = _("Campaigns")

    def ready(self) -> None:
        # Figures the assessment can score (assessment.indicators), when it is installed.
        from django.apps import apps

        from cityloop.campaigns import actions  # noqa: F401  the registry

        if apps.is_installed("cityloop.assessment"):
            from cityloop.campaigns import indicators

            indicators.register()
