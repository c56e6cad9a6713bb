"""Generated items: sentences, tables and charts computed from live records.

A generator is ``fn(params, as_of) -> Generated``. Its text is produced through gettext
msgids, its numbers through the apps' own queries (case figures, the supervision board and
summaries, assessment rankings, bulletin submissions), and it keeps the ids of what it
counted in ``sources``. Apps register more::

    from cityloop.bulletins import generators
    generators.register("project_quantities", fn, label=_("Project quantities"))
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from cityloop.core import clock
from cityloop.core.errors import InvalidInput
from cityloop.core.system import SYSTEM


@dataclass
class Generated:
    title: str
    body: str
    table: dict[str, Any] = field(default_factory=dict)  # {"columns": [...], "rows": [[...]]}
    chart: dict[str, Any] = field(default_factory=dict)  # {"kind": "bar", "labels", "values"}
    sources: dict[str, Any] = field(default_factory=dict)  # {"case": [ids], ...}
    figures: dict[str, Any] = field(default_factory=dict)  # the numbers stated, by name


@dataclass(frozen=True)
class Generator:
    name: str
    fn: Callable[[dict[str, Any], date], Generated]
    label: Any
    app: str = ""
    # The parameters a page asks for, each chosen from a picker: place, unit, scheme,
    # period, series, kind (of summary), start, end, as_of (dates).
    params: tuple[str, ...] = ()


_REGISTRY: dict[str, Generator] = {}


def register(
    name: str,
    fn: Callable[[dict[str, Any], date], Generated],
    *,
    label: Any,
    app: str = "",
    params: tuple[str, ...] = (),
):
    _REGISTRY[name] = Generator(name, fn, label, app, tuple(params))


def known() -> list[Generator]:
    return [_REGISTRY[k] for k in sorted(_REGISTRY)]


def label_of(name: str) -> str:
    """A generator's Chinese name (never its code), for lists of placed items."""
    gen = _REGISTRY.get(name)
    return str(gen.label) if gen else str(_("Generated item no longer available"))


def run(name: str, params: dict[str, Any], as_of: date) -> Generated:
    gen = _REGISTRY.get(name)
    if gen is None:
        raise InvalidInput(
            "bulletin_generator_unknown",
            _("There is no generated item called “%(name)s”.") % {"name": name},
            {"known": sorted(_REGISTRY)},
        )
    return gen.fn(dict(params or {}), as_of)


# --- helpers ---------------------------------------------------------------------------------


def _date(params: dict, key: str, default: date) -> date:
    value = params.get(key)
    if value in (None, ""):
        return default
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput(
            "bulletin_param_invalid",
            _("“%(value)s” is not a date (YYYY-MM-DD).") % {"value": value},
            {"param": key},
        ) from None


def _place(code: str):
    from cityloop.org.models import Place

    place = Place.objects.filter(code=(code or "").strip()).first()
    if place is None:
        raise InvalidInput(
            "bulletin_param_invalid",
            _("There is no place with code “%(code)s”.") % {"code": code},
            {"param": "place"},
        )
    return place


def _unit(code: str):
    from cityloop.org.models import Unit

    unit = Unit.objects.filter(code=(code or "").strip()).first()
    if unit is None:
        raise InvalidInput(
            "bulletin_param_invalid",
            _("There is no unit with code “%(code)s”.") % {"code": code},
            {"param": "unit"},
        )
    return unit


def pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def cn_date(day: date) -> str:
    return _("%(m)s-%(d)s") % {"m": day.month, "d": day.day}


# --- case figures ----------------------------------------------------------------------------


