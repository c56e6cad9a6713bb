"""Admin for the required patrol frequencies (the one table a street edits here)."""

from django.contrib import admin

from cityloop.patrols.models import PatrolRequirement


@admin.register(PatrolRequirement)
class PatrolRequirementAdmin(admin.ModelAdmin):
    list_display = ("role", "level", "period", "times")
    list_editable = ("period", "times")
