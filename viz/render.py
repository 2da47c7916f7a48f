"""Turns a `Graph` into a vis-network page: pyvis for nodes, edges and options, our own Jinja templates (no
CDN), masking by role.

Served pages load vis-network from the app (`/pages/static/...`, cached); exported pages inline it, so
either way the browser asks no other host for anything.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from orggraph.graph.schema import NODES, RELS, display_name
from orggraph.queries.network import GEdge, GNode, Graph
from orggraph.queries.policy import Access, Role, present
from pyvis.network import Network

__all__ = [
    "VIS_VERSION",
    "VIS_FILE",
    "STATIC_DIR",
    "Links",
    "rag",
    "RAG_COLORS",
    "RAG_TEXT",
    "THRESHOLDS",
    "node_props",
    "vis_network",
    "render",
    "LABEL_COLORS",
    "UNIT_KIND_COLORS",
]

HERE = Path(__file__).resolve().parent
STATIC_DIR = HERE / "static"
TEMPLATES_DIR = HERE / "templates"
VIS_VERSION = "10.1.5"
VIS_FILE = "vis-network.min.js"  # standalone UMD build (CSS included), vendored from npm vis-network
PAGE_JS = "graph-page.js"
FIND_JS = "find.js"  # the header search box, pickers and print button of every served page
TOOLS_JS = "graph-tools.js"  # legend filters, PNG export, expand in place (after PAGE_JS)
TREE_JS = "org-tree.js"  # the org tree page: search, expand/collapse all
TOKENS_JS = "tokens-page.js"  # the admin's token page

FONT_FACE = (
    "'Noto Sans CJK SC','Source Han Sans SC','WenQuanYi Zen Hei','Microsoft YaHei','PingFang SC',sans-serif"
)

# Shapes tell kinds apart where colours are close (party organizations and party members are both red).
LABEL_SHAPES: dict[str, str] = {
    "District": "hexagon",
    "Street": "hexagon",
    "Community": "hexagon",
    "Grid": "triangle",
    "Building": "square",
    "Household": "dot",
    "PartyOrg": "diamond",
    "Unit": "square",
    "Person": "dot",
}
LABEL_COLORS: dict[str, str] = {
    "District": "#4a5a7a",
    "Street": "#3f72af",
    "Community": "#2a9d8f",
    "Grid": "#76a95b",
    "Building": "#d4a72c",
    "Household": "#e08e45",
    "PartyOrg": "#c1121f",
    "Unit": "#7b5ea7",
    "Person": "#5b7d99",
}
PARTY_BORDER = "#d62828"
GROUP_COLOR = "#9aa3ad"
UNCOVERED_COLOR = "#e63946"
UNIT_KIND_COLORS: dict[str, str] = {
    "党政机关": "#b5179e",
    "事业单位": "#7209b7",
    "国有企业": "#3a0ca3",
    "民营企业": "#f77f00",
    "社会组织": "#4cc9f0",
    "其他": "#8d99ae",
}
# One clearly different colour per relationship type (a categorical palette; only SUBORDINATE_TO is red, so
# the party relationships no longer read as five shades of one red). Structural PART_OF stays a pale grey.
REL_COLORS: dict[str, str] = {
    "PART_OF": "#b8c2cc",
    "LIVES_IN": "#8c6d46",
    "SUBORDINATE_TO": "#d62728",
    "BASED_IN": "#e377c2",
    "MEMBER_OF": "#ff7f0e",
    "SECRETARY_OF": "#9467bd",
    "WORKS_AT": "#6b6b6b",
    "SERVES": "#2ca02c",
    "CO_BUILDS": "#17becf",
    "PART_TIME_MEMBER_OF": "#bcbd22",
    "CONTACTS": "#1f4e9c",
    "REPORTED_TO": "#e6b000",
    "LINKS_HOUSEHOLD": "#006d77",
    "GROUP": "#c0c6cc",
}


def node_kind_key(node: GNode) -> str:
    """What the legend toggles a node by: "node:Label" ("node:Group", "node:hidden")."""
    if node.flags.get("hidden"):
        return "node:hidden"
    return f"node:{node.label}"


def edge_kind_key(edge_type: str) -> str:
    return f"edge:{edge_type}"


# Relationship properties worth showing, in order (internal `key` and `source` left out).
_REL_PROPS = ("role", "category", "title", "project", "post", "date", "since", "until", "source_unit")


RAG_COLORS = {"green": "#2d936c", "amber": "#e9a23b", "red": "#d62828"}
RAG_TEXT = {"green": "达标", "amber": "接近", "red": "不足"}
# (green at or above, amber at or above); below amber is red. Coverage rates should be near complete;
# the full-time share is judged against the usual two-thirds target (the 万山区 case had 58 %).
THRESHOLDS: dict[str, tuple[float, float]] = {
    "default": (0.9, 0.7),
    "fulltime_share": (0.67, 0.5),
}


def rag(ratio: float | None, measure: str = "default") -> str:
    """Red, amber or green for a ratio against the measure's thresholds (no data is red: nothing covered)."""
    green, amber = THRESHOLDS.get(measure, THRESHOLDS["default"])
    if ratio is None:
        return "red"
    return "green" if ratio >= green else ("amber" if ratio >= amber else "red")


