"""Admin screens for the shared kernel.

Calendar edits go through :mod:`cityloop.core.calendar` so that each one writes its event and
clears the business-time cache; tokens and events are shown read-only (tokens are issued with
``cityloop token``, events are never edited). Tokens are revoked from the token list or the
account list ("撤销该用户的全部令牌") through :mod:`cityloop.core.tokens`.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from cityloop.core import calendar, tokens
from cityloop.core.errors import DomainError
from cityloop.core.models import ApiToken, Event, WorkCalendarDay, WorkCalendarYear


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(WorkCalendarYear)
class WorkCalendarYearAdmin(SimpleHistoryAdmin):
    list_display = ["year", "source", "note", "exception_count"]
    actions = ["seed_from_package"]

    @admin.display(description=_("exceptions"))
    def exception_count(self, obj: WorkCalendarYear) -> int:
        return WorkCalendarDay.objects.filter(date__year=obj.year).count()

    def get_readonly_fields(self, request, obj=None):
        # A known year is changed through its days; the row itself only records provenance.
        return ["year", "source", "note"] if obj is not None else []

    def get_fields(self, request, obj=None):
        return ["year", "source", "note"] if obj is not None else ["year", "note"]

    def has_delete_permission(self, request, obj=None) -> bool:
        # Forgetting a year silently turns its holidays into working days; not an admin click.
        return False

    def save_model(self, request, obj, form, change) -> None:
        if change:
            return  # nothing is editable on an existing year
        calendar.calendar_year_add_manual(obj.year, actor=request.user, note=obj.note)

    @admin.action(description=_("Seed the selected years from the chinese-calendar package"))
    def seed_from_package(self, request, queryset) -> None:
        try:
            counts = calendar.calendar_seed([row.year for row in queryset], actor=request.user)
        except DomainError as exc:
            self.message_user(request, str(exc.message), messages.ERROR)
            return
        self.message_user(
            request,
            gettext("Seeded: %(created)s created, %(updated)s updated, %(kept)s manual kept.")
            % {
                "created": counts["created"],
                "updated": counts["updated"],
                "kept": counts["kept_manual"],
            },
        )


@admin.register(WorkCalendarDay)
class WorkCalendarDayAdmin(SimpleHistoryAdmin):
    list_display = ["date", "weekday", "is_workday", "name", "source"]
    list_filter = ["is_workday", "source"]
    date_hierarchy = "date"
    search_fields = ["name"]
    fields = ["date", "is_workday", "name"]

    @admin.display(description=_("weekday"))
    def weekday(self, obj: WorkCalendarDay) -> str:
        return "周" + "一二三四五六日"[obj.date.weekday()]

    def get_readonly_fields(self, request, obj=None):
        # Moving an exception to another date is a clear plus a new entry, each with its event.
        return ["date"] if obj is not None else []

    def save_model(self, request, obj, form, change) -> None:
        saved = calendar.calendar_day_set(
            actor=request.user, date=obj.date, is_workday=obj.is_workday, name=obj.name
        )
        obj.pk, obj.source = saved.pk, saved.source

    def delete_model(self, request, obj) -> None:
        calendar.calendar_day_clear(actor=request.user, date=obj.date)

    def delete_queryset(self, request, queryset) -> None:
        for row in queryset:
            calendar.calendar_day_clear(actor=request.user, date=row.date)


def _may_revoke(request) -> bool:
    return request.user.is_superuser or request.user.has_perm("core.change_apitoken")


def _revoke_users(modeladmin, request, users) -> None:
    total = sum(tokens.revoke_all(u, actor=request.user, reason="admin") for u in users)
    modeladmin.message_user(
        request,
        gettext("%(count)s token(s) of %(users)s account(s) revoked.")
        % {"count": total, "users": len(users)},
    )


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "prefix",
        "user",
        "label",
        "created_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
    ]
    list_filter = ["revoked_at"]
    search_fields = ["prefix", "label", "user__username"]
    exclude = ["digest"]
    actions = ["revoke_selected", "revoke_all_of_user"]

    def has_revoke_permission(self, request) -> bool:
        return _may_revoke(request)

    @admin.action(description=_("Revoke the selected tokens"), permissions=["revoke"])
    def revoke_selected(self, request, queryset) -> None:
        count = 0
        for row in queryset.filter(revoked_at__isnull=True):
            tokens.token_revoke_id(actor=request.user, token_id=row.pk)
            count += 1
        self.message_user(request, gettext("%(count)s token(s) revoked.") % {"count": count})

    @admin.action(description=_("Revoke all tokens of the user"), permissions=["revoke"])
    def revoke_all_of_user(self, request, queryset) -> None:
        users = list(get_user_model().objects.filter(api_tokens__in=queryset).distinct())
        _revoke_users(self, request, users)


class AccountAdmin(UserAdmin):
    """Django's account admin, plus revoking an account's tokens. Its password form saves
    through ``set_password``, so a reset there revokes them as well
    (:mod:`cityloop.core.signals`)."""

    actions = [*UserAdmin.actions, "revoke_all_tokens"]

    def has_revoke_permission(self, request) -> bool:
        return _may_revoke(request)

    @admin.action(description=_("Revoke all tokens of the user"), permissions=["revoke"])
    def revoke_all_tokens(self, request, queryset) -> None:
        _revoke_users(self, request, list(queryset))


_User = get_user_model()
if admin.site.is_registered(_User):
    admin.site.unregister(_User)
admin.site.register(_User, AccountAdmin)


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor_label", "verb", "object_type", "object_id", "from_state"]
    list_filter = ["verb", "object_type"]
    search_fields = ["actor_label", "verb", "object_id", "note"]
    date_hierarchy = "at"
