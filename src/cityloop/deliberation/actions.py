"""The deliberation topic's actions (一征三议两公开), each declared once
(:class:`cityloop.core.actions.Action`).

A topic moves 征集 → 提议 → 商议 → 表决 → 决议公开 → 实施 → 结果公开 → 共评, with no shortcut;
before the vote opens it may be withdrawn. From this table: the workflow checks the stage and
writes the new one (:mod:`deliberation.workflow`) and refuses an event for a stage the entry
does not name; the topic page and the API's ``actions`` come from it (``workflow.allowed_actions``);
the OpenAPI description of the topic path lists it (:mod:`deliberation.api`); ``cityloop
docs-tables`` writes the guide's table (docs/guide/deliberation.md). Opinions, ballots,
proxies and ratings are not stage actions: they are taken in a stage and leave it as it is.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from cityloop.core.actions import Action, Part, Registry
from cityloop.core.roles import ORGANISERS
from cityloop.deliberation.models import Topic

S = Topic.Stage

# Who takes a topic action (with the scope: ``rules.plays``).
PARTS: dict[str, Part] = {
    "organiser": Part(_("the organisers of deliberation in the topic's place"), ORGANISERS),
}
# The input shapes: each names one page form and one API body (schemas.*In).
INPUTS = ("proposal", "deliberation", "vote", "count", "publication", "note", "reason")

TOPICS = Registry(
    "topics", states=S, parts=PARTS, inputs=INPUTS, state_field="stage", guide="deliberation.md"
)

for _entry in (
    Action(
        "propose",
        frozenset({S.SOLICITING}),
        frozenset({S.PROPOSED}),
        "organiser",
        _("Record the proposal (提议)"),
        "proposal",
        note=_("the party organisation's proposal, built on the opinions gathered"),
    ),
    Action(
        "deliberate",
        frozenset({S.PROPOSED}),
        frozenset({S.DELIBERATED}),
        "organiser",
        _("Record the council's deliberation (商议)"),
        "deliberation",
        note=_("minutes, amendments and attendance of the residents' council"),
    ),
    Action(
        "open_vote",
        frozenset({S.DELIBERATED}),
        frozenset({S.VOTING}),
        "organiser",
        _("Open the vote (决议)"),
        "vote",
        note=_("the question and the electorate; an owners' vote copies its roll now"),
    ),
    Action(
        "close_vote",
        frozenset({S.VOTING}),
        frozenset({S.RESOLVED, S.NOT_ADOPTED}),
        "organiser",
        _("Close the vote and count"),
        "count",
        note=_("the count is frozen: passed is resolved, otherwise not adopted"),
    ),
    Action(
        "publish_resolution",
        frozenset({S.RESOLVED}),
        frozenset({S.RESOLUTION_PUBLISHED}),
        "organiser",
        _("Publish the resolution"),
        "publication",
        note=_("with the tally, for a notice period (1 to 60 days)"),
    ),
    Action(
        "start_implementation",
        frozenset({S.RESOLUTION_PUBLISHED}),
        frozenset({S.IMPLEMENTING}),
        "organiser",
        _("Start implementation"),
        "note",
        note=_("only after the resolution's notice period"),
    ),
    Action(
        "publish_result",
        frozenset({S.IMPLEMENTING}),
        frozenset({S.RESULT_PUBLISHED}),
        "organiser",
        _("Publish the result"),
        "publication",
        note=_("for a notice period in which owners rate it"),
    ),
    Action(
        "close",
        frozenset({S.RESULT_PUBLISHED}),
        frozenset({S.RATED}),
        "organiser",
        _("Close after rating"),
        "note",
        note=_("only after the result's notice period; the ratings are counted"),
    ),
    Action(
        "withdraw",
        frozenset({S.SOLICITING, S.PROPOSED, S.DELIBERATED}),
        frozenset({S.WITHDRAWN}),
        "organiser",
        _("Withdraw the topic"),
        "reason",
        note=_("before the vote opens; reason required"),
    ),
):
    TOPICS.register(_entry)
