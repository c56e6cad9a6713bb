"""The supervision part of the periodic sweep: each task's light, stored once a day.

A task whose light was not yet stored for today is re-lit under a row lock by
:func:`workflow.refresh_light`; a second sweep at the same moment finds it done. Finished
tasks are lit once (done early / on time / late) and then left alone.
"""

from __future__ import annotations

from django.db.models import Q

from cityloop.core import clock, sweep
from cityloop.supervision.models import Task


def stale_task_ids(today) -> list[int]:
    active = Q(state=Task.State.ACTIVE) & (Q(light_on__isnull=True) | Q(light_on__lt=today))
    finished_unlit = ~Q(state=Task.State.ACTIVE) & Q(light_on__isnull=True)
    return list(Task.objects.filter(active | finished_unlit).values_list("pk", flat=True)[:5000])


@sweep.register("task_lights")
def sweep_task_lights() -> dict[str, int]:
    from cityloop.supervision import workflow

    today = clock.today()
    changed: dict[str, int] = {}
    for pk in stale_task_ids(today):
        colour = workflow.refresh_light(task_id=pk, as_of=today)
        if colour:
            changed[colour] = changed.get(colour, 0) + 1
    return changed
