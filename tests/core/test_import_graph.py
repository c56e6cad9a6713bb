"""The import graph between apps has no cycle at all (scripts/import_graph.py reads it from
the AST, lazy imports included).

The last back edge, core → org, is gone: the organisation app registers its models with the
kernel (core.orgmodels) in its ready(), and ``cityloop user`` lives in org. KNOWN_BACK_EDGES
stays empty: an app below registers nothing it imports from above.
"""

from __future__ import annotations

import pytest

from tests.core.scripts import load_script

# (from app, to app): why it is still there.
KNOWN_BACK_EDGES: dict[tuple[str, str], str] = {}


@pytest.fixture(scope="module")
def graph():
    return load_script("import_graph")


def test_no_cycle_between_apps(graph):
    edges = graph.edges()
    rest = {e: where for e, where in edges.items() if e not in KNOWN_BACK_EDGES}
    found = graph.cycles(rest)
    detail = [" -> ".join(graph.loop_in(c, rest)) for c in found]
    assert found == [], f"import cycle between apps: {detail}"


def test_the_whole_graph_has_no_cycle(graph):
    """No exception list at all: every edge of the code counts."""
    edges = graph.edges()
    found = graph.cycles(edges)
    assert found == [], [" -> ".join(graph.loop_in(c, edges)) for c in found]
    assert ("core", "org") not in edges, edges.get(("core", "org"))
    assert ("org", "core") in edges  # org builds on the kernel


def test_the_kernel_reads_the_organisation_models_org_registered():
    from cityloop.core import orgmodels
    from cityloop.org import models

    assert orgmodels.get("Person") is models.Person
    assert orgmodels.get("Place", "Unit", "Zone") == (models.Place, models.Unit, models.Zone)
    with pytest.raises(ValueError):
        orgmodels.register(Case=object)


def test_every_known_back_edge_still_exists(graph):
    edges = graph.edges()
    gone = sorted(e for e in KNOWN_BACK_EDGES if e not in edges)
    assert gone == [], f"cut from the code, now drop from KNOWN_BACK_EDGES: {gone}"


def test_cases_and_intel_do_not_import_each_other(graph):
    edges = graph.edges()
    assert ("intel", "cases") in edges  # intel builds on the case loop
    assert ("cases", "intel") not in edges, edges.get(("cases", "intel"))


def test_the_graph_finds_a_cycle_it_is_given(graph):
    """The detector itself: a made-up loop is found, with its path."""
    made_up = {("a", "b"): ["a.py:1"], ("b", "c"): ["b.py:1"], ("c", "a"): ["c.py:1"]}
    made_up[("c", "d")] = ["c.py:2"]
    assert graph.cycles(made_up) == [["a", "b", "c"]]
    assert graph.loop_in(["a", "b", "c"], made_up) == ["a", "b", "c", "a"]
    assert graph.cycles({("a", "b"): ["a.py:1"]}) == []


def test_assessment_reads_indicators_not_the_loops_tables(graph):
    """Cases and supervision publish their figures in their own indicators.py (as projects,
    campaigns and patrols do): the edge points from them to assessment, never back."""
    edges = graph.edges()
    for app in ("cases", "supervision", "projects", "campaigns"):
        assert (app, "assessment") in edges, app
        assert ("assessment", app) not in edges, edges.get(("assessment", app))


def test_photo_storage_is_the_kernels():
    """No loop reaches into cases for photos: core.photos is their one home, and the old
    module is gone (not left behind as a copy)."""
    import importlib.util
    from pathlib import Path

    import cityloop

    assert importlib.util.find_spec("cityloop.cases.photos") is None
    root = Path(cityloop.__file__).parent
    reaching = sorted(
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if "cityloop.cases.photos" in (text := path.read_text(encoding="utf-8"))
        or "from cityloop.cases import photos" in text
        or "cases.forms import PhotoField" in text
        or "cases.forms import read_files" in text
    )
    assert reaching == []
