"""Shell pages: home (counts in the reader's scope) and the map. Reads go through org.queries."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _

from cityloop.cases import queries as case_queries
from cityloop.core import clock
from cityloop.core.roles import has_any
from cityloop.org import queries
from cityloop.org.models import Place

# Fill colours of compounds by management status; the map and its legend share them.
MANAGEMENT_COLOURS = {
    Place.Management.PROPERTY_COMPANY: "#2e7d32",
    Place.Management.OWNERS_COMMITTEE: "#1565c0",
    Place.Management.SELF_MANAGED: "#f9a825",
    Place.Management.UNMANAGED: "#c62828",
}
MAP_LAYERS = ("district", "streets", "communities", "compounds", "roads", "grids", "hazard_points")


@dataclass(frozen=True)
class Card:
    key: str
    label: str
    value: int
    url: str
    note: str = ""
    map_url: str = ""
    alert: bool = False


@dataclass(frozen=True)
class CaseCard:
    key: str
    label: str
    value: str
    url: str
    note: str = ""
    light: str = ""
    title: str = ""


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def case_cards(user) -> tuple[list[CaseCard], list[CaseCard]]:
    """Open cases by light (links to the filtered workbench) and this month's case figures."""
    counts = case_queries.light_counts(user)
    wb = reverse("cases:workbench")
    lights = [
        CaseCard(
            f"cases_{light}",
            label,
            str(counts[light]),
            f"{wb}?tab=all&status=open&light={light}",
            light=light,
        )
        for light, label in (
            ("red", _("Overdue")),
            ("yellow", _("Near its limit")),
            ("green", _("In time")),
        )
    ]
    lights.append(
        CaseCard("cases_open", _("Open cases"), str(counts["open"]), f"{wb}?tab=all&status=open")
    )
    today = clock.today()
    rows = case_queries.case_figures(user, since=today.replace(day=1), until=today, with_ids=False)
    figures = rows[0].figures if rows else {}
    rules = case_queries.figure_rules()

    def fig(key: str):
        return figures.get(key)

    def ratio(key: str) -> str:
        f = fig(key)
        return f"{f.numerator} / {f.denominator}" if f is not None and f.denominator else ""

    month = [
        CaseCard(
            "cases_reported",
            _("Reported this month"),
            str(fig("reported").value if fig("reported") else 0),
            f"{wb}?tab=all&since={today.replace(day=1).isoformat()}",
            title=rules["reported"],
        ),
        CaseCard(
            "cases_closed",
            _("Closed this month"),
            str(fig("closed").value if fig("closed") else 0),
            f"{wb}?tab=all&status=closed",
            title=rules["closed"],
        ),
        CaseCard(
            "cases_on_time",
            _("On-time close rate"),
            _percent(fig("on_time_close_rate").value if fig("on_time_close_rate") else None),
            f"{wb}?tab=all&status=closed",
            note=ratio("on_time_close_rate"),
            title=rules["on_time_close_rate"],
        ),
        CaseCard(
            "cases_satisfaction",
            _("Satisfaction rate"),
            _percent(fig("satisfaction_rate").value if fig("satisfaction_rate") else None),
            f"{wb}?tab=all&status=closed",
            note=ratio("satisfaction_rate"),
            title=rules["satisfaction_rate"],
        ),
    ]
    from cityloop.cases import rules as case_rules

    if has_any(user, case_rules.STAFF_SOURCES_ROLES):  # the page is theirs only
        month.append(_triage_card(user, today))
    return lights, month


def _triage_card(user, today) -> CaseCard:
    """Production accuracy of the category suggestions this month (staff kept ÷ decided)."""
    from cityloop.intel import queries as intel_queries

    acc = intel_queries.production_accuracy(user, since=today.replace(day=1), until=today)
    cat = acc["category"]
    return CaseCard(
        "intel_accuracy",
        _("Suggestions kept"),
        _percent(cat.rate),
        reverse("intel:overview"),
        note=f"{cat.accepted} / {cat.decided}" if cat.decided else "",
        title=intel_queries.accuracy_rule(),
    )


