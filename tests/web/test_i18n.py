"""The zh_Hans catalog covers every msgid in the tree, and the compiled catalog is active."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

ROOT = Path(__file__).resolve().parents[2]


def load_i18n():
    spec = importlib.util.spec_from_file_location("cityloop_i18n", ROOT / "scripts" / "i18n.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being built
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def i18n():
    return load_i18n()


def test_every_msgid_has_a_chinese_translation(i18n):
    found = i18n.extract()
    assert len(found) > 100  # the extractor really walked the tree
    problems = i18n.problems(found, i18n.read_translations(i18n.CATALOG))
    assert problems == [], "run `python scripts/i18n.py` and translate:\n" + "\n".join(problems)


def test_extractor_reads_python_and_templates(i18n):
    keys = {k.msgid for k in i18n.extract()}
    assert "Unmanaged" in keys  # TextChoices label in org/models.py
    assert "geometry (GeoJSON, WGS-84)" in keys  # field verbose_name
    assert "Search places by name or code" in keys  # {% translate %} in a template
    assert "All %(n)s zones" in keys  # {% blocktranslate with n=… %}
    assert any(k.startswith("Too many failed log-in attempts (%(failure_limit)s).") for k in keys)


def test_extractor_handles_context_plural_and_trimmed(i18n, tmp_path):
    py = tmp_path / "m.py"
    py.write_text(
        "from django.utils.translation import gettext as _, pgettext, ngettext\n"
        "_('One')\npgettext('verb', 'Open')\nngettext('%(n)d case', '%(n)d cases', 2)\n"
        "_(name)\n"
    )
    html = tmp_path / "t.html"
    html.write_text(
        "{% load i18n %}{% translate 'Two' context 'menu' %}{% trans \"Three\" %}"
        "{% blocktranslate trimmed count n=c %}\n  One {{ n }}\n  thing\n{% plural %}"
        "{{ n }} things{% endblocktranslate %}"
    )
    py_keys = {k for k, _line in i18n.extract_python(py)}
    assert i18n.Key("One") in py_keys
    assert i18n.Key("Open", "verb") in py_keys
    assert i18n.Key("%(n)d case", None, "%(n)d cases") in py_keys
    assert len(py_keys) == 3  # a variable argument is skipped
    tpl_keys = {k for k, _line in i18n.extract_template(html)}
    assert tpl_keys == {
        i18n.Key("Two", "menu"),
        i18n.Key("Three"),
        i18n.Key("One %(n)s thing", None, "%(n)s things"),
    }


def test_check_reports_missing_and_bad_placeholders(i18n):
    found = {
        i18n.Key("Ok"): i18n.Found(i18n.Key("Ok"), [("x.py", 1)]),
        i18n.Key("Gone"): i18n.Found(i18n.Key("Gone"), [("x.py", 2)]),
        i18n.Key("%(n)d left"): i18n.Found(i18n.Key("%(n)d left"), [("x.py", 3)]),
    }
    translations = {i18n.Key("Ok"): "好", i18n.Key("%(n)d left"): "剩余"}
    problems = i18n.problems(found, translations)
    assert len(problems) == 2
    assert problems[0].startswith("missing: 'Gone'") or problems[1].startswith("missing: 'Gone'")
    assert any(p.startswith("placeholders differ") for p in problems)


def test_compiled_catalog_is_active_by_default():
    mo = ROOT / "src/cityloop/locale/zh_Hans/LC_MESSAGES/django.mo"
    assert mo.exists(), "compile the catalog first: make messages"
    assert settings.LANGUAGE_CODE == "zh-hans"
    with translation.override(settings.LANGUAGE_CODE):
        assert translation.gettext("Log in") == "登录"
        assert translation.gettext("Unmanaged") == "无主管"
    with translation.override("en"):
        assert translation.gettext("Log in") == "Log in"


def test_catalog_header(i18n):
    text = i18n.CATALOG.read_text(encoding="utf-8")
    assert '"Language: zh_Hans\\n"' in text
    assert '"Plural-Forms: nplurals=1; plural=0;\\n"' in text
