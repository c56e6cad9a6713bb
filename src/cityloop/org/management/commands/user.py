"""``cityloop user``: create accounts, change passwords, list accounts.

Writes go through :func:`cityloop.org.services.account_save`, so the command, the admin and
the importers share one rule set and every change leaves an event (actor: 系统).
Messages are bilingual like the rest of the console script, because an operator's shell may
not have a Chinese locale.
"""

from __future__ import annotations

import getpass
import io
import sys

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from cityloop.core.errors import DomainError
from cityloop.core.roles import AccountRole
from cityloop.org import services
from cityloop.org.models import Person, Place, Unit

# Bad input exits with 2, like argparse does for a bad option.
BAD_INPUT = 2


def _password(given: str | None) -> str:
    """The password from ``--password``, else asked twice on the terminal (keeps it out of the
    shell history and the process list)."""
    if given is not None:
        return given
    if not sys.stdin.isatty():
        raise CommandError(
            "需要 --password（非交互终端）/ --password is required when not on a terminal",
            returncode=BAD_INPUT,
        )
    first = getpass.getpass("密码 / password: ")
    if first != getpass.getpass("再输入一次 / again: "):
        raise CommandError("两次输入的密码不一致 / the passwords differ", returncode=BAD_INPUT)
    return first


def _domain_error(exc: DomainError) -> CommandError:
    return CommandError(f"{exc.message} ({exc.code})", returncode=BAD_INPUT)


class Command(BaseCommand):
    help = "创建或修改账号 / Create or change accounts."

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)

        create = sub.add_parser(
            "create", help="创建账号（已存在则更新）/ create an account (update if it exists)"
        )
        create.add_argument("username", help="登录名 / login name")
        create.add_argument(
            "--password", help="密码，省略则提示输入 / password (prompted if omitted)"
        )
        create.add_argument("--unit", metavar="CODE", help="所属单位编码 / unit code")
        create.add_argument("--place", metavar="CODE", help="所属地点编码 / place code")
        create.add_argument(
            "--role",
            action="append",
            default=[],
            choices=AccountRole.values,
            help="角色，可重复 / role, may repeat",
        )
        create.add_argument("--name", default="", help="姓名 / person's name")
        create.add_argument(
            "--superuser", action="store_true", help="超级管理员（看见全部）/ sees everything"
        )

        setpw = sub.add_parser("set-password", help="修改密码 / change a password")
        setpw.add_argument("username")
        setpw.add_argument("--password", help="新密码，省略则提示输入 / new password")

        sub.add_parser("list", help="列出账号 / list accounts")

    def handle(self, *args, action: str, **options) -> None:
        if action == "create":
            self._create(**options)
        elif action == "set-password":
            self._set_password(**options)
        else:
            self._list()

    def _create(self, *, username, password, unit, place, role, name, superuser, **_) -> None:
        unit_obj = place_obj = None
        if unit:
            unit_obj = Unit.objects.filter(code=unit).first()
            if unit_obj is None:
                raise CommandError(
                    f"没有编码为 {unit} 的单位 / no unit with code {unit}", returncode=BAD_INPUT
                )
        if place:
            place_obj = Place.objects.filter(code=place).first()
            if place_obj is None:
                raise CommandError(
                    f"没有编码为 {place} 的地点 / no place with code {place}", returncode=BAD_INPUT
                )
        existed = get_user_model().objects.filter(username=username).exists()
        try:
            services.account_save(
                actor=None,
                username=username,
                password=_password(password),
                unit=unit_obj,
                place=place_obj,
                roles=role,
                name=name,
                is_superuser=superuser,
            )
        except DomainError as exc:
            raise _domain_error(exc) from exc
        verb = "已更新 / updated" if existed else "已创建 / created"
        self.stdout.write(f"{verb}: {username}")

    def _set_password(self, *, username, password, **_) -> None:
        if not get_user_model().objects.filter(username=username).exists():
            raise CommandError(f"没有账号 {username} / no account {username}", returncode=BAD_INPUT)
        try:
            services.account_save(actor=None, username=username, password=_password(password))
        except DomainError as exc:
            raise _domain_error(exc) from exc
        self.stdout.write(f"密码已修改 / password changed: {username}")

    def _list(self) -> None:
        users = (
            get_user_model()
            .objects.order_by("username")
            .prefetch_related("groups")
            .select_related("person__unit", "person__place")
        )
        table = Table("登录名 username", "姓名 name", "角色 roles", "单位 unit", "地点 place")
        for user in users:
            person: Person | None = getattr(user, "person", None)
            roles = sorted(g.name for g in user.groups.all())
            if user.is_superuser:
                roles.insert(0, "superuser")
            table.add_row(
                escape(user.get_username()),
                escape(person.name if person else user.get_full_name()),
                escape(", ".join(roles)),
                escape(person.unit.name if person and person.unit else ""),
                escape(person.place.name if person and person.place else ""),
            )
        buffer = io.StringIO()
        # Rendered to a string so the output goes through self.stdout (testable, redirectable).
        Console(file=buffer, width=120 if not sys.stdout.isatty() else None).print(table)
        self.stdout.write(buffer.getvalue(), ending="")
