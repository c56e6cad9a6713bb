"""Pure judgements on patrol facts: thinning a track, counting done against required, and the
light of a duty that missed its patrols. No database here: :mod:`.queries` gathers the facts
as they stood on a date, these functions judge them (the shape of ``supervision/lights.py``).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from django.utils.translation import gettext as _

# A phone reports a position every few seconds; a point closer than this to the last kept one
# adds nothing to "where did the patrol go" and is dropped.
MIN_STEP_M = 15.0
EARTH_M = 6_371_000.0


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in metres between two (lng, lat) points."""
    lng1, lat1, lng2, lat2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    )
    return 2 * EARTH_M * math.asin(min(1.0, math.sqrt(h)))


def thin(
    points: Sequence[tuple[float, float]],
    *,
    last: tuple[float, float] | None = None,
    min_step_m: float = MIN_STEP_M,
) -> list[int]:
    """Indexes of the points to keep: each at least ``min_step_m`` from the previous kept one
    (``last`` is the last point already stored, so batches thin as one track)."""
    kept: list[int] = []
    prev = last
    for i, p in enumerate(points):
        if prev is None or distance_m(prev, p) >= min_step_m:
            kept.append(i)
            prev = p
    return kept


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def buckets(period: str, start: date, end: date) -> list[date]:
    """The days (``day``) or the Mondays of the weeks (``week``) a span covers."""
    if end < start:
        return []
    if period == "day":
        return [start + timedelta(days=i) for i in range((end - start).days + 1)]
    first, out = week_start(start), []
    while first <= end:
        out.append(first)
        first += timedelta(days=7)
    return out


@dataclass(frozen=True)
class Tally:
    required: int
    done: int  # patrols that count, at most ``times`` per period
    patrols: int  # all patrols in the span

    @property
    def rate(self) -> float | None:
        return None if not self.required else min(1.0, self.done / self.required)


def tally(period: str, times: int, start: date, end: date, patrol_days: Iterable[date]) -> Tally:
    """Required and done over ``[start, end]``: a second patrol on the same day does not make
    up for a missed day."""
    keys = buckets(period, start, end)
    key_of = (lambda d: d) if period == "day" else week_start
    per = Counter(key_of(d) for d in patrol_days if start <= d <= end)
    return Tally(
        required=len(keys) * times,
        done=sum(min(times, per.get(k, 0)) for k in keys),
        patrols=sum(per.values()),
    )


@dataclass(frozen=True)
class Missed:
    light: str  # red / yellow / "" (nothing missed)
    periods: int  # complete periods missed in a row, up to the last complete one
    reason: str


def missed(period: str, times: int, today: date, patrol_days: Iterable[date]) -> Missed:
    """The light of one duty on ``today``: the last complete period short of its patrols is
    yellow, two in a row or more is red. The current period is not judged until it is over
    (a daily chief has until midnight)."""
    key_of = (lambda d: d) if period == "day" else week_start
    step = timedelta(days=1 if period == "day" else 7)
    per = Counter(key_of(d) for d in patrol_days)
    current = key_of(today)
    run, k = 0, current - step
    while run < 2 and per.get(k, 0) < times:
        run += 1
        k -= step
    if run == 0:
        return Missed("", 0, "")
    if period == "day":
        reason = (
            _("No patrol yesterday") if run == 1 else _("No patrol for two days or more in a row")
        )
    else:
        reason = (
            _("No patrol last week") if run == 1 else _("No patrol for two weeks or more in a row")
        )
    return Missed("yellow" if run == 1 else "red", run, reason)
