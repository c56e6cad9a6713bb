"""cityloop's own deployment checks, run by ``cityloop check --deploy`` beside Django's.

Registered with ``deploy=True``: a laptop demo (generated key, loopback hosts, plain http)
is fine for ``cityloop check`` and flagged only when asked about a deployment.
"""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Warning, register
from django.utils.translation import gettext as _

# config.allowed_hosts's default: the laptop and the test client.
DEFAULT_HOSTS = {"127.0.0.1", "localhost", "testserver", "[::1]"}


@register("cityloop", deploy=True)
def deploy_checks(app_configs=None, **kwargs) -> list:
    config = settings.CITYLOOP
    problems: list = []
    problems += _secret_key(config)
    problems += _allowed_hosts()
    problems += _tls(config)
    problems += _calendar()
    problems += _queue()
    problems += _media(config)
    return problems


def _secret_key(config) -> list:
    if config.secret_key:
        return []
    # Each node would generate its own key: sessions, CSRF tokens and signed links made on
    # one node fail on the next.
    return [
        Error(
            _("CITYLOOP_SECRET_KEY is not set: this node generated its own key."),
            hint=_("Set the same long random CITYLOOP_SECRET_KEY on every node."),
            id="cityloop.E001",
        )
    ]


def _allowed_hosts() -> list:
    hosts = set(settings.ALLOWED_HOSTS)
    if "*" in hosts:
        return [
            Error(
                _("CITYLOOP_ALLOWED_HOSTS accepts any host (*)."),
                hint=_("List the site's host names."),
                id="cityloop.E002",
            )
        ]
    if not hosts - DEFAULT_HOSTS:
        return [
            Error(
                _("CITYLOOP_ALLOWED_HOSTS names only this machine (the laptop default)."),
                hint=_("List the site's host names."),
                id="cityloop.E002",
            )
        ]
    return []


def _tls(config) -> list:
    if not config.tls:
        return [
            Warning(
                _("CITYLOOP_TLS is off: cookies are sent without Secure over plain http."),
                hint=_("Serve behind an HTTPS proxy and set CITYLOOP_TLS=true."),
                id="cityloop.W003",
            )
        ]
    wrong = [
        name
        for name, ok in (
            ("SESSION_COOKIE_SECURE", settings.SESSION_COOKIE_SECURE is True),
            ("CSRF_COOKIE_SECURE", settings.CSRF_COOKIE_SECURE is True),
            ("SECURE_PROXY_SSL_HEADER", bool(settings.SECURE_PROXY_SSL_HEADER)),
            ("SECURE_HSTS_SECONDS", (settings.SECURE_HSTS_SECONDS or 0) > 0),
        )
        if not ok
    ]
    if not wrong:
        return []
    return [
        Error(
            _("CITYLOOP_TLS is on but these settings are not: %(names)s.")
            % {"names": ", ".join(wrong)},
            hint=_("Set CITYLOOP_HSTS_SECONDS above 0; do not override the TLS settings."),
            id="cityloop.E003",
        )
    ]


def _calendar() -> list:
    from cityloop.core import clock, worktime

    next_year = clock.today().year + 1
    try:
        known = worktime.year_is_known(next_year)
    except Exception as exc:  # no tables yet: say so rather than crash the whole check
        return [
            Error(
                _("The work calendar cannot be read (%(error)s).") % {"error": type(exc).__name__},
                hint=_("Run cityloop migrate."),
                id="cityloop.E004",
            )
        ]
    if known:
        return []
    # Deadlines in working days would count next year's holidays as workdays.
    return [
        Warning(
            _("The work calendar has no holidays for %(year)d.") % {"year": next_year},
            hint=_("Enter them with cityloop calendar seed or the calendar page."),
            id="cityloop.W004",
        )
    ]


def _queue() -> list:
    from cityloop.core import health

    url = health.queue_redis_url()
    if not url:
        return []
    try:
        health.check_queue(url)
    except Exception as exc:
        return [
            Error(
                _("The queue's Redis cannot be reached (%(error)s).")
                % {"error": type(exc).__name__},
                hint=_("Check CITYLOOP_QUEUE_URL and that Redis is running."),
                id="cityloop.E005",
            )
        ]
    return []


def _media(config) -> list:
    """With media on S3: the backend is installed and the bucket answers."""
    if config.media_storage != "s3":
        return []
    if not config.s3_bucket:
        return [
            Error(
                _("Media are set to S3 but no bucket is named."),
                hint=_("Set CITYLOOP_S3_BUCKET."),
                id="cityloop.E006",
            )
        ]
    try:
        from django.core.files.storage import default_storage

        # A name that is never written: the answer (yes or no) proves the bucket is reachable
        # with these credentials; an exception says why not.
        default_storage.exists("cityloop-check/probe")
    except ImportError:
        return [
            Error(
                _("Media are set to S3 but django-storages is not installed."),
                hint=_("Install the s3 extra: pip install 'cityloop[s3]'."),
                id="cityloop.E006",
            )
        ]
    except Exception as exc:
        return [
            Error(
                _("The media bucket cannot be reached (%(error)s).")
                % {"error": type(exc).__name__},
                hint=_("Check CITYLOOP_S3_ENDPOINT_URL, the bucket and the credentials."),
                id="cityloop.E007",
            )
        ]
    return []
