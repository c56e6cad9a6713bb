"""The fault servers' databases are copies of the session's migrated template
(tests/faults/template.py): every migration applied, the seeds the data migrations write,
and no row of anyone's test."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder

from cityloop.cases.models import Category
from cityloop.core.models import WorkCalendarDay
from tests.faults.server import server_database


def test_a_server_database_is_a_migrated_copy_with_the_seeds_and_nothing_else(
    migrated_template, tmp_path, db, request
):
    if request.getfixturevalue("django_db_keepdb"):
        pytest.skip("--reuse-db: the test database may hold rows, so no template is taken")
    if not request.getfixturevalue("django_db_use_migrations"):
        pytest.skip("--nomigrations: the test database is not what migrate makes")
    assert migrated_template is not None
    assert migrated_template.vendor == connection.vendor
    executor = MigrationExecutor(connection)
    assert executor.migration_plan(executor.loader.graph.leaf_nodes()) == []
    applied = set(MigrationRecorder(connection).applied_migrations())

    database = server_database(tmp_path, migrated_template)
    try:
        assert database.migrated
        copied = set(database.rows("SELECT app, name FROM django_migrations"))
        categories = database.rows(f"SELECT COUNT(*) FROM {Category._meta.db_table}")[0][0]
        days = database.rows(f"SELECT COUNT(*) FROM {WorkCalendarDay._meta.db_table}")[0][0]
        users = database.rows(f"SELECT COUNT(*) FROM {get_user_model()._meta.db_table}")[0][0]
        cases = database.rows("SELECT COUNT(*) FROM cases_case")[0][0]
    finally:
        database.drop()
    assert copied == applied
    assert categories == Category.objects.count() > 0
    assert days == WorkCalendarDay.objects.count() > 0
    assert (users, cases) == (0, 0)
