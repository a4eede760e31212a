"""``Any`` in src/crateq only where a Qt or library signature forces it, each with its reason.

Every use of ``typing.Any`` (a name or ``typing.Any``, also inside a quoted annotation or a
quoted type alias; import lines do not count) needs a ``# Any: <reason>`` comment on its line,
or on the line before the statement it is part of (the line before a ``def`` for a long
signature). Read with ``ast`` and ``tokenize``, so words in docstrings and strings don't count.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "crateq"
REASON = re.compile(r"#\s*Any:\s*\S")


def _any_names(source: str) -> set[str]:
    """The names ``typing.Any`` goes by in a module (``Any``, or what it was imported as)."""
    names = {"Any"}
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module in ("typing", "typing_extensions"):
            names.update(a.asname for a in node.names if a.name == "Any" and a.asname)
    return names


def _quoted_types(node: ast.AST) -> Iterator[ast.Constant]:
    """String constants used as types: annotations, and the value of ``X: TypeAlias = "…"``."""
    spots: list[ast.expr | None] = []
    if isinstance(node, ast.arg):
        spots.append(node.annotation)
    elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        spots.append(node.returns)
    elif isinstance(node, ast.AnnAssign):
        spots.append(node.annotation)
        if "TypeAlias" in ast.unparse(node.annotation):
            spots.append(node.value)
    for spot in spots:
        for inner in ast.walk(spot) if spot is not None else ():
            if isinstance(inner, ast.Constant) and isinstance(inner.value, str):
                yield inner


def _uses_any(expr: ast.AST, names: set[str]) -> bool:
    return any(
        (isinstance(n, ast.Name) and n.id in names)
        or (isinstance(n, ast.Attribute) and n.attr == "Any")
        for n in ast.walk(expr)
    )


def any_lines(source: str) -> dict[int, int]:
    """Line of each use of ``Any`` -> first line of the statement it belongs to."""
    names = _any_names(source)
    found: dict[int, int] = {}

    def visit(node: ast.AST, statement: int) -> None:
        if isinstance(node, ast.Import | ast.ImportFrom):
            return
        if isinstance(node, ast.stmt):
            statement = node.lineno
        if isinstance(node, ast.Name | ast.Attribute) and _uses_any(node, names):
            found.setdefault(node.lineno, statement)
        for quoted in _quoted_types(node):
            try:
                parsed = ast.parse(quoted.value.strip(), mode="eval")
            except SyntaxError:
                continue
            if _uses_any(parsed, names):
                found.setdefault(quoted.lineno, statement)
        for child in ast.iter_child_nodes(node):
            visit(child, statement)

    visit(ast.parse(source), 1)
    return found


def unexplained(source: str) -> list[int]:
    """Lines using ``Any`` with no ``# Any: <reason>`` on them, nor from the line before
    their statement on."""
    reasons = {
        token.start[0]
        for token in tokenize.generate_tokens(io.StringIO(source).readline)
        if token.type == tokenize.COMMENT and REASON.match(token.string)
    }
    return sorted(
        line
        for line, statement in any_lines(source).items()
        if not any(at in reasons for at in range(statement - 1, line + 1))
    )


def test_the_check_sees_uses_and_their_reasons() -> None:
    source = '''"""Any word in a docstring is no use of Any."""
from typing import Any, TypeAlias
from typing import Any as Whatever

a: Any = 1
b: Any = 2  # Any: a library hands it over untyped
# Any: the line before counts
c: dict[str, Any] = {}
d: Whatever = 3
e: "list[Any]" = []
F: TypeAlias = "dict[str, Any]"


def long(  # Any: the reason may sit on the def line
    x: int,
    y: Any,
) -> None:
    text = "Any"


# Any: or just above the def
def longer(
    x: int,
) -> Any:
    return x


def g(x: typing.Any) -> object:
    return x
'''
    assert unexplained(source) == [5, 9, 10, 11, 28]


def test_every_any_in_the_package_says_why() -> None:
    found = [
        f"{path.relative_to(PACKAGE.parents[1])}:{line}: "
        + path.read_text(encoding="utf-8").splitlines()[line - 1].strip()
        for path in sorted(PACKAGE.rglob("*.py"))
        for line in unexplained(path.read_text(encoding="utf-8"))
    ]
    assert not found, (
        "Any without a `# Any: <reason>` comment (use a real type where nothing forces Any):\n"
        + "\n".join(found)
    )
