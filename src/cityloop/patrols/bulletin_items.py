"""The bulletin's patrol sentence [issue 18 item 1]: "本周各级路长巡查 N 次，发现问题 M 件，已办结
K 件", with the 路长台账 of the week as its table. Registered with the bulletins' generated
items when that app is installed (:mod:`cityloop.bulletins.generators`)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cityloop.core.system import SYSTEM
from cityloop.patrols import coverage, queries


def patrol_week_item(params: dict[str, Any], as_of: date):
    """The road chiefs' week holding ``end`` (default: the bulletin's day) in ``place``."""
    from cityloop.bulletins import generators as g

    place = g._place(params.get("place", ""))
    day = g._date(params, "end", as_of)
    start = coverage.week_start(day)
    end = start + timedelta(days=6)
    rows = queries.ledger(SYSTEM, start, place_path=place.path)
    totals = queries.ledger_totals(rows)
    patrol_ids = sorted({pid for r in rows for pid in r.patrol_ids})
    figures = {
        "patrols": totals["patrols"],  # as the ledger page counts them
        "required": totals["required"],
        "done": totals["done"],
        "found": totals["cases_found"],
        "closed": totals["cases_closed"],
        "return_visits": totals["return_visits"],
        "short": sum(1 for r in rows if r.short),
    }
    body = _(
        "From %(start)s to %(end)s, the road chiefs of %(place)s patrolled %(patrols)d times, "
        "found %(found)d problems, %(closed)d closed."
    ) % {
        "start": g.cn_date(start),
        "end": g.cn_date(end),
        "place": place.name,
        **figures,
    }
    if figures["required"]:
        body += _(" %(done)d of the %(required)d required patrols were made") % figures
        body += (
            _("; %(short)d road chiefs fell short.") % figures
            if figures["short"]
            else _("; every road chief made the required patrols.")
        )
    table = {
        "columns": [
            str(_("Road")),
            str(_("Road chief")),
            str(_("Level")),
            str(_("Patrols done / required")),
            str(_("Problems found")),
            str(_("Closed cases")),
        ],
        "rows": [
            [
                r.zone.name,
                r.person.name,
                r.level_label,
                f"{r.done} / {r.required}",
                r.cases_found,
                r.cases_closed,
            ]
            for r in rows
        ],
    }
    return g.Generated(
        title=str(params.get("title") or _("Road chiefs' patrols")),
        body=body,
        table=table if rows else {},
        sources={
            "patrol": patrol_ids,
            "place": place.code,
            "start": start.isoformat(),
            "end": end.isoformat(),
        },
        figures=figures,
    )


def register() -> None:
    from cityloop.bulletins import generators

    generators.register(
        "patrol_week",
        patrol_week_item,
        label=gettext_lazy("Road chiefs' patrols of a week"),
        app="patrols",
        params=("place", "end"),
    )
