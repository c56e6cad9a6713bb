"""`cityloop intel …`: train from CSV and from cases, eval's last line, streamed predict,
hotspots, and the registry (versions, activate, rollback); agency-name normalising."""

from __future__ import annotations

import csv
import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from cityloop.intel import labels, services
from cityloop.intel.models import TriageModel
from tests.intel.conftest import LIGHTS, NOISE, PILES

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command("intel", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def labelled_csv(tmp_path):
    path = tmp_path / "train.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(["text", "label"])
        for label, texts in (("乱堆", PILES), ("路灯", LIGHTS), ("噪音", NOISE)):
            for t in texts:
                w.writerow([t, label])
        w.writerow(["", "噪音"])  # no text: skipped with its line
    return path


def test_train_eval_predict_from_csv(labelled_csv, tmp_path):
    out = run("train", "--csv", str(labelled_csv), "--folds", "2")
    assert "skipped line 26" in out
    assert re.search(r"cv_macro_f1=0\.\d{4} cv_accuracy=0\.\d{4} ms_per_msg=\d", out)
    row = TriageModel.objects.get()
    assert (row.kind, row.version, row.is_active, row.metrics["samples"]) == (
        "category",
        1,
        True,
        24,
    )
    assert services.model_file(row).exists()

    last = run("eval", "--csv", str(labelled_csv)).strip().splitlines()[-1]
    assert re.fullmatch(r"macro_f1=(\d\.\d{4}) accuracy=(\d\.\d{4}) ms_per_msg=\d+\.\d{2}", last)
    assert float(last.split()[0].split("=")[1]) >= 0.9  # its own training texts

    target = tmp_path / "out.csv"
    run("predict", "--input", str(labelled_csv), "--output", str(target))
    with target.open(encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 25
    assert list(rows[0]) == ["text", "label", "predicted_label", "confidence"]
    assert rows[8]["predicted_label"] == "路灯" and 0 < float(rows[8]["confidence"]) <= 1


def test_bad_columns_and_no_model_are_clear_errors(labelled_csv):
    with pytest.raises(CommandError, match="content"):
        run("train", "--csv", str(labelled_csv), "--text-col", "content")
    with pytest.raises(CommandError, match="no active category model"):
        run("eval", "--csv", str(labelled_csv))


def test_versions_activate_and_rollback(labelled_csv):
    run("train", "--csv", str(labelled_csv), "--folds", "2")
    run("train", "--csv", str(labelled_csv), "--folds", "2", "--no-activate")
    v1, v2 = TriageModel.objects.order_by("version")
    assert (v1.is_active, v2.is_active) == (True, False)
    assert "active: category v2" in run("models", "activate", "category", "2")
    assert "active: category v1" in run("models", "rollback", "category")
    listing = run("models", "list")
    assert "v1" in listing and "v2" in listing
    with pytest.raises(CommandError):
        run("models", "rollback", "unit")
    assert TriageModel.objects.filter(is_active=True).count() == 1


def test_train_from_closed_cases(cast, categories, at_monday):
    from cityloop.cases import workflow
    from tests.cases.conftest import IN_COMPOUND

    for cat, texts in ((categories["piles"], PILES[:4]), (categories["lights"], LIGHTS[:4])):
        for text in texts:
            case = workflow.report(
                actor=cast.resident,
                source="resident",
                description=text,
                category=cat,
                lng=IN_COMPOUND[0],
                lat=IN_COMPOUND[1],
            )
            workflow.accept(actor=cast.desk, case_id=case.pk)
            workflow.dispatch(actor=cast.desk, case_id=case.pk, unit=cast.cgb)
            workflow.reply(actor=cast.handler, case_id=case.pk, result="已清理")
            workflow.verify(actor=cast.verifier, case_id=case.pk, passed=True)
    out = run("train", "--from-cases", "--folds", "2")
    assert "examples: 8, 标签 labels: 2" in out.replace("样本 ", "")
    row = TriageModel.objects.get(kind="category")
    assert sorted(row.labels) == sorted([categories["piles"].code, categories["lights"].code])
    # Every closed case went to the same unit: one label is not enough for a unit model.
    with pytest.raises(CommandError, match="两个标签"):  # the message in the UI language
        run("train", "--from-cases", "--kind", "unit")


def test_agency_names_are_normalised():
    n = labels.normalise_agency
    assert n("商洛市公安局交通警察支队", city="商洛市") == n("市交警支队") == "市交警支队"
    assert n("商洛市人力资源和社会保障局", city="商洛市") == "市人社局"
    assert n("商州区人民政府办公室") == n("商州区政府办") == "商州区政府办"
    assert n("信息办") == n("商洛市信息办", city="商洛市") == "市信息办"
    assert n("市城管局 市交警支队") == "市城管局"  # the first of a list is the lead unit


def test_resolve_unit_by_code_name_or_normalised_name(tree):
    assert labels.resolve_unit("QZJJ") == tree.bureau
    assert labels.resolve_unit("区住建局") == tree.bureau
    assert labels.resolve_unit("区住房和城乡建设局") == tree.bureau
    assert labels.resolve_unit("不存在的单位") is None
