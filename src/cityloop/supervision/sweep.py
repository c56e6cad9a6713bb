"""The supervision part of the periodic sweep: each task's light, stored once a day.

Tasks whose light is not yet stored for today are re-lit a chunk at a time by
:func:`workflow.relight_stale`: one guarded UPDATE claims the chunk (a second sweep at the
same moment finds it done), the facts are read for the whole chunk at once and lights, day
records, events and notifications are written in bulk. Finished tasks are lit once (done
early / on time / late) and then left alone.
"""

from __future__ import annotations

from cityloop.core import clock, sweep
from cityloop.core.db import analyze_after_bulk
from cityloop.supervision.models import LightRecord, Task

CHUNK = 1000


def stale_task_ids(today, limit: int = 5000) -> list[int]:
    from cityloop.supervision.workflow import stale_tasks_q

    return list(
        Task.objects.filter(stale_tasks_q(today))
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )


@sweep.register("task_lights")
def sweep_task_lights(*, chunk: int = CHUNK) -> dict[str, int]:
    from cityloop.supervision import workflow

    today = clock.today()
    changed: dict[str, int] = {}
    after, lit = 0, 0
    while True:
        step, last = workflow.relight_stale(today, limit=chunk, after=after)
        if last is None:
            break
        for colour, n in step.items():
            changed[colour] = changed.get(colour, 0) + n
        lit += last - after  # an upper bound of the rows written, enough for the threshold
        after = last
    analyze_after_bulk(Task, sum(changed.values()))
    analyze_after_bulk(LightRecord, lit)
    return changed