def case_figures_item(params: dict[str, Any], as_of: date) -> Generated:
    """The case figures of a place (district, street or community) for a period, with its
    communities (or streets) in a table and the on-time close rate as a chart."""
    from cityloop.cases.queries import case_figures
    from cityloop.org.models import Place

    place = _place(params.get("place", ""))
    end = _date(params, "end", as_of - timedelta(days=1))
    start = _date(params, "start", end.replace(day=1))
    if start > end:
        raise InvalidInput("bulletin_param_invalid", _("The period ends before it starts."))
    group = {"district": None, "street": "street", "community": "community"}.get(place.kind)
    if place.kind not in ("district", "street", "community"):
        raise InvalidInput(
            "bulletin_param_invalid",
            _("Case figures are given for a district, street or community."),
        )
    rows = case_figures(SYSTEM, since=start, until=end, group_by=group)
    whole = next((r for r in rows if r.group == ("" if group is None else place.code)), None)
    f = whole.figures if whole else None

    def val(key):
        return f[key].value if f else 0

    figures = {
        "reported": val("reported") or 0,
        "accepted": val("accepted") or 0,
        "closed": val("closed") or 0,
        "on_time_close_rate": val("on_time_close_rate") if f else None,
        "reopen_rate": val("reopen_rate") if f else None,
        "satisfaction_rate": val("satisfaction_rate") if f else None,
    }
    body = _(
        "From %(start)s to %(end)s, %(place)s took in %(reported)d cases from residents and "
        "patrols and accepted %(accepted)d; %(closed)d were closed, with an on-time close rate "
        "of %(on_time)s, a reopen rate of %(reopen)s and a satisfaction rate of %(satisfied)s."
    ) % {
        "start": cn_date(start),
        "end": cn_date(end),
        "place": place.name,
        "reported": figures["reported"],
        "accepted": figures["accepted"],
        "closed": figures["closed"],
        "on_time": pct(figures["on_time_close_rate"]),
        "reopen": pct(figures["reopen_rate"]),
        "satisfied": pct(figures["satisfaction_rate"]),
    }
    # The parts below the place: its streets or communities.
    below = {"district": "street", "street": "community"}.get(place.kind)
    table: dict[str, Any] = {}
    chart: dict[str, Any] = {}
    if below:
        parts = dict(
            Place.objects.filter(kind=below, path__startswith=place.path).values_list(
                "code", "name"
            )
        )
        sub = [
            r
            for r in case_figures(SYSTEM, since=start, until=end, group_by=below)
            if r.group in parts
        ]
        table = {
            "columns": [
                str(_("Name")),
                str(_("Reported")),
                str(_("Closed")),
                str(_("On-time close rate")),
                str(_("Reopen rate")),
                str(_("Satisfaction rate")),
            ],
            "rows": [
                [
                    r.label,
                    r.figures["reported"].value,
                    r.figures["closed"].value,
                    pct(r.figures["on_time_close_rate"].value),
                    pct(r.figures["reopen_rate"].value),
                    pct(r.figures["satisfaction_rate"].value),
                ]
                for r in sub
            ],
        }
        chart = {
            "kind": "bar",
            "title": str(_("On-time close rate")),
            "labels": [r.label for r in sub],
            "values": [round((r.figures["on_time_close_rate"].value or 0) * 100, 1) for r in sub],
            "unit": "%",
        }
    ids = (
        sorted(
            set(f["reported"].case_ids + f["closed"].case_ids + f["on_time_close_rate"].case_ids)
        )
        if f
        else []
    )
    return Generated(
        title=str(params.get("title") or _("Case handling in %(place)s") % {"place": place.name}),
        body=body,
        table=table,
        chart=chart,
        sources={
            "case": ids,
            "place": place.code,
            "start": start.isoformat(),
            "end": end.isoformat(),
        },
        figures=figures,
    )


# --- supervision board -----------------------------------------------------------------------


def board_item(params: dict[str, Any], as_of: date) -> Generated:
    """The red/yellow/blue board of a unit (or everything) on a day: the seeds' sentence
    "截至目前，街道共有黄色预警1项，蓝色预警27项" and the done sentence."""
    from cityloop.supervision.models import Colour
    from cityloop.supervision.queries import BoardFilter, board

    day = _date(params, "as_of", as_of)
    unit = _unit(params["unit"]) if params.get("unit") else None
    result = board(SYSTEM, as_of=day, flt=BoardFilter(unit=unit.pk if unit else None))
    counts = result.counts
    body = _("%(sentence)s; %(done)s.") % {
        "sentence": result.sentence,
        "done": result.done_sentence,
    }
    who = (unit.short_name or unit.name) if unit else ""
    if who:
        body = _("%(unit)s has %(n)d supervised tasks. ") % {"unit": who, "n": result.total} + body
    rows = [
        [
            name,
            c.get(Colour.RED, 0),
            c.get(Colour.YELLOW, 0),
            c.get(Colour.BLUE, 0),
            c.get("done", 0),
        ]
        for name, c in result.by_unit
    ]
    return Generated(
        title=str(params.get("title") or _("Progress of the supervised tasks")),
        body=body,
        table={
            "columns": [
                str(_("Responsible unit")),
                str(_("Red")),
                str(_("Yellow")),
                str(_("Blue")),
                str(_("Done")),
            ],
            "rows": rows,
        },
        chart={
            "kind": "bar",
            "title": str(_("Tasks by light")),
            "labels": [str(_("Red")), str(_("Yellow")), str(_("Blue"))],
            "values": [
                counts.get(Colour.RED, 0),
                counts.get(Colour.YELLOW, 0),
                counts.get(Colour.BLUE, 0),
            ],
            "colours": ["#d93025", "#f9ab00", "#1a73e8"],
        },
        sources={"task": sorted(r.task.pk for r in result.rows), "as_of": day.isoformat()},
        figures={"counts": dict(counts), "total": result.total},
    )


