"""`bench/run.py` runs every ``bench_*.py``; the triage benchmark itself is ``bench/triage.py``
(the name the issue gives it)."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

if __name__ == "__main__":
    sys.argv[0] = str(Path(__file__).with_name("triage.py"))
    runpy.run_path(sys.argv[0], run_name="__main__")
