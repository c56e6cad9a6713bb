"""Read-mostly admin screens: stages and ballots change only through the workflow."""

from django.contrib import admin

from cityloop.deliberation.models import Ballot, CharterDocument, Household, Owner, Topic


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ("code", "title", "place", "stage", "rule", "created_at")
    list_filter = ("stage", "rule")
    search_fields = ("code", "title")
    readonly_fields = ("stage", "resolution_notice_until", "result_notice_until")


@admin.register(Household)
class HouseholdAdmin(admin.ModelAdmin):
    list_display = ("compound", "building", "entrance", "room", "area", "eligible")
    search_fields = ("building", "room", "compound__name")


@admin.register(Owner)
class OwnerAdmin(admin.ModelAdmin):
    list_display = ("name", "compound", "key")
    search_fields = ("name", "key")


@admin.register(Ballot)
class BallotAdmin(admin.ModelAdmin):
    # No choice here: the admin would show it while the vote is open. Who may see a choice,
    # and when, is decided in ``rules.can_see_choices`` and read through the API and pages.
    list_display = ("vote", "household", "channel", "ballot_no", "cast_at")
    exclude = ("choice",)

    def has_change_permission(self, request, obj=None) -> bool:  # a ballot is never edited
        return False

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(CharterDocument)
class CharterDocumentAdmin(admin.ModelAdmin):
    list_display = ("place", "kind", "version", "title", "adopted_on")
    list_filter = ("kind",)
