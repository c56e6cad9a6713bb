"""Load the demo district through the real org services, in one transaction.

A load is idempotent: every row goes through ``place_save`` / ``unit_save`` / … which write
(and log an event) only when something differs, so a second full walk reports everything
"unchanged" and adds no event. A second load is also *cheap*: the district row keeps a
fingerprint of the demo dataset (its data files and code), and when it matches nothing is
walked at all. ``reset`` deletes every demo row and the demo accounts, then loads again.

After the frame (places, units, people, duties, accounts) come the demo cases
(:mod:`.cases`), played through the case workflow. They are part of the fingerprint (the
module and the as-of moment): when it matches and demo cases exist they are left alone;
when it changed, the old demo cases are replaced.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _

from cityloop.core import geo
from cityloop.core.errors import Conflict
from cityloop.demo import cases as demo_cases
from cityloop.demo import dataset as ds
from cityloop.demo import duty as demo_duty
from cityloop.demo import meetings as demo_meetings
from cityloop.demo import patrols as demo_patrols
from cityloop.demo import rounds as demo_rounds
from cityloop.demo import supervision as demo_supervision
from cityloop.demo.accounts import DEMO_PASSWORD, demo_usernames
from cityloop.demo.outcomes import outcome_label
from cityloop.demo.plan import Plan, build_plan
from cityloop.org import services
from cityloop.org.models import Partnership, Person, Place, Unit, Zone, ZoneRole

KINDS = ("place", "unit", "zone", "person", "duty", "partnership", "account")
OUTCOMES = ("created", "updated", "unchanged")
FINGERPRINT_KEY = "demo_fingerprint"
_HERE = Path(__file__).parent


def fingerprint() -> str:
    """A digest of everything the demo is made from: the dataset version, the data files, the
    demo's own modules and the coordinate conversion. Equal fingerprints mean a full walk
    would change nothing."""
    digest = hashlib.sha256(ds.DATASET_VERSION.encode())
    files = sorted(_HERE.glob("*.py")) + sorted((_HERE / "data").glob("*.json"))
    files.append(Path(geo.__file__))
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    # The pinned "now" only: a demo loaded "today" is the same demo tomorrow (the command
    # says when it has grown stale), else every run of `cityloop demo` would walk again.
    digest.update(demo_cases.pinned_as_of().isoformat().encode())
    return digest.hexdigest()[:16]


def demo_loaded() -> bool:
    """Is this exact demo already in the database? Two indexed queries; no walk."""
    row = Place.objects.filter(code=ds.DISTRICT_CODE, is_demo=True).values("attrs").first()
    if row is None or (row["attrs"] or {}).get(FINGERPRINT_KEY) != fingerprint():
        return False
    return get_user_model().objects.filter(username__in=demo_usernames()).count() == len(
        demo_usernames()
    )


def load_demo(
    *,
    reset: bool = False,
    force: bool = False,
    stdout=None,
    cases: bool = True,
    supervision: bool | None = None,
) -> dict[str, Any]:
    """Load (or with ``reset`` reload from scratch) the demo district and its cases.

    Returns ``{"status": "skipped" | "loaded" | "reset", "fingerprint": …, "counts":
    {kind: {"created": n, "updated": n, "unchanged": n}}, "cases": {…}}``; with ``stdout``
    (a text stream) also prints the counts as a table. ``force`` walks every row even when
    the fingerprint says the demo is already loaded. ``cases=False`` loads the frame only
    (the demo cases already there are left as they are). ``supervision`` (default: as
    ``cases``) plays the demo supervision after the cases, the same way
    (:func:`cityloop.demo.supervision.load_supervision`).

    ``cases`` in the result: ``{"status": "loaded" | "replaced" | "unchanged" | "skipped",
    "cases": n, "status": …}`` (see :func:`cityloop.demo.cases.load_cases`).
    """
    _refuse_real_district()
    supervision = cases if supervision is None else supervision
    if (
        not (reset or force)
        and demo_loaded()
        and (not cases or demo_cases.present())
        and (not supervision or demo_supervision.present())
    ):
        result = {"status": "skipped", "fingerprint": fingerprint(), "counts": {}}
        _report(result, stdout)
        return result
    plan = build_plan()
    fresh = demo_loaded()  # before writing: does the data in the database match this code?
    with transaction.atomic():
        if reset:
            delete_demo()
        counts = _apply(plan, fingerprint())
        stale = _stale(plan)
        case_result = _cases(cases=cases, fresh=fresh and not reset)
        supervision_result = _supervision(supervision=supervision, fresh=fresh and not reset)
        patrol_result = _patrols(cases=cases)
        meeting_result = _meetings(supervision=supervision)
        round_result = _rounds(supervision=supervision)
        duty_result = _duty()
    result = {
        "status": "reset" if reset else "loaded",
        "fingerprint": fingerprint(),
        "counts": {kind: {o: counts[(kind, o)] for o in OUTCOMES} for kind in KINDS},
        "stale": stale,
        "cases": case_result,
        "supervision": supervision_result,
        "patrols": patrol_result,
        "meetings": meeting_result,
        "rounds": round_result,
        "duty": duty_result,
    }
    _report(result, stdout)
    return result


def _patrols(*, cases: bool) -> dict[str, Any]:
    """A week of the demo road chief's patrols, played after the cases (one reports a case)."""
    if not cases:
        return {"outcome": "skipped"}
    if demo_patrols.intact():
        return {"outcome": "unchanged"}
    demo_patrols.delete_patrols()  # their case went with replaced demo cases: play again
    return {"outcome": "loaded", **demo_patrols.load_patrols()}


