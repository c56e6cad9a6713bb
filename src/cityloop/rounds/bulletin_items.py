"""The bulletin's demand-round sentence [issue 18 item 4, seed 002 "以周为单位组织‘民意调研员’
深入一线…收集形成六大项提升清单"]: the demands of the rounds in a period, per improvement list,
and how they were handled. Registered with the bulletins' generated items when that app is
installed (:mod:`cityloop.bulletins.generators`)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cityloop.core.errors import InvalidInput
from cityloop.core.system import SYSTEM
from cityloop.rounds import queries
from cityloop.rounds.models import Demand


def round_figures_item(params: dict[str, Any], as_of: date):
    """Rounds whose week starts in [start, end] (default: the week holding ``end``), of one
    street unit or of all."""
    from cityloop.bulletins import generators as g

    unit = g._unit(params["unit"]) if params.get("unit") else None
    end = g._date(params, "end", as_of)
    start = g._date(params, "start", end - timedelta(days=end.weekday()))
    if start > end:
        raise InvalidInput("bulletin_param_invalid", _("The period ends before it starts."))
    kw = {"unit_id": unit.pk if unit else None, "since": start, "until": end}
    rows = queries.figures_by_list(SYSTEM, **kw)
    t = queries.total(rows)
    figures = {
        "demands": t.demands,
        "solved": t.solved,
        "in_project": t.in_project,
        "escalated": t.escalated,
        "merged": t.merged,
        "lists": len([r for r in rows if r.key and r.demands]),  # lists with a demand counted
    }
    if unit is None:
        who = str(_("the streets"))
    else:  # 济源路街道 rather than 济源路街道办事处 when no short name is set
        who = unit.short_name or (unit.place.name if unit.place_id else unit.name)
    body = _(
        "From %(start)s to %(end)s, the researchers of %(who)s recorded %(demands)d demands "
        "in %(lists)d improvement lists: %(solved)d were solved on the spot, %(in_project)d "
        "are carried by projects and %(escalated)d were escalated to district departments; "
        "%(merged)d repeated ones were merged."
    ) % {"start": g.cn_date(start), "end": g.cn_date(end), "who": who, **figures}
    ids = list(
        Demand.objects.filter(
            round__in=queries.visible_rounds(SYSTEM).filter(
                week_start__gte=start,
                week_start__lte=end,
                **({"unit_id": unit.pk} if unit else {}),
            )
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    table = {
        "columns": [
            str(_("Improvement list")),
            str(_("Demands")),
            str(_("Solved on the spot")),
            str(_("In projects")),
            str(_("Escalated to the district")),
        ],
        "rows": [[r.label, r.demands, r.solved, r.in_project, r.escalated] for r in rows],
    }
    return g.Generated(
        title=str(params.get("title") or _("Demands gathered by the researchers")),
        body=body,
        table=table if rows else {},
        chart={
            "kind": "bar",
            "title": str(_("Demands")),
            "labels": [r.label for r in rows],
            "values": [r.demands for r in rows],
        }
        if rows
        else {},
        sources={"demand": ids, "start": start.isoformat(), "end": end.isoformat()},
        figures=figures,
    )


def register() -> None:
    from cityloop.bulletins import generators

    generators.register(
        "round_figures",
        round_figures_item,
        label=gettext_lazy("Demand rounds: demands per improvement list"),
        app="rounds",
        params=("unit", "start", "end"),
    )
