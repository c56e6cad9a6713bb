"""Periodic notices (通报) as documents: the half-month notice and the monthly ranking notice
of an assessment scheme (praise for the top N, criticism for the bottom N, as the scheme
says), and supervision's weekly / monthly / quarterly summaries. Every sentence and table is
generated from the records through the same generators bulletins use."""

from __future__ import annotations

from datetime import date, timedelta

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from cityloop.assessment import periods
from cityloop.assessment import queries as aq
from cityloop.assessment.models import Scheme
from cityloop.bulletins import generators, queries
from cityloop.bulletins.document import DocItem, Document
from cityloop.bulletins.models import NoticeNumber
from cityloop.core import clock
from cityloop.core.documents import score_text
from cityloop.core.errors import Forbidden, InvalidInput, NotFound
from cityloop.core.system import SYSTEM

KIND_LABELS = {
    "half_month": _lazy("Half-month assessment notice"),
    "monthly": _lazy("Monthly ranking notice"),
    "weekly_supervision": _lazy("Weekly supervision notice"),
    "monthly_scheduling": _lazy("Monthly scheduling of key tasks"),
    "quarterly_notice": _lazy("Quarterly supervision notice"),
}
KINDS = tuple(KIND_LABELS)
SUPERVISION = {
    "weekly_supervision": "week",
    "monthly_scheduling": "month",
    "quarterly_notice": "quarter",
}


SCHEME_KINDS = {"monthly": "month", "half_month": "half_month"}


def schemes_for(actor) -> list[Scheme]:
    """The schemes in force the actor may read, for the notice form's scheme choice."""
    visible = {s.pk for s in aq.visible_schemes(actor)}
    qs = Scheme.objects.filter(
        state=Scheme.State.ACTIVE, period_kind__in=SCHEME_KINDS.values()
    ).order_by("code")
    return [s for s in qs if s.pk in visible]


def _scheme_for(kind: str, code: str | None) -> Scheme:
    wanted = SCHEME_KINDS[kind]
    if code:
        named = Scheme.objects.filter(state=Scheme.State.ACTIVE, code=code).first()
        if named is not None and named.period_kind != wanted:
            fitting = next(k for k, v in SCHEME_KINDS.items() if v == named.period_kind)
            raise InvalidInput(
                "notice_scheme_kind",
                _("%(scheme)s is assessed by %(period)s: choose the notice “%(kind)s”.")
                % {
                    "scheme": named.name,
                    "period": named.get_period_kind_display(),
                    "kind": KIND_LABELS[fitting],
                },
            )
    qs = Scheme.objects.filter(state=Scheme.State.ACTIVE, period_kind=wanted).select_related(
        "owner"
    )
    if code:
        qs = qs.filter(code=code)
    schemes = list(qs)
    if len(schemes) != 1:
        raise InvalidInput(
            "notice_scheme_required",
            _("Name the assessment scheme (--scheme); in force for this kind: %(codes)s.")
            % {"codes": "、".join(s.code for s in schemes) or "—"},
            {"schemes": [s.code for s in schemes]},
        )
    return schemes[0]


def _abbreviation(issuer) -> str:
    from cityloop.bulletins.queries import letterhead_of

    return letterhead_of(issuer).abbreviation


def reference_text(issuer, year: int, number: int) -> str:
    """A 发文字号: the issuer's abbreviation〔year〕number号 (中心路街道办事处〔2020〕3号)."""
    return f"{_abbreviation(issuer)}〔{year}〕{number}号"


def reference_placeholder(issuer, day: date) -> str:
    """The 发文字号 line of a notice not yet numbered in the register: the number left blank
    (上街办〔2026〕　　号), as a notice is drafted before the office numbers it."""
    return f"{_abbreviation(issuer)}〔{day.year}〕\u3000\u3000号"


def register_key(kind: str, scheme_code: str, period_key: str) -> str:
    """The notice's entry in the 发文登记: one number per kind, scheme and period."""
    return f"{kind}:{scheme_code}:{period_key}"


def scheme_for_notice(kind: str, code: str | None) -> Scheme:
    """The scheme an assessment notice of ``kind`` reports on (named, or the only one)."""
    if kind not in SCHEME_KINDS:
        raise InvalidInput(
            "notice_kind_invalid", _("Unknown kind of notice."), {"allowed": list(SCHEME_KINDS)}
        )
    return _scheme_for(kind, code)


def _g(item: generators.Generated, heading: str = "") -> DocItem:
    return DocItem(
        title="",
        body=item.body,
        table=item.table,
        chart=item.chart,
        generated=True,
        heading=heading,
        sources=item.sources,
        figures=item.figures,
    )


