"""Triage fixtures: the case-loop cast and places, a private model folder, tiny models."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.api.conftest import client_as  # noqa: F401 - API fixture shared with tests/api
from tests.cases.conftest import (  # noqa: F401 - fixtures shared with the case-loop tests
    _fast_hasher,
    _fresh_geo_index,
    at_monday,
    cast,
    category,
    new_case,
)

# The shared data folder sits beside the repository (../shared/data), never inside it.
DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "govmsg"


def govmsg(relative: str) -> Path:
    """A file of the shared real-message data; skipped (but failed in CI) when absent."""
    path = DATA / relative
    if not path.exists():
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(f"shared data missing in CI: {path}")
        pytest.skip(f"shared data not here ({path}); put ../shared/data beside the repo")
    return path


@pytest.fixture(autouse=True)
def _model_dir(settings, tmp_path, monkeypatch):
    """Each test trains into its own folder and loads nothing another test left behind."""
    from cityloop.intel import services

    monkeypatch.setattr(settings.CITYLOOP, "intel_model_dir", tmp_path / "models")
    services.forget_loaded()
    yield tmp_path / "models"
    services.forget_loaded()


# Three kinds of message, eight short ones each: enough for a model that is sure of its own
# training texts and for 2-fold cross-validation.
PILES = [
    "06小区3号楼门口乱堆物堆料，堵住消防通道",
    "楼道里堆满杂物和纸箱，消防通道被堵",
    "小区门口建筑垃圾乱堆乱放好几天了",
    "单元门口堆放大量废旧家具杂物",
    "楼下空地堆满装修垃圾没人清理",
    "消防通道上堆了很多杂物和旧沙发",
    "路边乱堆砖头沙子，占了半条路",
    "楼梯间堆满杂物，老人上下楼不方便",
]
LIGHTS = [
    "小区路灯不亮，晚上出入很黑",
    "3号楼前面的路灯坏了好几天",
    "路灯白天一直亮着，晚上反而不亮",
    "济源路上一排路灯都不亮了",
    "路灯杆倾斜，灯也不亮",
    "小区里面路灯损坏，晚上看不清路",
    "门口路灯闪烁不停，坏了",
    "晚上路灯全黑，走路摔倒了",
]
NOISE = [
    "商户晚上放音乐噪音扰民，睡不着觉",
    "楼下烧烤店夜里噪音太大",
    "工地夜间施工噪音扰民",
    "广场舞音响声音太大，影响休息",
    "楼上装修电钻噪音一直响",
    "夜宵摊吵闹到凌晨两点",
    "酒吧音乐声太大扰民",
    "半夜施工机器轰鸣，噪音很大",
]


@pytest.fixture
def categories(category):  # noqa: F811 - the imported fixture
    """The fixture's leaf (乱堆物堆料) plus two more leaves under their own main class."""
    from cityloop.cases.models import Category

    main = Category.objects.create(code="T-P01", name="公共设施(测试)", kind="event")
    light = Category.objects.create(
        code="T-P0101", name="路灯不亮(测试)", parent=main, kind="event", level="community"
    )
    noise = Category.objects.create(
        code="T-P0102", name="噪音扰民(测试)", parent=main, kind="event", level="community"
    )
    return {"piles": category, "lights": light, "noise": noise}


def train_tiny(kind: str, by_label: dict[str, list[str]], *, activate: bool = True):
    from cityloop.intel import training

    ex = training.Examples()
    for label, texts in by_label.items():
        ex.texts += texts
        ex.labels += [label] * len(texts)
    return training.train(ex, kind=kind, source="test", folds=2, activate=activate).row


@pytest.fixture
def category_model(categories):
    return train_tiny(
        "category",
        {
            categories["piles"].code: PILES,
            categories["lights"].code: LIGHTS,
            categories["noise"].code: NOISE,
        },
    )


@pytest.fixture
def unit_model(cast, tree):  # noqa: F811 - the imported fixture
    """Piles go to the street's 城管办, lights to the district bureau, noise to street B."""
    return train_tiny(
        "unit",
        {cast.cgb.code: PILES, tree.bureau.code: LIGHTS, tree.office_b.code: NOISE},
    )


class _Committed:
    """The case workflow with each call run as a committed step: the on-commit hooks (intel's
    subscribers, :mod:`cityloop.core.hooks`) run right after it, as they do in production
    once the step's transaction commits (a test's own transaction never commits)."""

    def __init__(self, module: str) -> None:
        self._module = module

    def __getattr__(self, name: str):
        import importlib

        from django.test import TestCase

        fn = getattr(importlib.import_module(self._module), name)
        if not callable(fn):
            return fn

        def run(*args, **kwargs):
            with TestCase.captureOnCommitCallbacks(execute=True):
                return fn(*args, **kwargs)

        return run


committed_workflow = _Committed("cityloop.cases.workflow")