def _meetings(*, supervision: bool) -> dict[str, Any]:
    """The street's last two weekly meetings, played after the supervision (their decisions
    are tasks); replayed when the supervision was replaced (it takes the meetings along)."""
    if not supervision:
        return {"outcome": "skipped"}
    if demo_meetings.present():
        return {"outcome": "unchanged"}
    return {"outcome": "loaded", **demo_meetings.load_meetings()}


def _rounds(*, supervision: bool) -> dict[str, Any]:
    """济源路街道's last weekly demand round, played after the supervision (its escalation is
    a task); replayed when the supervision was replaced (it takes the round along)."""
    if not supervision:
        return {"outcome": "skipped"}
    if demo_rounds.present():
        return {"outcome": "unchanged"}
    return {"outcome": "loaded", **demo_rounds.load_rounds()}


def _duty() -> dict[str, Any]:
    """A month of shifts for the two round-the-clock units (one night left empty)."""
    if demo_duty.present():
        return {"outcome": "unchanged"}
    return {"outcome": "loaded", **demo_duty.load_duty()}


def _cases(*, cases: bool, fresh: bool) -> dict[str, Any]:
    """Play the demo cases unless the ones in the database were made by this very demo."""
    there = demo_cases.present()
    if not cases:
        return {"outcome": "skipped"}
    if there and fresh:
        return {"outcome": "unchanged", **demo_cases.summarize()}
    if there:
        demo_cases.delete_cases(accounts=False)
    return {"outcome": "replaced" if there else "loaded", **demo_cases.load_cases()}


def _supervision(*, supervision: bool, fresh: bool) -> dict[str, Any]:
    """Play the demo supervision unless the records there were made by this very demo."""
    there = demo_supervision.present()
    if not supervision:
        return {"outcome": "skipped"}
    if there and fresh:
        return {"outcome": "unchanged", **demo_supervision.summarize()}
    if there:
        demo_supervision.delete_supervision()
    return {"outcome": "replaced" if there else "loaded", **demo_supervision.load_supervision()}


def _refuse_real_district() -> None:
    """The demo reuses the real district code: never overwrite a real deployment's data."""
    if Place.objects.filter(code=ds.DISTRICT_CODE, is_demo=False).exists():
        raise Conflict(
            "demo_real_data_present",
            _("A real (non-demo) district with code %(code)s exists; the demo will not load.")
            % {"code": ds.DISTRICT_CODE},
        )


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------


