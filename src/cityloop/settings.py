"""Django settings, derived from :mod:`cityloop.core.config` (environment ``CITYLOOP_*``)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url

from cityloop.core.config import get_config

CONFIG = get_config()
BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = CONFIG.data_dir
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    if CONFIG.secret_key:
        return CONFIG.secret_key
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = CONFIG.debug
ALLOWED_HOSTS = CONFIG.allowed_hosts

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "simple_history",
    "rules.apps.AutodiscoverRulesConfig",
    "axes",
    "csp",
    "huey.contrib.djhuey",
    "cityloop.core",
    "cityloop.org",
    "cityloop.cases",
    "cityloop.supervision",
    "cityloop.projects",
    "cityloop.campaigns",
    "cityloop.patrols",
    "cityloop.meetings",
    "cityloop.rounds",
    "cityloop.duty",
    "cityloop.deliberation",
    "cityloop.assessment",
    "cityloop.bulletins",
    "cityloop.open311",
    "cityloop.intel",
    "cityloop.demo",
    "cityloop.web",
]

MIDDLEWARE = [
    "cityloop.core.middleware.RequestIdMiddleware",  # first: every answer carries the id
    "cityloop.core.middleware.RequestSizeLimitMiddleware",  # before anything reads the body
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "cityloop.core.middleware.AccountWriteLimitMiddleware",  # needs request.user
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "cityloop.urls"
WSGI_APPLICATION = "cityloop.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "cityloop.web.context.shell",
            ],
        },
    },
]


def _jit_off(db: dict) -> None:
    # JIT off for the app's PostgreSQL connections: its reads are short, index-driven
    # queries, and the planner's cost of a wide scope filter crossed the JIT threshold, so
    # PostgreSQL spent 0.7–1.3 s compiling a query that runs in milliseconds (issue 20: jit=off
    # made the 100 k street list 4× and the month figures 14× faster). pgbouncer drops this
    # start-up option (ignore_startup_parameters): behind it, ALTER DATABASE … SET jit = off.
    options = db.setdefault("OPTIONS", {})
    options["options"] = f"{options.get('options', '')} -c jit=off".strip()


def _databases() -> dict:
    if CONFIG.database_url:
        db = dj_database_url.parse(CONFIG.database_url, conn_max_age=60, conn_health_checks=True)
        if db["ENGINE"].endswith("sqlite3"):
            db["OPTIONS"] = _sqlite_options()
            return {"default": db}
        _jit_off(db)
        if CONFIG.database_pooled:
            _behind_pooler(db)
        databases = {"default": db}
        if CONFIG.replica_url:
            replica = dj_database_url.parse(
                CONFIG.replica_url, conn_max_age=60, conn_health_checks=True
            )
            _jit_off(replica)
            # A replica that is down must not hold a request for long: the router then
            # sends the reads to the primary (core.dbrouter).
            replica.setdefault("OPTIONS", {})["connect_timeout"] = 2
            replica["TEST"] = {"MIRROR": "default"}  # tests read their own writes
            databases["replica"] = replica
        return databases
    return {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(CONFIG.sqlite_path()),
            "OPTIONS": _sqlite_options(),
            # Tests use a file too, not the in-memory default: shared-cache memory databases
            # lock whole tables and ignore the busy timeout, so concurrency tests would test
            # something production never runs.
            # One file per test process, so that two runs on one machine do not collide.
            "TEST": {"NAME": str(CONFIG.data_dir / f"test-{os.getpid()}.sqlite3")},
        }
    }


def _behind_pooler(db: dict) -> None:
    # pgbouncer in transaction mode gives each transaction any server connection: a named
    # cursor or a prepared statement made in one is unknown in the next.
    db["DISABLE_SERVER_SIDE_CURSORS"] = True
    db.setdefault("OPTIONS", {})["prepare_threshold"] = None


def _sqlite_options() -> dict:
    # WAL lets readers run while one writer writes; IMMEDIATE takes the write lock at BEGIN
    # so two writers queue on the busy timeout instead of failing mid-transaction.
    return {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
        "PRAGMA foreign_keys=ON;",
    }


DATABASES = _databases()
# The covering indexes' INCLUDE columns serve PostgreSQL; SQLite builds the same index without
# them, which is what we want — the warning would only greet every `make demo` and migrate.
SILENCED_SYSTEM_CHECKS = ["models.W040"]
if "replica" in DATABASES:
    DATABASE_ROUTERS = ["cityloop.core.dbrouter.ReplicaRouter"]
    # After authentication (it reads the session), before anything reads for the page.
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
        "cityloop.core.dbrouter.ReplicaReadsMiddleware",
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# One password rule for every way in (account page, `cityloop user`, admin): account_save runs
# these through Django's validate_password.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "cityloop.core.passwords.MinimumLengthValidator",
        "OPTIONS": {"min_length": CONFIG.password_min_length},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AXES_FAILURE_LIMIT = 10
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "web/lockout.html"
# Lockouts key on the real client behind CITYLOOP_TRUSTED_PROXIES proxies (cityloop.core.net),
# so two people behind one proxy are locked out separately. django-ipware is not installed;
# this callable is the one rule, shared with the Open311 rate limits.
AXES_CLIENT_IP_CALLABLE = "cityloop.core.net.client_address"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = CONFIG.time_zone
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns on every request when it is missing
MEDIA_URL = "media/"
MEDIA_ROOT = DATA_DIR / "media"


def media_storage(config) -> dict:
    """The ``default`` storage: the data directory's media/, or an S3-compatible bucket.

    Photos are never served from the bucket directly: every download goes through
    core.downloads, which checks the reader may see the record first — so objects stay
    private (no ACL, signed URLs only) and the bucket needs no public policy.
    """
    if config.media_storage != "s3":
        return {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    options = {
        "bucket_name": config.s3_bucket,
        "location": config.s3_prefix,
        "default_acl": None,
        "querystring_auth": True,
        # Names are content addresses (sha256): an existing key holds the same bytes, so a
        # second upload must not be renamed to "…_abc123.jpg".
        "file_overwrite": True,
        "addressing_style": config.s3_addressing_style,
    }
    optional = {
        "endpoint_url": config.s3_endpoint_url,
        "region_name": config.s3_region,
        "access_key": config.s3_access_key_id,
        "secret_key": config.s3_secret_access_key,
    }
    options.update({key: value for key, value in optional.items() if value})
    try:
        from botocore.config import Config
    except ImportError:  # the s3 extra is missing: ``cityloop check --deploy`` says so
        pass
    else:
        # A bucket that does not answer must fail a request in seconds, not minutes of retries.
        options["client_config"] = Config(
            connect_timeout=3, read_timeout=30, retries={"max_attempts": 3, "mode": "standard"}
        )
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}


STORAGES = {
    "default": media_storage(CONFIG),
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads it for hx-headers
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"


def tls_settings(config) -> dict:
    """The settings that CITYLOOP_TLS turns on (behind a TLS-terminating proxy).

    Off (the demo on plain http://127.0.0.1:8000): cookies without Secure, no HSTS, and
    X-Forwarded-Proto is not believed.
    """
    if not config.tls:
        return {
            "SESSION_COOKIE_SECURE": False,
            "CSRF_COOKIE_SECURE": False,
            "SECURE_HSTS_SECONDS": 0,
            "SECURE_HSTS_INCLUDE_SUBDOMAINS": False,
            "SECURE_PROXY_SSL_HEADER": None,
        }
    return {
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_HSTS_SECONDS": config.hsts_seconds,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": config.hsts_seconds > 0,
        # The proxy must overwrite (never pass through) the client's X-Forwarded-Proto.
        "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https"),
    }


globals().update(tls_settings(CONFIG))


def content_security_policy(config) -> dict:
    """django-csp 4.0's CONTENT_SECURITY_POLICY.

    Scripts only from our own static files: no inline script (data travels in json_script
    tags, type="application/json", which browsers never execute). Styles allow 'unsafe-inline'
    because templates set widths and colours in style="" attributes (progress bars, legend
    swatches, indents) and a few carry <style> blocks; Leaflet and ECharts also style
    elements inline. Images: our own, data: URIs (Leaflet, Swagger UI) and the map tile
    host when CITYLOOP_MAP_TILE_URL is set.
    """
    img_src = ["'self'", "data:"]
    tile_origin = _origin(config.map_tile_url)
    if tile_origin:
        img_src.append(tile_origin)
    return {
        "DIRECTIVES": {
            "default-src": ["'self'"],
            "script-src": ["'self'"],
            "style-src": ["'self'", "'unsafe-inline'"],
            "img-src": img_src,
            "object-src": ["'none'"],
            "base-uri": ["'self'"],
            "form-action": ["'self'"],
            "frame-ancestors": ["'none'"],
        }
    }


def _origin(url: str) -> str:
    """``https://tiles.example`` of a tile template such as ``https://{s}.tiles.example/{z}/…``."""
    if not url:
        return ""
    parts = urlsplit(url.replace("{s}", "*"))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ""
    return f"{parts.scheme}://{parts.netloc}"


CONTENT_SECURITY_POLICY = content_security_policy(CONFIG)


def _huey() -> dict:
    url = CONFIG.queue_url
    if url.startswith("redis://") or url.startswith("rediss://"):
        return {
            "huey_class": "huey.RedisHuey",
            "name": "cityloop",
            "url": url,
            "immediate": False,
            "consumer": {"workers": 2, "worker_type": "thread"},
        }
    filename = url.removeprefix("sqlite:///") if url else str(CONFIG.queue_path())
    return {
        "huey_class": "huey.SqliteHuey",
        "name": "cityloop",
        "filename": filename,
        "immediate": False,
        "consumer": {"workers": 2, "worker_type": "thread"},
    }


HUEY = _huey()


def _caches() -> dict:
    # Rate limits must be counted in one place when several nodes serve the site.
    location = CONFIG.cache_location()
    if location:
        return {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": location,
                "KEY_PREFIX": "cityloop",
            }
        }
    # No Redis: a file cache in the data directory, shared by every worker of this machine
    # (each process's own memory would give every worker its own allowance).
    return {
        "default": {
            "BACKEND": "cityloop.core.ratelimit.SharedFileCache",
            "LOCATION": str(CONFIG.data_dir / "cache"),
            "KEY_PREFIX": "cityloop",
            "OPTIONS": {"MAX_ENTRIES": 5000},
        }
    }


CACHES = _caches()

# Request bodies: form fields (not files) beyond this are refused by Django; file parts beyond
# FILE_UPLOAD_MAX_MEMORY_SIZE are streamed to a temporary file rather than held in memory; the
# whole body is capped by CITYLOOP_MAX_REQUEST_BYTES (RequestSizeLimitMiddleware).
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "cityloop": {"handlers": ["console"], "level": "INFO"},
        "huey": {"handlers": ["console"], "level": "WARNING"},
    },
}

CITYLOOP = CONFIG

# E-mail (the "email" notification channel): Django's console backend until an SMTP host is set.
if CONFIG.email_host:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = CONFIG.email_host
    EMAIL_PORT = CONFIG.email_port
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = CONFIG.email_from
SERVER_EMAIL = CONFIG.email_from
EMAIL_TIMEOUT = 10  # seconds, like the webhooks
