"""Admin screens: clients are read here (keys are made and revoked with the CLI, so that a
key is shown once and each change leaves an event); questions are edited here."""

from __future__ import annotations

from django.contrib import admin

from cityloop.open311.models import ApiClient, ServiceAttribute


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    list_display = ("name", "key_prefix", "account", "source", "rate_per_minute", "revoked_at")
    readonly_fields = ("name", "key_prefix", "account", "source", "created_at", "revoked_at")
    fields = (*readonly_fields, "rate_per_minute")
    search_fields = ("name", "key_prefix")

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(ServiceAttribute)
class ServiceAttributeAdmin(admin.ModelAdmin):
    list_display = ("category", "code", "description", "datatype", "required", "order")
    list_filter = ("datatype", "required")
    search_fields = ("code", "description", "category__code", "category__name")
