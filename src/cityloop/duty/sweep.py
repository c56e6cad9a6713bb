"""The duty part of the periodic sweep: urgent cases untaken past the limit reach the leader
on call. Recomputed from the records each pass; :class:`DutyAlert`'s unique row makes a second
pass (or two sweepers at once) tell nobody twice."""

from __future__ import annotations

import logging

from cityloop.core import clock, sweep

logger = logging.getLogger("cityloop.duty")


@sweep.register("duty_escalation")
def sweep_escalations() -> dict[str, int]:
    from cityloop.duty import workflow

    now = clock.now()
    told = 0
    for pk in workflow.untaken_ids(now):
        try:
            if workflow.escalate_untaken(pk, now=now) is not None:
                told += 1
        except Exception:  # one broken case must not stop the others
            logger.exception("duty escalation failed for case %s", pk)
    return {"leader": told}
