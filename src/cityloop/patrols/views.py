"""Patrol pages: the list with the missed-patrol items, one patrol, the phone page and the
路长台账 (page and .xlsx). Thin: reads from :mod:`.queries`; the phone page writes through
the API, which calls :mod:`.workflow`."""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from cityloop.core import clock, exports
from cityloop.core.steps import found
from cityloop.patrols import coverage, queries
from cityloop.patrols.labels import VOCABULARY


@login_required
def index(request: HttpRequest) -> HttpResponse:
    user = request.user
    return render(
        request,
        "patrols/index.html",
        {
            "patrols": queries.patrol_rows(user, limit=100),
            "my_missed": queries.missed_for_person(user),
            "missed": queries.missed_in_scope(user),
            "has_duty": bool(queries.patrol_duties(user)),
        },
    )


@login_required
def detail(request: HttpRequest, patrol_id: int) -> HttpResponse:
    patrol = found(queries.patrol_get, request.user, patrol_id)
    return render(
        request,
        "patrols/detail.html",
        {
            "patrol": patrol,
            "links": queries.case_links(patrol),
            "track": queries.track(patrol),
            "timeline": VOCABULARY.timeline(patrol.events.order_by("-at", "-pk")[:50]),
        },
    )


@login_required
def phone(request: HttpRequest) -> HttpResponse:
    """One thumb on a 390 px screen: start, report, end. Works offline (``patrols/phone.js``)."""
    user = request.user
    duties = queries.patrol_duties(user)
    ongoing = queries.ongoing_for(user)
    config = {
        "api": reverse("api:api-root"),
        "sw": reverse("patrols:service_worker"),
        "scope": reverse("patrols:index"),
        "ongoing": {"id": ongoing.pk, "code": ongoing.code} if ongoing else None,
        "interval": 15000,
        "labels": {
            "onPatrol": _("On patrol"),
            "notOnPatrol": _("Not on patrol"),
            "waiting": _("Waiting to be sent: %(n)s"),
            "allSent": _("Everything has been sent."),
            "offline": _("No network: kept on the phone, sent when the network returns."),
            "noPosition": _("No position yet: allow location, or check in on a segment."),
            "position": _("Position: %(lng)s, %(lat)s (±%(acc)s m)"),
            "describe": _("Please describe the problem."),
            "reported": _("Problem recorded: %(code)s"),
            "queued": _("Recorded on the phone; it will be sent."),
            "started": _("Patrol started."),
            "ended": _("Patrol ended."),
            "refused": _("Refused: %(message)s"),
            "kinds": {
                "start": _("Start"),
                "points": _("Track points"),
                "check_in": _("Check-in"),
                "report": _("Problem report"),
                "end": _("End"),
            },
        },
    }
    return render(
        request,
        "patrols/phone.html",
        {"duties": duties, "ongoing": ongoing, "config": config},
    )


def _week(request: HttpRequest) -> date:
    raw = request.GET.get("week", "")
    try:
        day = date.fromisoformat(raw) if raw else clock.today()
    except ValueError:
        day = clock.today()
    return coverage.week_start(day)


@login_required
def ledger(request: HttpRequest) -> HttpResponse:
    """路长台账: per road, per chief, for one week."""
    week = _week(request)
    rows = queries.ledger(request.user, week)
    if exports.wants_xlsx(request):
        # Column headers are built per request so they follow the reader's language.
        columns = [
            exports.Column(_("Road"), 18),
            exports.Column(_("Road chief"), 12),
            exports.Column(_("Level"), 10),
            exports.Column(_("Required frequency"), 10),
            exports.Column(_("Patrols required"), 10),
            exports.Column(_("Patrols done"), 10),
            exports.Column(_("Cases found"), 10),
            exports.Column(_("Cases closed"), 10),
            exports.Column(_("Return visits"), 10),
        ]
        data = [
            [
                r.zone.name,
                r.person.name,
                r.level_label,
                r.period_label,
                r.required,
                r.done,
                r.cases_found,
                r.cases_closed,
                r.return_visits,
            ]
            for r in rows
        ]
        title = _("Road chief ledger %(week)s") % {"week": week.isoformat()}
        return exports.xlsx_response(f"{title}.xlsx", title, columns, data)
    return render(
        request,
        "patrols/ledger.html",
        {
            "rows": rows,
            "totals": queries.ledger_totals(rows),
            "week": week,
            "week_end": week + timedelta(days=6),
            "prev": week - timedelta(days=7),
            "next": week + timedelta(days=7),
        },
    )


@never_cache
def service_worker(request: HttpRequest) -> HttpResponse:
    """The phone page's service worker, served under /patrols/ so that its scope covers the
    page (a worker from /static/ could only control /static/)."""
    path = finders.find("patrols/sw.js")
    with open(path, encoding="utf-8") as fh:
        body = fh.read()
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = reverse("patrols:index")
    return response
