"""Writes to the case loop's reference data: the two-level category tree and its seed, and
the units' reply templates (:func:`reply_template_save`, :func:`reply_template_retire`,
:func:`reply_template_restore`).

:func:`category_save` is the one door for the admin, the importer and the demo: it reads the
time limits with :func:`~cityloop.cases.deadlines.parse_limit`, keeps the tree at two levels
(大类 › 小类), runs ``full_clean``, writes only when something differs and records an event.
:func:`seed_categories` loads ``data/categories.csv`` into whatever model class it is given, so
the data migration can pass its historical model.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from cityloop.cases import rules
from cityloop.cases.deadlines import parse_limit
from cityloop.cases.models import Category, Level, ReplyTemplate, Stage
from cityloop.core import events
from cityloop.core.errors import InvalidInput, NotFound

SEED_FILE = Path(__file__).resolve().parent / "data" / "categories.csv"
STAGES: tuple[str, ...] = tuple(Stage.values)


def normalise_limits(time_limits: Any) -> dict[str, dict[str, Any]]:
    """``{stage: limit}`` → ``{stage: {"amount": n, "type": t}}`` in stage order.

    Each limit may be a dict or the short text ``"5工作日"`` / ``"5 work_days"``; empty values
    are left out (the stage then uses the default for the category's urgency).
    """
    if time_limits in (None, ""):
        return {}
    if not isinstance(time_limits, dict):
        raise InvalidInput(
            "time_limit_invalid",
            _("Time limits are given per stage: accept, dispatch, handle, verify, return_visit."),
        )
    unknown = sorted(set(time_limits) - set(STAGES))
    if unknown:
        raise InvalidInput(
            "time_limit_bad_stage",
            _("Unknown stage %(stage)s (stages: %(stages)s).")
            % {"stage": unknown[0], "stages": ", ".join(STAGES)},
            {"stage": unknown[0]},
        )
    out: dict[str, dict[str, Any]] = {}
    for stage in STAGES:
        value = time_limits.get(stage)
        if value in (None, ""):
            continue
        limit = parse_limit(value, stage=stage)
        amount = int(limit.amount) if float(limit.amount).is_integer() else limit.amount
        out[stage] = {"amount": amount, "type": limit.type}
    return out


def _clean(obj: Category) -> None:
    try:
        obj.full_clean()
    except ValidationError as exc:
        raise InvalidInput(
            "invalid_record",
            "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items()),
            {"fields": exc.message_dict},
        ) from exc


def _check_parent(code: str, parent: Category | None, existing: Category | None) -> None:
    """Two levels only: a 小类 sits under a 大类, and a 大类 with 小类 stays a 大类."""
    if parent is None:
        return
    if parent.code == code:
        raise InvalidInput(
            "category_bad_parent",
            _("A category cannot be its own main category."),
            {"parent": parent.code},
        )
    if parent.parent_id is not None:
        raise InvalidInput(
            "category_bad_parent",
            _(
                "%(parent)s is itself a sub-category; categories have two levels only "
                "(main category › sub-category)."
            )
            % {"parent": parent.code},
            {"parent": parent.code},
        )
    if existing is not None and existing.children.exists():
        raise InvalidInput(
            "category_bad_parent",
            _("%(code)s has sub-categories, so it must stay a main category.") % {"code": code},
            {"parent": parent.code},
        )


@transaction.atomic
def category_save(
    *,
    actor,
    code: str,
    name: str,
    parent: Category | None = None,
    kind: str = Category.Kind.EVENT,
    level: str = Level.COMMUNITY,
    routing: str = Category.Routing.PLACE,
    default_unit=None,
    urgency: str = Category.Urgency.NORMAL,
    time_limits: dict[str, Any] | None = None,
    keywords: str = "",
    description: str = "",
    sort: int = 0,
    is_active: bool = True,
) -> tuple[Category, str]:
    """Create or update the category ``code``; returns ``(category, outcome)`` with outcome
    ``created``, ``updated`` or ``unchanged`` (nothing written, no event)."""
    code = (code or "").strip()
    existing = Category.objects.filter(code=code).first() if code else None
    _check_parent(code, parent, existing)
    if routing == Category.Routing.UNIT and default_unit is None:
        raise InvalidInput(
            "category_unit_required",
            _("Routing to the default unit needs a default responsible unit."),
        )
    values: dict[str, Any] = {
        "name": (name or "").strip(),
        "parent": parent,
        "kind": kind,
        "level": level,
        "routing": routing,
        "default_unit": default_unit,
        "urgency": urgency,
        "time_limits": normalise_limits(time_limits),
        "keywords": (keywords or "").strip(),
        "description": (description or "").strip(),
        "sort": sort,
        "is_active": is_active,
    }
    changed: list[str] = []
    if existing is None:
        category = Category(code=code, **values)
        outcome = "created"
    else:
        changed = [k for k, v in values.items() if getattr(existing, k) != v]
        if not changed:
            return existing, "unchanged"
        category = existing
        for k in changed:
            setattr(category, k, values[k])
        outcome = "updated"
    _clean(category)
    category.save()
    data: dict[str, Any] = {"code": code}
    if changed:
        data["changed"] = changed
    events.record_on(category, actor=actor, verb=f"category_{outcome}", data=data)
    return category, outcome


# --- reply templates --------------------------------------------------------------------------

TEMPLATE_TITLE_MAX = 80
TEMPLATE_TEXT_MAX = 2000


def _template_not_found() -> NotFound:
    return NotFound("reply_template_not_found", _("Reply template not found"))


def reply_template_get(*, actor, template_id: int) -> ReplyTemplate:
    """The template, if ``actor`` may edit it; otherwise not found (existence does not leak)."""
    obj = ReplyTemplate.objects.select_related("unit", "category").filter(pk=template_id).first()
    if obj is None or not rules.may_edit_reply_templates(actor, obj.unit):
        raise _template_not_found()
    return obj


@transaction.atomic
def reply_template_save(
    *,
    actor,
    unit,
    title: str,
    text: str,
    used_for: str = ReplyTemplate.UsedFor.REPLY,
    category: Category | None = None,
    sort: int = 0,
    template_id: int | None = None,
) -> ReplyTemplate:
    """Create a template (``template_id`` None) or change one; the actor must keep the
    templates of both the template's unit and the unit it is given."""
    existing = reply_template_get(actor=actor, template_id=template_id) if template_id else None
    if unit is None:
        raise InvalidInput(
            "reply_template_unit_required", _("Choose the unit the template is for.")
        )
    if not rules.may_edit_reply_templates(actor, unit):
        raise NotFound("unit_not_found", _("Unit not found"))
    title = (title or "").strip()
    text = (text or "").strip()
    if not title:
        raise InvalidInput("reply_template_title_required", _("Give the template a heading."))
    if len(title) > TEMPLATE_TITLE_MAX:
        raise InvalidInput(
            "reply_template_title_too_long",
            _("The heading is at most %(n)d characters.") % {"n": TEMPLATE_TITLE_MAX},
        )
    if not text:
        raise InvalidInput("reply_template_text_required", _("Write the text of the template."))
    if len(text) > TEMPLATE_TEXT_MAX:
        raise InvalidInput(
            "reply_template_text_too_long",
            _("The text is at most %(n)d characters.") % {"n": TEMPLATE_TEXT_MAX},
        )
    if used_for not in ReplyTemplate.UsedFor.values:
        raise InvalidInput(
            "reply_template_used_for_invalid",
            _("Say whether the template is for replies or for return visits."),
        )
    taken = ReplyTemplate.objects.filter(unit=unit, title=title)
    if existing is not None:
        taken = taken.exclude(pk=existing.pk)
    if taken.exists():
        raise InvalidInput(
            "reply_template_title_taken",
            _("%(unit)s already has a template called %(title)s.")
            % {"unit": unit.name, "title": title},
            {"title": title},
        )
    values: dict[str, Any] = {
        "unit": unit,
        "category": category,
        "title": title,
        "text": text,
        "used_for": used_for,
        "sort": max(0, int(sort or 0)),
    }
    if existing is None:
        obj = ReplyTemplate(**values)
        verb = "reply_template_created"
        changed = sorted(values)
    else:
        obj = existing
        changed = [k for k, v in values.items() if getattr(obj, k) != v]
        if not changed:
            return obj
        for k in changed:
            setattr(obj, k, values[k])
        verb = "reply_template_updated"
    _clean(obj)
    obj.save()
    events.record_on(obj, actor=actor, verb=verb, data={"title": title, "changed": changed})
    return obj


def _set_active(actor, template_id: int, active: bool) -> ReplyTemplate:
    obj = reply_template_get(actor=actor, template_id=template_id)
    if obj.active == active:
        return obj
    obj.active = active
    obj.save(update_fields=["active"])
    states = ("retired", "active") if active else ("active", "retired")
    verb = "reply_template_restored" if active else "reply_template_retired"
    events.record_on(obj, actor=actor, verb=verb, from_state=states[0], to_state=states[1])
    return obj


@transaction.atomic
def reply_template_retire(*, actor, template_id: int) -> ReplyTemplate:
    """Take a template out of the action forms; it stays listed as retired."""
    return _set_active(actor, template_id, False)


@transaction.atomic
def reply_template_restore(*, actor, template_id: int) -> ReplyTemplate:
    """Put a retired template back into the action forms."""
    return _set_active(actor, template_id, True)


# --- the seed ---------------------------------------------------------------------------------


def read_seed(path: Path | str = SEED_FILE) -> list[dict[str, str]]:
    """The seed rows, cells stripped; columns as in ``data/categories.csv``."""
    with open(path, encoding="utf-8", newline="") as fh:
        return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(fh)]


