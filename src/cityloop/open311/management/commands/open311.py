"""``cityloop open311 key create|list|revoke``: the keys of Open311 clients.

``key create`` prints nothing but the key on stdout, so a script can do
``KEY=$(cityloop open311 key create 市民App --account app-bot)``; the rest goes to stderr.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from cityloop.cases.models import Case
from cityloop.core.errors import DomainError
from cityloop.open311 import services
from cityloop.open311.models import ApiClient
from cityloop.org import services as org_services

BAD_INPUT = 2


class Command(BaseCommand):
    help = "管理 Open311 客户端密钥 / Manage Open311 client keys."

    def add_arguments(self, parser) -> None:
        top = parser.add_subparsers(dest="thing", required=True)
        key = top.add_parser("key", help="客户端密钥 / client keys")
        sub = key.add_subparsers(dest="action", required=True)

        create = sub.add_parser(
            "create", help="新建客户端并签发密钥，只输出密钥 / new client; prints only the key"
        )
        create.add_argument("name", help="客户端名称 / client name")
        create.add_argument(
            "--account",
            default="",
            help="以哪个账号上报；省略则新建居民账号 open311-<名称> / the account its reports "
            "are made by; omitted: a new resident account open311-<name>",
        )
        create.add_argument(
            "--source",
            default=Case.Source.RESIDENT.value,
            choices=Case.Source.values,
            help="来源渠道，默认 resident / the channel, default resident",
        )
        create.add_argument(
            "--rate",
            type=int,
            default=None,
            help="每分钟请求上限，默认取配置 / requests per minute, default from "
            "CITYLOOP_OPEN311_RATE_PER_MINUTE",
        )

        sub.add_parser("list", help="列出客户端 / list clients")

        revoke = sub.add_parser("revoke", help="吊销客户端密钥 / revoke a client's key")
        revoke.add_argument("name", help="客户端名称 / client name")

    def handle(self, *args, thing: str, action: str, **options) -> None:
        try:
            if action == "create":
                self._create(options)
            elif action == "list":
                self._list()
            else:
                services.key_revoke(actor=None, name=options["name"])
                self.stderr.write("密钥已吊销 / key revoked")
        except DomainError as exc:
            raise CommandError(f"{exc.message} ({exc.code})", returncode=BAD_INPUT) from exc

    @transaction.atomic
    def _create(self, options: dict) -> None:
        username = options["account"]
        if username:
            user = get_user_model().objects.filter(username=username, is_active=True).first()
            if user is None:
                raise CommandError(
                    f"没有有效账号 {username} / no active account {username}",
                    returncode=BAD_INPUT,
                )
        else:
            # A client of its own, so that "whose reports one sees" is exactly its requests.
            username = "open311-" + "-".join(options["name"].split())
            if get_user_model().objects.filter(username=username).exists():
                raise CommandError(
                    f"账号 {username} 已存在，请用 --account / account {username} exists, "
                    "name it with --account",
                    returncode=BAD_INPUT,
                )
            user = org_services.account_save(
                actor=None, username=username, roles=["resident"], name=options["name"]
            )
            self.stderr.write(f"新建账号 / new account: {username}")
        _client, key = services.key_create(
            actor=None,
            name=options["name"],
            account=user,
            source=options["source"],
            rate_per_minute=options["rate"],
        )
        self.stdout.write(key)

    def _list(self) -> None:
        rows = ApiClient.objects.select_related("account").order_by("name")
        for c in rows:
            state = "revoked " + c.revoked_at.isoformat() if c.revoked_at else "active"
            rate = c.rate_per_minute or "default"
            self.stdout.write(
                f"{c.name}\t{c.key_prefix}…\t{c.account.get_username()}\t{c.source}\t"
                f"{rate}/min\t{state}"
            )
