"""Denial of service (issue 14, item 6): Open311 writes limited per client address and per
phone, and every limit counted in the cache all workers share, not in each worker's memory."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

from django.core.cache import caches
from django.test import Client

from cityloop.core import ratelimit
from tests.open311.conftest import IN_COMPOUND, V2, errors_of

ROOT = Path(__file__).resolve().parents[2]


def post(key: str, category, *, phone: str = "", address: str = "10.0.0.1"):
    body = {
        "api_key": key,
        "service_code": category.code,
        "lat": IN_COMPOUND[1],
        "long": IN_COMPOUND[0],
        "description": "井盖松动",
    }
    if phone:
        body["phone"] = phone
    return Client(REMOTE_ADDR=address).post(f"{V2}/requests.json", body)


def test_requests_from_one_address_are_limited(key, category, at_monday, settings, monkeypatch):
    monkeypatch.setattr(settings.CITYLOOP, "intake_per_address_per_hour", 2)
    assert [post(key, category).status_code for _ in range(2)] == [200, 200]
    r = post(key, category)
    assert r.status_code == 429
    assert errors_of(r)[0]["cityloop_code"] == "rate_limited"
    assert "太多" in errors_of(r)[0]["description"]
    assert post(key, category, address="10.0.0.2").status_code == 200  # another address


def test_requests_with_one_phone_are_limited(key, category, at_monday, settings, monkeypatch):
    monkeypatch.setattr(settings.CITYLOOP, "intake_per_phone_per_hour", 2)
    phones = ["13800000001", "138 0000 0001", "138-0000-0001"]  # one number, three spellings
    answers = [post(key, category, phone=p, address=f"10.0.1.{i}") for i, p in enumerate(phones)]
    assert [r.status_code for r in answers] == [200, 200, 429]
    assert errors_of(answers[2])[0]["cityloop_code"] == "rate_limited"
    assert post(key, category, phone="13900000002").status_code == 200


class _TwoWorkers:
    """Each lookup of the cache answers with the next of two separate cache clients, as two
    gunicorn workers would each hold their own."""

    def __init__(self):
        self.clients = [caches.create_connection("default") for _ in range(2)]
        self.turn = 0

    def __getitem__(self, alias):
        self.turn += 1
        return self.clients[self.turn % 2]


def test_a_hotline_key_is_not_limited_per_address_or_phone(
    cast, category, at_monday, settings, monkeypatch
):
    from cityloop.open311 import services

    monkeypatch.setattr(settings.CITYLOOP, "intake_per_address_per_hour", 1)
    monkeypatch.setattr(settings.CITYLOOP, "intake_per_phone_per_hour", 1)
    _client, hotline = services.key_create(
        actor=None, name="12345", account=cast.desk, source="hotline"
    )
    answers = [post(hotline, category, phone="13800000001").status_code for _ in range(3)]
    assert answers == [200, 200, 200]


def test_the_per_key_limit_is_counted_across_cache_clients(cast, settings, monkeypatch):
    from cityloop.open311 import services

    monkeypatch.setattr(ratelimit, "caches", _TwoWorkers())
    _client, key = services.key_create(
        actor=None, name="慢客户端", account=cast.resident, rate_per_minute=3
    )
    c = Client()
    answers = [c.get(f"{V2}/services.json", {"api_key": key}).status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]


def test_the_configured_cache_is_shared_between_processes(settings):
    """Another process (a second worker) counting under the same key continues the count.
    Per-process memory — the old default without Redis — would start it again at 1."""
    from cityloop import settings as site

    settings.CACHES = site._caches()  # the configured cache, without the tests' key prefix
    assert settings.CACHES["default"]["BACKEND"] != "django.core.cache.backends.locmem.LocMemCache"
    key = f"rate:test:{uuid.uuid4().hex}"
    assert ratelimit.count_hit(key, 120) == 1
    code = (
        "import django; django.setup(); from cityloop.core import ratelimit; "
        f"print(ratelimit.count_hit({key!r}, 120))"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "cityloop.settings"}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), env.get("PYTHONPATH", "")])
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "2"
    assert ratelimit.count_hit(key, 120) == 3


def test_file_cache_counts_are_exact_under_concurrent_processes(tmp_path):
    """The file cache (no Redis) locks while it counts: four processes × 25 hits = 100."""
    workers = 4
    code = (
        "import sys; from django.conf import settings; "
        "settings.configure(CACHES={'default': {'BACKEND': "
        "'cityloop.core.ratelimit.SharedFileCache', 'LOCATION': sys.argv[1]}}); "
        "import django; django.setup(); from cityloop.core import ratelimit; "
        "[ratelimit.count_hit('k', 120) for _ in range(25)]"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    procs = [
        subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], env=env)
        for _ in range(workers)
    ]
    assert [p.wait(timeout=120) for p in procs] == [0] * workers
    from cityloop.core.ratelimit import SharedFileCache

    assert SharedFileCache(str(tmp_path), {}).get("k") == 25 * workers
