"""The import graph between the apps of cityloop, read from the source (AST, nothing imported).

An *app* is a package directly under ``src/cityloop`` (``cases``, ``intel``, ``core`` …); the
top-level modules (``api.py``, ``urls.py``, ``cli.py``, ``settings.py``, ``wsgi.py``) are the
project's wiring and belong to no app. Every ``import cityloop.X`` / ``from cityloop.X import``
in app Y (X ≠ Y) is an edge Y → X — imports inside functions too (a lazy import is still a
dependency; it only hides a cycle from Python's import machinery), and ``TYPE_CHECKING``
imports too. Migrations are left out (Django writes them; they name apps by label).

    python scripts/import_graph.py            # edges (with counts) and cycles
    python scripts/import_graph.py --cycles   # only the cycles; exit 1 when there is one

A cycle is a strongly connected set of two or more apps (Tarjan); for each, one shortest
loop is printed with the file and line of every edge on it.
"""

from __future__ import annotations

import argparse
import ast
import itertools
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "src" / "cityloop"
PACKAGE = "cityloop"

Edge = tuple[str, str]


def apps(root: Path = ROOT) -> list[str]:
    return sorted(p.name for p in root.iterdir() if (p / "__init__.py").exists())


def _imported(node: ast.AST, module: str, is_pkg: bool) -> list[str]:
    """Absolute dotted names imported by an Import / ImportFrom node."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    if isinstance(node, ast.ImportFrom):
        if node.level:  # relative: resolve against the module's package
            parts = module.split(".")
            base = parts if is_pkg else parts[:-1]
            base = base[: len(base) - (node.level - 1)]
            name = ".".join(base + ([node.module] if node.module else []))
        else:
            name = node.module or ""
        if node.module is None or name in (PACKAGE, f"{PACKAGE}"):
            return [f"{name}.{a.name}" for a in node.names]
        return [name]
    return []


def edges(root: Path = ROOT) -> dict[Edge, list[str]]:
    """(from app, to app) → the places (``path:line``) that import across."""
    known = set(apps(root))
    found: dict[Edge, list[str]] = defaultdict(list)
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root)
        if len(rel.parts) < 2 or "migrations" in rel.parts:
            continue
        source = rel.parts[0]
        if source not in known:
            continue
        module = ".".join((PACKAGE, *rel.with_suffix("").parts))
        is_pkg = path.name == "__init__.py"
        if is_pkg:
            module = module.rsplit(".", 1)[0]
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            for name in _imported(node, module, is_pkg):
                parts = name.split(".")
                if len(parts) < 2 or parts[0] != PACKAGE:
                    continue
                target = parts[1]
                if target in known and target != source:
                    found[source, target].append(f"{rel}:{node.lineno}")
    return dict(found)


def cycles(graph: dict[Edge, list[str]]) -> list[list[str]]:
    """Strongly connected components of two or more apps, each sorted, sorted by first app."""
    succ: dict[str, set[str]] = defaultdict(set)
    for a, b in graph:
        succ[a].add(b)
    nodes = sorted({n for e in graph for n in e})
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = 0

    def visit(v: str) -> None:
        nonlocal counter
        index[v] = low[v] = counter
        counter += 1
        stack.append(v)
        on.add(v)
        for w in sorted(succ[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in nodes:
        if v not in index:
            visit(v)
    return sorted(out)


def loop_in(component: list[str], graph: dict[Edge, list[str]]) -> list[str]:
    """One shortest loop through the component's first app (breadth-first)."""
    start = component[0]
    inside = set(component)
    succ: dict[str, list[str]] = defaultdict(list)
    for a, b in sorted(graph):
        if a in inside and b in inside:
            succ[a].append(b)
    paths = [[start]]
    seen = {start}
    while paths:
        nxt = []
        for p in paths:
            for w in succ[p[-1]]:
                if w == start:
                    return [*p, start]
                if w not in seen:
                    seen.add(w)
                    nxt.append([*p, w])
        paths = nxt
    return [start]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", action="store_true", help="print only the cycles")
    args = parser.parse_args(argv)
    graph = edges()
    if not args.cycles:
        print(f"{len(graph)} edges between {len(apps())} apps")
        for (a, b), where in sorted(graph.items()):
            print(f"  {a} -> {b}  ({len(where)}: {where[0]}{' …' if len(where) > 1 else ''})")
    found = cycles(graph)
    print(f"{len(found)} cycle(s)")
    for comp in found:
        loop = loop_in(comp, graph)
        print(f"  {{{', '.join(comp)}}}: " + " -> ".join(loop))
        for a, b in itertools.pairwise(loop):
            print(f"      {a} -> {b}: {', '.join(graph[a, b][:3])}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