@login_required
def home(request: HttpRequest) -> HttpResponse:
    counts = queries.place_counts(request.user)
    org = reverse("org:browser")
    zones = reverse("org:zones")
    map_url = reverse("map")

    def n(key: str) -> int:
        return counts.get(key, 0)

    unmanaged = n("compounds_unmanaged")
    cards = [
        Card(
            "streets",
            _("Streets"),
            n("places_street"),
            f"{org}?kind=street",
            map_url=f"{map_url}#streets",
        ),
        Card(
            "communities",
            _("Communities"),
            n("places_community"),
            f"{org}?kind=community",
            map_url=f"{map_url}#communities",
        ),
        Card(
            "compounds",
            _("Compounds"),
            n("places_compound"),
            f"{org}?kind=compound",
            note=_("%(n)d unmanaged") % {"n": unmanaged},
            map_url=f"{map_url}#compounds",
            alert=unmanaged > 0,
        ),
        Card("buildings", _("Buildings"), n("places_building"), f"{org}?kind=building"),
        Card(
            "roads", _("Roads"), n("zones_road"), f"{zones}?kind=road", map_url=f"{map_url}#roads"
        ),
        Card(
            "grids", _("Grids"), n("zones_grid"), f"{zones}?kind=grid", map_url=f"{map_url}#grids"
        ),
        Card(
            "hazard_points",
            _("Hazard points"),
            n("zones_hazard_point"),
            f"{zones}?kind=hazard_point",
            map_url=f"{map_url}#hazard_points",
        ),
        Card("units", _("Units"), n("units"), reverse("org:units")),
        Card("people", _("People"), n("people"), reverse("org:people")),
        Card("duties", _("Duties"), n("duties"), f"{reverse('org:people')}?with_duties=1"),
    ]
    roots = [p.name for p in queries.place_roots(request.user)[:5]]
    light_cards, month_cards = case_cards(request.user)
    context = {
        "cards": cards,
        "scope_names": roots,
        "case_light_cards": light_cards,
        "case_month_cards": month_cards,
    }
    from cityloop.patrols import queries as patrol_queries

    # Duties short of their patrols (yellow / red, with the reason): the street's board item.
    context["patrol_missed"] = patrol_queries.missed_in_scope(request.user)[:20]
    from cityloop.duty import queries as duty_queries

    # Round-the-clock units' shifts with nobody on duty in the coming week: red items.
    context["duty_gaps"] = duty_queries.gaps_in_scope(request.user)[:20]
    return render(request, "web/home.html", context)


@login_required
def map_page(request: HttpRequest) -> HttpResponse:
    config = settings.CITYLOOP
    legend = [(m.value, m.label, MANAGEMENT_COLOURS[m]) for m in Place.Management]
    map_config = {
        "featuresUrl": reverse("api:api-root") + "map/features",
        "layers": list(MAP_LAYERS),
        "tileUrl": config.map_tile_url,
        "tileAttribution": config.map_tile_attribution,
        "placeUrl": reverse("org:place", args=[0]),
        "zoneUrl": reverse("org:zone", args=[0]),
        "colours": {str(k): v for k, v in MANAGEMENT_COLOURS.items()},
        "labels": {
            "district": _("District"),
            "streets": _("Streets"),
            "communities": _("Communities"),
            "compounds": _("Compounds"),
            "roads": _("Roads"),
            "grids": _("Grids"),
            "hazard_points": _("Hazard points"),
            "details": _("Details"),
            "loaded": _("Layers loaded."),
            "failed": _("Some layers could not be loaded: %(layers)s"),
            "empty": _("No map data in your scope."),
        },
    }
    return render(request, "web/map.html", {"map_config": map_config, "management_legend": legend})


INBOX_PAGE = 50


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    """The account's own notifications, newest first; opening one marks it read."""
    from django.shortcuts import redirect

    from cityloop.core import queries as core_queries
    from cityloop.core import services as core_services

    if request.method == "POST":
        one = request.POST.get("id", "")
        ids = [int(one)] if one.isdigit() else None
        core_services.inbox_mark_read(user=request.user, ids=ids)
        target = request.POST.get("next", "")
        # Only a site-relative link stored on the user's own row is followed.
        if ids and target.startswith("/") and not target.startswith("//"):
            return redirect(target)
        return redirect("inbox")
    unread_only = request.GET.get("unread") == "1"
    rows = list(core_queries.inbox_for(request.user, unread_only=unread_only)[:INBOX_PAGE])
    return render(
        request,
        "web/inbox.html",
        {"rows": rows, "unread_only": unread_only, "page_size": INBOX_PAGE},
    )


class PasswordChange(auth_views.PasswordChangeView):
    """Change one's own password. Django's form checks the old one and saves through
    ``set_password``; :mod:`cityloop.core.signals` then revokes the account's API tokens and
    ends its other sessions, and Django's ``update_session_auth_hash`` keeps this one."""

    template_name = "web/password_change.html"
    success_url = reverse_lazy("home")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(
            self.request,
            _("Password changed. Your API tokens were revoked and your other sessions ended."),
        )
        return response

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)


def server_error(request: HttpRequest) -> HttpResponse:
    """Django's 500 page, plus the request id to quote; rendered without context processors,
    as Django's own is, since whatever broke may be what they need."""
    from django.template import loader

    from cityloop.core.middleware import request_id_of

    html = loader.get_template("500.html").render({"request_id": request_id_of(request)})
    return HttpResponse(html, status=500)
