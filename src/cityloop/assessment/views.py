"""Assessment pages: schemes and periods (with the 新建考核方案 / 修订 form and 启用), the
ranking of a period, a score explained down to its records (with the entry and appeal
forms), and the leaders' overview dashboard.
Thin: the workflow decides, a refusal shows its message and changes nothing."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cityloop.assessment import forms, indicators, queries, rules, services, workflow
from cityloop.assessment.labels import VOCABULARY
from cityloop.assessment.models import Appeal, Item
from cityloop.core import exports
from cityloop.core.errors import DomainError, NotFound
from cityloop.core.steps import attempt


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
        {
            "rows": rows,
            "retired": [s for s in schemes if s.state == "retired"],
            "can_define": rules.defines(request.user),
            "assesses": {s.pk for s in schemes if rules.can_assess(request.user, s)},
        },
    )


def _scheme_page(request, form, rows, *, scheme=None, note="", status=None) -> HttpResponse:
    total = forms.total_weight(rows)
    return render(
        request,
        "assessment/scheme_form.html",
        {
            "form": form,
            "rows": rows,
            "scheme": scheme,
            "note": note,
            "total": total,
            "indicators": [(i.name, i.label, i.kind) for i in indicators.known()],
            "rule_kinds": forms.RULE_KINDS,
            "modes": Item.Mode.choices,
            "steps": forms.STEPS,
            "directions": forms.DIRECTIONS,
            "row_errors": any(r.errors for r in rows),
        },
        status=status or (400 if (form.errors or any(r.errors for r in rows)) else 200),
    )


@login_required
@require_http_methods(["GET", "POST"])
def scheme_new(request: HttpRequest) -> HttpResponse:
    """新建考核方案: the heading and the item rows; 预览 shows each rule in words and the
    points for a sample value, writing nothing; saving calls the workflow the API calls."""
    user = request.user
    if not rules.defines(user):
        raise PermissionDenied
    form = forms.SchemeForm(
        request.POST or None,
        owners=queries.owner_units(user),
        places=queries.scheme_places(user),
        initial={"code": services.new_scheme_code()},
    )
    if request.method == "GET":
        return _scheme_page(request, form, forms.blank_rows())
    rows = forms.read_rows(request.POST) or forms.blank_rows()
    items = forms.read_items(rows)
    heading_ok = form.is_valid()
    if request.POST.get("action") == "preview":
        forms.preview(rows)
        return _scheme_page(request, form, rows)
    if heading_ok and items is not None:
        d = form.cleaned_data
        try:
            scheme = workflow.define_scheme(
                actor=user,
                code=d["code"],
                name=d["name"],
                target_kind=d["target_kind"],
                period_kind=d["period_kind"],
                owner=d["owner"],
                place=d["place"],
                items=items,
                description=d["description"],
            )
        except DomainError as exc:
            form.refuse(exc)
        else:
            messages.success(
                request,
                _("Scheme “%(name)s” drawn up as a draft; put it in force when it is ready.")
                % {"name": scheme.name},
            )
            return redirect("assessment:index")
    return _scheme_page(request, form, rows, status=400)


class _Heading:
    """The revision page shows the scheme's heading read-only: it does not change."""

    def __init__(self):
        self.errors: list[str] = []

    def non_field_errors(self) -> list[str]:
        return self.errors

    def refuse(self, exc: DomainError) -> None:
        self.errors.append(str(exc.message))


@login_required
@require_http_methods(["GET", "POST"])
def scheme_revise(request: HttpRequest, code: str) -> HttpResponse:
    """修订: the scheme in force (or its latest version) pre-filled; saving makes a new draft
    version through the workflow the API calls."""
    user = request.user
    scheme = _found(queries.scheme_get, user, code)
    if not rules.can_assess(user, scheme):
        raise PermissionDenied
    heading = _Heading()
    if request.method == "GET":
        rows = forms.rows_of(scheme)
        rows += forms.blank_rows(max(1, forms.ROWS_SHOWN - len(rows)), start=len(rows))
        return _scheme_page(request, heading, rows, scheme=scheme)
    note = (request.POST.get("note") or "").strip()[:2000]
    rows = forms.read_rows(request.POST)
    items = forms.read_items(rows)
    if request.POST.get("action") == "preview":
        forms.preview(rows)
        return _scheme_page(request, heading, rows, scheme=scheme, note=note)
    if items is not None:
        try:
            new = workflow.revise_scheme(actor=user, code=code, items=items, note=note)
        except DomainError as exc:
            heading.refuse(exc)
        else:
            messages.success(
                request,
                _("Version %(n)d of “%(name)s” drawn up as a draft.")
                % {"n": new.version, "name": new.name},
            )
            return redirect("assessment:index")
    return _scheme_page(request, heading, rows, scheme=scheme, note=note, status=400)


@login_required
@require_POST
def scheme_activate(request: HttpRequest, code: str, version: int) -> HttpResponse:
    """启用: put a draft version in force (the one in force retires)."""
    attempt(
        request,
        lambda: workflow.activate_scheme(actor=request.user, code=code, version=version),
        _("Scheme version put in force."),
    )
    return redirect("assessment:index")


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
    user = request.user
    # The case and task figures come from their apps (cases/supervision indicators.py).
    parts = queries.dashboard_parts(user)
    cases = parts.get("cases", {"case_states": [], "lights": {}, "total_cases": 0})
    case_states = cases["case_states"]
    colours = parts.get("tasks", [])
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
            "lights": cases["lights"],
            "colours": colours,
            "latest": latest,
            "chart": chart,
            "total_cases": cases["total_cases"],
        },
    )


def _trend(user, code: str, r) -> dict[str, Any]:
    keys = [p.key for p in queries.periods_of(user, code)[:6]][::-1]
    series = {}
    for row in r.rows[:5]:
        points = {t["period"]: t["total"] for t in queries.trend(user, code, row.score.target_key)}
        series[row.score.label] = [points.get(k) for k in keys]
    return {"periods": keys, "series": series}
