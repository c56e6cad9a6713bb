from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "cityloop.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from django.conf import settings
        from django.core.signals import got_request_exception

        from cityloop.core import (
            checks,  # noqa: F401  registers the deployment checks (cityloop check --deploy)
            clock,
            notify,  # noqa: F401  registers the notification sweeper
            signals,
        )
        from cityloop.core.middleware import on_uncaught_exception

        got_request_exception.connect(on_uncaught_exception, dispatch_uid="cityloop-500-log")

        # CITYLOOP_AS_OF pins the one clock for the whole process (demo, replays).
        clock.pin(settings.CITYLOOP.as_of)
        signals.connect()  # a password change revokes tokens and ends sessions
