"""Demo patrols (巡查) [000 路长制 "巡查、反馈、协调、处置、督查"; 003 每天不间断巡查].

The community road chief 蒋红霞 (account ``demo-roadchief``) walks her roads every day of
the week before the as-of moment except the day before it (so her page and the street's home
show a yellow "昨日未巡查"), and on one walk reports a blocked pavement through the case
intake; every other road chief of 济源路街道 with an account-less person gets one walk, with
"未发现问题". Played through :mod:`cityloop.patrols.workflow` with the clock frozen.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from cityloop.core import clock
from cityloop.demo import cases as demo_cases
from cityloop.patrols import coverage, workflow
from cityloop.patrols.models import Patrol, PatrolCase

CHIEF = "demo-roadchief"


def present() -> bool:
    return Patrol.objects.filter(is_demo=True).exists()


def intact() -> bool:
    """Demo patrols there, with the case their walk reported still linked."""
    return present() and PatrolCase.objects.filter(patrol__is_demo=True).exists()


def delete_patrols() -> int:
    n, _ = Patrol.objects.filter(is_demo=True).delete()
    return n


def _walk(
    user, day, hour: int, zone, points: list[tuple[float, float]], report: str = ""
) -> Patrol:
    start = datetime.combine(day, time(hour, 0), tzinfo=clock.local_zone())
    with clock.frozen(start):
        patrol = workflow.start_patrol(actor=user, is_demo=True, client_key=f"demo-{day}-{hour}")
    for i, (lng, lat) in enumerate(points):
        at = start + timedelta(minutes=3 * (i + 1))
        with clock.frozen(at):
            workflow.add_points(
                actor=user,
                patrol_id=patrol.pk,
                points=[workflow.PointIn(at=at, lng=lng, lat=lat, key=f"d{i}")],
            )
    if report and points:
        with clock.frozen(start + timedelta(minutes=20)):
            workflow.report_problem(
                actor=user,
                patrol_id=patrol.pk,
                description=report,
                lng=points[-1][0],
                lat=points[-1][1],
                zone_id=zone.pk,  # the road the points lie on, not whichever duty comes first
                idempotency_key=f"demo-patrol-{patrol.code}",
                is_demo=True,
            )
    with clock.frozen(start + timedelta(minutes=45)):
        workflow.end_patrol(actor=user, patrol_id=patrol.pk, note="")
    return patrol


@transaction.atomic
def load_patrols() -> dict[str, Any]:
    user = get_user_model().objects.filter(username=CHIEF).first()
    if user is None:
        return {"patrols": 0}
    from cityloop.patrols import queries

    duties = queries.patrol_duties(user)
    if not duties:
        return {"patrols": 0}
    zone = duties[0].zone
    line = (zone.geometry or {}).get("coordinates") or []
    if zone.geometry and zone.geometry.get("type") == "MultiLineString":
        line = line[0] if line else []
    pts = [(float(x), float(y)) for x, y in line[:6]]
    today = demo_cases.as_of().astimezone(clock.local_zone()).date()
    made = 0
    with demo_cases.quiet_channels():  # the played past notifies the inbox only
        for back in range(7, 1, -1):  # a week of daily walks, none yesterday
            day = today - timedelta(days=back)
            report = "人行道被占道经营摊点堵塞，行人绕行机动车道" if back == 3 else ""
            _walk(user, day, 8, zone, pts, report)
            made += 1
        _light_at_as_of()
    return {"patrols": made, "week": coverage.week_start(today).isoformat()}


def _light_at_as_of() -> None:
    """The demo cases had their last light sweep at the as-of moment before the patrols were
    played; the case a walk reported gets the same sweep, so its light is what it would be."""
    from cityloop.cases import workflow as case_workflow

    now = demo_cases.as_of()
    ids = PatrolCase.objects.filter(patrol__is_demo=True).values_list("case_id", flat=True)
    with clock.frozen(now):
        for pk in list(ids):
            case_workflow.update_light(case_id=pk, now=now)
