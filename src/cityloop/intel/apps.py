from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntelConfig(AppConfig):
    name = "cityloop.intel"
    label = "intel"
    verbose_name = _("Triage intelligence")

    def ready(self) -> None:
        # Suggestions follow the case loop after its steps commit (cityloop.core.hooks): the
        # case loop announces, intel listens; cases imports nothing of intel.
        from cityloop.intel import subscribers

        subscribers.connect()
