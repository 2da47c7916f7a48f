"""The Cypher console page (`/pages/cypher`) and its graph view: the nodes, relationships and paths of a
`POST /api/cypher` answer drawn as the network pages draw theirs (the same styles, legend, click panel, node
cap and group nodes), by calling `viz.render` and `viz.pages` rather than copying them."""

from __future__ import annotations

import datetime as _dt
import hashlib
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

from orggraph.graph.schema import NODES, display_name, linter_schema
from orggraph.queries.network import NODE_CAP, GNode, Graph
from orggraph.queries.policy import Access
from orggraph.viz.pages import NodeStyle
from orggraph.viz.render import (
    LABEL_COLORS,
    Links,
    _js_json,
    base_options,
    legend_items,
    page_js_src,
    render,
    static_text,
    vis_network,
    vis_src,
)
from pydantic import BaseModel, Field

__all__ = ["build_console", "result_graph", "console_graph", "graph_answer", "GraphRequest", "STATIC_FILES"]

EDITOR_JS = "cypher-editor.min.js"  # CodeMirror 6 + @neo4j-cypher/language-support (tools/console-editor)
LINT_WORKER_JS = "cypher-lint-worker.min.js"  # the same package's linter, run in a worker
CONSOLE_JS = "cypher-console.js"  # the page's own script
KIT_JS = "page-kit.js"  # what it shares with the page 模拟调整: API calls, error texts, the embedded graph
STATIC_FILES = (EDITOR_JS, LINT_WORKER_JS, CONSOLE_JS, KIT_JS)


class GraphRequest(BaseModel):
    """The rows of a `POST /api/cypher` answer, as the console got them, to be drawn."""

    rows: list[list[Any]] = Field(max_length=100_000)


EXAMPLE = "MATCH (g:Grid {code: $code})<-[r:SERVES]-(p:Person) RETURN g, r, p"


MAX_DEPTH = 16  # answers nest lists and maps; past this a value is not looked into (the body is the client's)


def _is_entity(value: dict[str, Any]) -> bool:
    if (
        not isinstance(value.get("properties"), dict)
        or isinstance(value.get("id"), (dict, list))
        or "id" not in value
    ):
        return False
    if "labels" in value:
        return isinstance(value["labels"], list) and all(isinstance(x, str) for x in value["labels"])
    return isinstance(value.get("type"), str)


def _walk(value: Any, depth: int = 0) -> Iterator[dict[str, Any]]:
    """Every node and relationship in a cell: bare, in a path, in a list or a map."""
    if depth > MAX_DEPTH:
        return
    if isinstance(value, list):
        for v in value:
            yield from _walk(v, depth + 1)
    elif isinstance(value, dict):
        if _is_entity(value):
            yield value
        else:
            for v in value.values():
                yield from _walk(v, depth + 1)


def _gnode(v: dict[str, Any]) -> GNode:
    labels = [str(x) for x in v.get("labels") or []]
    label = next((x for x in labels if x in NODES), labels[0] if labels else "")
    props = dict(v.get("properties") or {})
    key = props.get(NODES[label].key) if label in NODES else None
    # A node's page id is its label and code (or pid), as on the other pages; the store's id otherwise.
    gid = f"{label}:{key}" if key else f"node:{v['id']}"
    return GNode(gid, label, str(key) if key else None, props, labels=tuple(labels))


def result_graph(rows: list[list[Any]], cap: int = NODE_CAP) -> Graph:
    """The graph of an answer's rows: at most `cap` nodes; the rest folded into group nodes on the drawn node
    they hang on (one per relationship type, direction and label), or counted as omitted."""
    g = Graph()
    nodes: dict[str, GNode] = {}  # store id -> node, in order of appearance
    rels: dict[str, dict[str, Any]] = {}
    for row in rows:
        for v in _walk(row):
            if "labels" in v:
                nodes.setdefault(str(v["id"]), _gnode(v))
            else:
                rels.setdefault(str(v["id"]), v)
    kept = dict(list(nodes.items())[:cap])
    for n in kept.values():
        g.add(n)
    dangling = 0
    folded: Counter[tuple[str, str, bool, str]] = Counter()
    for r in rels.values():
        a, b = nodes.get(str(r.get("start"))), nodes.get(str(r.get("end")))
        if a is None or b is None:
            dangling += 1
            continue
        ka, kb = str(r.get("start")) in kept, str(r.get("end")) in kept
        if ka and kb:
            g.link(a.id, b.id, str(r["type"]), dict(r.get("properties") or {}, key=str(r["id"])))
        elif ka or kb:  # one end drawn: the other joins a group node on it
            anchor, other = (a, b) if ka else (b, a)
            folded[(anchor.id, str(r["type"]), ka, other.label)] += 1
    for (anchor_id, rel, outgoing, label), count in folded.items():
        g.add_group(anchor_id, rel, outgoing, label, count, level=1)
    hidden = len(nodes) - len(kept)
    g.omitted = max(0, hidden - sum(folded.values()))
    if hidden:
        g.notes.append(
            f"结果含 {len(nodes):,} 个节点，图中只画前 {cap:,} 个；其余的合并为“+数量”节点或未画出。"
            "请在查询中加条件或 LIMIT 缩小范围，完整结果见“表格”。"
        )
    if dangling:
        g.notes.append(
            f"有 {dangling:,} 条关系的端点不在结果中，未画出：请同时 RETURN 关系两端的节点（或返回路径）。"
        )
    return g


