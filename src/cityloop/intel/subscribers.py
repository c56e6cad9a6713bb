"""What intel does after a case step has committed (subscribed in :class:`IntelConfig.ready`),
and the reader of its suggestions it lends the case page.

Light on purpose: the classifier (scikit-learn) is imported only when a case step has
committed and a model is active, not when a process loads the apps."""

from __future__ import annotations

from cityloop.cases.workflow import CASE_ACCEPTED, CASE_DISPATCHED, CASE_REPORTED
from cityloop.core import hooks


def reported(*, case, actor=None) -> None:
    from cityloop.intel import services

    services.case_reported(case, actor)


def reported_idle() -> bool:
    """No suggestion to make at intake: suggestions are off or no model is active. One query,
    and no scikit-learn import (``intel.services`` loads the classifier), for a whole batch."""
    from django.conf import settings

    from cityloop.intel.models import TriageModel

    if not settings.CITYLOOP.intel_suggest:
        return True
    return not TriageModel.objects.filter(is_active=True).exists()


def accepted(*, case, actor=None) -> None:
    from cityloop.intel import services

    services.case_accepted(case, actor)


def dispatched(*, case, actor=None) -> None:
    from cityloop.intel import services

    services.case_dispatched(case, actor)


def suggestions(case) -> list:
    from cityloop.intel import queries

    return queries.suggestions_of(case)


def connect() -> None:
    from cityloop.cases import queries as case_queries

    case_queries.register_suggestions(suggestions)
    hooks.subscribe(CASE_REPORTED, reported, idle=reported_idle)
    hooks.subscribe(CASE_ACCEPTED, accepted)
    hooks.subscribe(CASE_DISPATCHED, dispatched)
