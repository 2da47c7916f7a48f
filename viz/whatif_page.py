"""The page 模拟调整 (`/pages/what-if`): build a scenario of hypothetical changes with the search picker,
run it through `POST /api/what-if`, see the coverage before and after, the gaps that appear and disappear and
the people affected, export it (`POST /api/what-if/export`), save it (`/api/scenarios`), share it as a link.

The network of an answer (`whatif_graph`) is drawn from the answer alone, without reading the store: the
people and units it names, what they would stop or start covering, and the gap items that appear (red border)
or disappear (green border). So it shows nothing the runner's answer did not already hold."""

from __future__ import annotations

import datetime as _dt
from typing import Any

from orggraph.graph.schema import CONTACT_CATEGORIES, NODES, RELS, STAFF_ROLES, display_name
from orggraph.graph.store import Store
from orggraph.queries.network import NODE_CAP, GNode, Graph, node_id
from orggraph.queries.policy import Access
from orggraph.viz.console import KIT_JS, graph_answer
from orggraph.viz.pages import NodeStyle
from orggraph.viz.pickers import scope_options
from orggraph.viz.render import (
    Links,
    _js_json,
    legend_items,
    page_js_src,
    render,
    vis_src,
)
from pydantic import BaseModel, Field

__all__ = ["WHATIF_JS", "GraphRequest", "build_whatif", "whatif_graph", "answer_graph"]

WHATIF_JS = "what-if.js"  # the page's own script

# What a change can be about: the relationship, who has it, what it points at (search kinds), and the closed
# vocabulary of its role or category (graph/schema.py, the lists the loader checks).
KINDS: list[dict[str, Any]] = [
    {
        "kind": "SERVES",
        "text": "网格力量",
        "who": "person",
        "targets": ["grid", "building"],
        "field": "role",
        "values": list(STAFF_ROLES),
    },
    {"kind": "CO_BUILDS", "text": "联建共建", "who": "unit", "targets": ["community"]},
    {
        "kind": "CONTACTS",
        "text": "联系点",
        "who": "person",
        "targets": ["street", "community", "grid"],
        "field": "category",
        "values": list(CONTACT_CATEGORIES),
    },
    {"kind": "PART_TIME_MEMBER_OF", "text": "兼职委员", "who": "person", "targets": ["party_org"]},
    {"kind": "LINKS_HOUSEHOLD", "text": "联户", "who": "person", "targets": ["household"]},
]
OPS = [
    {"op": "end", "text": "调离 / 结束任期"},
    {"op": "add", "text": "新增"},
    {"op": "move", "text": "调动（从一个网格到另一个）"},
    {"op": "remove", "text": "移除（退休、退出）"},
]

_KIND_LABEL = {
    "person": "Person",
    "unit": "Unit",
    "district": "District",
    "street": "Street",
    "community": "Community",
    "grid": "Grid",
    "building": "Building",
    "household": "Household",
    "party_org": "PartyOrg",
}
_CODE_LENGTHS = {6: "District", 9: "Street", 12: "Community", 15: "Grid", 17: "Building"}
FLAGS = {  # what the answer says of a node -> (border colour, Chinese)
    "appeared": ("#d62828", "新出现的短板"),
    "disappeared": ("#2d936c", "消除的短板"),
    "sole": ("#e9a23b", "成为唯一联系人"),
}
EDGE_MARKS = {  # edge status -> (colour, dashes, Chinese)
    "ending": ("#d62828", True, "调整后不再有的关系（虚线）"),
    "adding": ("#2d936c", False, "调整后新增的关系"),
    "sole": ("#e9a23b", False, "调整后的唯一直接联系人"),
}


class GraphRequest(BaseModel):
    """The parts of a `POST /api/what-if` answer the network is drawn from, as the page got them."""

    people: list[dict[str, Any]] = Field(default_factory=list, max_length=5_000)
    gaps: list[dict[str, Any]] = Field(default_factory=list, max_length=100)
    sole_contacts: dict[str, Any] = Field(default_factory=dict)
    omitted: int = Field(
        0, ge=0, le=100_000_000, description="items the page left out to keep the body small"
    )