# --- supervision periodic summaries ----------------------------------------------------------


def supervision_summary_item(params: dict[str, Any], as_of: date) -> Generated:
    """周督查 / 月调度 / 季通报 as an item, from :func:`supervision.queries.summary`."""
    from cityloop.supervision.queries import PERIOD_KINDS, summary

    kind = params.get("kind", "week")
    if kind not in PERIOD_KINDS:
        raise InvalidInput(
            "bulletin_param_invalid",
            _("A summary is weekly, monthly or quarterly."),
            {"param": "kind"},
        )
    end = _date(params, "end", as_of)
    s = summary(SYSTEM, kind=kind, end=end)
    titles = {
        "week": _("Weekly supervision"),
        "month": _("Monthly scheduling"),
        "quarter": _("Quarterly notice"),
    }
    body = _(
        "From %(start)s to %(end)s: %(sentence)s; %(done)s. %(red)d tasks turned red and "
        "%(finished)d were finished; inspections found %(found)d problems, %(rectified)d "
        "rectifications were closed and %(letters)d urging letters were sent."
    ) % {
        "start": s["start"],
        "end": s["end"],
        "sentence": s["sentence"],
        "done": s["done_sentence"],
        "red": len(s["turned_red"]),
        "finished": len(s["finished"]),
        "found": s["findings_opened"],
        "rectified": s["rectifications_closed"],
        "letters": s["letters_sent"],
    }
    rows = [[t["code"], t["title"], "；".join(t["reasons"])] for t in s["turned_red"]]
    return Generated(
        title=str(params.get("title") or titles[kind]),
        body=body,
        table={"columns": [str(_("Code")), str(_("Task")), str(_("Why red"))], "rows": rows}
        if rows
        else {},
        sources={"summary": {k: s[k] for k in ("kind", "start", "end")}},
        figures={"counts": s["counts"], "findings_opened": s["findings_opened"]},
    )


# --- rankings --------------------------------------------------------------------------------


def ranking_item(params: dict[str, Any], as_of: date) -> Generated:
    """An assessment ranking: who leads, who trails, and the table with movement."""
    from cityloop.assessment import queries as aq
    from cityloop.core.errors import NotFound

    code, key = params.get("scheme", ""), params.get("period", "")
    try:
        r = aq.ranking(SYSTEM, code, key)
    except NotFound:
        raise InvalidInput(
            "bulletin_param_invalid",
            _("Choose a scheme and one of its computed periods."),
            {"param": "period"},
        ) from None
    top = r.top(int(params.get("top", r.scheme.praise_top)))
    bottom = r.bottom(int(params.get("bottom", r.scheme.criticise_bottom)))
    sep = "、"
    body = _("In the %(scheme)s of %(period)s, %(n)d targets were assessed.") % {
        "scheme": r.scheme.name,
        "period": r.label,
        "n": len(r.rows),
    }
    if top:
        body += _(" %(names)s ranked at the top.") % {"names": sep.join(x.score.label for x in top)}
    if bottom:
        body += _(" %(names)s ranked at the bottom.") % {
            "names": sep.join(x.score.label for x in bottom)
        }
    if r.unranked:
        body += _(" %(names)s had too few records to be ranked.") % {
            "names": sep.join(x.score.label for x in r.unranked)
        }
    return Generated(
        title=str(
            params.get("title")
            or _("%(scheme)s: ranking for %(period)s")
            % {"scheme": r.scheme.name, "period": r.label}
        ),
        body=body,
        table=ranking_table(r),
        chart={
            "kind": "barh",
            "title": str(_("Score")),
            "labels": [x.score.label for x in r.rows],
            "values": [float(x.score.total) for x in r.rows],
        },
        sources={"scores": [x.score.pk for x in r.rows], "period": r.period.pk},
        figures={
            "totals": {x.score.label: str(x.score.total) for x in r.rows},
            "ranks": {x.score.label: x.score.rank for x in r.rows},
        },
    )


def movement_text(m: int | None) -> str:
    if m is None:
        return "—"
    if m > 0:
        return f"↑{m}"
    if m < 0:
        return f"↓{-m}"
    return "—"


