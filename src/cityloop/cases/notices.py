"""Who hears about a case step, and what they read.

Called by the workflow inside its transaction: :func:`cityloop.core.notify.notify` writes the
inbox rows there and hands them to the outside channels (SMS, e-mail, WeCom …) only after
commit, so a refused or rolled-back step tells nobody anything.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext as _

from cityloop.cases.models import Case
from cityloop.core import clock
from cityloop.core.notify import Message, Recipient, notify, notify_many
from cityloop.core.roles import DESK, HANDLERS
from cityloop.org.queries import unit_staff

# verb → who hears it: the reporter, the unit that must act, or the desk.
AUDIENCE = {
    "accept": "reporter",
    "reject": "reporter",
    "merge": "reporter",
    "close": "reporter",
    "dispatch": "unit",
    "rework": "unit",
    "request_denied": "unit",
    "reply": "desk",
    "send_back": "desk",
    "escalate": "desk",
    "request": "desk",
    "light_yellow": "actor_now",
    "light_red": "actor_now",
}


def _titles() -> dict[str, str]:
    return {
        "accept": _("Your report %(code)s was accepted"),
        "reject": _("Your report %(code)s was not accepted"),
        "merge": _("Your report %(code)s joins an earlier report of the same problem"),
        "close": _("Your report %(code)s is resolved: please rate it"),
        "dispatch": _("New case %(code)s for your unit"),
        "rework": _("Case %(code)s failed verification: rework needed"),
        "request_denied": _("Request on case %(code)s was not approved"),
        "reply": _("Case %(code)s was replied: please verify"),
        "send_back": _("Case %(code)s was sent back: dispatch again"),
        "escalate": _("Case %(code)s was escalated to you"),
        "request": _("Case %(code)s waits for your decision"),
        "light_yellow": _("Case %(code)s is near its time limit"),
        "light_red": _("Case %(code)s is overdue"),
    }


def _reporter(case: Case) -> list:
    if case.reporter_id:
        return [case.reporter]
    if case.reporter_phone or case.reporter_email:
        return [
            Recipient(name=case.reporter_name, phone=case.reporter_phone, email=case.reporter_email)
        ]
    return []


def recipients(case: Case, verb: str, staff=unit_staff) -> list:
    """Who hears ``verb`` on ``case``; ``staff(unit, roles)`` finds a unit's accounts (a sweep
    passes a memo so a thousand warnings to one unit ask for its people once)."""
    audience = AUDIENCE.get(verb)
    if audience == "actor_now":
        working = case.status in (Case.Status.DISPATCHED, Case.Status.HANDLING)
        audience = "unit" if working else "desk"
    if audience == "reporter":
        return _reporter(case)
    if audience == "unit":
        people = list(staff(case.responsible_unit, HANDLERS))
        if case.handler_id and case.handler.user_id:
            people.append(case.handler.user)
        if verb == "dispatch":
            for unit in case.assisting_units.all():
                people.extend(staff(unit, HANDLERS))
        return people
    if audience == "desk":
        return list(staff(case.dispatcher_unit, DESK))
    return []


def message(case: Case, verb: str, texts: dict[str, str] | None = None) -> Message:
    """What the people told about ``verb`` on ``case`` read (``texts``: the translated
    titles and due phrase, when a sweep builds thousands of messages)."""
    texts = texts or _texts()
    to_reporter = AUDIENCE[verb] == "reporter"
    link = f"/track/{case.code}/" if to_reporter else f"/cases/{case.pk}/"
    body = f"{case.title}（{case.get_status_display()}）"
    if case.due_at and not to_reporter:
        body += texts["due"] % {
            "due": f"{case.due_at.astimezone(clock.local_zone()):%Y-%m-%d %H:%M}"
        }
    return Message(
        verb=f"case_{verb}",
        title=texts[verb] % {"code": case.code},
        body=body,
        link=link,
        data={"case": case.pk, "code": case.code},
    )


def _texts() -> dict[str, str]:
    return {**_titles(), "due": _(" — due %(due)s")}


def send(case: Case, verb: str) -> None:
    """Tell the people a step concerns; silent for steps nobody needs to hear about."""
    if verb not in AUDIENCE:
        return
    people = recipients(case, verb)
    if not people:
        return
    notify(recipients=people, message=message(case, verb))


def send_many(steps: Iterable[tuple[Case, str]]) -> int:
    """:func:`send` for many (case, verb) steps in one transaction (the light sweep): the same
    people and texts, each unit's people read once, the rows written in bulk. Returns the
    number of inbox rows."""
    memo: dict[tuple[int, tuple[str, ...]], list] = {}

    def staff(unit, roles) -> list:
        if unit is None:
            return []
        key = (unit.pk, tuple(sorted(str(r) for r in roles or ())))
        if key not in memo:
            memo[key] = unit_staff(unit, roles)
        return memo[key]

    items = []
    texts = _texts()
    for case, verb in steps:
        if verb not in AUDIENCE:
            continue
        people = recipients(case, verb, staff)
        if people:
            items.append((people, message(case, verb, texts)))
    return notify_many(items)


# What the light sweep reads of each case (``.values()``), enough for send_lights.
LIGHT_FIELDS = (
    "pk",
    "code",
    "title",
    "status",
    "due_at",
    "responsible_unit_id",
    "responsible_unit__path",
    "dispatcher_unit_id",
    "dispatcher_unit__path",
    "handler_id",
    "handler__user_id",
)


class _Row:
    """A case read as a ``.values()`` row, with what :func:`message` asks of a case."""

    __slots__ = ("code", "due_at", "pk", "status", "status_label", "title")

    def __init__(self, row: dict, labels: dict[str, str]) -> None:
        self.pk, self.code, self.title = row["pk"], row["code"], row["title"]
        self.status, self.due_at = row["status"], row["due_at"]
        self.status_label = labels[self.status]

    def get_status_display(self) -> str:
        return self.status_label


def send_lights(steps: Iterable[tuple[dict, str]]) -> int:
    """:func:`send_many` for the light sweep's ``.values()`` rows (:data:`LIGHT_FIELDS`): the
    same people and texts as :func:`send` on each case — the unit that works on it (and its
    handler) or else the desk — each unit's people read once, the inbox rows written with
    one INSERT and no model objects. Returns the number of inbox rows."""
    from cityloop.core.notify import notify_accounts
    from cityloop.org.models import Unit

    memo: dict[tuple[int, str], list[int]] = {}

    def staff(unit_id, path, roles, key: str) -> list[int]:
        if unit_id is None:
            return []
        if (unit_id, key) not in memo:
            unit = Unit(pk=unit_id, path=path)
            memo[unit_id, key] = [user.pk for user in unit_staff(unit, roles)]
        return memo[unit_id, key]

    working = (Case.Status.DISPATCHED, Case.Status.HANDLING)
    texts = _texts()
    labels = {str(value): str(label) for value, label in Case.Status.choices}
    items = []
    for row, verb in steps:
        if AUDIENCE.get(verb) != "actor_now":
            raise ValueError(f"send_lights tells light warnings only, not {verb!r}")
        if row["status"] in working:
            people = staff(row["responsible_unit_id"], row["responsible_unit__path"], HANDLERS, "h")
            if row["handler_id"] and row["handler__user_id"]:
                people = [*people, row["handler__user_id"]]
        else:
            people = staff(row["dispatcher_unit_id"], row["dispatcher_unit__path"], DESK, "d")
        if people:
            items.append((people, message(_Row(row, labels), verb, texts)))
    return notify_accounts(items)


# A mark no title or translation holds: the translated templates are filled in by the SQL.
_SLOT = "\ufffc"


def light_audience(rows: Iterable[dict]) -> list[tuple[int, int]]:
    """(case pk, user id) of every account :func:`send_lights` tells about each ``.values()``
    row (:data:`LIGHT_FIELDS`), in its order, each unit's people read once: the input of
    :func:`light_inbox_sql`."""
    from cityloop.org.models import Unit

    memo: dict[tuple[int, str], list[int]] = {}

    def staff(unit_id, path, roles, key: str) -> list[int]:
        if unit_id is None:
            return []
        if (unit_id, key) not in memo:
            memo[unit_id, key] = [u.pk for u in unit_staff(Unit(pk=unit_id, path=path), roles)]
        return memo[unit_id, key]

    working = (Case.Status.DISPATCHED, Case.Status.HANDLING)
    pairs: list[tuple[int, int]] = []
    for row in rows:
        if row["status"] in working:
            people = staff(row["responsible_unit_id"], row["responsible_unit__path"], HANDLERS, "h")
            if row["handler_id"] and row["handler__user_id"]:
                people = [*people, row["handler__user_id"]]
        else:
            people = staff(row["dispatcher_unit_id"], row["dispatcher_unit__path"], DESK, "d")
        pairs.extend((row["pk"], user_id) for user_id in dict.fromkeys(people))
    return pairs


def light_inbox_sql(moved: str, audience: list[tuple[int, int]], *, unsent: bool):
    """PostgreSQL: the inbox rows of the light warnings as one ``INSERT … SELECT … RETURNING
    id`` over ``moved`` — a CTE of the changed cases (``id, new, status, code, title,
    due_at``) — and the ``audience`` of :func:`light_audience`: the same rows as
    :func:`send_lights` (titles, bodies, links, data), the translated texts filled in by the
    database, no message built in Python. ``unsent``: the rows wait for the outside channels.
    Returns (sql, params)."""
    from django.db import connection

    from cityloop.core.models import Notification
    from cityloop.core.notify import TITLE_MAX

    qn = connection.ops.quote_name
    meta = Notification._meta
    names = ("recipient", "contact", "verb", "title", "body", "link", "data", "created_at")
    names += ("sent_at", "channels", "delivered")
    cols = ", ".join(qn(meta.get_field(n).column) for n in names)
    texts = _texts()
    labels = [(str(v), str(label)) for v, label in Case.Status.choices]
    status = "CASE m.status " + " ".join("WHEN %s::text THEN %s::text" for _ in labels) + " END"
    title = "CASE m.new WHEN 'yellow' THEN replace(%s, %s, m.code) ELSE replace(%s, %s, m.code) END"
    due = (
        "CASE WHEN m.due_at IS NULL THEN '' ELSE replace(%s, %s,"
        " to_char(m.due_at AT TIME ZONE %s, 'YYYY-MM-DD HH24:MI')) END"
    )
    sql = (
        f"INSERT INTO {qn(meta.db_table)} ({cols})"
        " SELECT w.user_id, '', 'case_light_' || m.new,"
        f" CASE WHEN char_length(t.title) > {TITLE_MAX}"
        f" THEN left(t.title, {TITLE_MAX - 1}) || '…' ELSE t.title END,"
        f" m.title || '（' || {status} || '）' || {due},"
        " '/cases/' || m.id || '/', jsonb_build_object('case', m.id, 'code', m.code),"
        " %s::timestamptz, %s::timestamptz, '[]'::jsonb, '{}'::jsonb"
        f" FROM {moved} m"
        " JOIN unnest(%s::bigint[], %s::int[]) WITH ORDINALITY AS w(case_id, user_id, n)"
        " ON w.case_id = m.id"
        f" CROSS JOIN LATERAL (SELECT {title} AS title) t"
        " WHERE m.new IN ('yellow', 'red') ORDER BY w.n RETURNING id"
    )
    now = clock.now()
    moment = connection.ops.adapt_datetimefield_value(now)
    slot = {"code": _SLOT}
    params: list = [p for pair in labels for p in pair]
    params += [texts["due"] % {"due": _SLOT}, _SLOT, str(clock.local_zone())]
    params += [moment, None if unsent else moment]
    params += ["{" + ",".join(str(int(c)) for c, _u in audience) + "}"]
    params += ["{" + ",".join(str(int(u)) for _c, u in audience) + "}"]
    params += [texts["light_yellow"] % slot, _SLOT, texts["light_red"] % slot, _SLOT]
    return sql, params
