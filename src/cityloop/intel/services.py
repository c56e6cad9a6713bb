"""Writes of the triage app: the model registry, suggestions at intake, staff decisions and
auto-dispatch.

Three functions here follow the case loop: :func:`case_reported` after a case is taken in,
:func:`case_accepted` and :func:`case_dispatched` after those actions. The case loop does not
call them: it announces its steps (:mod:`cityloop.core.hooks`) and :mod:`.subscribers` runs
them after the step has committed, each in its own transaction, retried and logged when it
raises — the classifier never runs inside the intake's transaction and no failure in here
ever stops an intake or an action. Without an active model they read nothing.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from cityloop.core import clock, events
from cityloop.core.errors import Conflict, DomainError, NotFound
from cityloop.core.system import is_system, system_account
from cityloop.intel import classifier as clf
from cityloop.intel import labels as lab
from cityloop.intel.models import Kind, Suggestion, TriageModel

log = logging.getLogger(__name__)


# --- the registry ------------------------------------------------------------------------------


def model_dir() -> Path:
    return Path(settings.CITYLOOP.model_path())


def model_file(row: TriageModel) -> Path:
    return model_dir() / row.file


@transaction.atomic
def model_store(
    *,
    kind: str,
    model: clf.TextClassifier,
    metrics: dict[str, Any],
    source: str,
    actor=None,
    activate: bool = True,
    note: str = "",
) -> TriageModel:
    """Save a trained model as the next version of its kind; make it active unless told not."""
    if kind not in Kind.values:
        raise ValueError(f"unknown kind {kind!r}")
    # Lock the kind's rows so two trainings at once do not take the same version number.
    list(TriageModel.objects.select_for_update().filter(kind=kind).values_list("pk"))
    version = (TriageModel.objects.filter(kind=kind).aggregate(v=Max("version"))["v"] or 0) + 1
    name = f"{kind}-v{version}.pkl"
    path = model_dir() / name
    sha = model.save(path)
    row = TriageModel.objects.create(
        kind=kind,
        version=version,
        implementation=model.implementation,
        file=name,
        sha256=sha,
        size_bytes=path.stat().st_size,
        labels=list(model.labels),
        metrics=metrics,
        source=source[:200],
        trained_at=clock.now(),
        trained_by=actor if getattr(actor, "pk", None) else None,
        note=note[:300],
    )
    events.record_on(
        row,
        actor=actor,
        verb="model_trained",
        data={"kind": kind, "version": version, **_headline(metrics)},
    )
    if activate:
        _activate(row, actor=actor)
    return row


def _headline(metrics: dict[str, Any]) -> dict[str, Any]:
    return {k: metrics.get(k) for k in ("cv_macro_f1", "cv_accuracy", "samples")}


def _activate(row: TriageModel, *, actor) -> TriageModel:
    previous = TriageModel.objects.filter(kind=row.kind, is_active=True).exclude(pk=row.pk).first()
    if previous is not None:
        previous.is_active = False
        previous.save(update_fields=["is_active"])
    row.is_active, row.activated_at = True, clock.now()
    row.save(update_fields=["is_active", "activated_at"])
    events.record_on(
        row,
        actor=actor,
        verb="model_activated",
        from_state=f"v{previous.version}" if previous else "",
        to_state=f"v{row.version}",
        data={"kind": row.kind},
    )
    return row


@transaction.atomic
def model_activate(*, model_id: int, actor=None) -> TriageModel:
    row = TriageModel.objects.select_for_update().filter(pk=model_id).first()
    if row is None:
        raise NotFound("intel_model_not_found", _("No such model."))
    if not model_file(row).exists():
        raise Conflict(
            "intel_model_file_missing",
            _("The model file %(file)s is missing.") % {"file": row.file},
        )
    return _activate(row, actor=actor)


@transaction.atomic
def model_rollback(*, kind: str, actor=None) -> TriageModel:
    """Go back to the model of this kind that was active before the current one."""
    current = TriageModel.objects.filter(kind=kind, is_active=True).first()
    earlier = TriageModel.objects.filter(kind=kind, activated_at__isnull=False)
    if current is not None:
        earlier = earlier.exclude(pk=current.pk).filter(activated_at__lte=current.activated_at)
    target = earlier.order_by("-activated_at", "-version").first()
    if target is None:
        raise Conflict("intel_no_previous_model", _("There is no earlier model to go back to."))
    return model_activate(model_id=target.pk, actor=actor)


# Loaded models, per process: {kind: (row id, sha256, classifier)}.
_loaded: dict[str, tuple[int, str, clf.TextClassifier]] = {}
_load_lock = threading.Lock()

# The active rows, per process, so that an intake without a model costs no query: read again
# when the shared cache's stamp changes (every activation, in any process, sets a new one),
# when this process saved or deleted a model row (signals), and at least every
# ACTIVE_CHECK_SECONDS in any case.
ACTIVE_STAMP_KEY = "cityloop:intel:active-models"
ACTIVE_CHECK_SECONDS = 30.0
_active: tuple[Any, float, dict[str, TriageModel], bool] | None = None


def _stamp() -> Any:
    from django.core.cache import cache

    try:
        return cache.get(ACTIVE_STAMP_KEY)
    except Exception:  # a cache that cannot be reached: the time bound still holds
        return None


def models_changed() -> None:
    """Forget the cached active rows here, and tell the other processes (a new stamp)."""
    global _active
    _active = None
    from django.core.cache import cache

    try:
        cache.set(ACTIVE_STAMP_KEY, f"{clock.now().timestamp()}-{id(object())}", None)
    except Exception:
        log.warning(
            "could not publish the triage model change; others see it within %ss",
            ACTIVE_CHECK_SECONDS,
        )


def _active_state() -> tuple[dict[str, TriageModel], bool]:
    """``({kind: active row}, whether any model row exists)``, cached per process."""
    global _active
    import time

    stamp, now = _stamp(), time.monotonic()
    state = _active
    if state is not None and state[0] == stamp and now - state[1] < ACTIVE_CHECK_SECONDS:
        return state[2], state[3]
    rows = {r.kind: r for r in TriageModel.objects.filter(is_active=True)}
    any_model = bool(rows) or TriageModel.objects.exists()
    _active = (stamp, now, rows, any_model)
    return rows, any_model


def active_model(kind: str) -> TriageModel | None:
    """The active model row of ``kind`` (cached per process, see :func:`_active_state`)."""
    return _active_state()[0].get(kind)


def active_classifier(kind: str) -> tuple[TriageModel, clf.TextClassifier] | None:
    """The active model of ``kind`` and its classifier, or ``None`` when there is none or its
    file cannot be read (that is logged: intake goes on without suggestions)."""
    row = active_model(kind)
    if row is None:
        return None
    cached = _loaded.get(kind)
    if cached is not None and cached[0] == row.pk and cached[1] == row.sha256:
        return row, cached[2]
    with _load_lock:
        try:
            model = clf.load_classifier(model_file(row), sha256=row.sha256)
        except clf.ModelFileError:
            log.exception("triage model %s cannot be loaded", row)
            return None
        _loaded[kind] = (row.pk, row.sha256, model)
    return row, model


def forget_loaded() -> None:
    global _active
    _loaded.clear()
    _active = None


def _on_model_change(sender, **kwargs) -> None:
    models_changed()
    transaction.on_commit(models_changed)  # again once the change is visible to others


def _connect_signals() -> None:
    from django.db.models.signals import post_delete, post_save

    post_save.connect(_on_model_change, sender=TriageModel, dispatch_uid="intel-active-save")
    post_delete.connect(_on_model_change, sender=TriageModel, dispatch_uid="intel-active-delete")


_connect_signals()


# --- suggestions at intake ---------------------------------------------------------------------


def case_text(case) -> str:
    """What the model reads of a case: the title (often the start of the description when a
    resident gave none) and the description."""
    title, description = case.title or "", case.description or ""
    if description.startswith(title.strip()):
        return description
    return f"{title}\n{description}"


def _target(kind: str, label: str):
    return lab.resolve_category(label) if kind == Kind.CATEGORY else lab.resolve_unit(label)


def _suggest(case, kind: str) -> Suggestion | None:
    loaded = active_classifier(kind)
    if loaded is None:
        return None
    row, model = loaded
    prediction = model.predict([case_text(case)])[0]
    target = _target(kind, prediction.label)
    suggestion, _created = Suggestion.objects.update_or_create(
        case=case,
        kind=kind,
        defaults={
            "label": prediction.label[:200],
            "target_id": target.pk if target is not None else None,
            "target_name": str(target)[:200] if target is not None else prediction.label[:200],
            "confidence": prediction.confidence,
            "model": row,
            "model_version": row.version,
            "alternatives": [list(a) for a in prediction.alternatives],
            "created_at": clock.now(),
            "outcome": Suggestion.Outcome.PENDING,
        },
    )
    return suggestion


def suggest_for_case(case) -> dict[str, Suggestion]:
    """Ask each active model about the case and store what it said (replacing an earlier
    suggestion of the same kind)."""
    out = {}
    for kind in Kind.values:
        suggestion = _suggest(case, kind)
        if suggestion is not None:
            out[kind] = suggestion
    return out


def case_reported(case, actor=None) -> None:
    """After an intake committed (``actor``: who reported it): store the suggestions, record
    the desk's category when it accepted on entry, and auto-dispatch when configured. Raises
    on failure — the hook retries it (idempotent: suggestions are replaced, not added)."""
    if not settings.CITYLOOP.intel_suggest or not _active_state()[0]:
        return  # no model: nothing to ask
    found = suggest_for_case(case)
    if found and case.status != "reported" and case.category_id is not None:
        # The desk accepted it while entering it (before the model spoke): its category is
        # the staff decision on this suggestion.
        case_accepted(case, actor)
    if found and settings.CITYLOOP.intel_auto_dispatch:
        auto_dispatch(case, found)


def _decide(case, kind: str, final, actor) -> Suggestion | None:
    suggestion = Suggestion.objects.filter(case=case, kind=kind).first()
    if suggestion is None or final is None:
        return None
    # The first decision counts: a later change (a re-dispatch after a send-back) is a new
    # fact about the case, not about the suggestion made at intake.
    if suggestion.outcome != Suggestion.Outcome.PENDING:
        return suggestion
    # A model trained on main categories (城乡建设) names a main category: choosing any of its
    # leaves is taking the suggestion.
    same = suggestion.target_id is not None and suggestion.target_id in (
        final.pk,
        getattr(final, "parent_id", None) if kind == Kind.CATEGORY else None,
    )
    suggestion.outcome = Suggestion.Outcome.ACCEPTED if same else Suggestion.Outcome.CHANGED
    suggestion.final_id, suggestion.final_name = final.pk, str(final)[:200]
    suggestion.decided_at = clock.now()
    suggestion.decided_by = actor if getattr(actor, "pk", None) else None
    suggestion.auto = is_system(actor)
    suggestion.save()
    return suggestion


def case_accepted(case, actor) -> None:
    """Hook: the desk accepted the case with its final category; record whether it took ours."""
    if not _active_state()[1]:
        return  # no model was ever stored: there is no suggestion to decide on
    _decide(case, Kind.CATEGORY, case.category, actor)


def case_dispatched(case, actor) -> None:
    """Hook: the case went to its responsible unit; record whether it was the suggested one."""
    if not _active_state()[1]:
        return
    _decide(case, Kind.UNIT, case.responsible_unit, actor)


# --- auto-dispatch -----------------------------------------------------------------------------


def _category_allowed(category) -> bool:
    codes = set(settings.CITYLOOP.intel_auto_dispatch_categories)
    parent = category.parent.code if category.parent_id else ""
    return bool(codes) and (category.code in codes or parent in codes)


@dataclass(frozen=True)
class AutoDecision:
    category: Any
    unit: Any
    confidence: float


def auto_decision(case, found: dict[str, Suggestion]) -> AutoDecision | None:
    """Whether the case may go out without a person, and where: the category suggestion must
    name a leaf category of the configured list with enough confidence, agree with a category
    the reporter chose, and the unit is the suggested one when that is as sure, else the
    routing rule's."""
    from cityloop.cases import routing
    from cityloop.cases.models import Category, Level
    from cityloop.org.models import Unit

    cfg = settings.CITYLOOP
    cat = found.get(Kind.CATEGORY)
    if cat is None or cat.target_id is None or cat.confidence < cfg.intel_auto_dispatch_confidence:
        return None
    category = Category.objects.select_related("parent").filter(pk=cat.target_id).first()
    if category is None or category.parent_id is None or not _category_allowed(category):
        return None
    if case.category_id is not None and case.category_id != category.pk:
        return None
    unit = None
    unit_s = found.get(Kind.UNIT)
    if unit_s is not None and unit_s.target_id is not None:
        if unit_s.confidence >= cfg.intel_auto_dispatch_confidence:
            unit = Unit.objects.filter(pk=unit_s.target_id).first()
    if unit is None:
        level = routing.initial_level(category, case.place)
        unit = routing.default_unit(category, case.place, level or Level.COMMUNITY)
    if unit is None:
        return None
    return AutoDecision(category, unit, cat.confidence)


def auto_dispatch(case, found: dict[str, Suggestion]):
    """Accept and dispatch the case through the case workflow as the system account, when
    :func:`auto_decision` allows it. A refusal by the workflow leaves the case to people."""
    from cityloop.cases import workflow
    from cityloop.cases.models import Case

    decision = auto_decision(case, found)
    if decision is None:
        return None
    actor = system_account()
    version = found[Kind.CATEGORY].model_version
    note = _("Automatic: %(category)s, confidence %(confidence).2f (model v%(version)s).") % {
        "category": str(decision.category),
        "confidence": decision.confidence,
        "version": version,
    }
    try:
        with transaction.atomic():  # both steps or neither
            current = Case.objects.only("status").get(pk=case.pk)
            if current.status == Case.Status.REPORTED:
                workflow.accept(actor=actor, case_id=case.pk, category=decision.category, note=note)
            return workflow.dispatch(actor=actor, case_id=case.pk, unit=decision.unit, note=note)
    except DomainError as exc:
        log.info("triage: auto-dispatch of case %s refused: %s", case.pk, exc.code)
        return None
