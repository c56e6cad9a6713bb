from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentConfig(AppConfig):
    name = "cityloop.assessment"
    label = "assessment"
    verbose_name = _("Assessment and rankings")
    # No indicators of its own: the apps that own the figures register theirs in their own
    # ready() (cases, supervision, projects, campaigns, patrols: each one's indicators.py).
