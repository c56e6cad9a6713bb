from django.contrib import admin

from cityloop.duty.models import DutyAlert, Handover, Shift, Swap


class SwapInline(admin.TabularInline):
    model = Swap
    extra = 0
    raw_id_fields = ("requested_by", "replacement", "decided_by")


@admin.register(Shift)
class ShiftAdmin(admin.ModelAdmin):
    list_display = ("unit", "kind", "starts_at", "ends_at", "on_duty", "leader")
    list_filter = ("kind",)
    raw_id_fields = ("unit", "on_duty", "leader")
    inlines = [SwapInline]


@admin.register(Handover)
class HandoverAdmin(admin.ModelAdmin):
    list_display = ("shift", "handed_by", "received_by", "at")
    raw_id_fields = ("shift", "handed_by", "received_by")


@admin.register(DutyAlert)
class DutyAlertAdmin(admin.ModelAdmin):
    list_display = ("case", "unit", "stage", "person", "at")
    list_filter = ("stage",)
    raw_id_fields = ("case", "unit", "shift", "person")
