"""Campaign figures the assessment can score: person-times of a target's campaigns."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cityloop.assessment import indicators
from cityloop.assessment.indicators import Context, Measure, Target
from cityloop.campaigns.models import SignIn


def _place_path(target: Target) -> str | None:
    place = target.place or getattr(target.unit, "place", None)
    return place.path if place is not None else None


def participation(ctx: Context, target: Target) -> Measure:
    """Sign-ins (人次) at sessions held in the target's place during the period."""
    path = _place_path(target)
    if path is None:
        return Measure(0.0, 0, 0, None, [])
    rows = list(
        SignIn.objects.filter(
            session__place__path__startswith=path,
            session__on__range=(ctx.start, ctx.end),
        )
        .order_by("session__on", "pk")
        .values_list("session_id", "session__on", "session__campaign__title")
    )
    sessions: dict[int, dict] = {}
    for session_id, on, name in rows:
        entry = sessions.setdefault(
            session_id,
            {"kind": "campaign_session", "id": session_id, "label": f"{on} {name}", "n": 0},
        )
        entry["n"] += 1
    records = [
        {**e, "label": _("%(label)s: %(n)d person-times") % {"label": e["label"], "n": e["n"]}}
        for e in sessions.values()
    ]
    return Measure(float(len(rows)), len(rows), len(rows), None, records)


def register() -> None:
    indicators.register(
        "campaign_participation",
        participation,
        label=gettext_lazy("Campaign person-times"),
        kind="count",
        rule_text=lambda: str(
            _("Sign-ins at campaign sessions held in the target's area during the period.")
        ),
        app="campaigns",
    )
