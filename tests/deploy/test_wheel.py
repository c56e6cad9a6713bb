"""The package installs Chinese (issue 19.4): a wheel carries the compiled message catalogs.

Builds the wheel from this tree (no build isolation: offline, and the backend is in the test
extras), looks for the ``.mo`` inside the zip, installs the wheel into a fresh venv that sees
this venv's dependencies but not its editable cityloop, and translates there.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MO = "cityloop/locale/zh_Hans/LC_MESSAGES/django.mo"

pytestmark = pytest.mark.slow

PROBE = """
import json, os, django
from django.conf import settings
django.setup()
from django.utils import translation
import cityloop
translation.activate(settings.LANGUAGE_CODE)
print(json.dumps({
    "file": cityloop.__file__,
    "language": settings.LANGUAGE_CODE,
    "cases": translation.gettext("Cases"),
    "heading": translation.gettext("Notice on the %(scheme)s ranking for %(period)s")
    % {"scheme": "街道综合考核", "period": "2020年6月"},
}, ensure_ascii=False))
"""


def _run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=180, **kw)
    assert done.returncode == 0, f"{cmd}\n{done.stdout}\n{done.stderr}"
    return done


def test_wheel_carries_and_serves_the_chinese_catalog(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--no-index", "-q", "-w", str(dist), str(ROOT)],
        env={**os.environ, "PIP_CONSTRAINT": ""},
    )  # fmt: skip
    (wheel,) = dist.glob("cityloop-*.whl")
    with zipfile.ZipFile(wheel) as z:
        assert MO in z.namelist()
        assert z.getinfo(MO).file_size > 10_000  # the whole catalog, not an empty stub

    # A fresh venv without pip; dependencies come from this venv's site-packages as a plain
    # path line, so its .pth files (the editable cityloop among them) are not read.
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    py = venv / "bin" / "python"
    site = Path(
        _run(
            [str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]
        ).stdout.strip()
    )
    (site / "shared-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    _run(
        [sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps",
         "--no-index", "-q", str(wheel)],
        env={**os.environ, "PIP_CONSTRAINT": ""},
    )  # fmt: skip

    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "DJANGO", "CITYLOOP"))
    }
    env |= {
        "DJANGO_SETTINGS_MODULE": "cityloop.settings",
        "CITYLOOP_DATA_DIR": str(tmp_path / "data"),
    }
    out = json.loads(_run([str(py), "-c", PROBE], env=env, cwd=tmp_path).stdout)
    # The catalog came from the wheel, not from a source tree's locale/.
    assert Path(out["file"]).is_relative_to(site)
    assert (site / MO).is_file()
    assert out["language"] == "zh-hans"
    assert out["cases"] == "事件"
    assert out["heading"] == "关于2020年6月街道综合考核排名情况的通报"
