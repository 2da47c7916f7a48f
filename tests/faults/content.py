"""Shared by the fault, backup and export tests: a store's full content as comparable multisets (read with
plain whole-graph queries, test sizes only), a small graph of hostile values, and pointing the CLI at a test
store.

Independent of the code under test (the exporter's and backup's own readers): every node as (labels,
properties), every relationship as (start, type, end, properties) with ends named by label and key. Counters,
not sets, so a doubled node or relationship shows up as a difference.
"""

from __future__ import annotations

import importlib.util
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from orggraph.graph.cypher import trusted
from orggraph.graph.schema import NODES
from orggraph.graph.store import QueryError, Store
from orggraph.loaders.writes import node_write, rel_write, write_text


def _root_conftest() -> Any:
    """tests/conftest.py itself: `import conftest` may find another directory's conftest in a full run."""
    path = Path(__file__).resolve().parents[1] / "conftest.py"
    for mod in list(sys.modules.values()):
        if getattr(mod, "__file__", None) and Path(mod.__file__).resolve() == path:
            return mod
    spec = importlib.util.spec_from_file_location("orggraph_tests_root_conftest", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


_ROOT = _root_conftest()
TEST_PID_KEY: bytes = _ROOT.TEST_PID_KEY
write_ledgers = _ROOT.write_ledgers

_ALL_NODES = "MATCH (n) RETURN labels(n), properties(n)"
_ALL_RELS = (
    "MATCH (a)-[r]->(b) RETURN labels(a), coalesce(a.pid, a.code), type(r), properties(r), labels(b), "
    "coalesce(b.pid, b.code)"
)


def freeze(v: Any) -> Any:
    if isinstance(v, dict):
        return tuple(sorted((k, freeze(x)) for k, x in v.items()))
    if isinstance(v, (list, tuple)):
        return tuple(freeze(x) for x in v)
    return v


def main_label(labels: list[str] | tuple[str, ...]) -> str:
    order = list(NODES)
    main = [lb for lb in labels if lb in NODES]
    return min(main, key=order.index) if main else ",".join(sorted(labels))


@dataclass(frozen=True)
class Content:
    nodes: Counter[Any]
    rels: Counter[Any]

    def summary(self) -> str:
        return f"{sum(self.nodes.values())} nodes, {sum(self.rels.values())} relationships"

    def diff(self, other: Content, limit: int = 8) -> str:
        """Readable difference (for assertion messages)."""
        out = []
        for name, a, b in (("nodes", self.nodes, other.nodes), ("rels", self.rels, other.rels)):
            only_a, only_b = a - b, b - a
            if only_a or only_b:
                out.append(f"{name}: {sum(only_a.values())} only left, {sum(only_b.values())} only right")
                out += [f"  - {x!r} ×{n}" for x, n in list(only_a.items())[:limit]]
                out += [f"  + {x!r} ×{n}" for x, n in list(only_b.items())[:limit]]
        return "\n".join(out) or "equal"

    def doubled_relationships(self) -> dict[Any, int]:
        """Relationships present more than once between the same ends with the same type and properties."""
        return {k: n for k, n in self.rels.items() if n > 1}

    def rel_multiplicity(self) -> Counter[Any]:
        """How many relationships of each type join each pair of ends (properties ignored)."""
        c: Counter[Any] = Counter()
        for (sl, sk, t, _props, el, ek), n in self.rels.items():
            c[(sl, sk, t, el, ek)] += n
        return c


def snapshot(store: Store) -> Content:
    try:
        store.read("RETURN 1")
    except QueryError as e:
        if "empty key" in str(e):  # FalkorDB: a graph never written to (or cleared) is no graph at all
            return Content(Counter(), Counter())
        raise
    nodes: Counter[Any] = Counter()
    for labels, props in store.read(trusted(_ALL_NODES)).rows:
        nodes[(tuple(sorted(labels)), freeze(props))] += 1
    rels: Counter[Any] = Counter()
    for la, ka, t, props, lb, kb in store.read(trusted(_ALL_RELS)).rows:
        rels[(main_label(la), ka, t, freeze(props), main_label(lb), kb)] += 1
    return Content(nodes, rels)


HOSTILE = [
    'A "街道", 含逗号,和\n换行',
    "  前后空格  ",
    "反斜杠\\\\n 不是换行\\",
    "`反引号` '单引号'",
    '"}) DETACH DELETE n //',
    "制表\t符；全角分号、顿号",
    "",
]


def write_rows(store: Store, name: str, rows: list[dict[str, Any]]) -> None:
    """Write rows with the loader's own generated statement `name`."""
    store.write(write_text(name), {"rows": rows})


def hostile_graph(store: Store) -> None:
    """A small graph written with the loader's own statements, with values meant to break CSV and Cypher."""
    store.ensure_schema()
    write_rows(
        store,
        node_write("District"),
        [{"key": "520603", "props": {"name": "万山区", "source": "网格.csv:2"}}],
    )
    write_rows(
        store,
        node_write("Street"),
        [{"key": "520603001", "props": {"name": HOSTILE[0], "source": "网格.csv:2"}}],
    )
    write_rows(
        store, node_write("Community"), [{"key": "C\\1`'\"", "props": {"name": HOSTILE[1], "source": "x"}}]
    )
    write_rows(
        store,
        node_write("Grid"),
        [
            {"key": f"G,{i}", "props": {"name": HOSTILE[i % len(HOSTILE)], "kind": "居民网格", "households": 200 + i,
                                        "population": None if i % 3 else 2**40, "source": f"网格.csv:{i + 2}"}}
            for i in range(7)
        ],
    )  # fmt: skip
    write_rows(
        store,
        node_write("Building"),
        [{"key": "B1", "props": {"name": "1号楼", "households": 0, "source": "楼栋.csv:2"}}],
    )
    write_rows(store, node_write("Household"), [{"key": "B1-101", "props": {"source": "人员.csv:2"}}])
    write_rows(store, node_write("Unit"), [{"key": "91520603MA6DXYZ123", "props": {"name": HOSTILE[3], "kind": "其他", "street": "520603001", "source": "单位.csv:2"}}])  # fmt: skip
    write_rows(store, node_write("PartyOrg"), [{"key": "P\n1", "props": {"name": HOSTILE[4], "kind": "党支部", "source": "党组织.csv:2"}}])  # fmt: skip
    write_rows(
        store,
        node_write("Person", "member"),
        [{"key": "a" * 20, "props": {"name": "张三", "id_masked": "5206**********123X", "gender": "男", "birth_year": 1980,
                                    "phone": "13800000000", "politics": "中共党员", "tags": ["志愿者", "退役军人"], "source": "人员.csv:2"}}],
    )  # fmt: skip
    write_rows(
        store,
        node_write("Person", "plain"),
        [
            {
                "key": "b" * 20,
                "props": {"name": HOSTILE[5], "tags": [], "birth_year": 2001, "source": "人员.csv:3"},
            },
            {"key": "c" * 20, "props": {"name": HOSTILE[6], "tags": ["空巢老人"], "source": "人员.csv:4"}},
        ],
    )
    write_rows(
        store,
        rel_write("Street", "PART_OF", "District"),
        [{"a": "520603001", "b": "520603", "props": {"source": "s"}}],
    )
    write_rows(store, rel_write("Community", "PART_OF", "Street"), [{"a": "C\\1`'\"", "b": "520603001", "props": {"source": "s"}}])  # fmt: skip
    write_rows(store, rel_write("Grid", "PART_OF", "Community"), [{"a": f"G,{i}", "b": "C\\1`'\"", "props": {"source": "s"}} for i in range(7)])  # fmt: skip
    write_rows(
        store, rel_write("Building", "PART_OF", "Grid"), [{"a": "B1", "b": "G,0", "props": {"source": "s"}}]
    )
    write_rows(
        store,
        rel_write("Household", "PART_OF", "Building"),
        [{"a": "B1-101", "b": "B1", "props": {"source": "s"}}],
    )
    write_rows(
        store,
        rel_write("Person", "LIVES_IN", "Household"),
        [{"a": "a" * 20, "b": "B1-101", "props": {"source": "s"}}],
    )
    write_rows(
        store,
        rel_write("Person", "MEMBER_OF", "PartyOrg"),
        [{"a": "a" * 20, "b": "P\n1", "props": {"source": "s"}}],
    )
    write_rows(
        store,
        rel_write("PartyOrg", "BASED_IN", "Grid"),
        [{"a": "P\n1", "b": "G,1", "props": {"source": "s"}}],
    )
    serves = rel_write("Person", "SERVES", "Grid")
    write_rows(
        store,
        serves,
        [
            {"a": "b" * 20, "b": "G,0", "key": "专职网格员|", "props": {"role": "专职网格员", "since": None, "until": None, "source": "s"}},
            {"a": "b" * 20, "b": "G,0", "key": "专职网格员|2023-01-01", "props": {"role": "专职网格员", "since": "2023-01-01", "until": "2024-01-01", "source": "s"}},
        ],
    )  # fmt: skip
    write_rows(
        store,
        rel_write("Unit", "CO_BUILDS", "Community"),
        [{"a": "91520603MA6DXYZ123", "b": "C\\1`'\"", "key": "", "props": {"since": None, "until": None, "project": "共建\r\n项目", "source": "s"}}],
    )  # fmt: skip
    write_rows(
        store,
        rel_write("Person", "CONTACTS", "Grid"),
        [{"a": "c" * 20, "b": "G,2", "key": "", "props": {"category": "其他", "title": HOSTILE[2], "since": None, "until": None, "source": "s"}}],
    )  # fmt: skip
    write_rows(store, rel_write("Unit", "REPORTED_TO", "Community"), [{"a": "91520603MA6DXYZ123", "b": "C\\1`'\"", "props": {"date": "2024-05-01", "post": "", "source": "s"}}])  # fmt: skip


def use_store(monkeypatch: pytest.MonkeyPatch, store: Store, data_dir: Path) -> None:
    """Point the CLI at this test's graph (the shared embedded server, its own graph name)."""
    import orggraph.api.cli as cli

    from orggraph.settings import Settings

    class Unclosed:
        def __init__(self, s: Store) -> None:
            self._s = s

        def __getattr__(self, name: str) -> Any:
            return getattr(self._s, name)

        def close(self) -> None:  # the fixture closes it
            pass

    monkeypatch.setenv("ORGGRAPH_DATA_DIR", str(data_dir))  # the load lock lives there
    monkeypatch.setattr(cli, "get_settings", lambda: Settings())
    monkeypatch.setattr(cli, "_open_store", lambda settings: Unclosed(store))
