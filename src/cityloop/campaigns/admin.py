"""Admin for the kinds of output campaigns count (with their units)."""

from django.contrib import admin

from cityloop.campaigns.models import OutputKind


@admin.register(OutputKind)
class OutputKindAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "unit", "order")
    list_editable = ("order",)
