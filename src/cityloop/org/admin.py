"""Admin screens for reference data. Saves go through the same model rules and leave an
event, so an edit in the admin is as traceable as one from an import."""

from __future__ import annotations

from django.contrib import admin
from django.db import transaction
from simple_history.admin import SimpleHistoryAdmin

from cityloop.core import events
from cityloop.org.models import Partnership, Person, Place, Unit, Zone, ZoneRole


class EventedAdmin(SimpleHistoryAdmin):
    def save_model(self, request, obj, form, change) -> None:
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            verb = f"{obj._meta.model_name}_{'updated' if change else 'created'}"
            events.record_on(obj, actor=request.user, verb=verb, data={"via": "admin"})


@admin.register(Place)
class PlaceAdmin(EventedAdmin):
    list_display = ["name", "code", "kind", "parent", "management", "is_demo"]
    list_filter = ["kind", "management", "is_demo"]
    search_fields = ["name", "code", "address"]
    autocomplete_fields = ["parent"]
    readonly_fields = ["path", "depth"]


@admin.register(Unit)
class UnitAdmin(EventedAdmin):
    list_display = ["name", "code", "kind", "parent", "place", "works_weekends", "round_the_clock"]
    list_filter = ["kind", "works_weekends", "round_the_clock"]
    search_fields = ["name", "code", "short_name"]
    autocomplete_fields = ["parent", "place"]
    readonly_fields = ["path", "depth"]


@admin.register(Zone)
class ZoneAdmin(EventedAdmin):
    list_display = ["name", "code", "kind", "place"]
    list_filter = ["kind"]
    search_fields = ["name", "code"]
    autocomplete_fields = ["place"]


class DutyInline(admin.TabularInline):
    model = ZoneRole
    extra = 0
    autocomplete_fields = ["zone", "place"]


@admin.register(Person)
class PersonAdmin(EventedAdmin):
    list_display = ["name", "code", "unit", "place", "phone", "user"]
    search_fields = ["name", "code", "phone"]
    autocomplete_fields = ["unit", "place", "user"]
    inlines = [DutyInline]


@admin.register(ZoneRole)
class ZoneRoleAdmin(EventedAdmin):
    list_display = ["person", "role", "level", "zone", "place"]
    list_filter = ["role", "level"]
    search_fields = ["person__name", "zone__name", "place__name"]
    autocomplete_fields = ["person", "zone", "place"]


@admin.register(Partnership)
class PartnershipAdmin(EventedAdmin):
    list_display = ["unit", "compound", "since"]
    autocomplete_fields = ["unit", "compound"]
