from django.contrib import admin

from cityloop.rounds.models import Demand, ImprovementList, Round


@admin.register(ImprovementList)
class ImprovementListAdmin(admin.ModelAdmin):
    """The street's 提升清单 are configured here (six are made with its first round)."""

    list_display = ("name", "unit", "order")
    list_filter = ("unit",)
    raw_id_fields = ("unit",)


class DemandInline(admin.TabularInline):
    model = Demand
    extra = 0
    raw_id_fields = ("list", "merged_into", "task", "projects")


@admin.register(Round)
class RoundAdmin(admin.ModelAdmin):
    list_display = ("code", "unit", "week")
    search_fields = ("code",)
    raw_id_fields = ("unit", "researchers", "created_by")
    inlines = [DemandInline]
