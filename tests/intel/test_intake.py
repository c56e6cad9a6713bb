"""Suggestions at intake, on the accept/dispatch screens, staff decisions, auto-dispatch and
the production accuracy figure."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cityloop.cases.models import Case, CaseEvent
from cityloop.core.system import system_account
from cityloop.intel import queries, services
from cityloop.intel.models import Suggestion
from tests.cases.conftest import IN_COMPOUND
from tests.intel.conftest import committed_workflow as workflow

pytestmark = pytest.mark.django_db


def report(cast, text: str, category=None) -> Case:
    return workflow.report(
        actor=cast.resident,
        source="resident",
        description=text,
        category=category,
        lng=IN_COMPOUND[0],
        lat=IN_COMPOUND[1],
    )


def test_without_a_model_intake_works_and_suggests_nothing(cast, categories, at_monday):
    case = report(cast, "楼道堆满杂物")
    assert case.status == Case.Status.REPORTED
    assert not Suggestion.objects.exists()


def test_a_broken_model_file_never_breaks_intake(cast, category_model, at_monday):
    services.forget_loaded()
    services.model_file(category_model).write_bytes(b"broken")
    case = report(cast, "楼道堆满杂物")
    assert Case.objects.filter(pk=case.pk).exists()
    assert not Suggestion.objects.exists()


def test_report_records_category_and_unit_suggestions(
    cast, categories, category_model, unit_model, at_monday
):
    case = report(cast, "3号楼楼道里堆满杂物纸箱，消防通道被堵死")
    got = {s.kind: s for s in Suggestion.objects.filter(case=case)}
    assert got["category"].target_id == categories["piles"].pk
    assert got["category"].model_version == category_model.version == 1
    assert got["unit"].target_id == cast.cgb.pk
    assert got["unit"].target_name == "城管办"
    assert 0.5 < got["category"].confidence <= 1
    assert got["category"].outcome == Suggestion.Outcome.PENDING


def test_accept_screen_shows_the_suggestion_with_confidence_and_preselects_it(
    client, cast, categories, category_model, unit_model, at_monday
):
    case = report(cast, "3号楼楼道里堆满杂物纸箱，消防通道被堵死")
    client.force_login(cast.desk)
    html = client.get(reverse("cases:action", args=[case.pk, "accept"])).content.decode()
    s = Suggestion.objects.get(case=case, kind="category")
    assert 'data-suggestion="category"' in html
    assert str(categories["piles"]) in html
    assert f"{round(s.confidence * 100)}%" in html
    assert f'<option value="{categories["piles"].pk}" selected>' in html


def test_accept_as_suggested_then_dispatch_elsewhere_is_recorded(
    cast, categories, category_model, unit_model, tree, at_monday
):
    case = report(cast, "3号楼楼道里堆满杂物纸箱，消防通道被堵死")
    workflow.accept(actor=cast.desk, case_id=case.pk, category=categories["piles"])
    workflow.dispatch(actor=cast.desk, case_id=case.pk, unit=tree.office_a)
    cat = Suggestion.objects.get(case=case, kind="category")
    unit = Suggestion.objects.get(case=case, kind="unit")
    assert (cat.outcome, cat.final_id, cat.decided_by) == (
        "accepted",
        categories["piles"].pk,
        cast.desk,
    )
    assert (unit.outcome, unit.final_name, unit.auto) == ("changed", "济源路街道办事处", False)
    acc = queries.production_accuracy(cast.desk, since=at_monday.date(), until=at_monday.date())
    assert (acc["category"].decided, acc["category"].accepted, acc["category"].rate) == (1, 1, 1.0)
    assert (acc["unit"].decided, acc["unit"].changed, acc["unit"].rate) == (1, 1, 0.0)
    # Out of scope: street B's desk sees no suggestion of street A's cases.
    other = queries.production_accuracy(
        cast.outsider, since=at_monday.date(), until=at_monday.date()
    )
    assert other["category"].decided == 0


def test_desk_intake_accepted_on_entry_records_its_category_as_the_decision(
    cast, categories, category_model, at_monday
):
    case = workflow.report(
        actor=cast.desk,
        source="desk",
        description="3号楼楼道里堆满杂物纸箱，消防通道被堵死",
        category=categories["piles"],
        lng=IN_COMPOUND[0],
        lat=IN_COMPOUND[1],
        accept=True,
    )
    assert case.status == Case.Status.ACCEPTED
    s = Suggestion.objects.get(case=case, kind="category")
    assert (s.outcome, s.decided_by) == ("accepted", cast.desk)


def test_changing_the_category_at_accept_counts_as_changed(
    cast, categories, category_model, at_monday
):
    case = report(cast, "3号楼楼道里堆满杂物纸箱，消防通道被堵死")
    workflow.accept(actor=cast.desk, case_id=case.pk, category=categories["noise"])
    s = Suggestion.objects.get(case=case, kind="category")
    assert (s.outcome, s.final_id) == ("changed", categories["noise"].pk)


def test_a_model_of_main_categories_is_kept_when_staff_pick_one_of_its_leaves(
    cast, categories, at_monday
):
    from tests.intel.conftest import LIGHTS, NOISE, PILES, train_tiny

    # Labels are main-category names, as in a CSV of 一级分类.
    train_tiny("category", {"市容环境(测试)": PILES, "公共设施(测试)": LIGHTS + NOISE})
    case = report(cast, "晚上小区路灯全都不亮")
    s = Suggestion.objects.get(case=case, kind="category")
    assert s.target_id == categories["lights"].parent_id
    workflow.accept(actor=cast.desk, case_id=case.pk, category=categories["lights"])
    s.refresh_from_db()
    assert s.outcome == "accepted"


def test_auto_dispatch_is_off_by_default(cast, categories, category_model, unit_model, at_monday):
    case = report(cast, "3号楼楼道里堆满杂物纸箱，消防通道被堵死")
    assert Case.objects.get(pk=case.pk).status == Case.Status.REPORTED


@pytest.fixture
def auto_on(settings, categories, monkeypatch):
    cfg = settings.CITYLOOP
    monkeypatch.setattr(cfg, "intel_auto_dispatch", True)
    monkeypatch.setattr(cfg, "intel_auto_dispatch_confidence", 0.5)
    monkeypatch.setattr(cfg, "intel_auto_dispatch_categories", [categories["piles"].parent.code])
    return cfg


def test_auto_dispatch_goes_through_the_workflow_as_the_system_account(
    cast, categories, category_model, unit_model, auto_on, at_monday
):
    case = report(cast, "3号楼楼道里堆满杂物纸箱，消防通道被堵死")
    case.refresh_from_db()
    assert case.status == Case.Status.DISPATCHED
    assert (case.category, case.responsible_unit) == (categories["piles"], cast.cgb)
    events = {e.verb: e for e in CaseEvent.objects.filter(case=case)}
    bot = system_account()
    assert events["accept"].actor == bot and events["dispatch"].actor == bot
    assert "v1" in events["dispatch"].note and categories["piles"].name in events["dispatch"].note
    assert not bot.has_usable_password()
    s = Suggestion.objects.get(case=case, kind="unit")
    assert (s.outcome, s.auto) == ("accepted", True)


def test_auto_dispatch_skips_other_categories_and_unsure_suggestions(
    cast, categories, category_model, unit_model, auto_on, monkeypatch, at_monday
):
    lights = report(cast, "晚上小区路灯全都不亮")  # not a configured category
    assert Case.objects.get(pk=lights.pk).status == Case.Status.REPORTED
    monkeypatch.setattr(auto_on, "intel_auto_dispatch_confidence", 0.999)
    piles = report(cast, "3号楼楼道里堆满杂物纸箱，消防通道被堵死")
    assert Case.objects.get(pk=piles.pk).status == Case.Status.REPORTED


def test_dashboard_shows_the_production_accuracy_card(
    client, cast, categories, category_model, at_monday
):
    case = report(cast, "3号楼楼道里堆满杂物纸箱，消防通道被堵死")
    workflow.accept(actor=cast.desk, case_id=case.pk, category=categories["piles"])
    client.force_login(cast.desk)
    html = client.get(reverse("home")).content.decode()
    assert 'data-card="intel_accuracy"' in html
    assert "100.0%" in html and "1 / 1" in html
    page = client.get(reverse("intel:overview")).content.decode()
    assert 'data-kind="category"' in page and 'data-model="category-1"' in page
    client.force_login(cast.resident)
    assert client.get(reverse("intel:overview")).status_code == 403


# --- suggestions follow the intake after it committed (cityloop.core.hooks) ---------------------


def test_the_classifier_does_not_run_inside_the_intake_transaction(
    cast, categories, category_model, monkeypatch, at_monday, django_capture_on_commit_callbacks
):
    from cityloop.cases import workflow as plain

    calls = []
    real = services.suggest_for_case
    monkeypatch.setattr(services, "suggest_for_case", lambda case: calls.append(case) or real(case))
    with django_capture_on_commit_callbacks(execute=False) as pending:
        case = plain.report(
            actor=cast.resident,
            source="resident",
            description="3号楼楼道里堆满杂物纸箱，消防通道被堵死",
            lng=IN_COMPOUND[0],
            lat=IN_COMPOUND[1],
        )
    # The intake is done and nothing has asked the model: it waits for the commit.
    assert calls == [] and not Suggestion.objects.filter(case=case).exists()
    assert len(pending) == 1
    for callback in pending:  # what the commit runs
        callback()
    assert [c.pk for c in calls] == [case.pk]
    assert Suggestion.objects.get(case=case, kind="category").target_id == categories["piles"].pk


def test_a_failure_after_commit_is_retried_and_the_suggestion_stored(
    cast, categories, category_model, monkeypatch, at_monday, caplog
):
    real, attempts = services.suggest_for_case, []

    def flaky(case):
        attempts.append(case.pk)
        if len(attempts) == 1:
            raise RuntimeError("model server hiccup")
        return real(case)

    monkeypatch.setattr(services, "suggest_for_case", flaky)
    with caplog.at_level("WARNING", logger="cityloop.hooks"):
        case = report(cast, "3号楼楼道里堆满杂物纸箱，消防通道被堵死")
    assert attempts == [case.pk, case.pk]
    assert Suggestion.objects.get(case=case, kind="category").target_id == categories["piles"].pk
    assert "attempt 1 of 3" in caplog.text and "given up" not in caplog.text


@pytest.mark.django_db(transaction=True)
def test_a_raising_classifier_is_logged_and_retried_never_a_500(
    cast, categories, category_model, monkeypatch, at_monday, caplog, client_as
):
    """Real commits (no test transaction): the API answers 201, the case is stored, the
    classifier was tried ATTEMPTS times after the commit and the failure is in the log."""
    from cityloop.core import hooks

    attempts = []

    def broken(case):
        attempts.append(case.pk)
        raise RuntimeError("classifier exploded")

    monkeypatch.setattr(services, "suggest_for_case", broken)
    body = {
        "source": "resident",
        "description": "3号楼楼道里堆满杂物纸箱，消防通道被堵死",
        "lng": IN_COMPOUND[0],
        "lat": IN_COMPOUND[1],
    }
    with caplog.at_level("WARNING", logger="cityloop.hooks"):
        r = client_as(cast.resident).post("/cases", body)
    assert r.status_code == 201, r.content
    case = Case.objects.get(pk=r.json()["id"])
    assert case.status == Case.Status.REPORTED
    assert attempts == [case.pk] * hooks.ATTEMPTS == [case.pk] * 3
    assert "classifier exploded" in caplog.text
    assert "failed 3 times; given up" in caplog.text
    assert not Suggestion.objects.exists()


def _hotline_file(tmp_path, texts: list[str]):
    lng, lat = IN_COMPOUND
    lines = ["工单编号,诉求内容,经度,纬度"]
    lines += [f"H-{i},{text},{lng},{lat}" for i, text in enumerate(texts, start=1)]
    path = tmp_path / "hotline.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_hotline_import_asks_the_model_about_every_work_order_after_commit(
    tree,
    make_account,
    categories,
    category_model,
    at_monday,
    tmp_path,
    django_capture_on_commit_callbacks,
):
    from cityloop.cases.importers import run_import

    desk = make_account("hotdesk", roles=("street_staff",), unit=tree.office_a)
    path = _hotline_file(tmp_path, ["3号楼楼道里堆满杂物纸箱，消防通道被堵死"] * 2)
    with django_capture_on_commit_callbacks(execute=True) as pending:
        assert run_import("hotline", path, actor=desk).ok
    hooks = [c for c in pending if c.__qualname__.startswith("hooks[")]
    assert [c.__qualname__.split(":")[0] for c in hooks] == ["hooks[case.reported]*2"]
    cases = Case.objects.filter(source="hotline")
    got = {s.case_id: s.target_id for s in Suggestion.objects.filter(kind="category")}
    assert got == {c.pk: categories["piles"].pk for c in cases}


def test_without_a_model_an_import_runs_no_suggestion_step(
    tree,
    make_account,
    categories,
    at_monday,
    tmp_path,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    from cityloop.cases.importers import run_import

    calls = []
    monkeypatch.setattr(services, "case_reported", lambda case, actor=None: calls.append(case))
    desk = make_account("hotdesk", roles=("street_staff",), unit=tree.office_a)
    with django_capture_on_commit_callbacks(execute=True):
        assert run_import(
            "hotline", _hotline_file(tmp_path, ["井盖丢了", "路灯不亮"]), actor=desk
        ).ok
    assert Case.objects.filter(source="hotline").count() == 2
    assert calls == []
