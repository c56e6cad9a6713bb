"""Assessment pages: schemes and periods, the ranking of a period, a score explained down
to its records (with the entry and appeal forms), and the leaders' overview dashboard.
Thin: the workflow decides, a refusal shows its message and changes nothing."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from cityloop.assessment import queries, rules, workflow
from cityloop.assessment.labels import VOCABULARY
from cityloop.assessment.models import Appeal
from cityloop.core import exports
from cityloop.core.errors import DomainError, NotFound
from cityloop.web.steps import attempt


def _found(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc
    except DomainError as exc:  # a malformed period in the address
        raise Http404(str(exc.message)) from exc


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    schemes = queries.visible_schemes(request.user)
    rows = [
        (
            s,
            list(queries.periods_of(request.user, s.code)[:12]),
            [(i, queries.how_scored(i) if i.mode == "computed" else "") for i in s.items.all()],
        )
        for s in schemes
        if s.state != "retired"
    ]
    return render(
        request,
        "assessment/index.html",
        {"rows": rows, "retired": [s for s in schemes if s.state == "retired"]},
    )


def _ranking_xlsx(r: queries.Ranking) -> HttpResponse:
    """The ranking as the page shows it: rank, name, each item's points, deductions, total."""
    columns = [
        exports.Column(_("Rank"), 8),
        exports.Column(_("Name"), 20),
        *(exports.Column(f"{i.name}（{float(i.weight):g}）", 12) for i in r.items),
        exports.Column(_("Deducted"), 8),
        exports.Column(_("Score"), 8),
        exports.Column(_("Not ranked because"), 30),
    ]

    def line(row: queries.RankingRow) -> list:
        points = {ln.item_id: ln.points for ln in row.lines}
        s = row.score
        return [
            s.rank,
            s.label,
            *(points.get(i.pk) for i in r.items),
            s.deducted or 0,
            s.total,
            "" if s.ranked else s.unranked_reason,
        ]

    name = f"{r.scheme.name}-{r.label}"
    return exports.xlsx_response(name, r.label, columns, map(line, r.rows))


@login_required
def ranking(request: HttpRequest, code: str, key: str) -> HttpResponse:
    user = request.user
    if request.method == "POST":
        action = request.POST.get("action")
        verbs = {
            "run": (workflow.run_period, _("Scores computed again from the records.")),
            "close": (workflow.close_period, _("Period closed: its scores are frozen.")),
        }
        if action in verbs:
            fn, done = verbs[action]
            attempt(request, lambda: fn(actor=user, code=code, key=key), done)
        return HttpResponseRedirect(reverse("assessment:ranking", args=[code, key]))
    r = _found(queries.ranking, user, code, key)
    if exports.wants_xlsx(request):
        return _ranking_xlsx(r)
    return render(
        request,
        "assessment/ranking.html",
        {
            "r": r,
            "can_assess": rules.can_assess(user, r.scheme),
            "appeals": queries.appeals_of(r.period),
            "timeline": VOCABULARY.timeline(queries.period_events(r.period)),
            "chart": {
                "labels": [x.score.label for x in r.rows],
                "values": [float(x.score.total) for x in r.rows],
                "links": [reverse("assessment:score", args=[x.score.pk]) for x in r.rows],
            },
        },
    )


