"""Hatch build hook: compile the message catalogs into the wheel.

The ``*.mo`` files are git-ignored (hatchling leaves them out of the wheel) and `make messages`
builds them only in a working tree, so without this hook ``pip install`` of a wheel gives an
English interface and English notices. The hook compiles every
``src/cityloop/locale/<lang>/LC_MESSAGES/*.po`` with Babel's API (as `make messages` does)
into a temporary directory and force-includes the ``.mo`` files at their package path.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

LOCALE = Path("src/cityloop/locale")


class MessageCatalogsHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        # An editable install reads src/ itself; `make messages` compiles there.
        if self.target_name != "wheel" or version == "editable":
            return
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        self._out = Path(tempfile.mkdtemp(prefix="cityloop-mo-"))
        root = Path(self.root)
        sources = sorted((root / LOCALE).glob("*/LC_MESSAGES/*.po"))
        if not sources:
            raise RuntimeError(f"no message catalogs under {root / LOCALE}")
        for po in sources:
            rel = po.relative_to(root / "src").with_suffix(".mo")  # cityloop/locale/…/django.mo
            with po.open("rb") as f:
                catalog = read_po(f, locale=po.parent.parent.name)
            mo = self._out / rel
            mo.parent.mkdir(parents=True, exist_ok=True)
            with mo.open("wb") as f:
                write_mo(f, catalog, use_fuzzy=False)  # like `make messages`: no fuzzy entries
            build_data["force_include"][str(mo)] = str(rel)

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        out = getattr(self, "_out", None)
        if out is not None:
            shutil.rmtree(out, ignore_errors=True)
