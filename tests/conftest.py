"""Shared fixtures: a small two-street district built through the real services."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, settings

PASSWORD = "test-pass-123"

# Property tests check answers, not speed: on a shared 2-core machine generating inputs can be
# slow, and a timing health check or deadline would fail a correct run.
settings.register_profile("cityloop", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("cityloop")


@pytest.fixture(autouse=True)
def _fresh_caches():
    """Calendar rows written and rolled back by one test must not be served to the next."""
    from cityloop.core import geo, worktime
    from cityloop.intel import services as triage

    geo.invalidate()  # a rollback fires no signal, so the spatial index must be told
    triage.forget_loaded()  # nor the cached active triage models
    worktime.invalidate_cache()
    worktime._warned_years.clear()  # so a test can see the once-per-year warning
    yield
    worktime.invalidate_cache()


@pytest.fixture(autouse=True)
def _fresh_rate_counts(settings):
    """Rate counts live in the shared cache (a file cache in the data directory, or Redis),
    which outlives a test and a run: each test counts under its own key prefix."""
    import uuid

    settings.CACHES = {
        alias: {**conf, "KEY_PREFIX": f"{conf.get('KEY_PREFIX', '')}t{uuid.uuid4().hex[:12]}"}
        for alias, conf in settings.CACHES.items()
    }


@pytest.fixture(scope="session")
def django_db_setup(
    django_db_setup,
    django_db_blocker,
    django_db_keepdb,
    django_db_use_migrations,
    request,
    tmp_path_factory,
):
    """pytest-django's test databases; and, right after their migration and before any test
    writes, the copy the fault tests' servers start from when a collected test asks for it
    (tests/faults/template.py: one migration for the session instead of one per server)."""
    from tests.faults import template

    wanted = template.wanted(request.session.items)
    if wanted and django_db_use_migrations and not django_db_keepdb:
        with django_db_blocker.unblock():
            template.snapshot(tmp_path_factory.mktemp("template"))
    restore = _flush_by_delete_on_postgresql()
    try:
        yield
    finally:
        restore()
        with django_db_blocker.unblock():
            template.drop()


def _flush_by_delete_on_postgresql():
    """After each transactional test Django empties every table (``flush``); on PostgreSQL
    that is one TRUNCATE of ~150 tables, which makes and syncs new files for each: 5–7 s on
    the loaded CI machine, against 0.2–0.3 s for a DELETE from each table, which leaves the
    same empty tables for the few rows a test writes. Every foreign key is DEFERRABLE (Django
    makes them so), so one transaction with the constraints deferred needs no order. Sequences
    are not reset either way (a test that asks for ``reset_sequences`` keeps TRUNCATE).
    Returns the function that puts Django's own back."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return lambda: None
    from django.db.backends.postgresql.operations import DatabaseOperations

    truncate = DatabaseOperations.sql_flush

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        if reset_sequences or allow_cascade or not tables:
            return truncate(
                self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
            )
        deletes = [f"{style.SQL_KEYWORD('DELETE FROM')} {self.quote_name(t)};" for t in tables]
        return ["SET CONSTRAINTS ALL DEFERRED;", *deletes]

    DatabaseOperations.sql_flush = sql_flush

    def restore() -> None:
        DatabaseOperations.sql_flush = truncate

    return restore


@pytest.fixture
def seeded_calendar(transactional_db):
    """For transactional tests (the browser): the flush after each one empties every table,
    the seeded work calendar and categories included, so seed them again when missing. Django's
    ``serialized_rollback`` would restore it too, but it inserts into a database that is not
    empty yet and fails on the content types."""
    reseed_after_flush()


def reseed_after_flush() -> None:
    """What the data migrations seed (calendar, categories, task kinds, project types, output
    kinds, patrol frequencies), written again where a transactional test's flush took it."""
    from cityloop.cases.models import Category
    from cityloop.cases.services import seed_categories
    from cityloop.core import worktime
    from cityloop.core.calendar import SEEDED_YEARS, seed_years
    from cityloop.core.models import WorkCalendarDay, WorkCalendarYear

    if not WorkCalendarYear.objects.exists():
        seed_years(WorkCalendarYear, WorkCalendarDay, SEEDED_YEARS)
        worktime.invalidate_cache()
    if not Category.objects.exists():  # the seeded categories went with the same flush
        seed_categories(Category)
    from cityloop.supervision.models import LightPolicy, TaskCategory, TaskKind
    from cityloop.supervision.services import seed as seed_supervision

    if not TaskKind.objects.exists():
        seed_supervision(TaskKind, TaskCategory)
        LightPolicy.objects.get_or_create(active=True, defaults={"name": "默认规则"})
    from cityloop.campaigns.models import OutputKind
    from cityloop.campaigns.services import seed as seed_campaigns
    from cityloop.projects.models import ProjectType, RequestKind
    from cityloop.projects.services import seed as seed_projects

    if not ProjectType.objects.exists():
        seed_projects(ProjectType, RequestKind)
    if not OutputKind.objects.exists():
        seed_campaigns(OutputKind)
    from cityloop.patrols.models import PatrolRequirement
    from cityloop.patrols.services import seed as seed_patrols

    if not PatrolRequirement.objects.exists():
        seed_patrols(PatrolRequirement)


