"""Expand in place: a node's neighbourhood, or one counted group's members, as vis-network nodes and edges the
page adds to the canvas it already shows (`GET /api/graph/neighbourhood`, drawn by `graph-tools.js`).

The nodes are styled by the same code as the pages (`pages.EgoStyle`, `render.vis_network`): the same
colours, shapes, click panel and masking by role. Who may ask about what, and what they see of it, is
`queries.policy`'s (the route checks the key; `hide_outside` anonymizes here).
"""

from __future__ import annotations

from typing import Any

from orggraph.graph.store import Store
from orggraph.queries.network import (
    GROUP_PAGE_MAX,
    GNode,
    ego_network,
    group_members,
    group_noun,
    parse_group_kind,
)
from orggraph.queries.policy import Access
from orggraph.queries.scope import ScopeError, check_as_of
from orggraph.viz.access import hide_outside, viewer_or_default
from orggraph.viz.pages import EgoStyle
from orggraph.viz.render import Links, base_options, vis_network

__all__ = ["neighbourhood", "NEIGHBOURHOOD_MAX"]

NEIGHBOURHOOD_MAX = GROUP_PAGE_MAX  # nodes answered per request, whatever `limit` asks


class _NeighbourStyle(EgoStyle):
    """New nodes are drawn like the second step of a page (small); the node expanded keeps its own look."""

    def __call__(self, n: GNode) -> dict[str, Any]:
        attrs = super().__call__(n)
        if n.id == self.graph.center and attrs.get("shape") == "star":
            del attrs["shape"]
            attrs.pop("font", None)
        attrs["value"] = 4 if n.label == "Group" else (12 if n.id == self.graph.center else 5)
        return attrs


def _unique_anonymous(nodes: list[dict[str, Any]], edges: list[dict[str, Any]], prefix: str) -> None:
    """Anonymous steps are numbered per answer ("person:1"): prefixed by what was expanded, so two answers
    never merge two different people into one node on the canvas."""
    rename = {}
    for n in nodes:
        nid = str(n["id"])
        if nid.startswith(("person:", "hidden:")):
            rename[nid] = f"{prefix}/{nid}"
            n["id"] = rename[nid]
    for e in edges:
        e["from"] = rename.get(e["from"], e["from"])
        e["to"] = rename.get(e["to"], e["to"])
        e["id"] = (
            f"{e['from']}>{e['id']}"
            if e["from"] in rename.values() or e["to"] in rename.values()
            else e["id"]
        )


def neighbourhood(
    store: Store,
    key: str,
    *,
    kind: str | None = None,
    depth: int = 1,
    offset: int = 0,
    limit: int = 50,
    as_of: str | None = None,
    viewer: Access | None = None,
    links: Links | None = None,
) -> dict[str, Any]:
    """Without `kind`: the node's neighbours (`depth` 1 or 2), at most `limit` nodes, the rest counted in
    group nodes. With `kind` ("REL:in|out:Label", a group node's `expand.kind`): that group's members from
    `offset`, at most `limit`. Either way {"anchor", "nodes", "edges", "total", "offset", "limit", "returned",
    "more", "noun", "notes"}; `total` is the group's size (kind) or the nodes drawn (no kind)."""
    day = check_as_of(as_of)
    if depth not in (1, 2):
        raise ScopeError("depth 只能是 1 或 2", 422)
    limit = max(1, min(NEIGHBOURHOOD_MAX, limit))
    offset = max(0, offset)
    access = viewer_or_default(viewer)
    links = links if links is not None else Links(base="", as_of=as_of)
    noun = ""
    if kind:
        g, total = group_members(store, key, kind, offset=offset, limit=limit, as_of=day)
        returned = sum(1 for n in g.nodes.values() if n.id != g.center)
        more = offset + returned < total
        rel, outgoing, label = parse_group_kind(kind)
        noun = group_noun(rel, label, outgoing)
    else:
        g = ego_network(store, key, depth=depth, as_of=day, cap=limit + 1)
        returned = total = len(g.nodes) - 1
        more = False
    anchor = g.center
    g = hide_outside(store, g, access)
    net = vis_network(
        g,
        viewer=access,
        links=links,
        style=_NeighbourStyle(links, g),
        options=base_options(False),
        edge_labels=False,
    )
    nodes, edges = list(net.nodes), list(net.edges)
    _unique_anonymous(nodes, edges, f"{key}|{kind or ''}|{offset}")
    return {
        "anchor": anchor,
        "key": key,
        "kind": kind,
        "nodes": nodes,
        "edges": edges,
        "total": total,
        "offset": offset,
        "limit": limit,
        "returned": returned,
        "more": more,
        "noun": noun,
        "notes": list(g.notes),
        "as_of": day,
    }
