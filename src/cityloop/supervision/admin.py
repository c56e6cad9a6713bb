from django.contrib import admin

from cityloop.supervision.models import LetterSeries, LightPolicy, TaskCategory, TaskKind


@admin.register(LightPolicy)
class LightPolicyAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "active",
        "red_behind_points",
        "yellow_behind_points",
        "near_working_days",
        "report_grace_days",
        "explanation_working_days",
        "repeat_escalation_at",
        "deduction_points",
    )


@admin.register(TaskKind)
class TaskKindAdmin(admin.ModelAdmin):
    list_display = ("code", "name")


@admin.register(TaskCategory)
class TaskCategoryAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "order")
    list_editable = ("order",)


@admin.register(LetterSeries)
class LetterSeriesAdmin(admin.ModelAdmin):
    list_display = ("prefix", "issuer", "signature")
