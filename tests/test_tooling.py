"""The pieces `./dev lint` and the reports rely on: the link tree that shows mypy the package as Python
imports it, the one mark of trusted Cypher, and tables declared as column lists."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest
from orggraph.graph.cypher import trusted

from orggraph.sheets import Column, Table, key

ROOT = Path(__file__).resolve().parents[1]


def _typecheck_tree() -> ModuleType:
    spec = importlib.util.spec_from_file_location("typecheck_tree", ROOT / "tools" / "typecheck_tree.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_link_tree_follows_the_package_dir_mapping(tmp_path: Path) -> None:
    tt = _typecheck_tree()
    tree = tt.build(tmp_path / ".typecheck")
    for name, folder in tt.mapping().items():
        linked = tree.joinpath(*name.split("."))
        assert linked.resolve() == (ROOT / folder).resolve() or name == "orggraph", name
    assert (tree / "orggraph" / "__init__.py").resolve() == (ROOT / "orggraph" / "__init__.py").resolve()
    assert (tree / "orggraph" / "graph" / "schema.py").is_file()


def test_mypy_messages_name_the_real_files() -> None:
    tt = _typecheck_tree()
    assert tt.real_path(".typecheck/orggraph/graph/schema.py:3: error: x") == "graph/schema.py:3: error: x"
    assert tt.real_path(".typecheck/orggraph/sheets.py:1: note") == "orggraph/sheets.py:1: note"
    assert tt.real_path("Success: no issues found") == "Success: no issues found"


def test_trusted_returns_the_text_unchanged() -> None:
    text = "MATCH (n:Grid {code: $code}) RETURN n"
    assert trusted(text) is text


def test_a_declared_table_fills_a_row_per_source_row() -> None:
    table = Table(
        "表", "标题", [Column("编码", 10, "@", key("code")), Column("数", 5, None, lambda r: r["n"] * 2)]
    )
    assert table.filled([{"code": "a", "n": 1}, {"code": "b", "n": 2}]).rows == [["a", 2], ["b", 4]]
    with pytest.raises(ValueError, match="表"):
        Table("表", "标题", [Column("编码", 10)]).filled([{"code": "a"}])
