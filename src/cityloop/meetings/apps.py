from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeetingsConfig(AppConfig):
    name = "cityloop.meetings"
    label = "meetings"
    verbose_name = _("Meetings")

    def ready(self) -> None:
        from cityloop.meetings import labels  # noqa: F401  (registers the vocabulary)