def _apply(plan: Plan, digest: str) -> Counter:
    """Write the frame as the org importers do: each row checked by its ``*_build`` (the
    rules of ``place_save`` / ``unit_save`` / …), the stored rows read once per kind, then
    ``services.bulk_write`` — INSERTs and UPDATEs in batches with their history and their
    ``place_created`` / ``duty_assign`` / … events — instead of a lookup, a save and an event
    per row. A kind is written before the next is built, so every reference has its id."""
    counts: Counter = Counter()
    actor = None  # the system: no account is the author of demo reference data

    def write(model, verb, built, fields, **kw) -> None:
        changed = [(obj, outcome) for obj, outcome in built if outcome != "unchanged"]
        for _obj, outcome in built:
            counts[(verb, outcome)] += 1
        if changed:
            services.bulk_write(model, verb, changed, fields, actor=actor, **kw)

    places: dict[str, Place] = {}
    stored = {
        p.code: p
        for p in Place.objects.select_related("parent").filter(
            code__in=[r.code for r in plan.places]
        )
    }
    old_paths = {code: p.path for code, p in stored.items()}
    built = []
    for row in plan.places:
        attrs = dict(row.attrs)
        if row.code == ds.DISTRICT_CODE:
            attrs[FINGERPRINT_KEY] = digest
        obj, outcome = services.place_build(
            code=row.code,
            name=row.name,
            kind=row.kind,
            existing=stored.get(row.code),
            parent=places[row.parent] if row.parent else None,
            management=row.management,
            geometry_json=row.geometry,
            attrs=attrs,
            is_demo=True,
            fast=True,
        )
        places[row.code] = obj
        built.append((obj, outcome))
    write(Place, "place", built, services.PLACE_FIELDS)
    _repath_moved(Place, built, old_paths)

    units: dict[str, Unit] = {}
    stored = {
        u.code: u
        for u in Unit.objects.select_related("parent", "place").filter(
            code__in=[r.code for r in plan.units]
        )
    }
    old_paths = {code: u.path for code, u in stored.items()}
    built = []
    for row in plan.units:
        obj, outcome = services.unit_build(
            code=row.code,
            name=row.name,
            kind=row.kind,
            existing=stored.get(row.code),
            parent=units[row.parent] if row.parent else None,
            place=places[row.place] if row.place else None,
            short_name=row.short_name,
            works_weekends=row.works_weekends,
            round_the_clock=row.round_the_clock,
            is_demo=True,
            fast=True,
        )
        units[row.code] = obj
        built.append((obj, outcome))
    write(Unit, "unit", built, services.UNIT_FIELDS)
    _repath_moved(Unit, built, old_paths)

    zones: dict[str, Zone] = {}
    stored = {
        z.code: z
        for z in Zone.objects.select_related("place").filter(code__in=[r.code for r in plan.zones])
    }
    built = []
    for row in plan.zones:
        obj, outcome = services.zone_build(
            code=row.code,
            name=row.name,
            kind=row.kind,
            existing=stored.get(row.code),
            place=places[row.place],
            geometry_json=row.geometry,
            attrs=row.attrs,
            is_demo=True,
            fast=True,
        )
        zones[row.code] = obj
        built.append((obj, outcome))
    write(Zone, "zone", built, services.ZONE_FIELDS)
    geo.invalidate()  # what the post_save signal of a place or zone does (bulk writes send none)

    people: dict[str, Person] = {}
    stored = {
        p.code: p
        for p in Person.objects.select_related("unit", "place").filter(
            code__in=[r.code for r in plan.people]
        )
    }
    built = []
    for row in plan.people:
        obj, outcome = services.person_build(
            code=row.code,
            name=row.name,
            existing=stored.get(row.code),
            unit=units[row.unit] if row.unit else None,
            place=places[row.place] if row.place else None,
            phone=row.phone,
            title=row.title,
            is_demo=True,
            fast=True,
        )
        people[row.code] = obj
        built.append((obj, outcome))
    write(Person, "person", built, services.PERSON_FIELDS)

    person_ids = [p.pk for p in people.values()]
    stored = {
        services.duty_key(d.person_id, d.role, d.level, d.zone_id, d.place_id): d
        for d in ZoneRole.objects.filter(person_id__in=person_ids)
    }
    built = []
    for row in plan.duties:
        zone = zones[row.zone] if row.zone else None
        place = places[row.place] if row.place else None
        person = people[row.person]
        key = services.duty_key(
            person.pk, row.role, row.level, getattr(zone, "pk", None), getattr(place, "pk", None)
        )
        obj, outcome = services.duty_build(
            person=person,
            role=row.role,
            level=row.level,
            zone=zone,
            place=place,
            existing=stored.get(key),
            is_demo=True,
            fast=True,
        )
        stored[key] = obj  # the same duty twice in the plan: the second is unchanged
        built.append((obj, outcome))
    write(
        ZoneRole,
        "duty",
        built,
        [],
        verbs={"created": "duty_assign"},
        data=services.duty_data,
    )

    unit_ids = [u.pk for u in units.values()]
    stored = {
        (p.unit_id, p.compound_id): p for p in Partnership.objects.filter(unit_id__in=unit_ids)
    }
    built = []
    for row in plan.partnerships:
        unit, compound = units[row.unit], places[row.compound]
        obj, outcome = services.partnership_build(
            unit=unit,
            compound=compound,
            existing=stored.get((unit.pk, compound.pk)),
            note=row.note,
            is_demo=True,
        )
        stored[(unit.pk, compound.pk)] = obj
        built.append((obj, outcome))
    write(
        Partnership,
        "partnership",
        built,
        services.PARTNERSHIP_FIELDS,
        data=lambda _row: {},  # partnership_save's events carry no data
    )

    hashed: dict[str, str] = {}  # the demo password, hashed once for the whole load
    for row in plan.accounts:
        counts[("account", _account(row, people[row.person], hashed))] += 1
    return counts


