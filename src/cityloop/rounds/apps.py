from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RoundsConfig(AppConfig):
    name = "cityloop.rounds"
    label = "rounds"
    verbose_name = _("Demand rounds")

    def ready(self) -> None:
        from django.apps import apps

        from cityloop.rounds import labels  # noqa: F401  (registers the vocabulary)

        if apps.is_installed("cityloop.bulletins") and apps.is_installed("cityloop.assessment"):
            from cityloop.rounds import bulletin_items

            bulletin_items.register()
