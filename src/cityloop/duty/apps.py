from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DutyConfig(AppConfig):
    name = "cityloop.duty"
    label = "duty"
    verbose_name = _("Duty rosters")

    def ready(self) -> None:
        from cityloop.duty import labels, signals, sweep  # noqa: F401  (vocabulary, escalation sweeper)

        signals.connect()

        from cityloop.cases import workflow as case_workflow
        from cityloop.duty import workflow

        case_workflow.register_after_report(workflow.route_alarm)
