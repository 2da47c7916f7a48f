"""Who may see what on a page: the pages ask `orggraph.queries.policy`, as the API routes do; this module only
adds what a page needs around it (a resolved node or scope, its title)."""

from __future__ import annotations

from typing import Any

from orggraph.graph.schema import display_name
from orggraph.graph.store import Store
from orggraph.queries import policy
from orggraph.queries.network import Graph
from orggraph.queries.policy import Access, Role
from orggraph.queries.scope import NodeRef, check_as_of, resolve_key
from orggraph.viz.render import Links

__all__ = [
    "DEFAULT_VIEWER",
    "viewer_or_default",
    "check_node_access",
    "scope_context",
    "scope_title",
    "page_setup",
    "hide_outside",
]

# A page built without a viewer (library use, tests): everything, people included, phones masked.
DEFAULT_VIEWER = Access(Role.analyst)


def viewer_or_default(viewer: Access | None) -> Access:
    return viewer if viewer is not None else DEFAULT_VIEWER


def check_node_access(store: Store, key: str, viewer: Access | None) -> NodeRef:
    """The node a key names, if the viewer may ask about it (`policy.node_for`: 404 unknown or outside the
    jurisdiction, alike; 403 a pid for a viewer)."""
    ref = policy.node_for(store, viewer_or_default(viewer), key)
    return ref if ref is not None else resolve_key(store, key, with_regions=False)


def scope_context(ref: NodeRef | None) -> dict[str, Any] | None:
    if ref is None:
        return None
    return {"code": ref.key, "name": ref.name or ref.key, "label": ref.label, "zh": display_name(ref.label)}


def scope_title(ref: NodeRef | None) -> str:
    return f"{ref.name or ref.key}（{display_name(ref.label)}）" if ref else "全部数据"


def page_setup(
    store: Store, scope: str | None, as_of: str | None, viewer: Access | None, links: Links | None
) -> tuple[str, Links, NodeRef | None]:
    """What every scoped page starts from: the checked date, where links go, the scope it may show."""
    day = check_as_of(as_of)
    ref = policy.page_scope(store, viewer_or_default(viewer), scope)
    return day, links if links is not None else Links(as_of=as_of), ref


def hide_outside(store: Store, g: Graph, viewer: Access | None) -> Graph:
    """`policy.hide_outside`: outside the jurisdiction, and people for a viewer, as anonymous steps."""
    return policy.hide_outside(store, g, viewer_or_default(viewer))
