"""Triage tables: the stored models (a versioned registry) and the suggestions made per case.

A :class:`TriageModel` row describes one trained model file: which question it answers
(``kind``: the category or the unit of a case), its version, how it was trained and how well it
did in cross-validation. At most one row per kind is active; switching and rolling back only
move that flag, the files stay. A :class:`Suggestion` is what the active model said about one
case at intake, and later what staff decided — the production accuracy is read off these rows.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    CATEGORY = "category", _("Category")
    UNIT = "unit", _("Responsible unit")


class TriageModel(models.Model):
    """One trained classifier on disk, with the figures it earned when it was trained."""

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    version = models.PositiveIntegerField(_("version"))
    implementation = models.CharField(_("implementation"), max_length=40)
    # Relative to the model folder (``CITYLOOP_INTEL_MODEL_DIR``), so the data folder can move.
    file = models.CharField(_("file"), max_length=200)
    sha256 = models.CharField(max_length=64)
    size_bytes = models.PositiveIntegerField(_("size in bytes"), default=0)
    labels = models.JSONField(_("labels"), default=list)
    # {"cv_macro_f1", "cv_accuracy", "per_class_f1": {...}, "samples", "folds",
    #  "train_seconds", "ms_per_msg"}
    metrics = models.JSONField(_("metrics"), default=dict)
    source = models.CharField(_("trained from"), max_length=200)
    trained_at = models.DateTimeField(_("trained at"))
    trained_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("trained by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    is_active = models.BooleanField(_("active"), default=False)
    activated_at = models.DateTimeField(_("activated at"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("triage model")
        verbose_name_plural = _("triage models")
        ordering = ["kind", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "version"], name="intel_model_version_unique"),
            models.UniqueConstraint(
                fields=["kind"], condition=Q(is_active=True), name="intel_one_active_model_per_kind"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} v{self.version}"

    @property
    def macro_f1(self) -> float | None:
        return self.metrics.get("cv_macro_f1")


class Suggestion(models.Model):
    """What the active model suggested for one case, and what staff made of it."""

    class Outcome(models.TextChoices):
        PENDING = "pending", _("Waiting for staff")
        ACCEPTED = "accepted", _("Accepted")
        CHANGED = "changed", _("Changed by staff")

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="suggestions")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    label = models.CharField(_("suggested label"), max_length=200)
    # The category or unit the label stands for in this deployment, when it names one.
    target_id = models.PositiveIntegerField(null=True, blank=True)
    target_name = models.CharField(_("suggestion"), max_length=200, blank=True)
    confidence = models.FloatField(_("confidence"))
    model = models.ForeignKey(
        TriageModel, null=True, blank=True, on_delete=models.SET_NULL, related_name="suggestions"
    )
    model_version = models.PositiveIntegerField(_("model version"))
    # The next best labels with their confidence: [[label, confidence], …]
    alternatives = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(_("suggested at"))
    outcome = models.CharField(
        _("outcome"), max_length=10, choices=Outcome.choices, default=Outcome.PENDING
    )
    final_id = models.PositiveIntegerField(null=True, blank=True)
    final_name = models.CharField(_("staff decision"), max_length=200, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    auto = models.BooleanField(_("applied automatically"), default=False)

    class Meta:
        verbose_name = _("suggestion")
        verbose_name_plural = _("suggestions")
        ordering = ["case", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["case", "kind"], name="intel_one_suggestion_per_kind")
        ]
        indexes = [models.Index(fields=["kind", "decided_at"])]

    def __str__(self) -> str:
        return f"{self.kind}: {self.label} ({self.confidence:.2f})"
