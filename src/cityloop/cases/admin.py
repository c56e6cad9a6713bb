"""Admin for the case loop's reference data kept by units: reply templates."""

from django.contrib import admin

from cityloop.cases.models import ReplyTemplate


@admin.register(ReplyTemplate)
class ReplyTemplateAdmin(admin.ModelAdmin):
    list_display = ("title", "unit", "category", "used_for", "active", "sort")
    list_filter = ("used_for", "active")
    list_select_related = ("unit", "category")
    search_fields = ("title", "text", "unit__name")