@login_required
def score(request: HttpRequest, score_id: int) -> HttpResponse:
    user = request.user
    s = _found(queries.score_get, user, score_id)
    period = s.period
    if request.method == "POST":
        action = request.POST.get("action")
        p = request.POST
        if action == "enter":
            attempt(
                request,
                lambda: workflow.enter_points(
                    actor=user,
                    code=period.code,
                    key=period.key,
                    target_key=s.target_key,
                    item_code=p.get("item", ""),
                    points=p.get("points", ""),
                    evidence=p.get("evidence", ""),
                ),
                _("Points entered; the period was re-scored."),
            )
        elif action == "appeal":
            attempt(
                request,
                lambda: workflow.lodge_appeal(
                    actor=user,
                    code=period.code,
                    key=period.key,
                    target_key=s.target_key,
                    item_code=p.get("item", ""),
                    reason=p.get("reason", ""),
                ),
                _("Appeal lodged."),
            )
        elif action == "decide":
            attempt(
                request,
                lambda: workflow.decide_appeal(
                    actor=user,
                    appeal_id=int(p.get("appeal") or 0),
                    uphold=p.get("uphold") == "1",
                    decision=p.get("decision", ""),
                    points=p.get("points") or None,
                ),
                _("Appeal decided."),
            )
        # Re-scoring replaces the score rows: go to the target's new row.
        new = period.scores.filter(target_key=s.target_key).first()
        return HttpResponseRedirect(reverse("assessment:score", args=[new.pk if new else s.pk]))
    return render(
        request,
        "assessment/score.html",
        {
            "s": s,
            "lines": queries.explain(s, request.user),
            "period": period,
            "can_assess": rules.can_assess(user, period.scheme),
            "can_appeal": rules.can_appeal(user, s),
            "entered_items": [i for i in period.scheme.items.all() if i.mode == "entered"],
            "items": list(period.scheme.items.all()),
            "appeals": period.appeals.filter(target_key=s.target_key).select_related("item"),
            "pending": Appeal.State.LODGED,
        },
    )


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """领导驾驶舱: cases by state and light, the board's colours, the latest rankings and
    their trends; every number links to the records behind it."""
    from cityloop.cases.models import Case
    from cityloop.cases.queries import light_counts, visible_cases
    from cityloop.core import clock
    from cityloop.supervision.models import Colour
    from cityloop.supervision.queries import board

    user = request.user
    states = Counter(visible_cases(user).values_list("status", flat=True))
    labels = dict(Case.Status.choices)
    case_states = [(k, labels.get(k, k), n) for k, n in sorted(states.items(), key=lambda x: -x[1])]
    lights = light_counts(user)
    b = board(user, as_of=clock.today())
    colours = [(c, str(Colour(c).label), b.counts.get(c, 0)) for c in Colour.lit()]
    colours.append(("done", _("Done"), sum(b.counts.get(c, 0) for c in Colour.done())))
    latest = []
    for s in queries.visible_schemes(user):
        if s.state != "active":
            continue
        p = queries.periods_of(user, s.code).first()
        if p is None:
            continue
        r = queries.ranking(user, s.code, p.key)
        latest.append({"r": r, "trend": _trend(user, s.code, r)})
    chart: dict[str, Any] = {
        "states": {
            "labels": [x[1] for x in case_states],
            "values": [x[2] for x in case_states],
            "links": [f"{reverse('cases:workbench')}?status={x[0]}" for x in case_states],
        },
        "colours": {
            "labels": [x[1] for x in colours],
            "values": [x[2] for x in colours],
            "links": [f"{reverse('supervision:board')}?colour={x[0]}" for x in colours],
        },
        "rankings": [
            {
                "title": f"{x['r'].scheme.name} · {x['r'].label}",
                "labels": [y.score.label for y in x["r"].rows],
                "values": [float(y.score.total) for y in x["r"].rows],
                "links": [reverse("assessment:score", args=[y.score.pk]) for y in x["r"].rows],
                "trend": x["trend"],
            }
            for x in latest
        ],
    }
    return render(
        request,
        "assessment/dashboard.html",
        {
            "case_states": case_states,
            "lights": lights,
            "colours": colours,
            "latest": latest,
            "chart": chart,
            "total_cases": sum(states.values()),
        },
    )


def _trend(user, code: str, r) -> dict[str, Any]:
    keys = [p.key for p in queries.periods_of(user, code)[:6]][::-1]
    series = {}
    for row in r.rows[:5]:
        points = {t["period"]: t["total"] for t in queries.trend(user, code, row.score.target_key)}
        series[row.score.label] = [points.get(k) for k in keys]
    return {"periods": keys, "series": series}
