"""The import contract: each top-level package is one stage and imports only downstream
stages or the shared core (docs/architecture.md). This table is the one place the rule
lives; a module that imports against it, or a cycle between packages, fails here.

Deferred imports (inside functions) count: a cycle hidden in a function is still a cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# package → the project packages it may import (besides itself).
ALLOWED: dict[str, set[str]] = {
    "core": set(),
    "documents": {"core"},
    "extract": {"core", "documents"},
    "store": {"core"},
    "crawler": {"core", "documents", "store"},
    "timeline": {"core", "store", "extract"},
    "screening": {"core", "store", "extract", "timeline"},
    "portfolio": {"core", "store", "extract", "timeline", "screening"},
    "enforcement": {"core", "store", "extract", "documents"},
    "alerts": {"core", "store", "timeline", "screening", "portfolio", "enforcement"},
    "web": {"core", "store", "timeline", "alerts", "screening", "portfolio", "enforcement"},
    "mirror": {"core"},
}
# Composers and checks: may import any package.
ANYTHING = {"regwatch", "bench", "tests"}
PACKAGES = set(ALLOWED) | ANYTHING


def _package_dirs() -> list[str]:
    return sorted(p.parent.name for p in ROOT.glob("*/__init__.py"))


def _imports(path: Path) -> set[str]:
    """Top-level project packages ``path`` imports, at module level or inside functions."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found.update(name.split(".")[0] for name in names)
    return found & PACKAGES


def _edges() -> dict[str, dict[str, list[str]]]:
    """package → imported package → the modules that import it."""
    edges: dict[str, dict[str, list[str]]] = {}
    for package in _package_dirs():
        for path in sorted((ROOT / package).rglob("*.py")):
            for target in _imports(path) - {package}:
                edges.setdefault(package, {}).setdefault(target, []).append(
                    str(path.relative_to(ROOT)))
    return edges


def test_every_package_has_a_place_in_the_table():
    unknown = [name for name in _package_dirs() if name not in PACKAGES]
    assert unknown == [], "add these packages to ALLOWED in tests/test_layout.py: " + str(unknown)


def test_imports_point_downstream_or_to_the_core():
    wrong = []
    for package, targets in _edges().items():
        if package in ANYTHING:
            continue
        for target, modules in targets.items():
            if target not in ALLOWED[package]:
                wrong.append(f"{package} → {target} ({', '.join(modules)})")
    assert wrong == []


def test_no_cycle_between_packages():
    graph = {package: set(targets) for package, targets in _edges().items()}
    cycles = []

    def visit(node: str, path: list[str]) -> None:
        for nxt in sorted(graph.get(node, ())):
            if nxt in path:
                cycles.append(" → ".join(path[path.index(nxt):] + [nxt]))
            elif nxt not in done:
                visit(nxt, path + [nxt])
        done.add(node)

    done: set[str] = set()
    for start in sorted(graph):
        visit(start, [start])
    assert cycles == []


def test_the_table_itself_has_no_cycle():
    """So that new code following the table cannot build one."""
    order: list[str] = []
    pending = {name: set(deps) for name, deps in ALLOWED.items()}
    while pending:
        ready = sorted(name for name, deps in pending.items() if deps <= set(order))
        assert ready, f"cycle among {sorted(pending)}"
        order.extend(ready)
        for name in ready:
            del pending[name]


@pytest.mark.parametrize("source, expected", [
    ("import store.catalogue\n", {"store"}),
    ("def f():\n    from web.views import x\n", {"web"}),
    ("from . import sibling\nimport json\n", set()),
])
def test_the_check_sees_deferred_and_absolute_imports(tmp_path, source, expected):
    path = tmp_path / "m.py"
    path.write_text(source, encoding="utf-8")
    assert _imports(path) == expected
