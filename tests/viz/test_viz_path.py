"""The contact path page: the chain of queries/contacts.py laid out left to right, roles on its edges."""

from __future__ import annotations

import json
import re
from typing import Any

from orggraph.graph.store import Store
from orggraph.queries.contacts import contact_path
from orggraph.queries.network import path_graph
from orggraph.viz.pages import build_path
from orggraph.viz.render import Links
from support.viz_district import B1, C1, U1, U3  # tests/support/viz_district.py

AS_OF = "2025-06-30"
HOME = f"{B1}-101"  # the secretary's household


def graph_data(html: str) -> dict[str, Any]:
    m = re.search(r'<script type="application/json" id="graph-data">(.*?)</script>', html, re.S)
    assert m
    return json.loads(m.group(1))


def test_path_graph_follows_contact_path_in_order(district: Store) -> None:
    expected = contact_path(district, U1, HOME, AS_OF)
    assert expected["found"]
    g = path_graph(district, U1, HOME, as_of=AS_OF)
    order = [n.id for n in sorted(g.nodes.values(), key=lambda n: n.level)]
    assert order == [f"{n['label']}:{n['key']}" for n in expected["nodes"]]
    assert order[0] == f"Unit:{U1}" and order[-1] == f"Household:{HOME}"
    assert [e.type for e in g.edges] == [e["type"] for e in expected["edges"]]
    for e, want in zip(g.edges, expected["edges"]):  # arrows as stored, whichever way the path runs
        assert (e.source.split(":", 1)[1], e.target.split(":", 1)[1]) == (want["from"], want["to"])


def test_path_page_lays_the_chain_out_left_to_right_with_labels(district: Store) -> None:
    html = build_path(district, U1, HOME, as_of=AS_OF, links=Links(base=""))
    data = graph_data(html)
    assert data["options"]["layout"]["hierarchical"]["direction"] == "LR"
    levels = {n["id"]: n["level"] for n in data["nodes"]}
    assert levels[f"Unit:{U1}"] == 0 and levels[f"Household:{HOME}"] == len(levels) - 1
    assert all(e.get("label") for e in data["edges"])
    assert "联系路径：万山供电局 → 101户" in html


def test_no_path_says_so(district: Store) -> None:
    # U3's only co-building ended in 2021: on the day asked it is linked to nothing.
    html = build_path(district, U3, C1, as_of=AS_OF, links=Links(base=""))
    assert graph_data(html)["nodes"] == []
    assert "没有在期的联系路径" in html
