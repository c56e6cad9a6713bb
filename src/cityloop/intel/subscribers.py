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
    hooks.subscribe(CASE_REPORTED, reported)
    hooks.subscribe(CASE_ACCEPTED, accepted)
    hooks.subscribe(CASE_DISPATCHED, dispatched)