def _text(v: Any) -> str:
    return v if isinstance(v, str) else ("" if v is None else str(v))


def _label_of(kind: str, key: str, relationship: str = "") -> str:
    """The label of a node named in an answer: from its kind, else from what the relationship can point at,
    telling apart its possible ends by the shape of the code (codes nest: street 9, community 12, grid 15,
    building 17 digits; a household is a building code, '-' and the 户号; party organizations: D…)."""
    if kind in _KIND_LABEL:
        return _KIND_LABEL[kind]
    ends = RELS[relationship].end if relationship in RELS else tuple(NODES)
    if len(ends) == 1:
        return ends[0]
    shaped = "Household" if "-" in key else "PartyOrg" if key[:1] == "D" else _CODE_LENGTHS.get(len(key), "")
    return shaped if shaped in ends else ends[0]


def answer_graph(req: GraphRequest, cap: int = NODE_CAP) -> tuple[Graph, dict[str, str]]:
    """The answer's people and units, their relationships before and after (kept, ending, added) and its gap
    items; at most `cap` nodes. Returns the graph and each drawn edge's status by its key."""
    g = Graph()
    dropped = req.omitted

    def node(label: str, key: str, name: str) -> GNode | None:
        nonlocal dropped
        nid = node_id(label, key)
        if nid not in g.nodes and len(g.nodes) >= cap:
            dropped += 1
            return None
        return g.add(GNode(nid, label, key, {"name": name} if name else {}, labels=(label,)))

    marks: dict[str, str] = {}
    for p in req.people:
        key = _text(p.get("key"))
        if not key:
            continue
        who = node("Unit" if p.get("kind") == "unit" else "Person", key, _text(p.get("name")))
        if who is None:
            continue
        sides: dict[tuple[str, str, str], tuple[dict[str, Any], set[str]]] = {}
        for side in ("before", "after"):
            for e in p.get(side) or []:
                if isinstance(e, dict) and _text(e.get("code")):
                    k = (_text(e.get("relationship")), _text(e.get("code")), _text(e.get("role")))
                    sides.setdefault(k, (e, set()))[1].add(side)
        for (rel, code, role), (e, seen) in sides.items():
            target = node(_label_of("", code, rel), code, _text(e.get("name")))
            if target is None:
                continue
            status = "kept" if len(seen) == 2 else ("ending" if "before" in seen else "adding")
            mark = f"{status}:{len(marks)}"
            marks[mark] = status
            props = {"key": mark, ("category" if rel == "CONTACTS" else "role"): role}
            g.link(who.id, target.id, rel or "CONTACTS", props)
    for gap in req.gaps:
        if gap.get("list") == "sole_contacts":  # drawn from `sole_contacts` below, with their grids
            continue
        for side in ("appeared", "disappeared"):
            for item in gap.get(side) or []:
                _flag(g, item, side, _text(gap.get("label")), node)
    for item in (req.sole_contacts or {}).get("appeared") or []:
        if isinstance(item, dict) and _text(item.get("grid")) and _text(item.get("pid")):
            grid = node("Grid", _text(item["grid"]), _text(item.get("grid_name")))
            person = {"kind": "person", "key": item["pid"], "name": item.get("name")}
            who = _flag(g, person, "sole", f"{grid.name if grid else item['grid']}的唯一直接联系人", node)
            if grid is not None and who is not None:
                mark = f"sole:{len(marks)}"
                marks[mark] = "sole"
                g.link(who.id, grid.id, "SOLE", {"key": mark})
    if dropped:
        g.notes.append(
            f"受影响的节点较多，图中只画前 {cap:,} 个，另有约 {dropped:,} 个未画出；完整名单见导出的 .xlsx。"
        )
    return g, marks