def _repath_moved(model, built: list, old_paths: dict[str, str]) -> None:
    """A stored place or unit that moved takes its subtree's paths along (what
    ``_save_tree_node`` does after an update)."""
    for obj, outcome in built:
        if outcome == "updated" and old_paths.get(obj.code) != obj.path:
            services._repath_descendants(model, obj)


def _account(row, person: Person, hashed: dict[str, str]) -> str:
    """Create the account, or bring its roles and person back in line. An existing account
    keeps its password (``--reset`` restores the demo password).

    Every demo account has the same (published) password: the first new account has it
    checked and hashed by ``account_save``, the others take that hash (``hashed``), so a
    load runs Argon2 once, not once per account (~0.15 s each)."""
    user = get_user_model().objects.filter(username=row.username).first()
    if user is not None and (
        user.is_active
        and user.is_superuser == row.superuser
        and set(user.groups.values_list("name", flat=True)) == set(row.roles)
        and person.user_id == user.pk
    ):
        return "unchanged"
    if user is not None and not user.is_active:
        user.is_active = True
        user.save(update_fields=["is_active"])
    first = user is None and not hashed
    services.account_save(
        actor=None,
        username=row.username,
        password=DEMO_PASSWORD if first else None,
        roles=list(row.roles),
        person=person,
        name=row.name,
        is_superuser=row.superuser,
        is_demo=True,
    )
    if user is None:
        made = get_user_model().objects.filter(username=row.username)
        if first:
            hashed["password"] = made.values_list("password", flat=True).get()
        else:
            made.update(password=hashed["password"])
    return "created" if user is None else "updated"


def _stale(plan: Plan) -> dict[str, int]:
    """Demo rows an earlier version of the demo made and this one does not: reported, not
    deleted, because other records may hang off them (``--reset`` removes them)."""
    stale = {}
    for kind, model, rows in (
        ("place", Place, plan.places),
        ("unit", Unit, plan.units),
        ("zone", Zone, plan.zones),
        ("person", Person, plan.people),
    ):
        codes = set(model.objects.filter(is_demo=True).values_list("code", flat=True))
        stale[kind] = len(codes - {r.code for r in rows})
    duties = set(
        ZoneRole.objects.filter(is_demo=True).values_list(
            "person__code", "role", "level", "zone__code", "place__code"
        )
    )
    stale["duty"] = len(
        duties - {(d.person, d.role, d.level, d.zone, d.place) for d in plan.duties}
    )
    partners = set(
        Partnership.objects.filter(is_demo=True).values_list("unit__code", "compound__code")
    )
    stale["partnership"] = len(partners - {(p.unit, p.compound) for p in plan.partnerships})
    return {k: v for k, v in stale.items() if v}


# ---------------------------------------------------------------------------------------------
# Deleting
# ---------------------------------------------------------------------------------------------


def _demo_models() -> list:
    """Every model with an ``is_demo`` flag, history tables excepted (history stays)."""
    return [
        m
        for m in apps.get_models()
        if any(f.name == "is_demo" for f in m._meta.fields)
        and not m.__name__.startswith("Historical")
    ]


def _delete_rows(model) -> None:
    qs = model.objects.filter(is_demo=True)
    if any(f.name == "depth" for f in model._meta.fields):  # a tree: leaves first (PROTECT)
        for depth in sorted(set(qs.values_list("depth", flat=True)), reverse=True):
            model.objects.filter(is_demo=True, depth=depth).delete()
    else:
        qs.delete()