def ranking_table(r) -> dict[str, Any]:
    columns = [str(_("Rank")), str(_("Name"))]
    columns += [f"{it.name}（{float(it.weight):g}）" for it in r.items]
    columns += [str(_("Deducted")), str(_("Score")), str(_("Change"))]
    rows = []
    for x in r.rows:
        lines = {ln.item_id: ln for ln in x.lines}
        row = [x.score.rank if x.score.rank is not None else str(_("not ranked")), x.score.label]
        row += [f"{float(lines[it.pk].points):g}" if it.pk in lines else "—" for it in r.items]
        row += [
            f"{float(x.score.deducted):g}" if x.score.deducted else "—",
            f"{float(x.score.total):g}",
        ]
        row.append(movement_text(x.movement))
        rows.append(row)
    return {"columns": columns, "rows": rows}


# --- submissions (信息报送) --------------------------------------------------------------------


def submissions_item(params: dict[str, Any], as_of: date) -> Generated:
    from cityloop.bulletins import queries

    end = _date(params, "end", as_of)
    start = _date(params, "start", date(end.year, 1, 1))
    counts = queries.submission_counts(
        series_code=params.get("series") or None, start=start, end=end
    )
    total = sum(c["submitted"] for c in counts)
    used = sum(c["used"] for c in counts)
    body = _(
        "From %(start)s to %(end)s, %(units)d units submitted %(total)d items, of which "
        "%(used)d were used."
    ) % {
        "start": cn_date(start),
        "end": cn_date(end),
        "units": len(counts),
        "total": total,
        "used": used,
    }
    return Generated(
        title=str(params.get("title") or _("Information submitted by units")),
        body=body,
        table={
            "columns": [str(_("Unit")), str(_("Submitted")), str(_("Accepted")), str(_("Used"))],
            "rows": [[c["unit"], c["submitted"], c["accepted"], c["used"]] for c in counts],
        },
        sources={"submission": sorted(i for c in counts for i in c["ids"])},
        figures={"total": total, "used": used},
    )


register(
    "case_figures",
    case_figures_item,
    label=_lazy("Case figures of a place"),
    app="cases",
    params=("place", "start", "end"),
)
register(
    "board",
    board_item,
    label=_lazy("Red/yellow/blue board"),
    app="supervision",
    params=("unit", "as_of"),
)
register(
    "supervision_summary",
    supervision_summary_item,
    label=_lazy("Supervision summary (weekly, monthly, quarterly)"),
    app="supervision",
    params=("kind", "end"),
)
register(
    "ranking",
    ranking_item,
    label=_lazy("Assessment ranking"),
    app="assessment",
    params=("scheme", "period"),
)
register(
    "submissions",
    submissions_item,
    label=_lazy("Submissions by unit"),
    app="bulletins",
    params=("series", "start", "end"),
)


# --- the assessment indicator: 信息报送考核 ----------------------------------------------------


def _day(d: date, end: bool = False) -> datetime:
    return datetime.combine(d, time.max if end else time.min, tzinfo=clock.local_zone())


def _submitted_measure(used_only: bool):
    def fn(ctx, target):
        from cityloop.assessment.indicators import Measure
        from cityloop.bulletins.models import Submission

        if target.unit is None:
            return Measure(0.0, 0, 0, None, [])
        qs = Submission.objects.filter(
            unit__path__startswith=target.unit.path,
            submitted_at__range=(_day(ctx.start), _day(ctx.end, True)),
        )
        if used_only:
            qs = qs.filter(state__in=[Submission.State.ACCEPTED, Submission.State.USED])
        rows = list(qs.order_by("submitted_at", "pk").values_list("pk", "title"))
        records = [{"kind": "submission", "id": pk, "label": t} for pk, t in rows]
        return Measure(float(len(rows)), len(rows), len(rows), None, records)

    return fn


def _register_indicators() -> None:
    from cityloop.assessment import indicators

    indicators.register(
        "bulletin_items_submitted",
        _submitted_measure(False),
        label=_lazy("Bulletin items submitted"),
        kind="count",
        rule_text=lambda: str(
            _("Items the unit (and its offices) submitted to any bulletin series in the period.")
        ),
        app="bulletins",
    )
    indicators.register(
        "bulletin_items_accepted",
        _submitted_measure(True),
        label=_lazy("Bulletin items accepted"),
        kind="count",
        rule_text=lambda: str(
            _("Items of the unit submitted in the period that editors accepted or used.")
        ),
        app="bulletins",
    )


_register_indicators()
