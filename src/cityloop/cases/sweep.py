"""The cases part of the periodic sweep: lights that change colour because time passed.

The database is the truth: each pass asks, a chunk of open cases at a time in pk order,
which stored lights differ from what their ``warn_at`` / ``due_at`` say now, and lets
:func:`workflow.relight_stale` change the whole chunk in one transaction (a guarded UPDATE,
the events and notifications in bulk). A second sweep running at the same moment finds
nothing left to change, or loses the guard, so every warning is written once. The pass goes
on until no chunk is left; a large one refreshes the planner's statistics afterwards.
"""

from __future__ import annotations

from cityloop.cases import deadlines
from cityloop.cases.models import Case
from cityloop.core import clock, sweep
from cityloop.core.db import analyze_after_bulk

CHUNK = 5000
LIGHT_COLUMNS = ("light", "light_rank")  # what a pass writes (light_rank follows light)


def stale_light_ids(now, limit: int = CHUNK) -> list[int]:
    """Open cases whose stored light is behind the clock (the first ``limit`` by pk)."""
    return list(
        Case.objects.filter(status__in=Case.OPEN)
        .filter(deadlines.stale_light_q(now))
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )


@sweep.register("case_lights")
def sweep_lights(*, chunk: int = CHUNK) -> dict[str, int]:
    from cityloop.cases import workflow

    now = clock.now()
    changed = {"yellow": 0, "red": 0, "green": 0}
    after = 0
    while True:
        step = workflow.relight_stale(now, limit=chunk, after=after)
        if step.last_pk is None:
            break
        for light, n in step.changed.items():
            changed[light] = changed.get(light, 0) + n
        after = step.last_pk
    # Only the lights changed: their statistics, not a sample of every column.
    analyze_after_bulk(Case, sum(changed.values()), fields=LIGHT_COLUMNS)
    return changed
