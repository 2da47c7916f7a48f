"""Who may see what on a page: the scope a page shows must lie inside the viewer's jurisdiction."""

from __future__ import annotations

from typing import Any

from orggraph.graph.schema import display_name
from orggraph.graph.store import Store
from orggraph.queries.network import GNode, Graph
from orggraph.queries.scope import NodeRef, ScopeError, check_as_of, in_scope, resolve_key, resolve_scope
from orggraph.viz.render import Links

__all__ = ["effective_scope", "check_node_access", "scope_context", "scope_title", "page_setup", "hide_outside"]


def effective_scope(store: Store, scope: str | None, user_scope: str | None) -> NodeRef | None:
    """The scope a page shows: the one asked for, which must lie inside the viewer's own (403 otherwise);
    by default the viewer's own."""
    if not user_scope:
        return resolve_scope(store, scope)
    if not scope:
        return resolve_scope(store, user_scope)
    ref = resolve_scope(store, scope)
    assert ref is not None
    if not in_scope(resolve_key(store, ref.key), user_scope):
        raise ScopeError(f"「{ref.name or ref.key}」不在您的管辖范围（{user_scope}）内", 403)
    return ref


def check_node_access(store: Store, key: str, user_scope: str | None) -> NodeRef:
    """The node a key names, if the viewer may see it (404 unknown, 403 outside the jurisdiction)."""
    ref = resolve_key(store, key, with_regions=bool(user_scope))
    if user_scope and not in_scope(ref, user_scope):
        raise ScopeError(f"「{ref.name or key}」不在您的管辖范围（{user_scope}）内", 403)
    return ref


def scope_context(ref: NodeRef | None) -> dict[str, Any] | None:
    if ref is None:
        return None
    return {"code": ref.key, "name": ref.name or ref.key, "label": ref.label, "zh": display_name(ref.label)}


def scope_title(ref: NodeRef | None) -> str:
    return f"{ref.name or ref.key}（{display_name(ref.label)}）" if ref else "全部数据"


def page_setup(
    store: Store, scope: str | None, as_of: str | None, user_scope: str | None, links: Links | None
) -> tuple[str, Links, NodeRef | None]:
    """What every scoped page starts from: the checked date, where links go, the scope it may show."""
    day = check_as_of(as_of)
    return day, links if links is not None else Links(as_of=as_of), effective_scope(store, scope, user_scope)


def hide_outside(store: Store, g: Graph, user_scope: str | None) -> Graph:
    """The graph as a viewer confined to `user_scope` may see it: nodes outside the jurisdiction (other than the
    regions above it) become anonymous steps that keep only their kind, and what hangs on them is dropped.

    Used by the ego and path pages, whose nodes can lie anywhere (a member's work unit, a leader's home).
    """
    if not user_scope:
        return g
    above = resolve_key(store, user_scope).regions

    def sees(n: GNode) -> bool:
        if n.key is None or n.key in above:
            return True
        try:
            return in_scope(resolve_key(store, n.key), user_scope)
        except ScopeError:
            return False

    out = Graph(center=g.center, omitted=g.omitted, notes=list(g.notes), mode=g.mode)
    rename: dict[str, str] = {}
    hidden = 0
    for n in g.nodes.values():
        if n.label == "Group":
            continue
        if sees(n):
            rename[n.id] = n.id
            out.add(n)
            continue
        hidden += 1
        zh = display_name(n.label)
        rename[n.id] = f"hidden:{hidden}"
        out.add(GNode(rename[n.id], n.label, None, {"name": f"辖区外的{zh}"}, level=n.level, via=n.via,
                      flags={"hidden": True, "zh": zh}))
    for n in g.nodes.values():  # counted groups only where their anchor is visible
        if n.label == "Group" and n.parent in rename and not rename[n.parent].startswith("hidden:"):
            out.add(n)
            rename[n.id] = n.id
    for n in out.nodes.values():
        n.parent = rename.get(n.parent) if n.parent else None
    for e in g.edges:
        if e.source in rename and e.target in rename:
            hides = rename[e.source] != e.source or rename[e.target] != e.target
            out.link(rename[e.source], rename[e.target], e.type, {} if hides else e.props)
    if hidden:
        out.notes.append(f"有 {hidden:,} 个节点在您的管辖范围（{user_scope}）之外：只显示其类型，不显示名称和属性。")
    return out
