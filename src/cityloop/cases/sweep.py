"""The cases part of the periodic sweep: lights that change colour because time passed.

The database is the truth: each pass asks which open cases' stored light differs from what
their ``warn_at`` / ``due_at`` say now, and lets :func:`workflow.update_light` change each one
under a row lock. A second sweep running at the same moment finds nothing left to change, so
every warning is written once.
"""

from __future__ import annotations

from django.db.models import Q

from cityloop.cases.models import Case
from cityloop.core import clock, sweep


def stale_light_ids(now) -> list[int]:
    """Open cases whose stored light is behind the clock."""
    should_red = Q(due_at__lte=now) & ~Q(light="red")
    should_yellow = Q(warn_at__lte=now, due_at__gt=now) & ~Q(light="yellow")
    should_green = Q(warn_at__gt=now) & ~Q(light="green")
    return list(
        Case.objects.filter(status__in=Case.OPEN)
        .filter(should_red | should_yellow | should_green)
        .values_list("pk", flat=True)[:5000]
    )


@sweep.register("case_lights")
def sweep_lights() -> dict[str, int]:
    from cityloop.cases import workflow

    now = clock.now()
    changed = {"yellow": 0, "red": 0, "green": 0}
    for pk in stale_light_ids(now):
        light = workflow.update_light(case_id=pk, now=now)
        if light:
            changed[light] += 1
    return changed
