"""No hand-written function in govmesh/ is longer than the project's limit of 60 lines."""

from __future__ import annotations

import ast
from pathlib import Path

import govmesh

LIMIT = 60
ROOT = Path(govmesh.__file__).parent
# Generated code and Alembic migrations (declarative table definitions) are not written by hand.
EXEMPT = (ROOT / "contracts",)


def _hand_written() -> list[Path]:
    return [
        path
        for path in sorted(ROOT.rglob("*.py"))
        if not any(path.is_relative_to(exempt) for exempt in EXEMPT) and "migrations" not in path.parts
    ]


def test_no_function_is_longer_than_the_limit() -> None:
    files = _hand_written()
    assert files, f"no Python files found under {ROOT}"
    too_long = [
        f"{path.relative_to(ROOT.parent)}:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for path in files
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno is not None
        and node.end_lineno - node.lineno + 1 > LIMIT
    ]
    assert not too_long, f"functions over {LIMIT} lines; split them into steps:\n" + "\n".join(too_long)
