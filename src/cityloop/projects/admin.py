"""Admin for the configurable parts: project types (stages, acceptance checklist) and kinds
of residents' request. Projects themselves change only through the workflow."""

from django.contrib import admin

from cityloop.projects.models import ProjectType, RequestKind


@admin.register(ProjectType)
class ProjectTypeAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "acceptance_stage", "order")
    list_editable = ("order",)


@admin.register(RequestKind)
class RequestKindAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "order")
    list_editable = ("order",)