@transaction.atomic
def delete_demo() -> dict[str, int]:
    """Delete every ``is_demo`` row of every app and the demo accounts.

    Rows protect each other (a person protects its place); models are retried until a
    round deletes nothing more. Events and history rows stay: history is never edited.
    """
    before = {m._meta.label: m.objects.filter(is_demo=True).count() for m in _demo_models()}
    # Supervision and cases first (they point at places, units and people), then the cases'
    # actor accounts.
    demo_supervision.delete_supervision()  # the demo meetings first: decisions hold tasks
    demo_patrols.delete_patrols()
    demo_duty.delete_duty()  # shifts protect the demo people on them
    demo_cases.delete_cases()
    pending = [m for m in _demo_models() if m.objects.filter(is_demo=True).exists()]
    blocked: dict[str, str] = {}
    while pending:
        progress = False
        for model in list(pending):
            try:
                with transaction.atomic():
                    _delete_rows(model)
            except ProtectedError as exc:
                blocked[model._meta.label] = ", ".join(
                    sorted({type(o)._meta.label for o in exc.protected_objects})
                )
                continue
            pending.remove(model)
            blocked.pop(model._meta.label, None)
            progress = True
        if not progress:
            raise Conflict(
                "demo_reset_blocked",
                _("Demo rows are still used by other records: %(detail)s")
                % {"detail": "; ".join(f"{k} ← {v}" for k, v in sorted(blocked.items()))},
                {"blocked": blocked},
            )
    demo_hash = ""  # hashed once for every kept account (Argon2 is slow on purpose)
    for user in get_user_model().objects.filter(username__in=demo_usernames()):
        try:
            with transaction.atomic():
                user.delete()
        except ProtectedError:
            # It is the actor of recorded events; keep it, the reload resets it. Set directly,
            # not through account_save: the same DEMO_PASSWORD account_save already accepted
            # (it passes AUTH_PASSWORD_VALIDATORS; tests/core/test_deployment.py checks).
            if demo_hash:
                user.password = demo_hash
            else:
                user.set_password(DEMO_PASSWORD)
                demo_hash = user.password
            user.save(update_fields=["password"])
    return before


# ---------------------------------------------------------------------------------------------
# Reporting
# ---------------------------------------------------------------------------------------------


def _report(result: dict[str, Any], stdout) -> None:
    if stdout is None:
        return
    from rich.console import Console
    from rich.table import Table

    console = Console(file=stdout, highlight=False)
    if result["status"] == "skipped":
        console.print(
            _("Demo already loaded (fingerprint %(fp)s); nothing to do. Use --reset to reload.")
            % {"fp": result["fingerprint"]}
        )
        return
    table = Table(title=_("Demo district %(code)s") % {"code": ds.DISTRICT_CODE})
    table.add_column(_("Kind"))
    for label in (_("created"), _("updated"), _("unchanged")):  # in OUTCOMES order
        table.add_column(label, justify="right")
    labels = {
        "place": _("Places"),
        "unit": _("Units"),
        "zone": _("Zones"),
        "person": _("People"),
        "duty": _("Duties"),
        "partnership": _("Partnerships"),
        "account": _("Accounts"),
    }
    for kind in KINDS:
        row = result["counts"][kind]
        table.add_row(labels[kind], *(str(row[o]) for o in OUTCOMES))
    console.print(table)
    _report_cases(console, result.get("cases") or {})
    demo_supervision.report(console, result.get("supervision") or {})
    if result.get("stale"):
        console.print(
            _(
                "%(count)s demo rows are no longer part of the demo; "
                "run cityloop demo --reset to remove them."
            )
            % {"count": sum(result["stale"].values())}
        )


def _report_cases(console, cases: dict[str, Any]) -> None:
    if cases.get("outcome") in (None, "skipped"):
        return
    light = cases.get("light", {})
    console.print(
        _(
            "Demo cases: %(count)s (%(outcome)s) — closed %(closed)s, open %(open)s "
            "(red %(red)s, yellow %(yellow)s)"
        )
        % {
            "count": cases.get("cases", 0),
            "outcome": outcome_label(cases["outcome"]),
            "closed": cases.get("status", {}).get("closed", 0),
            "open": sum(light.values()),
            "red": light.get("red", 0),
            "yellow": light.get("yellow", 0),
        }
    )
    if "seconds" in cases:
        console.print(
            _("Cases played through the workflow as of %(as_of)s in %(seconds)s s")
            % {
                "as_of": f"{demo_cases.as_of().astimezone(demo_cases.SH):%Y-%m-%d %H:%M}",
                "seconds": cases["seconds"],
            }
        )