def _flag(g: Graph, item: Any, flag: str, what: str, node: Any) -> GNode | None:
    if not isinstance(item, dict) or not _text(item.get("key")):
        return None
    key = _text(item["key"])
    n = node(_label_of(_text(item.get("kind")), key), key, _text(item.get("name")))
    if n is None:
        return None
    if flag != "sole" or "whatif" not in n.flags:  # a new gap outweighs a new sole contact
        n.flags["whatif"] = flag
    notes = n.flags.setdefault("whatif_notes", [])
    notes.append((FLAGS[flag][1], what + ("：" + _text(item["why"]) if item.get("why") else "")))
    if flag != "sole" and item.get("where"):
        notes.append(("位置", _text(item["where"])))
    return n


class WhatIfStyle(NodeStyle):
    """The pages' node style, with the answer's gaps as thick coloured borders."""

    def __call__(self, n: GNode) -> dict[str, Any]:
        attrs = super().__call__(n)
        attrs.setdefault("value", 12)
        flag = n.flags.get("whatif")
        if flag:
            attrs["color"]["border"] = FLAGS[flag][0]
            attrs["color"]["highlight"] = {**attrs["color"].get("highlight", {}), "border": FLAGS[flag][0]}
            attrs["borderWidth"] = 5
            attrs["title"] = f"{attrs.get('title', '')}\n{FLAGS[flag][1]}"
        attrs["extra_props"] = list(n.flags.get("whatif_notes", []))
        return attrs


def _legend(g: Graph, style: WhatIfStyle, marks: dict[str, str]) -> list[dict[str, str]]:
    items = legend_items(g, style)
    flags = {n.flags.get("whatif") for n in g.nodes.values()}
    items += [
        {"kind": "node", "color": "#ffffff", "border": color, "text": f"{text}（{color_zh}框）"}
        for flag, (color, text), color_zh in zip(FLAGS, FLAGS.values(), ("红", "绿", "橙"), strict=True)
        if flag in flags
    ]
    items += [
        {"kind": "edge", "color": color, "text": text, **({"dashed": "1"} if dashes else {})}
        for status, (color, dashes, text) in EDGE_MARKS.items()
        if status in marks.values()
    ]
    return items


def whatif_graph(req: GraphRequest, viewer: Access | None, links: Links) -> dict[str, Any]:
    """What graph-page.js draws (the network pages' `graph-data`), the legend and notes, for an answer."""
    g, marks = answer_graph(req)
    style = WhatIfStyle(links, g)

    def touch(edges: list[dict[str, Any]]) -> None:
        for e in edges:
            status = marks.get(str(e.get("id", "")).rstrip("+").rsplit(">", 1)[-1], "kept")
            if status in EDGE_MARKS:
                color, dashes, text = EDGE_MARKS[status]
                e.update(color=color, dashes=dashes, width=3)
                e["title"] = text.split("（")[0] + ("：" + _text(e["title"]) if e.get("title") else "")
                if status == "sole":
                    e.update(label="唯一联系人", title=text)

    return graph_answer(g, style, viewer, links, _legend(g, style, marks), touch)


def build_whatif(store: Store, viewer: Access, user_name: str, links: Links) -> str:
    """The page: the scenario builder, the saved scenarios, and room for the answer."""
    today = _dt.date.today().isoformat()
    config = {
        "ops": OPS,
        "kinds": KINDS,
        "staff_roles": list(STAFF_ROLES),
        "scopes": [
            {"code": o["code"], "name": "　" * o["depth"] + o["name"], "label": display_name(o["label"])}
            for o in scope_options(store, viewer)
        ],
        "everything": viewer.scope is None,
        "own_scope": viewer.scope,
        "as_of": today,
        "user": user_name,
        "role": viewer.role.value,
        "admin": viewer.role.value == "admin",
    }
    scope_zh = "全部数据" if viewer.scope is None else "本辖区"
    return render(
        "what-if.html",
        title="模拟调整",
        subtitle=f"调整前先看影响，不写入数据 · {user_name}（{viewer.role_zh}）· {scope_zh}",
        links=links,
        inline_assets=False,
        as_of=today,
        here="模拟调整",
        graph_js_src=page_js_src(links),
        vis_js_src=vis_src(links),
        whatif_src=page_js_src(links, WHATIF_JS),
        kit_src=page_js_src(links, KIT_JS),
        config_json=_js_json(config),
    )
