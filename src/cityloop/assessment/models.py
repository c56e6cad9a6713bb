"""Assessment tables: schemes (versioned, items weighted to 100), periods (open → computed →
closed, frozen when closed), scores per target with their item lines and deductions, the
assessor's entries, appeals, and the event trail.

No workflow here: state changes live in :mod:`cityloop.assessment.workflow`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cityloop.core.models import EventBase


class TargetKind(models.TextChoices):
    COMMUNITY = "community", _("Community")
    STREET = "street", _("Street")
    UNIT = "unit", _("Unit")


class PeriodKind(models.TextChoices):
    HALF_MONTH = "half_month", _("Half-month")
    MONTH = "month", _("Month")
    QUARTER = "quarter", _("Quarter")
    YEAR = "year", _("Year")


class Scheme(models.Model):
    """考核方案: one version of a scheme. A scheme's code stays; each revision is a new row
    with the next version, and a period keeps the version it was computed with."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ACTIVE = "active", _("Active")
        RETIRED = "retired", _("Retired")

    code = models.CharField(_("code"), max_length=40)
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    name = models.CharField(_("name"), max_length=100)
    target_kind = models.CharField(_("targets"), max_length=12, choices=TargetKind.choices)
    period_kind = models.CharField(_("period"), max_length=12, choices=PeriodKind.choices)
    owner = models.ForeignKey(
        "org.Unit", verbose_name=_("assessing unit"), on_delete=models.PROTECT, related_name="+"
    )
    # The targets are the communities/streets under this place (or the units under the
    # owner when it is empty and the targets are units).
    place = models.ForeignKey(
        "org.Place",
        verbose_name=_("area assessed"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Deductions confirmed in supervision (repeat failures) are taken off automatically.
    supervision_deductions = models.BooleanField(_("take supervision deductions"), default=True)
    praise_top = models.PositiveSmallIntegerField(_("praise the top N"), default=3)
    criticise_bottom = models.PositiveSmallIntegerField(_("criticise the bottom N"), default=2)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default="draft")
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(_("created"))
    is_demo = models.BooleanField(_("demo data"), default=False)

    class Meta:
        ordering = ["code", "-version"]
        verbose_name = _("assessment scheme")
        verbose_name_plural = _("assessment schemes")
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="scheme_version_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class Item(models.Model):
    """考核项目: computed through a named indicator and a scoring rule, or entered by an
    assessor with evidence. Points of an item run from 0 to its weight."""

    class Mode(models.TextChoices):
        COMPUTED = "computed", _("Computed from records")
        ENTERED = "entered", _("Entered by an assessor")

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="items")
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    code = models.CharField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=100)
    weight = models.DecimalField(_("weight"), max_digits=5, decimal_places=2)
    mode = models.CharField(_("mode"), max_length=10, choices=Mode.choices)
    indicator = models.CharField(_("indicator"), max_length=60, blank=True)
    rule = models.JSONField(_("scoring rule"), default=dict, blank=True)
    # A target whose indicator rests on fewer records is scored but not ranked.
    min_volume = models.PositiveIntegerField(_("minimum volume"), default=0)
    standard = models.TextField(_("scoring standard"), blank=True)

    class Meta:
        ordering = ["scheme", "order", "pk"]
        verbose_name = _("assessment item")
        verbose_name_plural = _("assessment items")
        constraints = [
            models.UniqueConstraint(fields=["scheme", "code"], name="item_code_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.weight})"


class Period(models.Model):
    """One scheme's period: computed (and recomputed) while open, frozen once closed."""

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        COMPUTED = "computed", _("Scores computed")
        CLOSED = "closed", _("Closed")

    scheme = models.ForeignKey(Scheme, on_delete=models.PROTECT, related_name="periods")
    code = models.CharField(_("scheme code"), max_length=40)
    key = models.CharField(_("period"), max_length=16)
    start = models.DateField(_("start"))
    end = models.DateField(_("end"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default="open")
    computed_at = models.DateTimeField(_("computed"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    is_demo = models.BooleanField(_("demo data"), default=False)

    class Meta:
        ordering = ["code", "-start"]
        verbose_name = _("assessment period")
        verbose_name_plural = _("assessment periods")
        constraints = [
            # One period per scheme code and key, whatever the version.
            models.UniqueConstraint(fields=["code", "key"], name="period_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.key}"


class Score(models.Model):
    """One target's result in a period: total, rank (None when not ranked), movement."""

    period = models.ForeignKey(Period, on_delete=models.CASCADE, related_name="scores")
    target_key = models.CharField(_("target"), max_length=40)
    label = models.CharField(_("name"), max_length=100)
    place = models.ForeignKey(
        "org.Place", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey(
        "org.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    total = models.DecimalField(_("score"), max_digits=6, decimal_places=2)
    rank = models.PositiveIntegerField(_("rank"), null=True, blank=True)
    tied = models.BooleanField(_("tied"), default=False)
    ranked = models.BooleanField(_("ranked"), default=True)
    unranked_reason = models.CharField(_("why not ranked"), max_length=200, blank=True)
    previous_rank = models.PositiveIntegerField(_("previous rank"), null=True, blank=True)
    deducted = models.DecimalField(_("deducted"), max_digits=6, decimal_places=2, default=0)

    class Meta:
        ordering = ["period", "rank", "-total", "label"]
        verbose_name = _("score")
        verbose_name_plural = _("scores")
        constraints = [
            models.UniqueConstraint(fields=["period", "target_key"], name="score_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.label} {self.total}"

    @property
    def movement(self) -> int | None:
        """Places gained (positive) or lost since the previous period."""
        if self.rank is None or self.previous_rank is None:
            return None
        return self.previous_rank - self.rank


class ItemScore(models.Model):
    """How one item was scored for one target, with the records behind it."""

    class Source(models.TextChoices):
        COMPUTED = "computed", _("Computed")
        ENTERED = "entered", _("Entered")
        APPEAL = "appeal", _("Changed on appeal")
        MISSING = "missing", _("Not entered yet")

    score = models.ForeignKey(Score, on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    value = models.FloatField(_("indicator value"), null=True, blank=True)
    volume = models.PositiveIntegerField(_("volume"), default=0)
    points = models.DecimalField(_("points"), max_digits=6, decimal_places=2)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    # {"rule": sentence, "measure": sentence, "numerator", "denominator",
    #  "records": [{"kind": "case", "id": 1, "label": "…"}], "evidence": …}
    explanation = models.JSONField(_("explanation"), default=dict)

    class Meta:
        ordering = ["score", "item__order", "item__pk"]
        constraints = [
            models.UniqueConstraint(fields=["score", "item"], name="item_score_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.item_id} {self.points}"


class Deduction(models.Model):
    """Points taken off a total outside the items: confirmed supervision deductions."""

    score = models.ForeignKey(Score, on_delete=models.CASCADE, related_name="deductions")
    points = models.DecimalField(_("points"), max_digits=6, decimal_places=2)
    reason = models.TextField(_("reason"))
    source_kind = models.CharField(_("source"), max_length=20)  # "escalation"
    source_id = models.PositiveIntegerField(_("source id"))

    class Meta:
        ordering = ["score", "pk"]

    def __str__(self) -> str:
        return f"-{self.points} {self.reason[:20]}"


class Entry(models.Model):
    """An assessor's points for an entered item, with evidence. Rows are appended; the
    latest for a (period, target, item) counts, the earlier ones stay as history."""

    period = models.ForeignKey(Period, on_delete=models.CASCADE, related_name="entries")
    target_key = models.CharField(_("target"), max_length=40)
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    points = models.DecimalField(_("points"), max_digits=6, decimal_places=2)
    evidence = models.TextField(_("evidence"))
    attachments = models.JSONField(_("attachments"), default=list, blank=True)
    entered_at = models.DateTimeField(_("entered"))
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    entered_by_label = models.CharField(_("entered by"), max_length=100, blank=True)

    class Meta:
        ordering = ["period", "target_key", "item", "entered_at", "pk"]

    def __str__(self) -> str:
        return f"{self.target_key} {self.item_id} {self.points}"


class Appeal(models.Model):
    """申诉: a target disputes one item; upheld, the item gets the decided points and the
    period is re-scored (and re-ranked); every step is an event."""

    class State(models.TextChoices):
        LODGED = "lodged", _("Lodged")
        UPHELD = "upheld", _("Upheld")
        DISMISSED = "dismissed", _("Dismissed")

    period = models.ForeignKey(Period, on_delete=models.CASCADE, related_name="appeals")
    target_key = models.CharField(_("target"), max_length=40)
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("reason"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default="lodged")
    points_before = models.DecimalField(_("points before"), max_digits=6, decimal_places=2)
    points_after = models.DecimalField(
        _("points after"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    decision = models.TextField(_("decision"), blank=True)
    lodged_at = models.DateTimeField(_("lodged"))
    lodged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-lodged_at", "pk"]
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")

    def __str__(self) -> str:
        return f"{self.target_key} {self.item_id} {self.state}"


class AssessmentEvent(EventBase):
    scheme = models.ForeignKey(
        Scheme, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    period = models.ForeignKey(
        Period, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    appeal = models.ForeignKey(
        Appeal, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )

    class Meta(EventBase.Meta):
        verbose_name = _("assessment event")
        verbose_name_plural = _("assessment events")