def seed_categories(model, path: Path | str = SEED_FILE) -> int:
    """Create the seed categories ``model``'s table lacks; returns how many were created.

    ``model`` is the Category class to write with (the historical one in a migration), so only
    plain ORM calls are used here; no event is written (a migration has no actor). The seed's
    own values are checked by the tests (every row passes ``full_clean`` and the importer).
    ``sort`` follows the order of the file.
    """
    made = 0
    by_code: dict[str, Any] = {}
    for sort, row in enumerate(read_seed(path), start=1):
        if row.get("default_unit_code"):
            raise ValueError("the category seed names no units: unit codes differ by deployment")
        parent = None
        if row["parent_code"]:
            parent = by_code.get(row["parent_code"]) or model.objects.get(code=row["parent_code"])
        obj = model.objects.filter(code=row["code"]).first()
        if obj is None:
            obj = model.objects.create(
                code=row["code"],
                name=row["name"],
                parent=parent,
                kind=row["kind"],
                level=row["level"] or Level.COMMUNITY,
                routing=row["routing"] or Category.Routing.PLACE,
                urgency=row["urgency"] or Category.Urgency.NORMAL,
                time_limits=normalise_limits({s: row.get(s, "") for s in STAGES}),
                keywords=row.get("keywords", ""),
                sort=sort,
            )
            made += 1
        by_code[obj.code] = obj
    return made


def unseed_categories(model, path: Path | str = SEED_FILE) -> int:
    """Delete the seed's categories again, except any a case uses or that gained sub-categories
    of someone else's; returns how many were deleted."""
    codes = [row["code"] for row in read_seed(path)]
    deleted, _detail = model.objects.filter(
        code__in=codes, parent__isnull=False, cases__isnull=True
    ).delete()
    mains, _detail = model.objects.filter(
        code__in=codes, parent__isnull=True, children__isnull=True, cases__isnull=True
    ).delete()
    return deleted + mains
