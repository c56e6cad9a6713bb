"""``cityloop docs-tables``: write the tables of the user guide that registries generate."""

from __future__ import annotations

import re
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cityloop.cases import actions

GUIDE = Path(__file__).resolve().parents[5] / "docs" / "guide" / "cases.md"
BLOCK = re.compile(r"(<!-- actions:(?P<lang>[a-z-]+) -->\n)(?P<body>.*?)(<!-- /actions -->)", re.S)


def rewrite(text: str) -> str:
    """``text`` with every action block filled from the registry, in the block's language."""
    return BLOCK.sub(lambda m: m[1] + actions.markdown_table(m["lang"]) + m[4], text)


class Command(BaseCommand):
    help = "Write the user guide's action table from the action registry (--check: compare)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--check", action="store_true", help="fail if the guide is stale")
        parser.add_argument("--file", default=str(GUIDE))

    def handle(self, *args, **options) -> None:
        path = Path(options["file"])
        text = path.read_text(encoding="utf-8")
        fresh = rewrite(text)
        if options["check"]:
            if fresh != text:
                raise CommandError(f"{path} is stale: run `cityloop docs-tables`")
            return
        path.write_text(fresh, encoding="utf-8")
        self.stdout.write(f"{path}: written")