def notice(
    kind: str, period: str, *, scheme: str | None = None, actor=None, day: date | None = None
) -> Document:
    """The notice of ``kind`` for ``period`` (2020-06, 2020-06-H1, or the last day of a
    supervision week/month/quarter as YYYY-MM-DD)."""
    if kind not in KINDS:
        raise InvalidInput(
            "notice_kind_invalid", _("Unknown kind of notice."), {"allowed": list(KINDS)}
        )
    if kind in SUPERVISION:
        if actor is not None:
            from cityloop.core.roles import OVERSEERS, has_any

            if not has_any(actor, OVERSEERS):  # district-wide figures: supervisors only
                raise Forbidden("notice_not_allowed", _("Only supervisors may read this notice."))
        return _supervision(kind, period, day)
    s = _scheme_for(kind, scheme)
    if actor is not None:
        aq.scheme_get(actor, s.code)  # not visible → not found
    try:
        r = aq.ranking(SYSTEM, s.code, period)
    except NotFound:
        raise NotFound(
            "assessment_period_not_found",
            _(
                "Run the assessment for %(period)s first "
                "(cityloop assess run %(code)s --period %(period)s)."
            )
            % {"period": period, "code": s.code},
        ) from None
    label = r.label
    key = register_key(kind, s.code, r.period.key)
    numbered = NoticeNumber.objects.filter(key=key).first()
    # Dated a few days after the period, as the office writes it (never in the future); once
    # numbered, dated the day it was numbered.
    day = day or (numbered.issued_on if numbered else None)
    day = day or min(clock.today(), r.period.end + timedelta(days=3))
    area = s.place.name if s.place else s.owner.name
    items: list[DocItem] = []
    intro = _(
        "Following the %(scheme)s, %(owner)s assessed the work of %(n)d %(kind)s of %(area)s "
        "for %(period)s on a 100-point scale. The results are notified as follows."
    ) % {
        "scheme": s.name,
        "owner": s.owner.name,
        "n": len(r.rows),
        "kind": s.get_target_kind_display(),
        "area": area,
        "period": label,
    }
    items.append(DocItem(body=intro, generated=True))
    if kind == "half_month" and s.place is not None:
        start, end = periods.bounds(s.period_kind, r.period.key)
        g = generators.case_figures_item(
            {"place": s.place.code, "start": start.isoformat(), "end": end.isoformat()}, day
        )
        items.append(_g(g, _("1. Cases")))
    g = generators.ranking_item({"scheme": s.code, "period": r.period.key}, day)
    items.append(_g(g, _("Scores and ranking")))
    top, bottom = r.top(s.praise_top), r.bottom(s.criticise_bottom)
    if top:
        items.append(
            DocItem(
                heading=_("Praise"),
                body=_(
                    "%(names)s did outstanding work and took the first places; they are praised "
                    "in this notice."
                )
                % {"names": "、".join(x.score.label for x in top)},
                generated=True,
            )
        )
    if bottom:
        items.append(
            DocItem(
                heading=_("Criticism"),
                body=_(
                    "%(names)s ranked at the bottom; they are criticised in this notice and shall "
                    "rectify within a time limit and report in writing."
                )
                % {"names": "、".join(x.score.label for x in bottom)},
                generated=True,
            )
        )
    if r.unranked:
        items.append(
            DocItem(
                body=_(
                    "%(names)s had too few records in the period to be ranked fairly; their "
                    "scores are listed but not ranked."
                )
                % {"names": "、".join(x.score.label for x in r.unranked)},
                generated=True,
            )
        )
    cut = [x for x in r.rows if x.score.deducted]
    # Every score in running text carries its unit: 工农社区 6分.
    deductions = "；".join(f"{x.score.label} {score_text(x.score.deducted)}" for x in cut)
    if cut:
        items.append(
            DocItem(
                body=_(
                    "Deductions confirmed in supervision (repeated failures) were taken off: "
                    "%(list)s."
                )
                % {"list": deductions},
                generated=True,
            )
        )
    heading = _("Notice on the %(scheme)s ranking for %(period)s") % {
        "scheme": s.name,
        "period": label,
    }
    f = queries.frame_of(s.owner)
    return Document(
        kind="notice",
        series_title=_("Notice"),
        number_label="",
        issuer=f.masthead,
        date=day,
        heading=heading,
        items=items,
        signature=f.signature,
        reference=numbered.reference if numbered else reference_placeholder(s.owner, day),
        register_key=key,
        addressee=f.send_to,
        copy_to=f.copy_to,
        issuer_unit=s.owner,
        filename=f"{s.name}{r.period.key}通报",
    )


def _supervision(kind: str, period: str, day: date | None) -> Document:
    try:
        end = (
            date.fromisoformat(period) if len(period) == 10 else periods.bounds("month", period)[1]
        )
    except (ValueError, InvalidInput):
        raise InvalidInput(
            "notice_period_invalid",
            _("Give the last day of the period (YYYY-MM-DD) or a month (YYYY-MM)."),
        ) from None
    g = generators.supervision_summary_item(
        {"kind": SUPERVISION[kind], "end": end.isoformat()}, end
    )
    board = generators.board_item({"as_of": end.isoformat()}, end)
    unit = queries.supervision_issuer()
    f = queries.frame_of(unit) if unit is not None else None
    # Numbered in the 发文登记 like the assessment notices (``workflow.number_notice``): the
    # 发文字号 once numbered, the number left blank before.
    key = register_key(kind, "", end.isoformat())
    numbered = NoticeNumber.objects.filter(key=key).first()
    day = day or (numbered.issued_on if numbered else None)
    if numbered is not None:
        reference = numbered.reference
    else:
        reference = reference_placeholder(unit, day or end) if unit is not None else ""
    return Document(
        kind="notice",
        series_title=g.title,
        number_label="",
        issuer=f.masthead if f else _("Supervision"),
        date=day or end,
        heading=g.title,
        items=[_g(g), _g(board, _("Red/yellow/blue board"))],
        signature=f.signature if f else "",
        addressee=f.send_to if f else "",
        copy_to=f.copy_to if f else "",
        issuer_unit=unit,
        reference=reference,
        register_key=key,
        filename=f"{g.title}{end.isoformat()}",
    )
