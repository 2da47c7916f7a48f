"""Which embedded store `orggraph demo` may clear: an empty one, or one that holds only an earlier demo's
data.

`orggraph demo` always works on the embedded store under ORGGRAPH_DATA_DIR (never on ORGGRAPH_URI) and clears
its graph before loading the demo. The same folder is where `orggraph load` keeps real ledgers by default, so
the demo must not clear a store just because it is there. It knows its own data by a marker file,
`ORGGRAPH_DATA_DIR/demo-store.json`:

- written *before* the demo clears the graph (``{"graph": name}``: whatever is in that graph from now on is
  the demo's, even when the load is interrupted), then completed *after* a successful load with the node and
  relationship counts the demo left there;
- removed by `orggraph load` (just before it writes; a dry run or a refused load leaves it) and by
  `orggraph restore` whenever they write to that same embedded store: from then on the graph holds data of
  the user's.

A graph counts as the demo's only when the marker names it and, once complete, its counts still match the
graph: anything else written to it meanwhile (by an older orggraph, a script, another tool) changes the counts
and makes the demo refuse rather than guess. An empty graph is always fine to use. A marker that cannot be
read counts as absent (refuse); one that cannot be removed stops the load or restore (LoadError).

Everything here runs under the load lock (loaders/importer.py load_lock), so no load slips in between the
check and the clear.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any

from orggraph.graph.cypher import statement
from orggraph.graph.store import Store
from orggraph.loaders.importer import LoadError

from orggraph.settings import Settings

__all__ = [
    "MARKER_NAME",
    "graph_counts",
    "holds_only_demo",
    "claim_for_demo",
    "mark_demo_loaded",
    "forget_demo",
]

MARKER_NAME = "demo-store.json"

_NODES = statement(
    "demo.count.nodes", "MATCH (n) RETURN count(n) AS n", "演示：图中的节点总数", origin=__name__
)
_RELS = statement(
    "demo.count.relationships",
    "MATCH ()-[r]->() RETURN count(r) AS n",
    "演示：图中的关系总数",
    origin=__name__,
)


def _marker(settings: Settings) -> Path:
    return settings.data_dir / MARKER_NAME


def graph_counts(store: Store) -> tuple[int, int]:
    """(nodes, relationships) of the store's graph; (0, 0) for a graph never written to."""
    return int(store.read(_NODES).scalar() or 0), int(store.read(_RELS).scalar() or 0)


def _read_marker(settings: Settings) -> dict[str, Any] | None:
    try:
        data = json.loads(_marker(settings).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def holds_only_demo(settings: Settings, counts: tuple[int, int]) -> bool:
    """True when the graph, holding `counts` (graph_counts) now, may be cleared by the demo without asking."""
    if counts[0] == 0 and counts[1] == 0:
        return True
    marker = _read_marker(settings)
    if marker is None or marker.get("graph") != settings.graph_name:
        return False
    if "nodes" not in marker:  # an earlier demo was interrupted while loading: what is there is its own
        return True
    return (marker.get("nodes"), marker.get("relationships")) == counts


def _write_marker(settings: Settings, data: dict[str, Any]) -> None:
    """Written to a temporary name, then renamed: a marker is whole or absent."""
    path = _marker(settings)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)
    except OSError as e:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise LoadError(
            f"无法写入 {path}（{e.strerror or e}）：请检查数据文件夹的权限和剩余空间，然后重新运行。"
        ) from None


def claim_for_demo(settings: Settings) -> None:
    """Before the demo clears the graph: from now on its content is the demo's."""
    _write_marker(settings, {"graph": settings.graph_name})


def mark_demo_loaded(settings: Settings, counts: tuple[int, int], residents: int) -> None:
    """After a successful demo load: what the demo left there, to tell it from anything written later."""
    nodes, rels = counts
    _write_marker(
        settings,
        {"graph": settings.graph_name, "nodes": nodes, "relationships": rels, "residents": residents},
    )


def forget_demo(settings: Settings) -> None:
    """Before a load or restore writes to the embedded store: its graph no longer holds only demo data."""
    if settings.backend != "falkordb-embedded":
        return  # the embedded store (the demo's) is not the one written to
    marker = _read_marker(settings)
    if marker is not None and marker.get("graph") != settings.graph_name:
        return  # the demo's graph is another one of the same store, and stays the demo's
    path = _marker(settings)
    try:
        path.unlink(missing_ok=True)
    except OSError as e:
        raise LoadError(
            f"无法删除演示标记 {path}（{e.strerror or e}）：请检查数据文件夹的权限后重新运行。"
            "库中的数据没有改动。"
        ) from None
