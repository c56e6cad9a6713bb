"""Duty rosters (值班): who is on duty and which leader is on call, shift by shift.

Seed 003: "确保24小时专人在岗，主管领导手机24小时保持畅通". A unit's roster is its shifts (a
24-hour shift, or a day and a night shift); each names the person on duty (值班人员) and the
leader on call (带班领导). People swap shifts with the unit's approval (:class:`Swap`); each
shift ends with a handover (交接班记录, :class:`Handover`) naming the matters still open. An
urgent case for a round-the-clock unit reaches the person on duty and, untaken, the leader on
call; each of those alerts is a :class:`DutyAlert` row, written once.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from cityloop.core.models import EventBase


class Shift(models.Model):
    class Kind(models.TextChoices):
        FULL_DAY = "full_day", _("24-hour shift")
        DAY = "day", _("Day shift")
        NIGHT = "night", _("Night shift")

    class Role(models.TextChoices):
        ON_DUTY = "on_duty", _("Person on duty")
        LEADER = "leader", _("Leader on call")

    unit = models.ForeignKey(
        "org.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    on_duty = models.ForeignKey(
        "org.Person",
        verbose_name=_("person on duty"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    leader = models.ForeignKey(
        "org.Person",
        verbose_name=_("leader on call"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"))
    is_demo = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("shift")
        verbose_name_plural = _("shifts")
        ordering = ["unit", "starts_at"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "starts_at"], name="shift_unit_start_once"),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="shift_ends_after"
            ),
        ]
        indexes = [
            # "Who is on duty now" and the month calendar: a unit's shifts by time.
            models.Index(fields=["unit", "starts_at", "ends_at"], name="shift_unit_time"),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.starts_at:%Y-%m-%d %H:%M} {self.get_kind_display()}"


class Swap(models.Model):
    """换班: one person asks to hand their place on a shift to another; the unit decides."""

    class State(models.TextChoices):
        REQUESTED = "requested", _("Awaiting approval")
        APPROVED = "approved", _("Approved")
        REFUSED = "refused", _("Refused")

    shift = models.ForeignKey(Shift, on_delete=models.CASCADE, related_name="swaps")
    role = models.CharField(_("role"), max_length=10, choices=Shift.Role.choices)
    requested_by = models.ForeignKey(
        "org.Person", verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="+"
    )
    replacement = models.ForeignKey(
        "org.Person", verbose_name=_("replacement"), on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=200)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.REQUESTED
    )
    requested_at = models.DateTimeField(_("requested at"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("shift swap")
        verbose_name_plural = _("shift swaps")
        ordering = ["-requested_at", "-pk"]
        constraints = [
            # One open request per place on a shift: a second would race the first's approval.
            models.UniqueConstraint(
                fields=["shift", "role"],
                condition=Q(state="requested"),
                name="swap_one_open_per_role",
            )
        ]

    def __str__(self) -> str:
        return f"{self.shift_id} {self.role} → {self.replacement_id}"


class Handover(models.Model):
    """交接班记录 of one shift: what was handed on, and the matters still open."""

    shift = models.OneToOneField(Shift, on_delete=models.CASCADE, related_name="handover")
    handed_by = models.ForeignKey(
        "org.Person",
        verbose_name=_("handed over by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    received_by = models.ForeignKey(
        "org.Person",
        verbose_name=_("received by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField(_("handed over at"))
    summary = models.TextField(_("handed on"))
    open_matters = models.TextField(_("open matters"), blank=True)

    class Meta:
        verbose_name = _("handover")
        verbose_name_plural = _("handovers")

    def __str__(self) -> str:
        return f"{self.shift_id} {self.at:%Y-%m-%d %H:%M}"


class DutyAlert(models.Model):
    """An urgent case told to the unit's person on duty (``duty``) or, untaken within the
    limit, to its leader on call (``leader``): once per dispatch and stage."""

    class Stage(models.TextChoices):
        DUTY = "duty", _("Person on duty told")
        LEADER = "leader", _("Leader on call told")

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+")
    dispatched_at = models.DateTimeField(_("dispatched at"))
    stage = models.CharField(_("stage"), max_length=10, choices=Stage.choices)
    shift = models.ForeignKey(
        Shift, null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts"
    )
    person = models.ForeignKey(
        "org.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("time"))

    class Meta:
        verbose_name = _("duty alert")
        verbose_name_plural = _("duty alerts")
        ordering = ["-at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "dispatched_at", "stage"], name="duty_alert_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.stage}"


class ShiftEvent(EventBase):
    shift = models.ForeignKey(Shift, on_delete=models.CASCADE, related_name="events")

    class Meta(EventBase.Meta):
        verbose_name = _("shift event")
        verbose_name_plural = _("shift events")


class FloodPlan(models.Model):
    """汛期三查 of one street or district for one year [issue 18 item 2]: the 汛前 / 汛中 / 汛后
    windows, each an inspection of every flood hazard point in the place (:class:`FloodCheck`)."""

    place = models.ForeignKey(
        "org.Place", verbose_name=_("place"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    before_start = models.DateField(_("pre-season check from"))
    before_end = models.DateField(_("pre-season check until"))
    during_start = models.DateField(_("in-season check from"))
    during_end = models.DateField(_("in-season check until"))
    after_start = models.DateField(_("post-season check from"))
    after_end = models.DateField(_("post-season check until"))
    created_at = models.DateTimeField(_("created"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("flood-season plan")
        verbose_name_plural = _("flood-season plans")
        ordering = ["-year", "place__path"]
        constraints = [
            models.UniqueConstraint(fields=["place", "year"], name="flood_plan_once_a_year")
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.place}"

    def windows(self) -> list[tuple[str, object, object]]:
        return [
            (FloodCheck.Window.BEFORE, self.before_start, self.before_end),
            (FloodCheck.Window.DURING, self.during_start, self.during_end),
            (FloodCheck.Window.AFTER, self.after_start, self.after_end),
        ]


class FloodCheck(models.Model):
    """One hazard point's check in one window, for the point's responsible unit; done when its
    inspection is recorded (a problem found goes to the rectification ledger)."""

    class Window(models.TextChoices):
        BEFORE = "before", _("Pre-season check (汛前)")
        DURING = "during", _("In-season check (汛中)")
        AFTER = "after", _("Post-season check (汛后)")

    plan = models.ForeignKey(FloodPlan, on_delete=models.CASCADE, related_name="checks")
    zone = models.ForeignKey(
        "org.Zone", verbose_name=_("hazard point"), on_delete=models.PROTECT, related_name="+"
    )
    window = models.CharField(_("check"), max_length=10, choices=Window.choices)
    starts = models.DateField(_("from"))
    due = models.DateField(_("due"))
    unit = models.ForeignKey(
        "org.Unit", verbose_name=_("responsible unit"), on_delete=models.PROTECT, related_name="+"
    )
    inspection = models.ForeignKey(
        "supervision.Inspection",
        verbose_name=_("inspection"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    done_on = models.DateField(_("done on"), null=True, blank=True)

    class Meta:
        verbose_name = _("flood-season check")
        verbose_name_plural = _("flood-season checks")
        ordering = ["due", "zone__code", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "zone", "window"], name="flood_check_once_per_window"
            )
        ]

    def __str__(self) -> str:
        return f"{self.zone_id} {self.window}"
