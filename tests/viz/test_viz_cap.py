"""No page draws more than 500 nodes (NODE_CAP), whatever it is drawn for: every page kind, for the busiest node
of every label of the demo district (45,500 residents), one and two steps; and the same cut at a small cap on
the small district, so the rule is the code's and not the data's."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from orggraph.graph.cypher import statement
from orggraph.graph.schema import NODES
from orggraph.graph.store import Store
from orggraph.queries.network import NODE_CAP
from orggraph.viz.expand import neighbourhood
from orggraph.viz.pages import build_cobuilding, build_ego, build_org_tree, build_path
from orggraph.viz.render import Links
from support.viz_district import C1, G1, REPORTER_IDS, STREET, pid  # tests/support/viz_district.py

_DATA = re.compile(r'<script type="application/json" id="graph-data">(.*?)</script>', re.S)
_BUSIEST = {
    label: statement(
        f"tests.viz.busiest.{label}",
        f"MATCH (n:{label})-[r]-() RETURN n.{nt.key} AS key, count(r) AS degree ORDER BY degree DESC, key LIMIT 1",
        f"测试：关系最多的{nt.zh}",
        origin=__name__,
    )
    for label, nt in NODES.items()
}


def drawn(html: str) -> int:
    m = _DATA.search(html)
    if m:
        return len(json.loads(m.group(1))["nodes"])
    return html.count('<li class="org') + html.count('<li class="gap')  # the org tree: one item per line


def test_no_page_of_the_demo_district_draws_more_than_the_cap(demo_store: Store) -> None:
    links = Links(base="")
    counts: dict[str, int] = {}
    for label, q in _BUSIEST.items():
        key = str(demo_store.read(q).rows[0][0])
        for depth in (1, 2):
            counts[f"ego.{label}@{depth}"] = drawn(build_ego(demo_store, key, depth=depth, links=links))
        counts[f"neighbourhood.{label}"] = len(
            neighbourhood(demo_store, key, limit=200, links=links)["nodes"]
        )
    counts["cobuilding@all"] = drawn(build_cobuilding(demo_store, None, links=links))
    counts["org-tree@all"] = drawn(build_org_tree(demo_store, None, links=links))
    assert all(n <= NODE_CAP for n in counts.values()), {k: n for k, n in counts.items() if n > NODE_CAP}
    assert max(counts.values()) >= 0.8 * NODE_CAP  # the busiest nodes do reach the cap: the cap is what holds
    assert counts["ego.Household@1"] >= 2 and counts["org-tree@all"] >= 100


@pytest.mark.parametrize("cap", [6, 12])
def test_every_page_kind_holds_a_small_cap(district: Store, cap: int) -> None:
    pages: dict[str, Any] = {
        "ego.community@2": lambda: build_ego(district, C1, depth=2, cap=cap),
        "ego.grid@2": lambda: build_ego(district, G1, depth=2, cap=cap),
        "ego.member@2": lambda: build_ego(district, pid(REPORTER_IDS[0]), depth=2, cap=cap),
        "cobuilding": lambda: build_cobuilding(district, STREET, cap=cap),
        "org-tree": lambda: build_org_tree(district, STREET, cap=cap),
        "path": lambda: build_path(district, pid(REPORTER_IDS[0]), G1, links=Links(base="")),
    }
    for name, build in pages.items():
        n = drawn(build())
        assert 1 <= n <= max(cap, 13), (name, n)  # a path is at most 13 nodes (12 steps), whatever the cap
