"""The demo package's modules import each other one way: no cycle, read from the source.

Every ``import`` counts, also those inside functions and under ``if TYPE_CHECKING:``.
"""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import crateq.demo

PACKAGE = Path(crateq.demo.__file__).parent


def module_name(path: Path) -> str:
    return "crateq.demo" if path.stem == "__init__" else f"crateq.demo.{path.stem}"


def imported_names(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path.name}: relative import"
            base = node.module or ""
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def demo_import_graph() -> dict[str, set[str]]:
    modules = {module_name(path): path for path in PACKAGE.glob("*.py")}
    return {
        name: {other for other in imported_names(path) if other in modules and other != name}
        for name, path in modules.items()
    }


def test_the_graph_sees_the_imports_it_must_see() -> None:
    graph = demo_import_graph()
    assert "crateq.demo.media_layout" in graph["crateq.demo.mp4"]
    assert "crateq.demo.mp4" in graph["crateq.demo.audio"]


def test_demo_modules_import_each_other_without_a_cycle() -> None:
    try:
        order = list(graphlib.TopologicalSorter(demo_import_graph()).static_order())
    except graphlib.CycleError as exc:
        raise AssertionError(f"import cycle in crateq.demo: {exc.args[1]}") from None
    assert order.index("crateq.demo.media_layout") < order.index("crateq.demo.audio")
