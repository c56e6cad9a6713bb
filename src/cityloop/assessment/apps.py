from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentConfig(AppConfig):
    name = "cityloop.assessment"
    label = "assessment"
    verbose_name = _("Assessment and rankings")

    def ready(self) -> None:
        # The built-in indicators (cases, supervision) register themselves on import; other
        # apps (bulletins, later projects and campaigns) register theirs in their own ready().
        from cityloop.assessment import builtin  # noqa: F401
