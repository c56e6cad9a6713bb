"""``cityloop token``: issue and revoke API tokens from the shell.

``token create`` prints nothing but the token on stdout, so a script can do
``TOKEN=$(cityloop token create alice)``; anything else goes to stderr.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from cityloop.core import tokens
from cityloop.core.errors import DomainError

BAD_INPUT = 2


class Command(BaseCommand):
    help = "签发或吊销 API 令牌 / Issue or revoke API tokens."

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)

        create = sub.add_parser(
            "create", help="为账号签发令牌，只输出令牌 / issue a token; prints only the token"
        )
        create.add_argument("username", help="登录名 / login name")
        create.add_argument(
            "--days",
            type=int,
            default=None,
            help="有效天数，0 为永不过期，默认取配置 / days valid, 0 = never expires, "
            "default from CITYLOOP_TOKEN_TTL_DAYS",
        )
        create.add_argument("--label", default="cli", help="用途说明 / what the token is for")

        revoke = sub.add_parser("revoke", help="吊销令牌 / revoke a token")
        revoke.add_argument("token")

    def handle(self, *args, action: str, **options) -> None:
        if action == "create":
            self._create(options["username"], options["days"], options["label"])
        else:
            self._revoke(options["token"])

    def _create(self, username: str, days: int | None, label: str) -> None:
        if days is not None and days < 0:
            raise CommandError(
                "--days 不能为负数 / --days must not be negative", returncode=BAD_INPUT
            )
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(
                f"没有有效账号 {username} / no active account {username}", returncode=BAD_INPUT
            )
        token = tokens.token_issue(user=user, label=label, ttl_days=days)
        self.stdout.write(token)

    def _revoke(self, token: str) -> None:
        try:
            tokens.token_revoke(actor=None, token=token.strip())
        except DomainError as exc:
            raise CommandError(
                f"令牌无效或已吊销 / invalid or already revoked token ({exc.code})",
                returncode=BAD_INPUT,
            ) from exc
        self.stderr.write("令牌已吊销 / token revoked")
