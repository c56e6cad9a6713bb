from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "cityloop.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from django.conf import settings

        from cityloop.core import (
            clock,
            notify,  # noqa: F401  registers the notification sweeper
            signals,
        )

        # CITYLOOP_AS_OF pins the one clock for the whole process (demo, replays).
        clock.pin(settings.CITYLOOP.as_of)
        signals.connect()  # a password change revokes tokens and ends sessions
