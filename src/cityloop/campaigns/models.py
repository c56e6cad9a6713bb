"""Campaigns' tables: campaigns (专项行动 / 志愿服务), recurring every Friday or one-off, their
sessions (each day the campaign ran), who signed in (person-times), the resources used and
the outputs counted by configurable kind and place.

Totals are never typed: person-times are sign-in rows, outputs and resources are summed from
the sessions by :mod:`cityloop.campaigns.queries`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from cityloop.core.models import EventBase


class OutputKind(models.Model):
    """卫生死角, 小广告, 违法建设, 树木 … with the unit they are counted in. Seeded."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=40)
    unit = models.CharField(_("unit of measure"), max_length=20)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("kind of output")
        verbose_name_plural = _("kinds of output")

    def __str__(self) -> str:
        return f"{self.name}（{self.unit}）"


class Campaign(models.Model):
    """全城清洁 every Friday, 杨柳飞絮防治, a one-off volunteer day …"""

    class Kind(models.TextChoices):
        CLEANUP = "cleanup", _("Clean-up")
        SPECIAL = "special", _("Special action")
        VOLUNTEER = "volunteer", _("Volunteer service")

    class Recurrence(models.TextChoices):
        ONCE = "once", _("One-off")
        WEEKLY = "weekly", _("Every week")

    class State(models.TextChoices):
        ACTIVE = "active", _("Running")
        ENDED = "ended", _("Ended")

    code = models.CharField(_("code"), max_length=40, unique=True)
    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    recurrence = models.CharField(
        _("recurrence"), max_length=10, choices=Recurrence.choices, default="once"
    )
    weekday = models.PositiveSmallIntegerField(_("weekday (0 = Monday)"), null=True, blank=True)
    start = models.DateField(_("start"))
    end = models.DateField(_("end"), null=True, blank=True)
    organiser = models.ForeignKey(
        "org.Unit",
        verbose_name=_("organiser"),
        on_delete=models.PROTECT,
        related_name="campaigns",
    )
    partners = models.ManyToManyField(
        "org.Unit", verbose_name=_("partner units"), blank=True, related_name="partner_campaigns"
    )
    places = models.ManyToManyField("org.Place", verbose_name=_("places"), blank=True)
    description = models.TextField(_("description"), blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default="active")
    created_at = models.DateTimeField(_("created"))
    is_demo = models.BooleanField(_("demo data"), default=False)

    class Meta:
        ordering = ["-start", "code"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=F("start")), name="campaign_dates"
            ),
            models.CheckConstraint(
                condition=Q(recurrence="once") | Q(weekday__isnull=False, weekday__lte=6),
                name="campaign_weekday",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class Session(models.Model):
    """One day a campaign ran (a Friday's 全城清洁), where, with photos."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="sessions")
    on = models.DateField(_("date"))
    place = models.ForeignKey(
        "org.Place", verbose_name=_("place"), on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(_("note"), blank=True)
    photos = models.JSONField(_("photos"), default=list, blank=True)
    at = models.DateTimeField(_("recorded at"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-on", "pk"]
        verbose_name = _("campaign session")
        verbose_name_plural = _("campaign sessions")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "on", "place"], name="session_day_place")
        ]
        indexes = [models.Index(fields=["on"])]

    def __str__(self) -> str:
        return f"{self.campaign.code} {self.on}"


class SignIn(models.Model):
    """One participant signed in at one session: one person-time (人次)."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="sign_ins")
    name = models.CharField(_("name"), max_length=50)
    person = models.ForeignKey(
        "org.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    unit = models.ForeignKey(
        "org.Unit",
        verbose_name=_("unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    is_volunteer = models.BooleanField(_("volunteer"), default=True)
    at = models.DateTimeField(_("signed in at"))

    class Meta:
        ordering = ["pk"]
        verbose_name = _("sign-in")
        verbose_name_plural = _("sign-ins")
        constraints = [
            models.UniqueConstraint(fields=["session", "name", "unit"], name="sign_in_once"),
        ]

    def __str__(self) -> str:
        return self.name


class Output(models.Model):
    """What a session achieved, of one kind at one place: 清理卫生死角 4 处 at 原矿务局家属院."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="outputs")
    kind = models.ForeignKey(OutputKind, verbose_name=_("kind"), on_delete=models.PROTECT)
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=3)
    place = models.ForeignKey(
        "org.Place", verbose_name=_("place"), on_delete=models.PROTECT, related_name="+"
    )
    zone = models.ForeignKey(
        "org.Zone",
        verbose_name=_("zone"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["pk"]
        verbose_name = _("output")
        verbose_name_plural = _("outputs")
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="output_positive")]

    def __str__(self) -> str:
        return f"{self.kind.name} {self.quantity}"


class ResourceUse(models.Model):
    """Vehicles and materials a session used: 垃圾清运车 3 辆, 凝絮剂 0.5 千克."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="resources")
    name = models.CharField(_("resource"), max_length=60)
    unit = models.CharField(_("unit of measure"), max_length=20)
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=3)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("resource used")
        verbose_name_plural = _("resources used")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="resource_positive")
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.quantity}{self.unit}"


class CampaignEvent(EventBase):
    """One step of a campaign: created, a session recorded, sign-ins, ended."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="events")

    class Meta(EventBase.Meta):
        verbose_name = _("campaign event")
        verbose_name_plural = _("campaign events")
