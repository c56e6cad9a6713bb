"""``cityloop docs-tables``: write the tables of the user guide that the action registries
generate (every registry of :data:`cityloop.core.actions.REGISTRIES`, in its guide file)."""

from __future__ import annotations

import re
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cityloop.core.actions import REGISTRIES

GUIDE_DIR = Path(__file__).resolve().parents[5] / "docs" / "guide"
# ``<!-- actions:<registry key>:<language> -->`` … ``<!-- /actions -->``
BLOCK = re.compile(
    r"(<!-- actions:(?P<key>[a-z_]+):(?P<lang>[a-z-]+) -->\n)(?P<body>.*?)(<!-- /actions -->)",
    re.S,
)


def guides() -> list[Path]:
    """The guide files that hold a registry's table, each once."""
    names = dict.fromkeys(r.guide for r in REGISTRIES.values() if r.guide)
    return [GUIDE_DIR / name for name in names]


def rewrite(text: str) -> str:
    """``text`` with every action block filled from its registry, in the block's language."""

    def fill(m: re.Match) -> str:
        registry = REGISTRIES.get(m["key"])
        if registry is None:
            raise CommandError(f"no action registry {m['key']!r}")
        return m[1] + registry.markdown_table(m["lang"]) + m[5]

    return BLOCK.sub(fill, text)


class Command(BaseCommand):
    help = "Write the user guide's action tables from the action registries (--check: compare)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--check", action="store_true", help="fail if a guide is stale")
        parser.add_argument("--file", action="append", help="only this file (repeatable)")

    def handle(self, *args, **options) -> None:
        paths = [Path(f) for f in options["file"]] if options["file"] else guides()
        stale = []
        for path in paths:
            text = path.read_text(encoding="utf-8")
            fresh = rewrite(text)
            if options["check"]:
                if fresh != text:
                    stale.append(str(path))
                continue
            if fresh != text:
                path.write_text(fresh, encoding="utf-8")
            self.stdout.write(f"{path}: written")
        if stale:
            raise CommandError(f"{', '.join(stale)} stale: run `cityloop docs-tables`")
