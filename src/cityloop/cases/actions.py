"""The case loop's actions, each declared once.

An entry says from which states an action may be taken, where it leaves the case, which part
(desk, responsible unit, verifier …) takes it, what extra condition must hold, its Chinese
label, whether its event is public, and the shape of its input. Everything else is read off
this table: the workflow checks and writes the status from it (:mod:`cases.workflow`), the
pages draw their buttons and choose their forms from it (:mod:`cases.views`,
:mod:`cases.forms`), the API turns a body into arguments by its input shape and describes the
actions in the OpenAPI document (:mod:`cases.api`), and the user guide's action table is
generated from it (:func:`markdown_table`; ``cityloop docs-tables`` writes it).

What is the same for every loop — the entry, the registry, the move and its check, the table
— is :mod:`cityloop.core.actions`; this module holds the case loop's words: its parts, its
input shapes, its preconditions and its entries.

Adding an action is one :func:`register` call here; an action whose input is a plain note or
reason needs no function of its own (the workflow's generic step moves it and records it).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from cityloop.cases import rules
from cityloop.cases.models import Case, Level
from cityloop.core import roles
from cityloop.core.actions import Action, Part, Registry

S = Case.Status
OPEN_WORK = frozenset({S.DISPATCHED, S.HANDLING})
EVERY_STATE = frozenset(S.values)

# The parts an actor can play in a case, by the name an entry uses (who checks it, with the
# scope: the workflow's ``_plays``).
PARTS: dict[str, Part] = {
    "dispatcher": Part(_("desk"), roles.DESK),
    "handler": Part(_("responsible unit"), roles.HANDLERS),
    "verifier": Part(_("verifier"), rules.VERIFY_ROLES),
    "visitor": Part(_("desk, or the reporter"), roles.DESK),
    "dispatcher_or_handler": Part(_("desk or responsible unit"), roles.DESK | roles.HANDLERS),
    "dispatcher_or_reporter": Part(_("desk; the reporter before acceptance"), roles.DESK),
    "viewer": Part(_("whoever sees the case")),
}
# The input shapes: each names one page form (:data:`cases.forms.INPUT_FORMS`) and one way the
# API reads its body (:func:`cases.api._payload`). "note" and "reason" need no function.
INPUTS = (
    "accept",
    "reason",
    "merge",
    "dispatch",
    "note",
    "reply",
    "verify",
    "return_visit",
    "request",
    "decide",
    "extend",
    "comment",
)
GENERIC_INPUTS = frozenset({"note", "reason"})

# An entry of the case loop is the kernel's entry (:class:`cityloop.core.actions.Action`).
CaseAction = Action

REGISTRY = Registry(
    "cases",
    states=S,
    parts=PARTS,
    inputs=INPUTS,
    generic_inputs=GENERIC_INPUTS,
    state_field="status",
    guide="cases.md",
)
register = REGISTRY.register
unregister = REGISTRY.unregister
get = REGISTRY.get
names = REGISTRY.names
label = REGISTRY.label
buttons = REGISTRY.buttons


# Events that are not actions but that a resident sees on the tracking page.
PUBLIC_EVENTS = frozenset({"report"})


def is_public(verb: str) -> bool:
    """Does the tracking page show an event with this verb?"""
    entry = REGISTRY.get(verb)
    return bool(entry.public) if entry else verb in PUBLIC_EVENTS


# --- the preconditions -------------------------------------------------------------------------


def _dissatisfied(actor, case: Case) -> bool:
    return case.satisfaction == Case.Satisfaction.DISSATISFIED


def _not_visited(actor, case: Case) -> bool:
    return case.visited_at is None


def _request_pending(actor, case: Case) -> bool:
    return bool(case.pending_request)


def _level_above(actor, case: Case) -> bool:
    return Level.above(case.level) is not None


def _reporter_only_before_acceptance(actor, case: Case) -> bool:
    return case.status == S.REPORTED or rules.is_dispatcher(actor, case)


# --- the table ---------------------------------------------------------------------------------

for _entry in (
    CaseAction(
        "accept",
        frozenset({S.REPORTED}),
        frozenset({S.ACCEPTED}),
        "dispatcher",
        _("Accept"),
        "accept",
        public=True,
        note=_(
            "an account with a desk role whose area covers the case and whose level is at "
            "least the case's level; may change the category"
        ),
    ),
    CaseAction(
        "reject",
        frozenset({S.REPORTED}),
        frozenset({S.REJECTED}),
        "dispatcher",
        _("Do not accept"),
        "reason",
        public=True,
        note=_("reason required; shown on the tracking page"),
    ),
    CaseAction(
        "merge",
        frozenset({S.REPORTED, S.ACCEPTED}),
        frozenset({S.MERGED}),
        "dispatcher",
        _("Merge as duplicate"),
        "merge",
        public=True,
        note=_("into an open case; that case's heat grows by one"),
    ),
    CaseAction(
        "dispatch",
        frozenset({S.ACCEPTED}),
        frozenset({S.DISPATCHED}),
        "dispatcher",
        _("Dispatch"),
        "dispatch",
        public=True,
        note=_(
            "defaults to the routed unit (the category's unit, or the office of the place at "
            "the case's level); assisting units and a handler optional; only units in the "
            "desk's area, any unit for district-level cases"
        ),
    ),
    CaseAction(
        "take",
        frozenset({S.DISPATCHED}),
        frozenset({S.HANDLING}),
        "handler",
        _("Take on"),
        "note",
        note=_("staff of the unit (or its sub-units) with a handling role, or the named handler"),
    ),
    CaseAction(
        "send_back",
        OPEN_WORK,
        frozenset({S.ACCEPTED}),
        "handler",
        _("Send back"),
        "reason",
        note=_("wrongly dispatched: back to the desk, with a reason"),
    ),
    CaseAction(
        "reply",
        OPEN_WORK,
        frozenset({S.REPLIED}),
        "handler",
        _("Reply"),
        "reply",
        public=True,
        note=_("what was done, with after-photos (up to 9)"),
    ),
    CaseAction(
        "verify",
        frozenset({S.REPLIED}),
        frozenset({S.CLOSED, S.HANDLING}),
        "verifier",
        _("Verify"),
        "verify",
        public=True,
        note=_(
            "a desk or grid account, **not the one who replied**; pass closes, fail (with "
            "what is still wrong) sends it back and counts a rework"
        ),
    ),
    CaseAction(
        "return_visit",
        frozenset({S.CLOSED}),
        frozenset({S.CLOSED}),
        "visitor",
        _("Return visit"),
        "return_visit",
        public=True,
        precondition=_not_visited,
        note=_(
            "staff by phone/visit/SMS/WeChat; residents on the tracking page with the code "
            "and their phone number"
        ),
    ),
    CaseAction(
        "reopen",
        frozenset({S.CLOSED}),
        frozenset({S.DISPATCHED}),
        "dispatcher",
        _("Reopen"),
        "reason",
        public=True,
        precondition=_dissatisfied,
        note=_("only after a dissatisfied return visit"),
    ),
    CaseAction(
        "escalate",
        frozenset({S.REPORTED, S.ACCEPTED, S.DISPATCHED, S.HANDLING}),
        frozenset({S.ACCEPTED}),
        "dispatcher_or_handler",
        _("Escalate"),
        "reason",
        public=True,
        precondition=_level_above,
        note=_("one level up: building → compound → community → street → district"),
    ),
    CaseAction(
        "request",
        OPEN_WORK,
        None,
        "handler",
        _("Ask to suspend or extend"),
        "request",
        note=_("with a reason; an extension is 0.5–30 working days"),
    ),
    CaseAction(
        "decide",
        OPEN_WORK,
        OPEN_WORK | {S.SUSPENDED},
        "dispatcher",
        _("Decide on the request"),
        "decide",
        precondition=_request_pending,
        note=_("approve or refuse"),
    ),
    CaseAction(
        "suspend",
        OPEN_WORK,
        frozenset({S.SUSPENDED}),
        "dispatcher",
        _("Suspend"),
        "reason",
        note=_("the clock stops while suspended"),
    ),
    CaseAction(
        "resume",
        frozenset({S.SUSPENDED}),
        OPEN_WORK,
        "dispatcher",
        _("Resume"),
        "note",
        note=_("the clock continues with what was left"),
    ),
    CaseAction(
        "extend",
        OPEN_WORK,
        None,
        "dispatcher",
        _("Extend the deadline"),
        "extend",
        note=_("at most twice per case"),
    ),
    CaseAction(
        "cancel",
        frozenset({S.REPORTED, S.ACCEPTED, S.DISPATCHED, S.HANDLING, S.SUSPENDED}),
        frozenset({S.CANCELLED}),
        "dispatcher_or_reporter",
        _("Cancel the case"),
        "reason",
        public=True,
        precondition=_reporter_only_before_acceptance,
        note=_("reason required"),
    ),
    CaseAction(
        "comment",
        EVERY_STATE,
        None,
        "viewer",
        _("Add a note"),
        "comment",
        note=_('photos allowed; internal unless "show on the public tracking page" is ticked'),
        button=False,
    ),
):
    register(_entry)


# --- the user guide's table and the OpenAPI description --------------------------------------

markdown_table = REGISTRY.markdown_table
openapi_description = REGISTRY.openapi_description
