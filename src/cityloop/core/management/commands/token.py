"""``cityloop token``: issue and revoke API tokens from the shell.

``token create`` prints nothing but the token on stdout, so a script can do
``TOKEN=$(cityloop token create alice)``; anything else goes to stderr. ``issue`` is another
name for ``create``. ``token revoke`` takes the token itself, ``--user NAME`` (all of that
account's live tokens) or ``--token-id N`` (the row id shown in the admin) and prints how many
it revoked.
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
            "create",
            aliases=["issue"],
            help="为账号签发令牌，只输出令牌 / issue a token; prints only the token",
        )
        create.add_argument("username", help="登录名 / login name")
        create.add_argument(
            "--days",
            type=int,
            default=None,
            help="有效天数，默认且最多为 CITYLOOP_TOKEN_TTL_DAYS；0（永不过期）仅在该配置为 0 时"
            "可用 / days valid, default and at most CITYLOOP_TOKEN_TTL_DAYS; 0 (never expires) "
            "only when that setting is 0",
        )
        create.add_argument("--label", default="cli", help="用途说明 / what the token is for")

        revoke = sub.add_parser(
            "revoke", help="吊销令牌：令牌本身、--user 或 --token-id / revoke a token or tokens"
        )
        which = revoke.add_mutually_exclusive_group(required=True)
        which.add_argument("token", nargs="?", help="令牌 / the token itself")
        which.add_argument(
            "--user", dest="revoke_user", help="吊销该账号的全部令牌 / all tokens of an account"
        )
        which.add_argument("--token-id", type=int, help="按编号吊销一个令牌 / one token by its id")

    def handle(self, *args, action: str, **options) -> None:
        if action in ("create", "issue"):
            self._create(options["username"], options["days"], options["label"])
        elif options.get("revoke_user"):
            self._revoke_user(options["revoke_user"])
        elif options.get("token_id") is not None:
            self._revoke_id(options["token_id"])
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
        try:
            token = tokens.token_issue(user=user, label=label, ttl_days=days)
        except DomainError as exc:
            raise CommandError(
                f"{exc.message} / token refused ({exc.code})", returncode=BAD_INPUT
            ) from exc
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

    def _revoke_user(self, username: str) -> None:
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"没有账号 {username} / no account {username}", returncode=BAD_INPUT)
        count = tokens.revoke_all(user, actor=None, reason="cli")
        self.stdout.write(
            f"已吊销 {username} 的 {count} 个令牌 / {count} token(s) of {username} revoked"
        )

    def _revoke_id(self, token_id: int) -> None:
        try:
            tokens.token_revoke_id(actor=None, token_id=token_id)
        except DomainError as exc:
            raise CommandError(
                f"令牌 {token_id} 不存在或已吊销 / token {token_id} not found or already "
                f"revoked ({exc.code})",
                returncode=BAD_INPUT,
            ) from exc
        self.stdout.write(f"已吊销 1 个令牌（{token_id}）/ 1 token revoked ({token_id})")
