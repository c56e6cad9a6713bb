"""``cityloop check [--deploy]``: Django's system checks plus cityloop's (core.checks).

With ``--deploy`` a warning is a problem too (exit status 1): Django's deployment checks are
all warnings, and an operator asking "is this node ready?" wants a non-zero answer for them.
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.commands import check
from django.test.utils import override_settings

# Behind CITYLOOP_TLS: TLS ends at the proxy, which also redirects http to https, and cityloop
# itself keeps answering the balancer's plain-http /healthz, so it does not redirect (W008).
# HSTS preload (W021) commits the whole domain and its subdomains for months: the operator's
# decision for the domain, not a sign that this node is misconfigured.
BEHIND_TLS_PROXY = ["security.W008", "security.W021"]


class Command(check.Command):
    help = (
        "系统检查；--deploy 另查部署配置（密钥、主机名、TLS、明年日历、队列），有问题时退出码非零"
        " / "
        "System checks; --deploy adds the deployment checks and exits non-zero on any problem."
    )

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.set_defaults(fail_level=None)

    def handle(self, *app_labels, **options) -> None:
        if options["fail_level"] is None:
            options["fail_level"] = "WARNING" if options["deploy"] else "ERROR"
        silenced = list(settings.SILENCED_SYSTEM_CHECKS)
        if options["deploy"] and settings.CITYLOOP.tls:
            silenced += BEHIND_TLS_PROXY
        with override_settings(SILENCED_SYSTEM_CHECKS=silenced):
            super().handle(*app_labels, **options)
