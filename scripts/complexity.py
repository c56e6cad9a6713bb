"""Cyclomatic complexity of every function, counted from the AST the way radon's ``cc`` counts
it (radon is not installed here; this is its rule, written down):

1 for the function, plus 1 for each ``if`` / ``elif`` / conditional expression, 1 for each
``for`` / ``while`` (and 1 more for its ``else``), 1 per ``except`` handler (and 1 for a
``try``'s ``else``), ``n - 1`` for a boolean operator over ``n`` operands, 1 per comprehension
plus 1 per ``if`` inside it, 1 per ``match`` case but the wildcard ``case _``. ``with`` and
``assert`` count nothing. A nested function or class is counted on its own (radon's
closures), not into its parent.

Ranks as radon's: A 1–5, B 6–10, C 11–20, D 21–30, E 31–40, F 41+.

    python scripts/complexity.py                 # functions ranked D or worse, worst first
    python scripts/complexity.py --over D        # only those worse than D (E, F); exit 1 if any
    python scripts/complexity.py --min 15 --all  # include demo/
"""

from __future__ import annotations

import argparse
import ast
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "src" / "cityloop"
RANKS = [(5, "A"), (10, "B"), (20, "C"), (30, "D"), (40, "E")]


def rank(cc: int) -> str:
    return next((r for top, r in RANKS if cc <= top), "F")


@dataclass(frozen=True)
class Block:
    path: str
    line: int
    name: str
    complexity: int

    @property
    def rank(self) -> str:
        return rank(self.complexity)


def _decisions(node: ast.AST) -> int:
    if isinstance(node, ast.Try | getattr(ast, "TryStar", ast.Try)):
        return len(node.handlers) + bool(node.orelse)
    if isinstance(node, ast.BoolOp):
        return len(node.values) - 1
    if isinstance(node, ast.If | ast.IfExp):
        return 1
    if isinstance(node, ast.For | ast.AsyncFor | ast.While):
        return 1 + bool(node.orelse)
    if isinstance(node, ast.comprehension):
        return 1 + len(node.ifs)
    if isinstance(node, ast.Match):
        wildcard = any(getattr(c.pattern, "pattern", False) is None for c in node.cases)
        return max(0, len(node.cases) - wildcard)
    return 0


_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


def _count(body: list[ast.AST]) -> int:
    total, stack = 0, list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue  # counted on its own
        total += _decisions(node)
        stack.extend(ast.iter_child_nodes(node))
    return total


def blocks(path: Path, rel: str) -> list[Block]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    out: list[Block] = []

    def walk(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                name = f"{prefix}{child.name}"
                out.append(Block(rel, child.lineno, name, 1 + _count(child.body)))
                walk(child, f"{name}.")
            elif isinstance(child, ast.ClassDef):
                walk(child, f"{prefix}{child.name}.")
            elif not isinstance(child, _SCOPES):
                walk(child, prefix)

    walk(tree, "")
    return out


def scan(root: Path = ROOT, *, include_demo: bool = False) -> list[Block]:
    found: list[Block] = []
    for path in sorted(root.rglob("*.py")):
        rel = str(path.relative_to(root))
        if "migrations" in path.parts or (not include_demo and rel.startswith("demo/")):
            continue
        found.extend(blocks(path, rel))
    return sorted(found, key=lambda b: (-b.complexity, b.path, b.line))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--min", type=int, default=21, help="smallest complexity shown (21: D)")
    parser.add_argument("--over", choices="ABCDE", help="only ranks worse than this; exit 1")
    parser.add_argument("--all", action="store_true", help="include demo/")
    args = parser.parse_args(argv)
    found = scan(include_demo=args.all)
    floor = args.min
    if args.over:
        floor = dict((r, top) for top, r in RANKS)[args.over] + 1
    shown = [b for b in found if b.complexity >= floor]
    for b in shown:
        print(f"{b.rank} {b.complexity:3d}  {b.path}:{b.line}  {b.name}")
    counts = {r: sum(1 for b in found if b.rank == r) for r in "ABCDEF"}
    print(f"{len(found)} functions: " + ", ".join(f"{r} {n}" for r, n in counts.items()))
    return 1 if args.over and shown else 0


if __name__ == "__main__":
    sys.exit(main())
