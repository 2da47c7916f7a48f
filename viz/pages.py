"""The network pages as pure functions of (store, arguments, viewer's role and jurisdiction) → one HTML
string.

The same functions serve `/pages/...` and write the standalone files of `orggraph viz`; only `links`
(where clicks go) and `inline_assets` (vis-network inside the file or from the server) differ.

Length (about 770 lines): one builder per page, six in all, sharing the access checks and the page frame.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from orggraph.graph.schema import ORG_KINDS, UNIT_KINDS, display_name
from orggraph.graph.store import Store
from orggraph.queries.banners import banners
from orggraph.queries.network import (
    NODE_CAP,
    GNode,
    Graph,
    cobuilding_network,
    ego_network,
    grids_without_party_org,
    node_id,
    org_tree,
    path_graph,
    unnamed,
)
from orggraph.queries.policy import ROLE_ZH, Access, Role
from orggraph.queries.scope import RESOLVE, ScopeError, check_as_of
from orggraph.queries.search import KIND_ZH, search
from orggraph.viz.access import (
    check_node_access,
    hide_outside,
    page_setup,
    scope_context,
    scope_title,
    viewer_or_default,
)
from orggraph.viz.contact_tables import CONTACT_LABELS, contact_tables, short_summary
from orggraph.viz.members import members_href
from orggraph.viz.overview import build_gaps, build_overview
from orggraph.viz.pickers import pickers
from orggraph.viz.render import (
    GROUP_COLOR,
    LABEL_COLORS,
    LABEL_SHAPES,
    PARTY_BORDER,
    RAG_COLORS,
    RAG_TEXT,
    TOKENS_JS,
    TREE_JS,
    UNCOVERED_COLOR,
    UNIT_KIND_COLORS,
    Links,
    base_options,
    legend_items,
    page_js_src,
    radial_positions,
    rag,
    render,
    short,
    static_text,
    vis_network,
)

__all__ = [
    "build_ego",
    "build_cobuilding",
    "build_org_tree",
    "build_path",
    "build_overview",
    "build_gaps",
]


# --------------------------------------------------------------------------------------------- styles
class NodeStyle:
    """vis attributes and legend entries for each node; pages subclass to colour by what matters there."""

    def __init__(self, links: Links, graph: Graph) -> None:
        self.links = links
        self.graph = graph

    def __call__(self, n: GNode) -> dict[str, Any]:
        if n.flags.get("hidden"):
            return {
                "shape": "box",
                "label": f"辖区外\n{n.flags['zh']}",
                "color": {"background": "#e9ecef", "border": "#adb5bd"},
                "font": {"color": "#6c757d"},
                "shapeProperties": {"borderDashes": [4, 3]},
                "value": 4,
                "title": f"在您的管辖范围之外的{n.flags['zh']}",
                "extra_props": [("类型", n.flags["zh"])],
            }
        if n.label == "Group":
            return {
                "shape": "box",
                "color": {"background": GROUP_COLOR, "border": "#7d8790"},
                "font": {"color": "#ffffff"},
                "value": 4,
                "title": f"另有 {n.count:,} 个{n.noun}未逐一显示",
                "extra_props": [("合并的节点数", f"{n.count:,}"), ("类型", n.noun)],
                "links": self._group_links(n),
            }
        color = LABEL_COLORS.get(n.label, "#888888")
        attrs: dict[str, Any] = {
            "shape": LABEL_SHAPES.get(n.label, "dot"),
            "color": {
                "background": color,
                "border": color,
                "highlight": {"background": color, "border": "#111111"},
            },
            "title": f"{n.name}\n{display_name(n.label)}",
        }
        if "PartyMember" in n.labels:
            attrs["color"]["border"] = PARTY_BORDER
            attrs["borderWidth"] = 3
        if n.label in ("District", "Street", "Community") and n.key:
            pages = (("overview", "覆盖率概览"), ("cobuilding", "联建共建网络"), ("org-tree", "党组织架构"))
            attrs["links"] = [
                {"text": f"{self._scope_name(n)}的{text}", "href": href}
                for page, text in pages
                if (href := self.links.href(f"/pages/{page}", scope=n.key))
            ]
        return attrs

    def _group_links(self, n: GNode) -> list[dict[str, Any]]:
        """A group node opens the paged list of its members (the anchor's neighbours of that kind)."""
        anchor = self.graph.nodes.get(n.parent or "")
        href = members_href(self.links, str(anchor.key), n.via) if anchor is not None and anchor.key else None
        if href:
            return [{"text": f"查看全部{n.noun}名单（分页）", "href": href}]
        return [{"text": f"在其所连节点的关系图中可以看到前若干个{n.noun}"}]

    @staticmethod
    def _scope_name(n: GNode) -> str:
        return short(n.name, 10)

    def legend(self, n: GNode) -> list[dict[str, str]]:
        if n.flags.get("hidden"):
            return [
                {
                    "kind": "node",
                    "shape": "box",
                    "color": "#e9ecef",
                    "border": "#adb5bd",
                    "dashed": "1",
                    "text": "辖区外（只显示类型）",
                    "key": "node:hidden",
                }
            ]
        if n.label == "Group":
            return [
                {
                    "kind": "node",
                    "shape": "box",
                    "color": GROUP_COLOR,
                    "text": "合并节点（+数量）",
                    "key": "node:Group",
                }
            ]
        items = [
            {
                "kind": "node",
                "color": LABEL_COLORS.get(n.label, "#888"),
                "shape": LABEL_SHAPES.get(n.label, "dot"),
                "text": display_name(n.label),
                "key": f"node:{n.label}",
            }
        ]
        if "PartyMember" in n.labels:
            items.append(
                {
                    "kind": "node",
                    "color": "#ffffff",
                    "border": PARTY_BORDER,
                    "text": "红圈：" + display_name("PartyMember"),
                }
            )
        return items


class EgoStyle(NodeStyle):
    def __init__(self, links: Links, graph: Graph, summary: str | None = None) -> None:
        super().__init__(links, graph)
        self.summary = summary  # the centre's "who contacts here" in short, for its click panel

    def __call__(self, n: GNode) -> dict[str, Any]:
        attrs = super().__call__(n)
        if n.id == self.graph.center and self.summary is not None:
            attrs.setdefault("extra_props", []).append(("联系情况", self.summary))
            attrs.setdefault("links", []).append(
                {"text": "完整联系表见图下方（可导出 Excel）", "href": "#contact-tables"}
            )
        attrs["value"] = 30 if n.id == self.graph.center else (12 if n.level == 1 else 5)
        if n.label == "Group":
            attrs["value"] = 10 if n.level == 1 else 4
        if n.id == self.graph.center:
            attrs["shape"] = "star"
            attrs["font"] = {"size": 22}
        return attrs


# ------------------------------------------------------------------------------------------------- ego
def build_ego(
    store: Store,
    key: str,
    *,
    depth: int = 1,
    as_of: str | None = None,
    viewer: Access | None = None,
    links: Links | None = None,
    inline_assets: bool = False,
    cap: int = NODE_CAP,
) -> str:
    """A node's ego network, one or two steps, at most `cap` nodes (the rest as counted group nodes)."""
    day = check_as_of(as_of)
    links = links if links is not None else Links(as_of=as_of)
    if depth not in (1, 2):
        raise ScopeError("depth 只能是 1 或 2", 422)
    ref = check_node_access(store, key, viewer)
    g = hide_outside(store, ego_network(store, key, depth=depth, as_of=day, cap=cap), viewer)
    node_banners = banners(store, ref, day)
    center = g.nodes[g.center] if g.center else None
    tables = contact_tables(store, ref, day, viewer_or_default(viewer), links)
    style = EgoStyle(
        links, g, summary=short_summary(tables, ref.label) if tables or ref.label in CONTACT_LABELS else None
    )
    pos = radial_positions(g)
    # Every node is placed by radial_positions: no physics, so even a 500-node page is usable at once
    # (with physics the busiest community of a 1M city took 11 s to settle).
    opts = base_options(False, n_nodes=len(g.nodes))
    opts["layout"]["improvedLayout"] = False
    net = vis_network(g, viewer=viewer, links=links, style=_positioned(style, pos), options=opts)
    title = f"{center.name if center else key} 的关系图"
    subtitle = (
        f"{display_name(center.label) if center else ''} · {'两步' if depth == 2 else '一步'}邻居 · "
        f"{len(g.nodes):,} 个节点、{len(g.edges):,} 条关系"
    )
    return render(
        "graph.html",
        title=title,
        subtitle=subtitle,
        links=links,
        inline_assets=inline_assets,
        as_of=day,
        net=net,
        notes=g.notes,
        legend=legend_items(g, style),
        here="",
        form=_ego_form(links, key, depth, day),
        tables=tables,
        tables_title=("谁联系这里" if ref.label in CONTACT_LABELS else "联系的对象和覆盖范围")
        if tables
        else None,
        export_href=links.href(f"/pages/contacts/{quote(key, safe='')}.xlsx") if tables else None,
        banners=node_banners,
    )


def _ego_form(links: Links, key: str, depth: int, day: str) -> dict[str, Any] | None:
    if not links.enabled:
        return None
    return {
        "action": (links.base or "").rstrip("/") + "/pages/ego/" + key,
        "fields": [
            {
                "name": "depth",
                "text": "步数",
                "value": str(depth),
                "options": [{"value": "1", "text": "一步邻居"}, {"value": "2", "text": "两步邻居"}],
            }
        ]
        + (
            [
                {
                    "name": "as_of",
                    "text": "日期",
                    "value": links.as_of or day,  # the day shown, also when the address names none
                    "placeholder": "YYYY-MM-DD",
                    "type": "date",
                }
            ]
        ),
    }


def _positioned(style: NodeStyle, pos: dict[str, tuple[float, float]]) -> Any:
    class _S:
        def __call__(self, n: GNode) -> dict[str, Any]:
            attrs = style(n)
            if n.id in pos:
                attrs["x"], attrs["y"] = round(pos[n.id][0], 1), round(pos[n.id][1], 1)
                if n.level <= 1:
                    attrs["fixed"] = True  # released once the layout has settled (graph-page.js)
            return attrs

        def legend(self, n: GNode) -> list[dict[str, str]]:
            return style.legend(n)

    return _S()


# ------------------------------------------------------------------------------------------ co-building
class CobuildingStyle(NodeStyle):
    def __init__(self, links: Links, graph: Graph) -> None:
        super().__init__(links, graph)
        self.degree: dict[str, int] = {}
        for e in graph.edges:
            self.degree[e.source] = self.degree.get(e.source, 0) + 1
            self.degree[e.target] = self.degree.get(e.target, 0) + 1

    def __call__(self, n: GNode) -> dict[str, Any]:
        deg = self.degree.get(n.id, 0)
        if n.label == "Community":
            uncovered = bool(n.flags.get("uncovered"))
            bg = "#fde8e8" if uncovered else LABEL_COLORS["Community"]
            attrs: dict[str, Any] = {
                "shape": "box",
                "label": n.name + ("\n（无共建单位）" if uncovered else ""),
                "color": {"background": bg, "border": UNCOVERED_COLOR if uncovered else "#1f6f66"},
                "font": {"color": "#9d0208" if uncovered else "#ffffff", "size": 15},
                "borderWidth": 3 if uncovered else 1,
                "shapeProperties": {"borderDashes": [6, 4]} if uncovered else {},
                "value": 10 + deg,
                "kind_key": "node:Community:uncovered" if uncovered else "node:Community",
                "title": f"{n.name}\n共建单位 {n.flags.get('partners', 0)} 家",
                "extra_props": [
                    ("所属街道", n.flags.get("street_name") or "—"),
                    ("在期共建单位", str(n.flags.get("partners", 0))),
                ],
            }
            href = self.links.href("/pages/cobuilding", scope=n.key)
            if href:
                attrs["links"] = [{"text": "只看这个社区的共建网络", "href": href}]
            return attrs
        if n.label == "Unit":
            kind = n.props.get("kind") or "其他"
            c = UNIT_KIND_COLORS.get(kind, UNIT_KIND_COLORS["其他"])
            return {
                "shape": "dot",
                "color": {"background": c, "border": c},
                "value": 2 + 3 * deg,
                "kind_key": f"unit:{kind}",
                "title": f"{n.name}\n{kind} · 共建 {deg} 个社区",
                "extra_props": [("共建社区数（本图）", str(deg))],
            }
        if n.label == "Street":  # summary mode
            covered, total = int(n.flags.get("covered", 0)), int(n.flags.get("communities", 0))
            ratio = covered / total if total else 0.0
            level = rag(ratio, "cobuilding")
            attrs = {
                "shape": "box",
                "label": f"{n.name}\n共建覆盖 {covered}/{total}",
                "color": {"background": RAG_COLORS[level], "border": "#333333"},
                "font": {"color": "#ffffff", "size": 16},
                "level": 1,
                "extra_props": [
                    ("社区", str(total)),
                    ("有在期共建的社区", str(covered)),
                    ("覆盖率", f"{ratio:.0%}"),
                ],
            }
            href = self.links.href("/pages/cobuilding", scope=n.key)
            if href:
                attrs["links"] = [{"text": "查看本街道的共建明细", "href": href}]
            return attrs
        if n.flags.get("unit_kind"):  # summary mode: one node per unit kind
            kind = n.flags["unit_kind"]
            c = UNIT_KIND_COLORS.get(kind, UNIT_KIND_COLORS["其他"])
            return {
                "shape": "box",
                "level": 0,
                "label": f"{kind}\n{n.count:,} 家（按街道计）",
                "color": {"background": c, "border": c},
                "font": {"color": "#ffffff", "size": 16},
                "extra_props": [("共建单位（各街道相加）", f"{n.count:,}")],
            }
        return super().__call__(n)

    def legend(self, n: GNode) -> list[dict[str, str]]:
        if n.label == "Community":
            if n.flags.get("uncovered"):
                return [
                    {
                        "kind": "node",
                        "shape": "box",
                        "color": "#fde8e8",
                        "border": UNCOVERED_COLOR,
                        "dashed": "1",
                        "text": "社区：无在期共建单位",
                        "key": "node:Community:uncovered",
                    }
                ]
            return [
                {
                    "kind": "node",
                    "shape": "box",
                    "color": LABEL_COLORS["Community"],
                    "text": "社区",
                    "key": "node:Community",
                }
            ]
        if n.label == "Unit" or n.flags.get("unit_kind"):
            kind = n.props.get("kind") or n.flags.get("unit_kind") or "其他"
            shape = "box" if n.flags.get("unit_kind") else "dot"
            key = {} if n.flags.get("unit_kind") else {"key": f"unit:{kind}"}
            return [
                {
                    "kind": "node",
                    "shape": shape,
                    "color": UNIT_KIND_COLORS.get(kind, "#888"),
                    "text": f"单位：{kind}",
                    **key,
                }
            ]
        if n.label == "Street":
            return [
                {"kind": "node", "shape": "box", "color": RAG_COLORS[r], "text": t}
                for r, t in RAG_TEXT.items()
            ]
        return super().legend(n)


def build_cobuilding(
    store: Store,
    scope: str | None = None,
    *,
    as_of: str | None = None,
    viewer: Access | None = None,
    links: Links | None = None,
    inline_assets: bool = False,
    cap: int = NODE_CAP,
) -> str:
    """Units ↔ communities of a scope: coloured by unit kind, sized by degree, communities without partners
    marked."""
    day, links, sref = page_setup(store, scope, as_of, viewer, links)
    g = cobuilding_network(store, sref.key if sref else None, as_of=day, cap=cap)
    style = CobuildingStyle(links, g)
    if g.mode == "summary":  # unit kinds on the left, streets on the right, no physics
        opts = base_options(
            False,
            n_nodes=len(g.nodes),
            hierarchical={
                "enabled": True,
                "direction": "LR",
                "sortMethod": "directed",
                "levelSeparation": 420,
                "nodeSpacing": 90,
            },
        )
    else:
        opts = base_options(True, n_nodes=len(g.nodes))
    net = vis_network(g, viewer=viewer, links=links, style=style, options=opts)
    comms = [n for n in g.nodes.values() if n.label == "Community"]
    units = [n for n in g.nodes.values() if n.label == "Unit"]
    if g.mode == "summary":
        subtitle = "按街道汇总：街道 ↔ 共建单位类型"
    else:
        uncovered = sum(1 for c in comms if c.flags.get("uncovered"))
        subtitle = f"{len(comms):,} 个社区、{len(units):,} 家共建单位；{uncovered:,} 个社区没有在期共建单位"
    legend = legend_items(g, style)
    legend.sort(key=lambda it: (it.get("kind") == "edge", _legend_rank(it["text"])))
    return render(
        "graph.html",
        title=f"联建共建网络 · {scope_title(sref)}",
        subtitle=subtitle,
        links=links,
        inline_assets=inline_assets,
        as_of=day,
        scope=scope_context(sref),
        net=net,
        notes=g.notes,
        legend=legend,
        here="共建网络",
        form=None,
        pickers=pickers(
            store,
            viewer_or_default(viewer),
            links,
            "/pages/cobuilding",
            day,
            scope=sref.key if sref else None,
        ),
    )


def _legend_rank(text: str) -> int:
    order = ["社区", "社区：无在期共建单位", *(f"单位：{k}" for k in UNIT_KINDS)]
    return order.index(text) if text in order else len(order)


# --------------------------------------------------------------------------------------------- org tree
_ORG_COLORS = {
    "党工委": "#7f0a12",
    "党委": "#a4161a",
    "党总支": "#c1121f",
    "党支部": "#e5383b",
    "党小组": "#f28482",
}


def build_org_tree(
    store: Store,
    scope: str | None = None,
    *,
    as_of: str | None = None,
    viewer: Access | None = None,
    links: Links | None = None,
    inline_assets: bool = False,
    cap: int = NODE_CAP,
) -> str:
    """党工委 → 党委 → 党总支 → 党支部 → 党小组 of a scope as a collapsible, searchable tree: it opens at
    street level (each organization with the counts below it), flags organizations without a secretary and,
    under each community's organization, the grids without a party organization. At most `cap` organizations
    (the lower kinds past it counted per parent, as in `org_tree`)."""
    day, links, sref = page_setup(store, scope, as_of, viewer, links)
    access = viewer_or_default(viewer)
    g = org_tree(store, sref.key if sref else None, as_of=day, cap=cap)
    gaps = grids_without_party_org(store, sref.key if sref else None, limit=cap)
    roots, stats = _org_items(g, gaps, links, access)
    orgs = [n for n in g.nodes.values() if n.label == "PartyOrg"]
    by_kind = {k: sum(1 for o in orgs if o.props.get("kind") == k) for k in ORG_KINDS}
    subtitle = "，".join(f"{k} {n:,}" for k, n in by_kind.items() if n) or "范围内没有党组织"
    flags = []
    if stats["no_secretary"]:
        flags.append(f"{stats['no_secretary']:,} 个党组织未录入书记")
    if stats["grids"]:
        flags.append(f"{stats['grids']:,} 个网格未建党组织")
    return render(
        "org-tree.html",
        title=f"党组织架构 · {scope_title(sref)}",
        subtitle=subtitle + ("；" + "，".join(flags) if flags else ""),
        links=links,
        inline_assets=inline_assets,
        as_of=day,
        scope=scope_context(sref),
        notes=g.notes,
        here="组织架构",
        pickers=pickers(
            store, viewer_or_default(viewer), links, "/pages/org-tree", day, scope=sref.key if sref else None
        ),
        roots=roots,
        stats=stats,
        orphans=stats.pop("orphans"),
        kind_colors=_ORG_COLORS,
        tree_js=static_text(TREE_JS) if inline_assets else None,
        tree_src=page_js_src(links, TREE_JS),
    )


def _org_items(
    g: Graph, gaps: list[dict[str, Any]], links: Links, access: Access
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The organizations of `g` as nested items for the tree template, and what it flags."""
    children: dict[str, list[str]] = {}
    for e in g.edges:
        if e.type == "SUBORDINATE_TO" and e.source in g.nodes and e.target in g.nodes:
            children.setdefault(e.target, []).append(e.source)
    more: dict[str, list[str]] = {}
    more_count: dict[str, int] = {}
    for n in g.nodes.values():
        if n.label == "Group" and n.parent and n.of_label == "PartyOrg":
            more.setdefault(n.parent, []).append(f"另有 {n.count:,} 个{n.noun}（缩小范围可见）")
            more_count[n.parent] = more_count.get(n.parent, 0) + n.count
    gaps_at: dict[str, dict[str, Any]] = {}
    orphans: list[dict[str, Any]] = []
    for gap in gaps:
        gap["items"] = [{"name": name or code, "href": links.ego(code)} for code, name in gap["grids"]]
        at = next((node_id("PartyOrg", o) for o in gap["orgs"] if node_id("PartyOrg", o) in g.nodes), None)
        if at:
            gaps_at[at] = gap
        else:
            orphans.append(gap)
    stats: dict[str, Any] = {
        "no_secretary": 0,
        "grids": sum(x["total"] for x in gaps),
        "orgs": 0,
        "orphans": orphans,
    }

    def item(n: GNode, depth: int) -> dict[str, Any]:
        stats["orgs"] += 1
        secs = n.flags.get("secretaries") or []
        if not secs:
            stats["no_secretary"] += 1
        kids = sorted(
            (g.nodes[c] for c in children.get(n.id, [])),
            key=lambda c: (_ORG_RANK.get(c.props.get("kind") or "", 9), c.name, c.key or ""),
        )
        sub = [item(c, depth + 1) for c in kids]
        below = sum(1 + s["below"] for s in sub) + more_count.get(n.id, 0)
        gap = gaps_at.get(n.id)
        return {
            "name": n.name,
            "kind": n.props.get("kind") or "党组织",
            "href": links.ego(str(n.key)),
            "secretaries": [
                {"name": s.name, "href": links.ego(str(s.key)) if access.people else None} for s in secs
            ],
            "members": int(n.flags.get("members", 0)),
            "part_time": int(n.flags.get("part_time", 0)),
            "children": sub,
            "more": more.get(n.id, []),
            "below": below,
            "grid_gap": gap,
            "open": False,
            "search": " ".join([n.name, n.key or "", *(s.name for s in secs)]),
        }

    parent_ids = {e.source for e in g.edges if e.type == "SUBORDINATE_TO"}
    tops = sorted(
        (n for n in g.nodes.values() if n.label == "PartyOrg" and n.id not in parent_ids),
        key=lambda c: (_ORG_RANK.get(c.props.get("kind") or "", 9), c.name, c.key or ""),
    )
    roots = [item(n, 0) for n in tops]
    if (
        len(roots) <= 3
    ):  # one street (or a few): open its top so the tree starts at the street's organizations
        for r in roots:
            r["open"] = True
    return roots, stats


_ORG_RANK = {k: i for i, k in enumerate(ORG_KINDS)}


# ------------------------------------------------------------------------------------------------- path
def build_path(
    store: Store,
    from_key: str | None,
    to_key: str | None,
    *,
    as_of: str | None = None,
    viewer: Access | None = None,
    links: Links | None = None,
    inline_assets: bool = False,
) -> str:
    """The shortest contact path between two nodes, laid out left to right with the roles on its edges."""
    day = check_as_of(as_of)
    links = links if links is not None else Links(as_of=as_of)
    form: dict[str, Any] | None = None
    if links.enabled:
        form = {
            "action": (links.base or "").rstrip("/") + "/pages/path",
            "fields": [
                {
                    "name": "from",
                    "text": "起点",
                    "value": from_key,
                    "placeholder": "姓名、名称或编码",
                    "picker": True,
                },
                {
                    "name": "to",
                    "text": "终点",
                    "value": to_key,
                    "placeholder": "姓名、名称或编码",
                    "picker": True,
                },
                {
                    "name": "as_of",
                    "text": "日期",
                    "value": links.as_of or day,  # the day shown, also when the address names none
                    "placeholder": "YYYY-MM-DD",
                    "type": "date",
                },
            ],
        }
    g = Graph()
    notes: list[str] = []
    title = "联系路径"
    if from_key and to_key:
        a = check_node_access(store, typed_key(store, from_key, viewer, "起点"), viewer)
        b = check_node_access(store, typed_key(store, to_key, viewer, "终点"), viewer)
        g = hide_outside(store, path_graph(store, a.key, b.key, as_of=day), viewer)
        if (
            form is not None
        ):  # the ends by name, their keys kept for the picker (a click sends pids and codes)
            for field, ref in zip(form["fields"], (a, b), strict=False):
                if ref.label != "Person" or (ref.name and viewer_or_default(viewer).people):
                    field.update(value=ref.name or unnamed(ref.label, ref.key), key=ref.key)
        ends = sorted((n for n in g.nodes.values()), key=lambda n: n.level)
        names = (ends[0].name, ends[-1].name) if ends else (a.name or a.key, b.name or b.key)
        title = f"联系路径：{names[0]} → {names[1]}"
        notes += g.notes
    elif links.enabled:
        notes.append(
            "请输入起点和终点的姓名、名称或编码并从建议中选择；也可在任一关系图中点击节点，选“设为联系路径的起点”。"
        )
    else:
        raise ScopeError("导出联系路径需要 --from 和 --to", 422)
    style = NodeStyle(links, g)
    opts = base_options(
        False,
        hierarchical={
            "enabled": True,
            "direction": "LR",
            "sortMethod": "directed",
            "levelSeparation": 240,
            "nodeSpacing": 120,
        },
        n_nodes=len(g.nodes),
    )
    opts["edges"]["font"].update(size=15)
    net = vis_network(
        g,
        viewer=viewer,
        links=links,
        style=_path_style(style),
        options=opts,
        edge_labels=True,
        edge_label_lines=True,
    )
    steps = max(0, len(g.nodes) - 1)
    return render(
        "graph.html",
        title=title,
        subtitle=f"{steps} 步" if g.nodes else "",
        links=links,
        inline_assets=inline_assets,
        as_of=day,
        net=net,
        notes=notes,
        legend=legend_items(g, style),
        here="联系路径",
        form=form,
    )


def typed_key(store: Store, text: str, viewer: Access | None, what: str) -> str:
    """What a user typed into a picker: a code or pid as it is; otherwise a name (or its 拼音首字母) that
    search finds for this viewer exactly once (422 listing the candidates when several share it, 404 when
    none)."""
    text = text.strip()
    if store.read(RESOLVE, {"key": text}).rows:
        return text
    hits = search(store, text, viewer_or_default(viewer), limit=10)
    exact = [h for h in hits if h["name"] == text] or hits
    if len(exact) == 1:
        return str(exact[0]["key"])
    if not exact:
        raise ScopeError(
            f"{what}「{text}」找不到：请输入姓名、名称或编码（可用拼音首字母），并从下拉建议中选择。", 404
        )
    options = "；".join(f"{KIND_ZH[h['kind']]} {h['name']}（{h['where'] or h['key']}）" for h in exact[:6])
    raise ScopeError(f"{what}「{text}」有 {len(exact)} 个匹配：{options}。请从下拉建议中选择一个。", 422)


def _path_style(style: NodeStyle) -> Any:
    class _S:
        def __call__(self, n: GNode) -> dict[str, Any]:
            attrs = style(n)
            attrs.update(shape="box", level=n.level, font={"color": "#ffffff", "size": 18}, margin=8)
            attrs["label"] = short(n.name, 18) + "\n" + display_name(n.label)
            return attrs

        def legend(self, n: GNode) -> list[dict[str, str]]:
            return style.legend(n)

    return _S()


# ------------------------------------------------------------------------------------------ tokens (admin)
def build_tokens(links: Links, me: str | None = None) -> str:
    """The admin's token page: create (the new token shown once), list and revoke, on `/api/tokens`."""
    roles = [{"value": r.value, "text": f"{ROLE_ZH[r.value]}（{r.value}）"} for r in Role]
    return render(
        "tokens.html",
        title="令牌管理",
        subtitle="为工作人员创建登录令牌、查看和吊销；令牌只在创建时显示一次",
        links=links,
        inline_assets=False,
        as_of=check_as_of(None),
        here="令牌管理",
        roles=roles,
        me=me,
        tokens_src=page_js_src(links, TOKENS_JS),
    )