@dataclass(frozen=True)
class Links:
    """Where a page's links point: root-relative on the server; an export links only when given a base URL."""

    base: str | None = (
        ""  # "" = same server; "http://host:port" = absolute; None = no links (standalone file)
    )
    as_of: str | None = None  # carried along when the user asked for a date
    console: bool = False  # the viewer may use the Cypher console: the top menu shows 查询控制台
    admin: bool = False  # the viewer is an admin: the menu offers the token page
    whatif: bool = False  # the viewer may run what-if scenarios: the menu offers 模拟调整

    @property
    def enabled(self) -> bool:
        return self.base is not None

    def href(self, path: str, **query: Any) -> str | None:
        if self.base is None:
            return None
        q = {k: v for k, v in query.items() if v not in (None, "")}
        if self.as_of and "as_of" not in q:
            q["as_of"] = self.as_of
        return self.base.rstrip("/") + path + ("?" + urlencode(q) if q else "")

    def ego(self, key: str, depth: int = 1) -> str | None:
        return self.href(f"/pages/ego/{quote(key, safe='')}", depth=depth)


def _fmt(value: Any) -> str:
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 10_000 else str(value)
    return str(value)


def node_props(node: GNode, viewer: Access | None) -> list[tuple[str, str]]:
    """(Chinese name, value) of a node's stored properties for display, as `policy.present` shows them to the
    viewer (phone opened for admin, masked otherwise); a person's name only for a role without `people`."""
    nt = NODES.get(node.label)
    if nt is None:
        return []
    viewer = viewer if viewer is not None else Access(Role.analyst)
    shown = present(node.props, viewer)
    out = []
    for p in nt.props:
        v = shown.get(p.name)
        if (
            v is None
            or v == ""
            or v == []
            or p.name == "py"
            or (node.label == "Person" and not viewer.people and p.name != "name")
        ):
            continue
        out.append((p.zh, _fmt(v)))
    if "PartyMember" in node.labels and node.label == "Person":
        out.insert(1, ("党员", "是"))
    return out


def rel_props(edge: GEdge) -> list[tuple[str, str]]:
    rt = RELS.get(edge.type)
    if rt is None:
        return []
    zh = {p.name: p.zh for p in rt.props}
    return [
        (zh[k], _fmt(edge.props[k])) for k in _REL_PROPS if k in zh and edge.props.get(k) not in (None, "")
    ]


def edge_caption(edge: GEdge) -> str:
    """Short text on an edge: the role or category where there is one, else the relationship's name."""
    if "units" in edge.props:
        return f"{display_name(edge.type)}·{edge.props['units']} 家"
    for k in ("role", "title", "category", "post"):
        if edge.props.get(k):
            return f"{display_name(edge.type)}·{edge.props[k]}"
    return display_name(edge.type) if edge.type != "GROUP" else ""


def kind_text(node: GNode) -> str:
    if node.label == "Group":
        return f"合并节点（{node.noun}）"
    extra = node.props.get("kind")
    base = display_name(node.label)
    if node.label == "Person" and "PartyMember" in node.labels:
        base = "人员 · 党员"
    return f"{base} · {extra}" if extra else base


