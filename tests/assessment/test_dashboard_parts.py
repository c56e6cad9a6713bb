"""The leader's dashboard reads the case and task figures the loops register (their
indicators.py), not the loops' tables; the counts are the desk's scoped ones."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.test import Client

from cityloop.assessment import indicators, queries

pytestmark = pytest.mark.django_db


def test_the_loops_register_their_indicators_and_parts():
    by_app = {i.name: i.app for i in indicators.known()}
    for name in ("on_time_close_rate", "reopen_rate", "satisfaction_rate", "reported", "closed"):
        assert by_app[name] == "cases"
    for name in ("blue_task_share", "overdue_rectifications", "inspection_findings", "summons"):
        assert by_app[name] == "supervision"
    assert {"case", "task"} <= set(queries._OPENABLE)
    assert {"cases", "tasks"} <= set(queries._DASHBOARD)


def test_the_dashboard_shows_the_registered_figures_in_scope(zxl, play, make_account):
    play(zxl.sw, close=False, day=date(2020, 6, 1))
    play(zxl.zx, close=False, day=date(2020, 6, 2))
    parts = queries.dashboard_parts(zxl.desk)
    assert parts["cases"]["total_cases"] == 2
    assert parts["cases"]["case_states"][0][0] == "dispatched"
    assert queries.dashboard_parts(zxl.outsider)["cases"]["total_cases"] == 0
    client = Client()
    client.force_login(make_account("zxl-leader", roles=("street_staff",), unit=zxl.office))
    html = client.get("/assessment/dashboard/").content.decode()
    assert re.findall(r'\?status=dispatched">(\d+)<', html) == ["2"]
    assert 'data-count="task-red"' in html
