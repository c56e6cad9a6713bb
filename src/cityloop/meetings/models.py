"""Meetings (周例会, 调度会, 恳谈会, 指挥部会议) and their decisions (议定事项).

Seed 003: "落实周例会工作机制…保障事事有落实，件件有回音"; seed 001: the 三项工程 headquarters
meets to dispatch. A meeting records who chaired, who signed in, the agenda and the minutes;
each decision is carried by a supervision task (owner unit, leader, deadline), lit and
supervised like any other, so "落实" is read off the task, never typed twice.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cityloop.core.models import EventBase


class Meeting(models.Model):
    class Kind(models.TextChoices):
        WEEKLY = "weekly", _("Weekly meeting")
        DISPATCH = "dispatch", _("Dispatch meeting")
        CONSULTATION = "consultation", _("Consultation meeting")
        HEADQUARTERS = "headquarters", _("Headquarters meeting")

    class State(models.TextChoices):
        PLANNED = "planned", _("To be held")
        HELD = "held", _("Held")
        ISSUED = "issued", _("Minutes issued")

    code = models.CharField(_("code"), max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    title = models.CharField(_("meeting title"), max_length=200)
    unit = models.ForeignKey(
        "org.Unit", verbose_name=_("organising unit"), on_delete=models.PROTECT, related_name="+"
    )
    chair = models.ForeignKey(
        "org.Person",
        verbose_name=_("chair"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    held_at = models.DateTimeField(_("held at"))
    location = models.CharField(_("location"), max_length=200, blank=True)
    agenda = models.TextField(_("agenda"), blank=True)
    minutes = models.TextField(_("minutes"), blank=True)
    state = models.CharField(
        _("state"), max_length=20, choices=State.choices, default=State.PLANNED
    )
    # The meeting of the same unit and kind before this one: it opens with their decisions.
    previous = models.ForeignKey(
        "self",
        verbose_name=_("previous meeting"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"))
    is_demo = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["-held_at", "-pk"]
        indexes = [
            # The list: a unit's meetings, newest first (keyset on held_at, pk).
            models.Index(fields=["unit", "-held_at", "-id"], name="meeting_unit_held"),
            models.Index(fields=["-held_at", "-id"], name="meeting_held"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class Attendee(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendees")
    person = models.ForeignKey(
        "org.Person", verbose_name=_("person"), on_delete=models.PROTECT, related_name="+"
    )
    signed_at = models.DateTimeField(_("signed in at"), null=True, blank=True)
    absence = models.CharField(_("reason for absence"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("attendee")
        verbose_name_plural = _("attendees")
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["meeting", "person"], name="attendee_once")]

    def __str__(self) -> str:
        return f"{self.meeting_id} {self.person_id}"


class Decision(models.Model):
    """One 议定事项; its owner, leader, deadline and progress are the task's."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="decisions")
    number = models.PositiveSmallIntegerField(_("number"))
    text = models.TextField(_("decision taken"))
    task = models.OneToOneField(
        "supervision.Task",
        verbose_name=_("task"),
        on_delete=models.PROTECT,
        related_name="meeting_decision",
    )

    class Meta:
        verbose_name = _("decision taken")
        verbose_name_plural = _("decisions taken")
        ordering = ["meeting", "number"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "number"], name="decision_number_once")
        ]

    def __str__(self) -> str:
        return f"{self.meeting_id}-{self.number}"


class MeetingEvent(EventBase):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="events")

    class Meta(EventBase.Meta):
        verbose_name = _("meeting event")
        verbose_name_plural = _("meeting events")
