"""Patrols' tables (巡查, seed 000 路长制 "巡查、反馈、协调、处置、督查"; seed 003 每天不间断巡查).

A patrol is one walk of one person on duty (a road chief, a grid worker, an inspector) over
one or more of their zones: when it started and ended, the thinned track or the check-ins per
road segment, the result ("未发现问题" is a result) and the cases reported on the way, which
are ordinary cases taken in through the case intake and linked here by :class:`PatrolCase`.

How often each duty must patrol is data (:class:`PatrolRequirement`), not code; the ledger
and the missed-patrol lights are computed from these rows (:mod:`cityloop.patrols.coverage`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from cityloop.core.models import EventBase
from cityloop.org.models import ZoneRole


class PatrolRequirement(models.Model):
    """社区级路长每天巡查, 街道级路长每周巡查 …: how many patrols a duty owes per period."""

    class Period(models.TextChoices):
        DAY = "day", _("Every day")
        WEEK = "week", _("Every week")

    role = models.CharField(_("role"), max_length=16, choices=ZoneRole.Role.choices)
    level = models.CharField(_("level"), max_length=10, choices=ZoneRole.Level.choices, blank=True)
    period = models.CharField(_("period"), max_length=8, choices=Period.choices)
    times = models.PositiveSmallIntegerField(_("patrols per period"), default=1)

    class Meta:
        ordering = ["role", "level"]
        verbose_name = _("required patrol frequency")
        verbose_name_plural = _("required patrol frequencies")
        constraints = [
            models.UniqueConstraint(fields=["role", "level"], name="patrol_requirement_once"),
            models.CheckConstraint(condition=Q(times__gte=1), name="patrol_requirement_times"),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} {self.get_level_display()} {self.get_period_display()}"


class Patrol(models.Model):
    class State(models.TextChoices):
        ONGOING = "ongoing", _("On patrol")
        ENDED = "ended", _("Ended")

    class Result(models.TextChoices):
        NO_PROBLEM = "no_problem", _("No problem found")
        PROBLEMS = "problems", _("Problems reported")

    code = models.CharField(_("code"), max_length=30, unique=True)
    person = models.ForeignKey(
        "org.Person", verbose_name=_("patrolled by"), on_delete=models.PROTECT, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    role = models.CharField(_("role"), max_length=16, choices=ZoneRole.Role.choices)
    level = models.CharField(_("level"), max_length=10, choices=ZoneRole.Level.choices, blank=True)
    zones = models.ManyToManyField("org.Zone", verbose_name=_("zones"), related_name="patrols")
    # The street the (first) zone lies in: scope filters on its path without a join per zone.
    place = models.ForeignKey(
        "org.Place", verbose_name=_("place"), on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default="ongoing")
    result = models.CharField(_("result"), max_length=12, choices=Result.choices, blank=True)
    started_at = models.DateTimeField(_("started"), db_index=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    distance_m = models.PositiveIntegerField(_("distance (m)"), default=0)
    # The phone's key for the start, so a start queued offline and sent twice is one patrol.
    client_key = models.CharField(max_length=200, blank=True)
    is_demo = models.BooleanField(_("demo data"), default=False)

    class Meta:
        ordering = ["-started_at", "pk"]
        verbose_name = _("patrol")
        verbose_name_plural = _("patrols")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "client_key"],
                condition=~Q(client_key=""),
                name="patrol_client_key_once",
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=F("started_at")),
                name="patrol_dates",
            ),
            models.CheckConstraint(
                condition=Q(state="ongoing", result="") | Q(state="ended") & ~Q(result=""),
                name="patrol_result_when_ended",
            ),
        ]

    def __str__(self) -> str:
        return self.code


class PatrolPoint(models.Model):
    """A kept point of the track (GPS, thinned), or a check-in on a road segment without GPS."""

    class Kind(models.TextChoices):
        GPS = "gps", _("Position")
        CHECK_IN = "check_in", _("Check-in")

    patrol = models.ForeignKey(Patrol, on_delete=models.CASCADE, related_name="points")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default="gps")
    at = models.DateTimeField(_("time"))
    lng = models.FloatField(null=True, blank=True)
    lat = models.FloatField(null=True, blank=True)
    accuracy_m = models.FloatField(null=True, blank=True)
    zone = models.ForeignKey(
        "org.Zone", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    segment = models.CharField(_("road segment"), max_length=100, blank=True)
    # The phone's key of the point: a resent batch adds nothing twice.
    client_key = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("track point")
        verbose_name_plural = _("track points")
        constraints = [
            models.UniqueConstraint(
                fields=["patrol", "client_key"],
                condition=~Q(client_key=""),
                name="patrol_point_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.patrol_id} {self.at:%H:%M:%S}"


class PatrolCase(models.Model):
    """A case reported during a patrol. The case itself is an ordinary case (source patrol)."""

    patrol = models.ForeignKey(Patrol, on_delete=models.CASCADE, related_name="case_links")
    case = models.OneToOneField("cases.Case", on_delete=models.CASCADE, related_name="patrol_link")
    at = models.DateTimeField(_("time"))

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("case found on patrol")
        verbose_name_plural = _("cases found on patrol")

    def __str__(self) -> str:
        return f"{self.patrol_id} → {self.case_id}"


class PatrolEvent(EventBase):
    patrol = models.ForeignKey(Patrol, on_delete=models.CASCADE, related_name="events")

    class Meta(EventBase.Meta):
        verbose_name = _("patrol event")
        verbose_name_plural = _("patrol events")
