"""The bulletin loop's actions, each declared once (:class:`cityloop.core.actions.Action`): a
registry for issues (a draft is compiled and published) and one for submissions (a unit's item
is reviewed and placed in an issue).

From these tables: the workflow checks the state and writes the new one
(:mod:`bulletins.workflow`) and refuses an event for a state the entry does not name; the issue
page's editing parts show only while the editor has an issue action open
(``rules.issue_actions``); the OpenAPI descriptions of the issue and the review paths list them
(:mod:`bulletins.api`); ``cityloop docs-tables`` writes the guide's tables
(docs/guide/bulletins.md). Submitting an item creates a submission and is not an action of one.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from cityloop.bulletins.models import Issue, Submission
from cityloop.core.actions import Action, Part, Registry
from cityloop.core.roles import OVERSEERS

I = Issue.State  # noqa: E741
S = Submission.State
DRAFT = frozenset({I.DRAFT})
REVIEWABLE = frozenset({S.SUBMITTED, S.ACCEPTED, S.REJECTED})

# Who takes a bulletin action (with the scope: ``rules.plays``).
PARTS: dict[str, Part] = {
    "editor": Part(_("the series' editors"), OVERSEERS),
}

# --- issues ------------------------------------------------------------------------------------

ISSUE_INPUTS = ("submission", "none", "generated", "item", "recipients")

ISSUES = Registry(
    "bulletin_issues",
    states=I,
    parts=PARTS,
    inputs=ISSUE_INPUTS,
    state_field="state",
    guide="bulletins.md",
)

for _entry in (
    Action(
        "place",
        DRAFT,
        None,
        "editor",
        _("Place an accepted item"),
        "submission",
        note=_("its text is copied as accepted"),
    ),
    Action(
        "compile",
        DRAFT,
        None,
        "editor",
        _("Compile"),
        "none",
        note=_("every accepted item not yet used, in the order they came in"),
    ),
    Action(
        "generate",
        DRAFT,
        None,
        "editor",
        _("Add a generated item"),
        "generated",
        note=_("its figures come from the records until publication"),
    ),
    Action(
        "remove",
        DRAFT,
        None,
        "editor",
        _("Remove an item"),
        "item",
        note=_("a submitted item goes back to accepted"),
    ),
    Action(
        "recipients",
        DRAFT,
        None,
        "editor",
        _("Set the recipients"),
        "recipients",
        note=_("sent to, distributed to, editors"),
    ),
    Action(
        "publish",
        DRAFT,
        frozenset({I.PUBLISHED}),
        "editor",
        _("Publish the issue"),
        "none",
        note=_("at least one item; the generated figures are frozen"),
    ),
):
    ISSUES.register(_entry)

# --- submissions -------------------------------------------------------------------------------

SUBMISSION_INPUTS = ("note", "text", "reason", "issue", "item")

SUBMISSIONS = Registry(
    "bulletin_submissions",
    states=S,
    parts=PARTS,
    inputs=SUBMISSION_INPUTS,
    state_field="state",
    guide="bulletins.md",
)

for _entry in (
    Action(
        "accept",
        REVIEWABLE,
        frozenset({S.ACCEPTED}),
        "editor",
        _("Accept"),
        "note",
        note=_("as the unit wrote it; a rejected item may be accepted later"),
    ),
    Action(
        "edit",
        REVIEWABLE,
        frozenset({S.ACCEPTED}),
        "editor",
        _("Accept with my edits"),
        "text",
        note=_("the editor's title and text; the unit's text is kept"),
    ),
    Action(
        "reject",
        REVIEWABLE,
        frozenset({S.REJECTED}),
        "editor",
        _("Reject"),
        "reason",
        note=_("reason required"),
    ),
    Action(
        "place",
        frozenset({S.ACCEPTED}),
        frozenset({S.USED}),
        "editor",
        _("Place in an issue"),
        "issue",
        button=False,
        note=_("into a draft issue of its series; a used item no longer changes"),
    ),
    Action(
        "remove",
        frozenset({S.USED}),
        frozenset({S.ACCEPTED}),
        "editor",
        _("Take out of the issue"),
        "item",
        button=False,
        note=_("only from a draft issue"),
    ),
):
    SUBMISSIONS.register(_entry)
