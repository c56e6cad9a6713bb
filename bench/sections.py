"""Each benchmark owns one section of docs/benchmarks.md, between its BEGIN and END markers,
and rewrites only that section (appended at the end the first time)."""

from __future__ import annotations

from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"


def write_section(text: str, begin: str, end: str, doc_path: Path = DOC) -> None:
    """Put ``text`` (which starts with ``begin`` and ends with ``end``) in place of the section
    between those markers."""
    doc = doc_path.read_text(encoding="utf-8")
    if begin in doc:
        head, rest = doc.split(begin, 1)
        doc = head + text + rest.split(end, 1)[1]
    else:
        doc = doc.rstrip("\n") + "\n\n" + text + "\n"
    doc_path.write_text(doc, encoding="utf-8")
