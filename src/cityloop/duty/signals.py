"""An urgent case dispatched to a round-the-clock unit is told to its person on duty.

The cases loop knows nothing about rosters: the duty app listens for the dispatch event row
(written in the dispatch's transaction) and adds its alert to the same transaction. A failure
here is logged and kept inside a savepoint, so it never refuses or breaks the dispatch; the
sweep writes the alert it missed.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models.signals import post_save

logger = logging.getLogger("cityloop.duty")


def _case_event_saved(sender, instance, created=False, raw=False, **kwargs) -> None:
    if raw or not created or instance.verb != "dispatch":
        return
    from cityloop.duty import workflow

    if not workflow.watched(instance.case):
        return  # nothing to alert: no savepoint for it
    try:
        with transaction.atomic():
            workflow.alert_dispatched(instance.case)
    except Exception:
        logger.exception("duty alert at dispatch failed for case %s", instance.case_id)


def connect() -> None:
    from cityloop.cases.models import CaseEvent

    post_save.connect(_case_event_saved, sender=CaseEvent, dispatch_uid="cityloop_duty_dispatch")
