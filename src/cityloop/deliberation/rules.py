"""Who may do what, and who may read what, in deliberation.

Staff who run deliberation — the vote's **organisers**: street and community staff,
district leaders and administrators — move a topic through its stages, open and close
votes, enter paper ballots and check owners in person, within the places their scope covers.
Those who meet residents where they live (compound heads, building heads, red stewards,
grid workers) may also record opinions. Residents act on the public pages, as owners proven
by a one-time code, never through an account.

Reading is narrower than scope (issue 14): an account whose scope covers a compound does not
by that alone see its owners register or how its households voted.

- The owners register (names, flats, floor areas, phones) is read by the organisers only.
- While a vote is open its choices are sealed for everyone: no tally, no household's choice.
  Who has voted (the roll call) is seen by the organisers only.
- After the vote closes the tally is public; each household's choice is seen by the
  organisers and the auditors (supervisors), and by everyone who may read the topic once the
  organisers publish the choices (``Vote.publish_choices``, 业主投票结果公示).

Pages, exports and the API ask the same functions below; there is no second copy of a rule.
"""

from __future__ import annotations

from cityloop.core.roles import ORGANISERS, has_any
from cityloop.core.roles import AccountRole as R
from cityloop.core.scope import covers

MANAGE_ROLES = ORGANISERS
OPINION_ROLES = MANAGE_ROLES | {R.COMPOUND_HEAD, R.BUILDING_HEAD, R.RED_STEWARD, R.GRID_WORKER}
# 督查: they check a closed vote was counted right, so they may read its ballots.
AUDIT_ROLES = {R.SUPERVISOR}


def can_manage(user, place) -> bool:
    """An organiser of deliberation in ``place``: may move its topics and run its votes."""
    return has_any(user, MANAGE_ROLES) and covers(user, place)


def plays(user, topic, part: str) -> bool:
    """Does ``user`` play ``part`` (of :data:`deliberation.actions.PARTS`) on ``topic``?"""
    if part == "organiser":
        return can_manage(user, topic.place)
    raise ValueError(f"unknown part {part!r}")


def can_record_opinion(user, place) -> bool:
    return has_any(user, OPINION_ROLES) and covers(user, place)


def can_read_register(user, compound) -> bool:
    """The owners register of a compound (names, flats, areas, phones) and its households:
    read by those who run deliberation there, and no one else whose scope covers it."""
    return can_manage(user, compound)


def is_sealed(vote) -> bool:
    """An open vote's choices are sealed: no tally and no household's choice until it closes."""
    return vote is not None and vote.closed_at is None


def can_see_roll(user, vote) -> bool:
    """Who has voted (the roll call with owners' names): the organisers always; once the vote
    has closed, also whoever may see the choices."""
    place = vote.topic.place
    return can_manage(user, place) or (not is_sealed(vote) and can_see_choices(user, vote))


def can_see_choices(user, vote) -> bool:
    """How each household voted: never while the vote is open; afterwards the organisers and
    the auditors, and — once the organisers published the choices — anyone who may read the
    topic."""
    if is_sealed(vote):
        return False
    place = vote.topic.place
    if can_manage(user, place):
        return True
    if has_any(user, AUDIT_ROLES) and covers(user, place):
        return True
    return bool(vote.publish_choices) and covers(user, place)
