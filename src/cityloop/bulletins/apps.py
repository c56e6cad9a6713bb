from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BulletinsConfig(AppConfig):
    name = "cityloop.bulletins"
    label = "bulletins"
    verbose_name = _("Bulletins and notices")

    def ready(self) -> None:
        # Generated items (case figures, board, rankings, submissions) and the assessment
        # indicator "bulletin items submitted" register themselves.
        from cityloop.bulletins import generators  # noqa: F401
