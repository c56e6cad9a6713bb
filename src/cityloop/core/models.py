"""Shared kernel tables: the work calendar, API tokens and the event pattern."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class WorkCalendarYear(models.Model):
    """A year whose holidays and 调休 workdays are known. A year without a row falls back to
    Monday–Friday with a visible warning."""

    class Source(models.TextChoices):
        CHINESE_CALENDAR = "chinese_calendar", _("chinese-calendar package")
        MANUAL = "manual", _("Entered by an administrator")

    year = models.PositiveSmallIntegerField(_("year"), primary_key=True)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("calendar year")
        verbose_name_plural = _("calendar years")
        ordering = ["year"]

    def __str__(self) -> str:
        return str(self.year)


class WorkCalendarDay(models.Model):
    """An exception to Monday–Friday: a weekday holiday, or a weekend 调休 workday."""

    date = models.DateField(_("date"), unique=True)
    is_workday = models.BooleanField(_("is a working day"))
    name = models.CharField(_("name"), max_length=50, blank=True)
    source = models.CharField(_("source"), max_length=20, choices=WorkCalendarYear.Source.choices)
    history = HistoricalRecords()

    class Meta:
        db_table = "work_calendar"
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {'班' if self.is_workday else '休'} {self.name}"


class EventBase(models.Model):
    """The shape of every event row: who did what to which object, from which state to which.

    Each loop (cases, tasks, projects …) has its own concrete event table with a foreign key
    to its object; :class:`Event` serves reference data and anything without its own table.
    Rows are written in the same transaction as the change and never edited.
    """

    at = models.DateTimeField(_("time"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_label = models.CharField(_("actor name"), max_length=100, blank=True)
    verb = models.CharField(_("action"), max_length=40)
    from_state = models.CharField(_("from"), max_length=40, blank=True)
    to_state = models.CharField(_("to"), max_length=40, blank=True)
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)
    attachments = models.JSONField(_("attachments"), default=list, blank=True)

    class Meta:
        abstract = True
        ordering = ["at", "pk"]


class Event(EventBase):
    object_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.CharField(max_length=64)

    class Meta(EventBase.Meta):
        verbose_name = _("event")
        verbose_name_plural = _("events")
        indexes = [models.Index(fields=["object_type", "object_id", "at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.verb}"


class ApiToken(models.Model):
    """A bearer token. Only a SHA-256 digest is stored; the token is shown once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    prefix = models.CharField(_("prefix"), max_length=12, db_index=True)
    digest = models.CharField(max_length=64, unique=True)
    label = models.CharField(_("label"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created at"))
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"


class Notification(models.Model):
    """One message to one person: a row in their in-app inbox, and the record of what the
    external channels (console, e-mail, SMS, WeCom …) made of it.

    Written in the transaction of the change it reports, so a rolled-back change leaves no row
    and sends nothing; delivery runs after commit (:mod:`cityloop.core.notify`). A person
    without an account (an anonymous resident reporter) has no recipient, only a contact.
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    # Phone and/or e-mail, space-separated, for whoever has no account (or to override it).
    contact = models.CharField(_("contact"), max_length=200, blank=True)
    verb = models.CharField(_("action"), max_length=40)
    title = models.CharField(_("message title"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    link = models.CharField(_("link"), max_length=300, blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(_("created at"))
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    # Set when a delivery run claims the row: delivery happens at most once.
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    channels = models.JSONField(_("channels"), default=list, blank=True)
    delivered = models.JSONField(_("delivery results"), default=dict, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["recipient", "read_at", "created_at"]),
            models.Index(fields=["sent_at", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.verb} {self.title}"


class Upload(models.Model):
    """A cleaned photo waiting to be attached to a report or an action (the API's two steps:
    ``POST /uploads``, then the step names it in ``photo_ids``). Any loop's workflow claims it
    inside its own transaction (:func:`cityloop.core.photos.claim`), so a refused step leaves
    it unused. The table keeps the name it had when only cases took photos."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="uploads"
    )
    file = models.CharField(max_length=200)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    gps = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField()
    used = models.BooleanField(default=False)

    class Meta:
        db_table = "cases_upload"

    def __str__(self) -> str:
        return self.file
