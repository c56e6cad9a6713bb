"""``cityloop calendar``: look at, seed and correct the work calendar from the shell."""

from __future__ import annotations

import io
from datetime import date, datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from cityloop.core import calendar, clock, orgmodels, worktime
from cityloop.core.errors import DomainError
from cityloop.core.models import WorkCalendarDay, WorkCalendarYear

WEEKDAYS = "一二三四五六日"


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"日期格式应为 YYYY-MM-DD / date must be YYYY-MM-DD: {text}") from exc


def _moment(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(
            f"时间格式应为 'YYYY-MM-DD HH:MM' / time must be 'YYYY-MM-DD HH:MM': {text}"
        ) from exc
    return value if value.tzinfo else value.replace(tzinfo=clock.local_zone())


def _mark(worked: bool) -> str:
    return "班" if worked else "休"


class Command(BaseCommand):
    help = (
        "工作日历：查看、播种、维护节假日与调休，计算期限 / "
        "Work calendar: show, seed and edit holidays and 调休 days; compute deadlines."
    )

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)

        show = sub.add_parser("show", help="列出某年的节假日与调休 / list a year's exceptions")
        show.add_argument("year", type=int)

        seed = sub.add_parser(
            "seed",
            help="从 chinese-calendar 播种（默认全部已知年份）/ seed from chinese-calendar "
            "(default: every year it knows)",
        )
        seed.add_argument("years", type=int, nargs="*")

        set_ = sub.add_parser("set", help="人工设定某日上班或放假 / mark a day worked or off")
        set_.add_argument("date", type=_date)
        which = set_.add_mutually_exclusive_group(required=True)
        which.add_argument("--off", action="store_true", help="放假 / a day off")
        which.add_argument("--work", action="store_true", help="上班 / a working day")
        set_.add_argument("--name", default="", help="名称，如 国庆节 / name, e.g. 国庆节")

        clear = sub.add_parser(
            "clear", help="删除某日的例外，恢复周一至周五 / remove a day's exception"
        )
        clear.add_argument("date", type=_date)

        check = sub.add_parser("check", help="逐日显示 班/休 / print 班 or 休 per date")
        check.add_argument("dates", type=_date, nargs="+")
        check.add_argument("--unit", help="单位编码 / unit code")

        add = sub.add_parser(
            "add", help="从某时刻起算期限 / deadline from a start time (Asia/Shanghai)"
        )
        add.add_argument("start", type=_moment, help="'YYYY-MM-DD HH:MM'")
        amount = add.add_mutually_exclusive_group(required=True)
        amount.add_argument("--days", type=float, help="工作日数 / working days")
        amount.add_argument("--hours", type=float, help="工作小时数 / working hours")
        add.add_argument("--unit", help="单位编码 / unit code")

    def handle(self, *args, **options) -> None:
        self._buffer = io.StringIO()
        self.console = Console(
            file=self._buffer, force_terminal=self.stdout.isatty(), width=100, soft_wrap=True
        )
        try:
            getattr(self, f"_{options['action']}")(options)
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc
        finally:
            self.stdout.write(self._buffer.getvalue(), ending="")

    def _unit(self, code: str | None):
        if not code:
            return None
        Unit = orgmodels.get("Unit")

        unit = Unit.objects.filter(code=code).first()
        if unit is None:
            raise CommandError(f"没有编码为 {code} 的单位 / no unit with code {code}")
        return unit

    def _show(self, options) -> None:
        year = options["year"]
        row = WorkCalendarYear.objects.filter(year=year).first()
        if row is None:
            self.console.print(
                f"[bold red]{year} 年未录入：按周一至周五计算[/] / "
                f"{year} is not known: Monday–Friday is assumed."
            )
        else:
            self.console.print(
                f"[bold]{year} 年已录入[/] / known · 来源 source: {row.source}"
                + (f" · {row.note}" if row.note else "")
            )
        days = WorkCalendarDay.objects.filter(date__year=year).order_by("date")
        table = Table(title=f"{year} 节假日与调休 / holidays and 调休 days")
        for column in ("日期 date", "星期 weekday", "班/休", "名称 name", "来源 source"):
            table.add_column(column)
        for day in days:
            table.add_row(
                day.date.isoformat(),
                f"周{WEEKDAYS[day.date.weekday()]}",
                _mark(day.is_workday),
                escape(day.name),
                day.source,
            )
        self.console.print(table)
        worked = sum(
            worktime.is_workday(date.fromordinal(n))
            for n in range(date(year, 1, 1).toordinal(), date(year, 12, 31).toordinal() + 1)
        )
        self.console.print(f"全年工作日 working days: {worked}")

    def _seed(self, options) -> None:
        counts = calendar.calendar_seed(options["years"] or None)
        self.console.print(
            f"已播种 seeded {counts['years'][0]}–{counts['years'][-1]}: "
            f"新增 created {counts['created']}, 更新 updated {counts['updated']}, "
            f"删除 deleted {counts['deleted']}, 未变 unchanged {counts['unchanged']}, "
            f"保留人工 kept manual {counts['kept_manual']}"
        )

    def _set(self, options) -> None:
        day = calendar.calendar_day_set(
            actor=None, date=options["date"], is_workday=options["work"], name=options["name"]
        )
        self.console.print(f"已设定 set: {day}")

    def _clear(self, options) -> None:
        calendar.calendar_day_clear(actor=None, date=options["date"])
        day = options["date"]
        self.console.print(f"已删除 cleared: {day} → {_mark(worktime.is_workday(day))}")

    def _check(self, options) -> None:
        unit = self._unit(options.get("unit"))
        for day in options["dates"]:
            _worked, name = worktime.day_info(day)
            note = "" if worktime.year_is_known(day.year) else "  (未录入年份 unknown year)"
            self.console.print(
                f"{day.isoformat()} 周{WEEKDAYS[day.weekday()]} "
                f"{_mark(worktime.is_workday(day, unit=unit))} {name}{note}".rstrip()
            )

    def _add(self, options) -> None:
        unit = self._unit(options.get("unit"))
        due = worktime.add_work_time(
            options["start"], days=options["days"] or 0, hours=options["hours"] or 0, unit=unit
        )
        local = due.astimezone(clock.local_zone())
        self.console.print(
            f"{local:%Y-%m-%d %H:%M} 周{WEEKDAYS[local.weekday()]} ({settings.TIME_ZONE})"
        )
