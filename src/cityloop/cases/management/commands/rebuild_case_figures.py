"""``cityloop manage rebuild_case_figures``: recompute the case figures summary from the cases
(after bulk imports, deletions or a category moved under another parent)."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from cityloop.cases import summary


class Command(BaseCommand):
    help = "Rebuild the case figures summary from the cases / 由案件重建案件指标汇总"

    def handle(self, *args, **options) -> None:
        started = time.monotonic()
        rows = summary.rebuild()
        self.stdout.write(f"{rows} rows in {time.monotonic() - started:.1f} s")
