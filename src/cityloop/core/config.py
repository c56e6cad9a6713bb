"""Configuration from the environment (``CITYLOOP_*``), read once at start-up.

Everything an operator may change lives here so that ``docs/operator-guide.md`` can list it
from one place; Django settings are derived from this object, never read from ``os.environ``
elsewhere.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[3]


class CityloopConfig(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CITYLOOP_", extra="ignore")

    data_dir: Path = PROJECT_ROOT / "var"
    database_url: str = ""  # empty: SQLite file ``<data_dir>/cityloop.sqlite3``
    # A transaction-mode pooler (pgbouncer) stands between the app and PostgreSQL: no
    # server-side cursors and no prepared statements, which live in one server connection.
    database_pooled: bool = False
    # A streaming replica of the primary: reads that may be a little stale (lists, boards,
    # figures, Open311 GETs, exports) go there (core.dbrouter). Empty: every read on the primary.
    replica_url: str = ""
    # The replica is used only while it is this close behind the primary (seconds), checked
    # at most every ``replica_check_seconds`` per process; otherwise reads stay on the primary.
    replica_max_lag_seconds: float = 10.0
    replica_check_seconds: float = 5.0
    # After a client's write, its reads stay on the primary this long (read-your-writes).
    read_your_writes_seconds: int = 30
    # GET/HEAD paths whose reads may go to the replica (prefixes).
    replica_read_paths: list[str] = [
        "/api/v1/",
        "/open311/",
        "/cases/",
        "/supervision/",
        "/assessment/",
        "/bulletins/",
        "/projects/",
        "/campaigns/",
    ]
    queue_url: str = ""  # empty: huey on SQLite ``<data_dir>/queue.sqlite3``; or redis://…
    # Django's cache (rate limits). Empty: the queue's Redis when the queue is on Redis (every
    # node then counts against the same limits), else each process's own memory.
    cache_url: str = ""
    # Uploaded files (photos, documents). "filesystem": ``<data_dir>/media`` — with several
    # nodes that directory must be shared (NFS). "s3": an S3-compatible object store through
    # django-storages (``pip install 'cityloop[s3]'``); every node then reads the same bucket.
    media_storage: Literal["filesystem", "s3"] = "filesystem"
    s3_bucket: str = ""
    s3_endpoint_url: str = ""  # empty: AWS itself; e.g. http://10.0.0.5:9000 for a MinIO
    s3_region: str = ""
    s3_access_key_id: str = ""  # empty: boto3's own lookup (environment, instance role)
    s3_secret_access_key: str = ""
    s3_prefix: str = "media"  # key prefix inside the bucket
    s3_addressing_style: Literal["auto", "path", "virtual"] = "path"
    time_zone: str = "Asia/Shanghai"
    as_of: datetime | None = None  # pins "now" for the demo and tests
    secret_key: str = ""  # empty: generated once and kept in <data_dir>/secret_key
    debug: bool = False
    allowed_hosts: list[str] = ["127.0.0.1", "localhost", "testserver"]
    # Served over HTTPS through a TLS-terminating proxy: secure cookies, HSTS, and the proxy's
    # X-Forwarded-Proto: https taken as the request's scheme. Off for the plain-http demo.
    tls: bool = False
    hsts_seconds: int = 31_536_000  # only with ``tls``; 0 sends no HSTS header
    # How many reverse proxies stand in front of the app, each appending to X-Forwarded-For.
    # 0: the client is REMOTE_ADDR (X-Forwarded-For is ignored, it could be forged).
    trusted_proxies: int = 0
    # Shortest password accepted (Django's validators; common and all-digit ones are refused too).
    password_min_length: int = 10
    # Leaflet base tiles; empty shows outlines on a plain background (no network needed).
    map_tile_url: str = ""
    map_tile_attribution: str = ""
    # How far from a road a point may be and still be "on" that road, in metres.
    road_snap_metres: float = 50.0
    token_ttl_days: int = 90
    # Photos: at most this many per step, this many bytes and pixels each.
    upload_max_photos: int = 9
    upload_max_bytes: int = 10 * 1024 * 1024
    upload_max_pixels: int = 16_777_216  # 4096²: a PNG beyond costs seconds to decode
    # Possible duplicates at intake: same category, open, this close in space and time.
    duplicate_distance_metres: float = 50.0
    duplicate_window_days: int = 7
    # Duty rosters: an urgent case for a round-the-clock unit not taken within this many
    # minutes of dispatch goes to the leader on call as well (seed 003 主管领导24小时畅通).
    duty_escalate_minutes: int = 30
    # Notifications: comma-separated channel names (console, email, sms, wecom); the in-app
    # inbox is always written.
    notify_channels: str = "console"
    email_host: str = ""  # empty: Django's console e-mail backend
    email_port: int = 25
    email_from: str = "cityloop@localhost"
    sms_webhook_url: str = ""  # an SMS gateway that takes {"phone", "text"} as JSON
    wecom_webhook_url: str = ""  # 企业微信群机器人 webhook
    # Open311 GeoReport v2 (docs/open311.md). Empty jurisdiction: any jurisdiction_id is
    # accepted; set: a request naming another one is refused.
    open311_jurisdiction_id: str = ""
    # Reads (GET) without an api_key, as the GeoReport spec and FixMyStreet allow; false makes
    # every read need a key too.
    open311_public_reads: bool = True
    # Requests per minute per api_key (and per address for reads without a key).
    open311_rate_per_minute: int = 120
    # Anonymous intake (/report/ and Open311 POST requests): reports an hour from one client
    # address and with one phone number, counted in the shared cache; 0 turns a limit off.
    intake_per_address_per_hour: int = 30
    intake_per_phone_per_hour: int = 10
    # Writes (POST, PUT, PATCH, DELETE) a minute by one signed-in account, pages and API
    # together, counted in the shared cache; a person never comes near it, a runaway script
    # does. Machine channels send many reports in one bulk request. 0 turns it off.
    writes_per_account_per_minute: int = 300
    # The largest request body in bytes, refused (413) before it is read; uploads above
    # Django's FILE_UPLOAD_MAX_MEMORY_SIZE go to a temporary file, not memory.
    max_request_bytes: int = 100 * 1024 * 1024
    # Triage (intel): where trained model files live; empty: ``<data_dir>/models``.
    intel_model_dir: Path | None = None
    # Suggest at intake when a model is active; below ``intel_review_below`` a suggestion is
    # shown as "a person should decide".
    intel_suggest: bool = True
    intel_review_below: float = 0.6
    # Auto-dispatch (off by default): only for these category codes (a main category's code
    # covers its leaves), only when the category suggestion reaches this confidence, and it
    # goes through the case workflow as the account ``intel_system_user``.
    intel_auto_dispatch: bool = False
    intel_auto_dispatch_confidence: float = 0.95
    intel_auto_dispatch_categories: list[str] = []
    intel_system_user: str = "triage-bot"

    @field_validator("intel_model_dir", mode="before")
    @classmethod
    def _empty_path_as_none(cls, value: object) -> object:
        return None if value in ("", None) else value

    @field_validator("as_of", mode="before")
    @classmethod
    def _empty_as_none(cls, value: object) -> object:
        return None if value in ("", None) else value

    def sqlite_path(self) -> Path:
        return self.data_dir / "cityloop.sqlite3"

    def queue_path(self) -> Path:
        return self.data_dir / "queue.sqlite3"

    def cache_location(self) -> str:
        """The Redis URL of the cache, or "" for each process's own memory."""
        if self.cache_url:
            return self.cache_url
        if not self.queue_url.startswith(("redis://", "rediss://")):
            return ""
        # The next database number on the queue's server: clearing the cache (FLUSHDB) must
        # never empty the queue.
        url = urlsplit(self.queue_url)
        db = url.path.strip("/")
        db_number = int(db) if db.isdigit() else 0
        return urlunsplit(url._replace(path=f"/{(db_number + 1) % 16}"))

    def model_path(self) -> Path:
        return self.intel_model_dir or self.data_dir / "models"


@lru_cache(maxsize=1)
def get_config() -> CityloopConfig:
    return CityloopConfig()