class ConsoleStyle(NodeStyle):
    """The pages' node style, sized as the first ring of a relationship graph (no node is the centre here)."""

    def __call__(self, n: GNode) -> dict[str, Any]:
        attrs = super().__call__(n)
        attrs.setdefault("value", 12)
        return attrs


def console_graph(
    rows: list[list[Any]], viewer: Access | None, links: Links, cap: int = NODE_CAP
) -> dict[str, Any]:
    """What graph-page.js draws (the `graph-data` of the network pages) and the legend, for an answer's
    rows."""
    g = result_graph(rows, cap)
    style = ConsoleStyle(links, g)
    return graph_answer(g, style, viewer, links, legend_items(g, style))


def graph_answer(
    g: Graph,
    style: NodeStyle,
    viewer: Access | None,
    links: Links,
    legend: list[dict[str, str]],
    touch: Callable[[list[dict[str, Any]]], None] | None = None,
) -> dict[str, Any]:
    """A graph drawn inside a page (the console, 模拟调整) as graph-page.js draws the network pages'
    `graph-data`; `touch` may restyle the edges before they are sent."""
    options = base_options(True, n_nodes=len(g.nodes))
    options["physics"]["forceAtlas2Based"]["springLength"] = 110  # room for the captions on the edges
    net = vis_network(g, viewer=viewer, links=links, style=style, options=options)
    nodes, edges, _heading, _h, _w, _options = net.get_network_data()
    if touch is not None:
        touch(edges)
    data = {
        "nodes": nodes,
        "edges": edges,
        "options": net.options,
        "linkable": links.enabled,
        "path_url": "/pages/path" if links.enabled else None,
        "as_of": links.as_of,
        "view": None,
    }
    return {
        "data": data,
        "legend": legend,
        "notes": g.notes,
        "counts": {"nodes": sum(1 for n in g.nodes.values() if n.label != "Group"), "edges": len(g.edges)},
    }


def _version(name: str) -> str:
    return hashlib.sha256(static_text(name).encode("utf-8")).hexdigest()[:12]


def editor_schema() -> dict[str, Any]:
    """The vocabulary the editor completes and checks against: `graph/schema.py`, as the Cypher linter has it,
    with each label and type's Chinese name for the completion list."""
    schema = linter_schema()
    schema["labelNames"] = {x: display_name(x) for x in schema["labels"]}
    schema["relationshipTypeNames"] = {x: display_name(x) for x in schema["relationshipTypes"]}
    return schema


def build_console(viewer: Access, user_name: str) -> str:
    """The console page: the editor, parameters, results (table and graph), the query library."""
    links = Links(base="", console=True, whatif=True)
    config = {
        "schema": editor_schema(),
        "example": EXAMPLE,
        "user": user_name,
        "role": viewer.role.value,
        "cap": NODE_CAP,
        "colors": LABEL_COLORS,
        "worker": f"/pages/static/{LINT_WORKER_JS}?v={_version(LINT_WORKER_JS)}",
    }
    return render(
        "console.html",
        title="查询控制台",
        subtitle=f"只读 Cypher · {user_name}（{viewer.role_zh}）· 与 POST /api/cypher 相同的只读、时限、"
        "行数上限、脱敏和审计",
        links=links,
        inline_assets=False,
        as_of=_dt.date.today().isoformat(),
        here="查询控制台",
        editor_src=f"/pages/static/{EDITOR_JS}?v={_version(EDITOR_JS)}",
        console_src=f"/pages/static/{CONSOLE_JS}?v={_version(CONSOLE_JS)}",
        kit_src=page_js_src(links, KIT_JS),
        graph_js_src=page_js_src(links),
        vis_js_src=vis_src(links),
        config_json=_js_json(config),
    )
