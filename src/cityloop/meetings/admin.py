from django.contrib import admin

from cityloop.meetings.models import Attendee, Decision, Meeting


class AttendeeInline(admin.TabularInline):
    model = Attendee
    extra = 0
    raw_id_fields = ("person",)


class DecisionInline(admin.TabularInline):
    model = Decision
    extra = 0
    raw_id_fields = ("task",)


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    list_display = ("code", "title", "kind", "unit", "held_at", "state")
    list_filter = ("kind", "state")
    search_fields = ("code", "title")
    raw_id_fields = ("unit", "chair", "previous", "created_by")
    inlines = [AttendeeInline, DecisionInline]
