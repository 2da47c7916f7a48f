"""The full content of a store as comparable multisets, read with plain whole-graph queries (test sizes only).

Independent of the code under test (the exporter's and backup's own readers): every node as (labels,
properties), every relationship as (start, type, end, properties) with ends named by label and key. Counters,
not sets, so a doubled node or relationship shows up as a difference.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from orggraph.graph.schema import NODES
from orggraph.graph.store import Store

_ALL_NODES = "MATCH (n) RETURN labels(n), properties(n)"
_ALL_RELS = (
    "MATCH (a)-[r]->(b) RETURN labels(a), coalesce(a.pid, a.code), type(r), properties(r), labels(b), coalesce(b.pid, b.code)"
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
    nodes: Counter[Any] = Counter()
    for labels, props in store.read(_ALL_NODES).rows:  # type: ignore[arg-type]
        nodes[(tuple(sorted(labels)), freeze(props))] += 1
    rels: Counter[Any] = Counter()
    for la, ka, t, props, lb, kb in store.read(_ALL_RELS).rows:  # type: ignore[arg-type]
        rels[(main_label(la), ka, t, freeze(props), main_label(lb), kb)] += 1
    return Content(nodes, rels)