def short(text: str, n: int = 14) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _js_json(obj: Any) -> str:
    """JSON safe inside a <script> element: no '<', '>' or '&' that could close it or start a comment."""
    s = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    return (
        s.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def base_options(
    physics: bool, *, hierarchical: dict[str, Any] | None = None, n_nodes: int = 0
) -> dict[str, Any]:
    opts: dict[str, Any] = {
        "autoResize": True,
        "nodes": {
            "font": {
                "face": FONT_FACE,
                "size": 16,
                "color": "#1d2733",
                "strokeWidth": 3,
                "strokeColor": "#ffffff",
            },
            "borderWidth": 1,
            "scaling": {
                "min": 8,
                "max": 40,
                "label": {"enabled": True, "min": 14, "max": 28, "drawThreshold": 6},
            },
        },
        "edges": {
            "font": {
                "face": FONT_FACE,
                "size": 11,
                "color": "#44515e",
                "strokeWidth": 3,
                "strokeColor": "#ffffff",
                "align": "horizontal",
            },
            "color": {"inherit": False},
            "smooth": False,  # straight edges draw fastest and stay readable at 500 nodes
            "width": 1,
            "selectionWidth": 2,
        },
        "interaction": {
            "hover": True,
            "tooltipDelay": 150,
            "hideEdgesOnDrag": n_nodes > 200,
            "navigationButtons": False,
            "keyboard": False,
        },
        "layout": {"randomSeed": 7, "improvedLayout": n_nodes <= 100},
    }
    if hierarchical:
        opts["layout"]["hierarchical"] = hierarchical
        opts["physics"] = {"enabled": False}
    elif physics:
        opts["physics"] = {
            "enabled": True,
            "solver": "forceAtlas2Based",
            "forceAtlas2Based": {
                "gravitationalConstant": -45,
                "centralGravity": 0.015,
                "springLength": 60,
                "springConstant": 0.08,
                "avoidOverlap": 0.5,
            },
            "stabilization": {
                "enabled": True,
                "iterations": 400 if n_nodes <= 150 else 250,
                "updateInterval": 50,
                "fit": True,
            },
            "minVelocity": 1.0,
            "timestep": 0.5,
        }
    else:
        opts["physics"] = {"enabled": False}
    return opts


def vis_network(
    graph: Graph,
    *,
    viewer: Access | None,
    links: Links,
    style: Any,
    options: dict[str, Any],
    edge_labels: bool | None = None,
    edge_label_lines: bool = False,
) -> Network:
    """A pyvis Network for the graph: styled nodes with their (masked) properties and links for the click
    panel."""
    net = Network(directed=True, height="100%", width="100%")
    for n in graph.nodes.values():
        attrs = style(n)
        info: dict[str, Any] = {
            "title": n.name if n.label != "Group" else f"+{n.count:,} {n.noun}",
            "kind": kind_text(n),
            "props": node_props(n, viewer) + list(attrs.pop("extra_props", [])),
            "links": [lk for lk in attrs.pop("links", []) if lk.get("href") or lk.get("text")],
            "key": n.key if n.label != "Group" else None,
            "linkable": links.enabled,
        }
        if n.key and n.label != "Group" and (n.label != "Person" or viewer is None or viewer.people):
            ego = links.ego(n.key)
            if ego:
                info["links"].insert(0, {"text": "查看其关系图（一步）", "href": ego})
                info["links"].insert(1, {"text": "查看其关系图（两步）", "href": links.ego(n.key, 2)})
        if n.label == "Group" and n.parent and n.via and links.enabled and not n.flags.get("unit_kind"):
            anchor = graph.nodes.get(n.parent)
            if anchor is not None and anchor.key and not anchor.flags.get("hidden"):
                info["expand"] = {"key": anchor.key, "kind": n.via, "count": n.count}  # opened in place
        elif n.key and n.label != "Group" and links.enabled and not n.flags.get("hidden"):
            info["expand"] = {"key": n.key}
        attrs.setdefault("kind_key", node_kind_key(n))
        label = attrs.pop("label", short(n.name) if n.label != "Group" else f"+{n.count:,} {n.noun}")
        if attrs.get("shape") == "box":  # text inside a box: the white halo used on the canvas would blur it
            attrs["font"] = {"strokeWidth": 0, **attrs.get("font", {})}
        net.add_node(n.id, label=label, info=info, **attrs)
    show_labels = edge_labels if edge_labels is not None else len(graph.edges) <= 40
    edge_ids: set[str] = set()
    for e in graph.edges:
        if e.source not in graph.nodes or e.target not in graph.nodes:
            continue
        cap = edge_caption(e)
        props = rel_props(e)
        title = cap + ("\n" + "\n".join(f"{k}：{v}" for k, v in props) if props else "")
        eattrs: dict[str, Any] = {
            "id": f"{e.source}>{e.type}>{e.target}>{e.props.get('key') or e.props.get('since') or ''}",
            "color": REL_COLORS.get(e.type, "#b0b8c0"),
            "title": title or None,
            "kind_key": edge_kind_key(e.type),
        }
        if show_labels and cap:
            eattrs["label"] = cap.replace("·", "\n") if edge_label_lines else cap
        if e.type == "GROUP":
            eattrs.update(dashes=True, arrows="")
        if "units" in e.props:  # a summary edge (streets ↔ unit kinds): as wide as it is many
            eattrs["width"] = min(8, 1 + int(e.props["units"]) // 3)
        while eattrs["id"] in edge_ids:  # vis-network refuses a page with two edges of one id
            eattrs["id"] += "+"
        edge_ids.add(eattrs["id"])
        net.add_edge(e.source, e.target, **{k: v for k, v in eattrs.items() if v is not None})
    net.options = options  # pyvis accepts a plain dict here
    return net


def radial_positions(graph: Graph) -> dict[str, tuple[float, float]]:
    """Positions for an ego network: the centre, the first step on staggered rings in one sector per
    relationship group, the second step fanned out behind the node it was reached from.

    The centre and the first step stay where they are put (`fixed`); physics only spreads the second step,
    so a 500-node page settles in a few hundred iterations and the sectors stay readable.
    """
    pos: dict[str, tuple[float, float]] = {}
    if graph.center is None:
        return pos
    pos[graph.center] = (0.0, 0.0)
    ring1 = [n for n in graph.nodes.values() if n.level == 1]
    children: dict[str | None, list[GNode]] = {}
    for n in graph.nodes.values():
        if n.level == 2:
            children.setdefault(n.parent, []).append(n)
    rings = 1 if len(ring1) <= 24 else (2 if len(ring1) <= 60 else 3)
    spacing = (
        84.0  # px along a ring between neighbours on the same ring: a name of five or six characters fits
    )
    r1 = max(170.0, spacing * len(ring1) / (2 * math.pi * rings))
    r_out = r1 + 70.0 * (rings - 1)
    # Every first-step node gets at least the angle that keeps it `spacing` px from its neighbours on its
    # ring (three grid workers used to share a sliver and lie on top of each other); what is left of the
    # circle goes to the nodes in proportion to their children, so big families get room, and each
    # relationship group to at least a twelfth, so a handful of units next to 160 members stays apart.
    n1 = len(ring1)
    base = min(2 * math.pi / n1, spacing / r1) if n1 else 0.0
    weight = {n.id: float(len(children.get(n.id, []))) for n in ring1}
    by_group: dict[str, list[GNode]] = {}
    for n in ring1:
        by_group.setdefault(n.via, []).append(n)
    total = sum(weight.values()) + n1
    floor = total / 12 if len(by_group) > 1 else 0.0
    for members in by_group.values():
        short_of = floor - sum(weight[n.id] + 1 for n in members)
        if short_of > 0:
            for n in members:
                weight[n.id] += short_of / len(members)
    free = max(0.0, 2 * math.pi - base * n1)
    wsum = sum(weight.values()) or 1.0
    angle = -math.pi / 2
    i = 0
    for members in by_group.values():
        for n in members:
            span = base + free * weight[n.id] / wsum
            mid = angle + span / 2
            r = r1 + 70.0 * (i % rings)
            i += 1
            pos[n.id] = (r * math.cos(mid), r * math.sin(mid))
            kids = children.get(n.id, [])
            # The second step fanned out behind its node, in as many rows as its arc needs to keep the
            # nodes ~34 px apart: the page is laid out here, whole, and needs no physics to settle.
            r2 = r_out + 170
            per_row = max(1, int(span * r2 / 34))
            rows = max(1, math.ceil(len(kids) / per_row))
            per_row = math.ceil(len(kids) / rows) if kids else 1
            for j, k in enumerate(kids):
                row, col = divmod(j, per_row)
                in_row = min(per_row, len(kids) - row * per_row)
                a = angle + span * (col + 0.5 + (0.25 if row % 2 else 0.0)) / max(1, in_row)
                rr = r2 + 48 * row + 16 * (col % 2)
                pos[k.id] = (rr * math.cos(a), rr * math.sin(a))
            angle += span
    # Anything not placed yet (a node reached another way) on a ring outside the rest.
    rest = [n for n in graph.nodes.values() if n.id not in pos]
    outer = max((math.hypot(x, y) for x, y in pos.values()), default=0.0) + 120
    for i, n in enumerate(rest):
        a = 2 * math.pi * i / max(1, len(rest))
        pos[n.id] = (outer * math.cos(a), outer * math.sin(a))
    return pos


@lru_cache(maxsize=1)
def _env() -> Environment:
    return Environment(
        loader=FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


@lru_cache(maxsize=16)
def static_text(name: str) -> str:
    return (STATIC_DIR / name).read_text(encoding="utf-8")


def vis_src(links: Links) -> str:
    return (links.base or "").rstrip("/") + f"/pages/static/{VIS_FILE}?v={VIS_VERSION}"


def page_js_src(links: Links, name: str = PAGE_JS) -> str:
    """The pages' own script for served pages: a file, not inline, so their Content-Security-Policy can allow
    scripts from the server only; versioned by its content, so it can be cached."""
    version = hashlib.sha256(static_text(name).encode("utf-8")).hexdigest()[:12]
    return (links.base or "").rstrip("/") + f"/pages/static/{name}?v={version}"


def find_context(links: Links, q: str | None = None) -> dict[str, str] | None:
    """What base.html's search box needs on a served page (None in a standalone file: no server to ask)."""
    if not links.enabled:
        return None
    base = (links.base or "").rstrip("/")
    version = hashlib.sha256(static_text(FIND_JS).encode("utf-8")).hexdigest()[:12]
    return {
        "action": base + "/pages/find",
        "api": base + "/api/search",
        "ego": base + "/pages/ego/",
        "src": base + f"/pages/static/{FIND_JS}?v={version}",
        "q": q or "",
    }


def legend_items(graph: Graph, style: Any) -> list[dict[str, str]]:
    """One entry per kind of thing drawn, named with the schema's display names."""
    seen: dict[str, dict[str, str]] = {}
    for n in graph.nodes.values():
        for item in style.legend(n):
            seen.setdefault(item["text"], item)
    rels = sorted({e.type for e in graph.edges if e.type in RELS})
    items = list(seen.values())
    items += [
        {
            "kind": "edge",
            "color": REL_COLORS.get(t, "#b0b8c0"),
            "text": display_name(t),
            "key": edge_kind_key(t),
        }
        for t in rels
    ]
    return items


def render(
    template: str,
    *,
    title: str,
    links: Links,
    inline_assets: bool,
    as_of: str,
    scope: Mapping[str, Any] | None = None,
    net: Network | None = None,
    notes: Iterable[str] = (),
    legend: Iterable[dict[str, str]] = (),
    view: dict[str, Any] | None = None,
    **context: Any,
) -> str:
    """Render a page; with `inline_assets` every script is inside the file (standalone export)."""
    data: dict[str, Any] | None = None
    if net is not None:
        nodes, edges, _heading, _h, _w, _options = net.get_network_data()
        data = {
            "nodes": nodes,
            "edges": edges,
            "options": net.options,
            "linkable": links.enabled,
            "path_url": (links.base or "").rstrip("/") + "/pages/path" if links.enabled else None,
            "api_url": (links.base or "").rstrip("/") + "/api/graph/neighbourhood" if links.enabled else None,
            "as_of": links.as_of,
            "view": view,
        }
    return (
        _env()
        .get_template(template)
        .render(
            title=title,
            links=links,
            nav=_nav(links, scope),
            scope=scope,
            as_of=as_of,
            generated=_dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
            notes=list(notes),
            legend=list(legend),
            data_json=_js_json(data) if data is not None else None,
            vis_inline=static_text(VIS_FILE) if (data is not None and inline_assets) else None,
            vis_src=vis_src(links),
            page_js=static_text(PAGE_JS) if (data is not None and inline_assets) else None,
            page_src=page_js_src(links),
            tools_js=static_text(TOOLS_JS) if (data is not None and inline_assets) else None,
            tools_src=page_js_src(links, TOOLS_JS),
            **{"find": find_context(links), "pickers": None, **context},
        )
    )


def _nav(links: Links, scope: Mapping[str, Any] | None) -> list[dict[str, str]]:
    if not links.enabled:
        return []
    code = scope.get("code") if scope else None
    items = [
        {"text": "概览", "href": links.href("/pages/overview", scope=code) or ""},
        {"text": "共建网络", "href": links.href("/pages/cobuilding", scope=code) or ""},
        {"text": "组织架构", "href": links.href("/pages/org-tree", scope=code) or ""},
        {"text": "联系路径", "href": links.href("/pages/path") or ""},
        {"text": "短板清单", "href": links.href("/pages/gaps", scope=code) or ""},
        {"text": "数据变更", "href": links.href("/pages/changes") or ""},  # admins and analysts (others: 403)
    ]
    if links.whatif:  # admins, analysts, street and community tokens
        items.append({"text": "模拟调整", "href": links.href("/pages/what-if") or ""})
    return items + (
        [{"text": "令牌管理", "href": (links.base or "").rstrip("/") + "/pages/tokens"}]
        if links.admin
        else []
    )
