"""``cityloop import places`` loads only what a places file needs (issue 16 item 4: 100 k
rows under 300 MB, of which start-up was 130 MB). The text segmenter, the spreadsheet writer,
the numeric and projection stack, the classifier and the document libraries are imported
where they are used, so a places import never carries them. Checked in a fresh process, as
the command runs, by the modules it ends with: a size would move with every library."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

import cityloop

pytestmark = pytest.mark.django_db

# Modules a places file of codes, names, addresses and points has no use for.
HEAVY = (
    "jieba",  # Chinese segmentation (case search text), ~10 MB with pkg_resources
    "pkg_resources",
    "openpyxl",  # writing xlsx exports; a csv import never reads one
    "lxml",
    "numpy",  # the spatial index and polygon checks; a point is checked without them
    "shapely",
    "pyproj",
    "sklearn",  # the triage model
    "docx",  # Word documents
    "docxtpl",
    "matplotlib",
    "weasyprint",
    "datasketch",  # near-duplicate detection
    "rapidfuzz",
)

SCRIPT = """
import json, runpy, sys
sys.argv = ["cityloop", "import", "places", sys.argv[1], "--dry-run", "--json"]
try:
    runpy.run_module("cityloop.cli", run_name="__main__")
except SystemExit as exc:
    assert not exc.code, exc.code
print("MODULES " + json.dumps(sorted({m.split(".")[0] for m in sys.modules})))
"""


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    user = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgresql://{user}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def test_a_places_import_imports_no_heavy_module_it_does_not_need(tmp_path):
    path = tmp_path / "places.csv"
    path.write_text(
        "编码,名称,类型,上级编码,地址,经度,纬度\n"
        "T410106,上街区,区,,,,\n"
        "T410106001,济源路街道,街道,T410106,,,\n"
        "T410106001001,中心社区,社区,T410106001,,,\n"
        "T410106001001001,幸福小区,小区,T410106001001,济源路1号,113.2501,34.7502\n",
        encoding="utf-8",
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cityloop.settings",
        # The test database (its schema; a dry run writes nothing to it).
        "CITYLOOP_DATABASE_URL": _database_url(),
        "PYTHONPATH": os.pathsep.join(
            [str(Path(cityloop.__file__).resolve().parents[1]), os.environ.get("PYTHONPATH", "")]
        ),
    }
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    report, line = done.stdout.rsplit("MODULES ", 1)
    assert json.loads(report)["counts"] == {
        "places": {"created": 4, "updated": 0, "unchanged": 0}
    }, report
    loaded = set(json.loads(line))
    assert "cityloop" in loaded and "django" in loaded  # the command did run in that process
    assert sorted(loaded & set(HEAVY)) == []
