"""The import graph of src/crateq, read from the AST, keeps the layers of DESIGN.md.

Every ``import`` and ``from ... import`` counts, wherever it is (inside functions, under
``if TYPE_CHECKING:``): relative imports are resolved, and ``from pkg import name`` is an
edge to ``pkg.name`` when that is a module. The rules: no cycles; ``crateq.demo`` is
imported only by the demo itself, the CLI and the entry point; the UI builds no API client;
core, api and the composition root import neither the UI, the CLI nor Qt.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
PACKAGE = SRC / "crateq"

# Cycles allowed for now (none: keep it that way).
KNOWN_CYCLES: set[frozenset[str]] = set()
ROOT_LAYER = ("crateq.services", "crateq.services_pools", "crateq.core_loop")
DEMO_IMPORTERS = ("crateq.demo", "crateq.cli", "crateq.launch")
API_CLIENTS = ("crateq.api.pool", "crateq.api.crate")
QT = ("PySide6", "shiboken6", "qasync", "superqt")

Graph = Mapping[str, set[str]]


def module_files(package: Path) -> dict[str, Path]:
    """Dotted module name -> file, for every module under ``package``."""
    found: dict[str, Path] = {}
    for path in sorted(package.rglob("*.py")):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imported_names(module: str, path: Path) -> set[str]:
    """Every dotted name ``module`` imports, relative imports resolved: ``import a.b`` gives
    ``a.b``, ``from a import b`` gives ``a.b`` (a module, or a name in module ``a``)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def import_graph(package: Path) -> dict[str, set[str]]:
    """Module -> the modules of the package it imports (the nearest module for a name)."""
    files = module_files(package)
    graph: dict[str, set[str]] = {}
    for module, path in files.items():
        targets: set[str] = set()
        for name in imported_names(module, path):
            while name and name not in files:
                name = name.rpartition(".")[0]
            if name and name != module:
                targets.add(name)
        graph[module] = targets
    return graph


def external_imports(package: Path) -> dict[str, set[str]]:
    """Module -> every top-level name it imports (for third-party rules such as Qt)."""
    return {
        module: {name.split(".")[0] for name in imported_names(module, path) if name}
        for module, path in module_files(package).items()
    }


def cycles(graph: Graph) -> list[frozenset[str]]:
    """The strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []
    for start in graph:
        if start in index:
            continue
        work: list[tuple[str, list[str]]] = [(start, sorted(graph.get(start, ())))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, todo = work[-1]
            if todo:
                nxt = todo.pop()
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, sorted(graph.get(nxt, ()))))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component: set[str] = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(frozenset(component))
    return found


def within(module: str, prefixes: Iterable[str]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def violations(
    graph: Graph, rule: str, sources: Iterable[str], banned: Iterable[str], *, exact: bool = False
) -> list[str]:
    """``rule: A imports B`` for each module A of ``sources`` (packages, or with ``exact``
    the modules themselves) that imports a module of the ``banned`` packages."""
    chosen, banned = tuple(sources), tuple(banned)
    return [
        f"{rule}: {module} imports {target}"
        for module in sorted(graph)
        if (module in chosen if exact else within(module, chosen))
        for target in sorted(graph[module])
        if within(target, banned)
    ]


def describe(component: frozenset[str], files: Mapping[str, Path]) -> str:
    return " <-> ".join(str(files[m].relative_to(SRC.parent)) for m in sorted(component))


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    return import_graph(PACKAGE)


def test_the_check_finds_a_cycle_and_a_resolved_relative_import(tmp_path: Path) -> None:
    pkg = tmp_path / "crateq"
    (pkg / "ui").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "ui" / "__init__.py").write_text("")
    (pkg / "ui" / "a.py").write_text("from . import b\n")
    (pkg / "ui" / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from crateq.ui.c import X\n"
    )
    (pkg / "ui" / "c.py").write_text("def f():\n    from .a import g\n")
    (pkg / "ui" / "d.py").write_text("import crateq.ui.a\n")
    small = import_graph(pkg)
    assert small["crateq.ui.a"] == {"crateq.ui.b"}
    assert small["crateq.ui.d"] == {"crateq.ui.a"}
    assert cycles(small) == [frozenset({"crateq.ui.a", "crateq.ui.b", "crateq.ui.c"})]
    assert violations(small, "x", ["crateq.ui.d"], ["crateq.ui.a"]) == [
        "x: crateq.ui.d imports crateq.ui.a"
    ]


def test_no_import_cycles(graph: dict[str, set[str]]) -> None:
    files = module_files(PACKAGE)
    found = [c for c in cycles(graph) if c not in KNOWN_CYCLES]
    assert not found, "import cycles:\n" + "\n".join(describe(c, files) for c in found)


def test_only_the_demo_the_cli_and_the_entry_point_import_the_demo(
    graph: dict[str, set[str]],
) -> None:
    others = [m for m in graph if not within(m, DEMO_IMPORTERS)]
    assert violations(graph, "demo", others, ["crateq.demo"], exact=True) == []


def test_the_ui_builds_no_api_client(graph: dict[str, set[str]]) -> None:
    assert violations(graph, "client", ["crateq.ui"], API_CLIENTS) == []


def test_core_api_and_services_import_neither_ui_nor_cli(graph: dict[str, set[str]]) -> None:
    lower = ["crateq.core", "crateq.api", *ROOT_LAYER]
    assert violations(graph, "layer", lower, ["crateq.ui", "crateq.cli"]) == []


def test_core_api_and_services_import_no_qt() -> None:
    lower = ("crateq.core", "crateq.api", *ROOT_LAYER)
    found = [
        f"{module} imports {name}"
        for module, names in sorted(external_imports(PACKAGE).items())
        if within(module, lower)
        for name in sorted(names)
        if name in QT
    ]
    assert found == []
