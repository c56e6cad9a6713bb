"""Weekly demand rounds (调研轮次) and the demands (诉求) recorded during them.

Seed 002: "以周为单位组织‘民意调研员’深入一线…收集形成六大项提升清单…梳理为多个细分项目…街道层面
难以单独推进的具体需求事项及时向上反馈". A round is a street's week of visits by its researchers
(民意调研员); each demand is sorted into one of the street's improvement lists (提升清单) and
handled once: merged into the same matter, carried by projects (细分项目), solved on the spot
(就地解决), or escalated to a district department as a supervision task (lit, urged when late).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cityloop.core.models import EventBase


class ImprovementList(models.Model):
    """One of a street's 提升清单; six by default, edited in the admin."""

    unit = models.ForeignKey(
        "org.Unit", verbose_name=_("street unit"), on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("name"), max_length=60)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_demo = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("improvement list")
        verbose_name_plural = _("improvement lists")
        ordering = ["unit", "order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "name"], name="improvement_list_once")
        ]

    def __str__(self) -> str:
        return self.name


class Round(models.Model):
    code = models.CharField(_("code"), max_length=40, unique=True)
    unit = models.ForeignKey(
        "org.Unit", verbose_name=_("street unit"), on_delete=models.PROTECT, related_name="+"
    )
    week = models.CharField(_("ISO week"), max_length=8)  # "2026-W48"
    week_start = models.DateField(_("week starting"))  # the Monday: sorting and figures
    researchers = models.ManyToManyField(
        "org.Person", verbose_name=_("researchers"), blank=True, related_name="+"
    )
    places = models.TextField(_("places visited"), blank=True)  # one per line
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"))
    is_demo = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("demand round")
        verbose_name_plural = _("demand rounds")
        ordering = ["-week_start", "-pk"]
        constraints = [models.UniqueConstraint(fields=["unit", "week"], name="round_week_once")]

    def __str__(self) -> str:
        return f"{self.code} {self.week}"

    @property
    def place_list(self) -> list[str]:
        return [p for p in (s.strip() for s in self.places.splitlines()) if p]


class Demand(models.Model):
    class State(models.TextChoices):
        OPEN = "open", _("To be handled")
        MERGED = "merged", _("Merged")
        IN_PROJECT = "in_project", _("In projects")
        SOLVED = "solved", _("Solved on the spot")
        ESCALATED = "escalated", _("Escalated")

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="demands")
    number = models.PositiveSmallIntegerField(_("number"))
    text = models.TextField(_("demand"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    raised_by = models.CharField(_("raised by"), max_length=100, blank=True)
    photos = models.JSONField(_("photos"), default=list, blank=True)  # stored photo ids
    list = models.ForeignKey(
        ImprovementList,
        verbose_name=_("improvement list"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="demands",
    )
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default="open")
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged",
    )
    projects = models.ManyToManyField(
        "projects.Project", verbose_name=_("projects"), blank=True, related_name="+"
    )
    note = models.TextField(_("note"), blank=True)
    task = models.OneToOneField(
        "supervision.Task",
        verbose_name=_("task"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="round_demand",
    )
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("demand")
        verbose_name_plural = _("demands")
        ordering = ["round", "number"]
        constraints = [
            models.UniqueConstraint(fields=["round", "number"], name="demand_number_once")
        ]

    def __str__(self) -> str:
        return f"{self.round_id}-{self.number}"


class RoundEvent(EventBase):
    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="events")

    class Meta(EventBase.Meta):
        verbose_name = _("round event")
        verbose_name_plural = _("round events")