@pytest.fixture(scope="session")
def shared_demo(django_db_setup, django_db_blocker):
    """The whole demo as ``cityloop demo`` loads it (frame, cases, supervision, patrols,
    meetings, rounds, duty, then projects and campaigns, deliberation, assessment and
    bulletins), built once for the session inside a transaction rolled back at its end.

    Modules that only read the demo share it (each test in its own savepoint); modules that
    reset or reload the demo, or check a partial load, keep their own load
    (``tests.demo.conftest.demo_load_once``). The tests using it run last (see
    :func:`pytest_collection_modifyitems`), so the open transaction never meets a test
    that expects an empty database or a flush."""
    from cityloop.demo import deliberation as demo_deliberation
    from cityloop.demo import projects as demo_projects
    from cityloop.demo.assessment import load_assessment
    from tests.demo.conftest import demo_load_once

    with django_db_blocker.unblock():
        # These tests run after the transactional ones, whose flushes emptied the seeds.
        reseed_after_flush()
    with demo_load_once(django_db_blocker) as result:
        with django_db_blocker.unblock():
            result["projects"] = demo_projects.run()
            result["deliberation"] = demo_deliberation.ensure()
            started = time.perf_counter()
            result["assessment"] = load_assessment()
            result["assessment_seconds"] = time.perf_counter() - started
        yield result


@pytest.hookimpl(trylast=True)  # after pytest-django's own reordering (it runs first)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests on the shared demo go last, in their order: its session transaction opens at
    the first of them and stays open to the end of the run."""
    shared = [i for i in items if "shared_demo" in getattr(i, "fixturenames", ())]
    if shared and shared != items[-len(shared) :]:
        ids = {id(i) for i in shared}
        items[:] = [i for i in items if id(i) not in ids] + shared


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@dataclass
class Tree:
    district: object
    street_a: object
    street_b: object
    community_a: object
    community_b: object
    compound_a: object
    compound_b: object
    building_a: object
    office_a: object  # street office of street A
    office_b: object
    bureau: object
    road_a: object
    road_b: object


def _square(lng: float, lat: float, d: float = 0.002) -> dict:
    return {
        "type": "Polygon",
        "coordinates": [
            [[lng, lat], [lng + d, lat], [lng + d, lat + d], [lng, lat + d], [lng, lat]]
        ],
    }


@pytest.fixture
def tree(db) -> Tree:
    from cityloop.org import services as s

    a = None
    district, _ = s.place_save(
        actor=a,
        code="410106",
        name="上街区",
        kind="district",
        geometry_json=_square(113.26, 34.78, 0.06),
    )
    street_a, _ = s.place_save(
        actor=a,
        code="410106001",
        name="济源路街道",
        kind="street",
        parent=district,
        geometry_json=_square(113.26, 34.78, 0.03),
    )
    street_b, _ = s.place_save(
        actor=a,
        code="410106002",
        name="中心路街道",
        kind="street",
        parent=district,
        geometry_json=_square(113.29, 34.78, 0.03),
    )
    community_a, _ = s.place_save(
        actor=a,
        code="410106001001",
        name="新华街社区",
        kind="community",
        parent=street_a,
        geometry_json=_square(113.26, 34.78, 0.01),
    )
    community_b, _ = s.place_save(
        actor=a,
        code="410106002001",
        name="三湾街社区",
        kind="community",
        parent=street_b,
        geometry_json=_square(113.29, 34.78, 0.01),
    )
    compound_a, _ = s.place_save(
        actor=a,
        code="410106001001001",
        name="06小区",
        kind="compound",
        parent=community_a,
        management="unmanaged",
        geometry_json=_square(113.261, 34.781, 0.002),
    )
    compound_b, _ = s.place_save(
        actor=a,
        code="410106002001001",
        name="鸿泰花园",
        kind="compound",
        parent=community_b,
        management="owners_committee",
        geometry_json=_square(113.291, 34.781, 0.002),
    )
    building_a, _ = s.place_save(
        actor=a,
        code="410106001001001-01",
        name="1号楼",
        kind="building",
        parent=compound_a,
        geometry_json={"type": "Point", "coordinates": [113.2615, 34.7815]},
    )
    bureau, _ = s.unit_save(actor=a, code="QZJJ", name="区住建局", kind="bureau", place=district)
    office_a, _ = s.unit_save(
        actor=a, code="JYL", name="济源路街道办事处", kind="street_office", place=street_a
    )
    office_b, _ = s.unit_save(
        actor=a, code="ZXL", name="中心路街道办事处", kind="street_office", place=street_b
    )
    road_a, _ = s.zone_save(
        actor=a,
        code="R-A1",
        name="济源路",
        kind="road",
        place=street_a,
        geometry_json={"type": "LineString", "coordinates": [[113.262, 34.785], [113.275, 34.785]]},
    )
    road_b, _ = s.zone_save(
        actor=a,
        code="R-B1",
        name="中心路",
        kind="road",
        place=street_b,
        geometry_json={"type": "LineString", "coordinates": [[113.292, 34.785], [113.305, 34.785]]},
    )
    return Tree(
        district,
        street_a,
        street_b,
        community_a,
        community_b,
        compound_a,
        compound_b,
        building_a,
        office_a,
        office_b,
        bureau,
        road_a,
        road_b,
    )


@pytest.fixture
def make_account(db):
    from cityloop.org import services as s

    def make(username: str, *, roles=("street_staff",), unit=None, place=None, superuser=False):
        return s.account_save(
            actor=None,
            username=username,
            password=PASSWORD,
            unit=unit,
            place=place,
            roles=list(roles),
            is_superuser=superuser,
        )

    return make


@pytest.fixture
def street_a_user(tree, make_account):
    return make_account("jyl-staff", unit=tree.office_a)


@pytest.fixture
def street_b_user(tree, make_account):
    return make_account("zxl-staff", unit=tree.office_b)
