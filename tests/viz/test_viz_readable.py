"""Networks that stay readable, node pages that know their own gaps, the org tree as a collapsible tree, and
the token page: the page builders on the small district (both stores)."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest
from orggraph.graph.store import Store
from orggraph.queries.network import GNode, Graph, ego_network, group_members
from orggraph.queries.scope import ScopeError
from orggraph.viz.pages import _org_items, build_ego, build_org_tree, build_tokens
from orggraph.viz.render import REL_COLORS, Links, radial_positions
from support.viz_district import (  # tests/support/viz_district.py
    B1,
    C1,
    C2,
    G1,
    G2,
    LEADER,
    REPORTERS,
    STREET,
    WORKER,
    pid,
)
from test_viz_pages import AS_OF, graph_data


# ------------------------------------------------------------------------------------------ folding
def test_two_steps_fold_households_and_reporting_members_into_counted_nodes(district: Store) -> None:
    folded = ego_network(district, G1, depth=2, as_of=AS_OF)
    # The building's households are one counted node; a worker's own home (one household) is still drawn.
    assert not [n for n in folded.nodes.values() if n.label == "Household" and n.parent == f"Building:{B1}"]
    homes = [n for n in folded.nodes.values() if n.label == "Group" and n.of_label == "Household"]
    # 101, 102 and 201…230, less 102 (the worker's home, drawn through him and linked to the building too).
    assert [(h.parent, h.count) for h in homes] == [(f"Building:{B1}", REPORTERS + 2 - 1)]
    assert any(e.source == f"Household:{B1}-102" and e.target == f"Building:{B1}" for e in folded.edges)
    assert homes[0].flags.get("folded") is True
    unfolded = ego_network(district, G1, depth=2, as_of=AS_OF, fold=False)
    assert len([n for n in unfolded.nodes.values() if n.label == "Household"]) >= 20


def test_a_grid_page_shows_the_leaders_of_its_community(district: Store) -> None:
    # LEADER contacts G1 directly and C1 (its community): on G2's page nobody covers it through C2.
    g = ego_network(district, G1, as_of=AS_OF)
    assert f"Person:{pid(LEADER)}" in g.nodes
    assert any(
        e.source == f"Person:{pid(LEADER)}" and e.target == f"Community:{C1}" and e.type == "CONTACTS"
        for e in g.edges
    )
    other = ego_network(district, G2, as_of=AS_OF)
    assert f"Person:{pid(LEADER)}" not in other.nodes


def test_a_group_pages_through_its_members(district: Store) -> None:
    g, total = group_members(district, C1, "REPORTED_TO:in:Person", offset=0, limit=7, as_of=AS_OF)
    assert total == REPORTERS and len(g.nodes) == 1 + 7
    g2, _ = group_members(district, C1, "REPORTED_TO:in:Person", offset=28, limit=7, as_of=AS_OF)
    assert len(g2.nodes) == 1 + 2  # 30 members: the last page has two
    assert not (set(g.nodes) & set(g2.nodes)) - {f"Community:{C1}"}
    with pytest.raises(ScopeError) as e:
        group_members(district, C1, "REPORTED_TO:up:Person", as_of=AS_OF)
    assert e.value.status == 422


# -------------------------------------------------------------------------------------- drawing
def test_edge_kinds_have_distinct_colours() -> None:
    drawn = {k: v for k, v in REL_COLORS.items() if k != "GROUP"}
    assert len(set(drawn.values())) == len(drawn)
    reds = [
        k
        for k, v in drawn.items()
        if int(v[1:3], 16) > 0xC0 and int(v[3:5], 16) < 0x60 and int(v[5:7], 16) < 0x60
    ]
    assert len(reds) <= 1, reds  # the trial found five near-identical reds


def test_the_first_ring_keeps_its_nodes_apart() -> None:
    # Three workers beside a node with 131 households: the workers used to share one sliver of the circle.
    g = Graph()
    g.add(GNode("Grid:g", "Grid", "g", {"name": "网格"}))
    g.center = "Grid:g"
    for i in range(3):
        g.add(
            GNode(
                f"Person:w{i}",
                "Person",
                f"w{i}",
                {"name": f"网格员{i}"},
                level=1,
                parent="Grid:g",
                via="SERVES:in:Person",
            )
        )
    g.add(
        GNode(
            "Building:b",
            "Building",
            "b",
            {"name": "1栋"},
            level=1,
            parent="Grid:g",
            via="PART_OF:in:Building",
        )
    )
    for j in range(131):
        g.add(GNode(f"Household:h{j}", "Household", f"h{j}", {}, level=2, parent="Building:b"))
    pos = radial_positions(g)
    ring = [pos[f"Person:w{i}"] for i in range(3)] + [pos["Building:b"]]
    gaps = [math.dist(a, b) for i, a in enumerate(ring) for b in ring[i + 1 :]]
    assert min(gaps) >= 80, gaps


def test_nodes_and_edges_carry_what_the_legend_toggles(district: Store) -> None:
    html = build_ego(district, G1, depth=2, as_of=AS_OF, links=Links(base=""))
    data = graph_data(html)
    keys = {n["kind_key"] for n in data["nodes"]} | {e["kind_key"] for e in data["edges"]}
    for k in keys - {"edge:GROUP"}:
        assert f'data-key="{k}"' in html, k  # every kind drawn can be hidden from the legend
    assert len({e["id"] for e in data["edges"]}) == len(data["edges"])
    group = next(n for n in data["nodes"] if n["id"].startswith("group:") and "Household" in n["id"])
    assert group["info"]["expand"] == {"key": B1, "kind": "PART_OF:in:Household", "count": REPORTERS + 1}
    assert data["api_url"] == "/api/graph/neighbourhood"
    assert 'id="png"' in html
    exported = build_ego(district, G1, as_of=AS_OF, links=Links(base=None), inline_assets=True)
    assert "expand" not in json.dumps([n["info"] for n in graph_data(exported)["nodes"]])  # no server to ask


def test_the_cobuilding_legend_toggles_communities_and_each_unit_kind(district: Store) -> None:
    from orggraph.viz.pages import build_cobuilding

    html = build_cobuilding(district, STREET, as_of=AS_OF, links=Links(base=""))
    keys = {n["kind_key"] for n in graph_data(html)["nodes"]}
    assert {"node:Community", "node:Community:uncovered", "unit:国有企业", "unit:民营企业"} <= keys
    for k in keys:
        assert f'data-key="{k}"' in html, k


# ------------------------------------------------------------------------------------------ banners
def test_a_grid_without_a_fulltime_worker_or_party_organization_says_so(district: Store) -> None:
    bare = build_ego(district, G2, as_of=AS_OF)
    assert "本网格无专职网格员" in bare and "本网格未建党组织" in bare
    staffed = build_ego(district, G1, as_of=AS_OF)
    assert "本网格无专职网格员" not in staffed and "本网格未建党组织" not in staffed
    assert "本社区没有在期共建单位" in build_ego(district, C2, as_of=AS_OF)


def test_a_leader_breaking_the_contact_rule_sees_the_rule_and_the_counts(
    district: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert "联系点不符合规定" not in build_ego(
        district, pid(LEADER), as_of=AS_OF
    )  # 1 community, 1 grid: as required
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps({"街道党工委班子": {"社区": 1, "网格": 2}}), encoding="utf-8")
    monkeypatch.setenv("ORGGRAPH_CONTACT_RULES", str(rules))
    html = build_ego(district, pid(LEADER), as_of=AS_OF)
    assert "该领导联系点不符合规定：街道党工委班子：应联系 1 个社区、2 个网格" in html
    assert "网格应为 2 个、实为 1 个" in html
    # WORKER is G1's only grid worker, but LEADER contacts G1 too: not a sole contact.
    assert "唯一的直接联系人" not in build_ego(district, pid(WORKER), as_of=AS_OF)


# ------------------------------------------------------------------------------------------ org tree
def test_org_tree_is_a_collapsible_tree_with_counts_and_flags(district: Store) -> None:
    html = build_org_tree(district, STREET, as_of=AS_OF, links=Links(base=""))
    assert html.count("<details") >= 3  # 党工委 → 党委 → 党支部 → 党小组: each with children folds
    assert "<details open>" in html  # one street: its top is open, the rest folded with counts
    assert "下级 3 个" in html  # the street's 党工委 has 党委, 党支部 and 党小组 below it
    assert 'href="/pages/ego/D520603001001' in html
    # 冲广第1网格 (G2) has no party organization and its community none either: listed at the top level.
    assert "冲广社区（未建社区党组织）：1 个网格未建党组织" in html
    assert f'href="/pages/ego/{G2}?depth=1"' in html
    assert "1 个网格未建党组织" in html.split("</header>")[0]
    assert 'id="tree-search"' in html and "org-tree.js" in html


def test_org_tree_flags_an_organization_without_a_secretary() -> None:
    g = Graph()
    a = g.add(GNode("PartyOrg:A", "PartyOrg", "A", {"name": "甲党委", "kind": "党委"}))
    b = g.add(GNode("PartyOrg:B", "PartyOrg", "B", {"name": "乙支部", "kind": "党支部"}))
    a.flags["secretaries"] = [GNode("Person:p", "Person", "p", {"name": "书记甲"})]
    b.flags["secretaries"] = []
    g.link("PartyOrg:B", "PartyOrg:A", "SUBORDINATE_TO")
    from orggraph.queries.policy import Access

    roots, stats = _org_items(g, [], Links(base=""), Access.of("viewer"))
    assert stats["no_secretary"] == 1 and stats["orgs"] == 2
    assert roots[0]["children"][0]["secretaries"] == [] and roots[0]["below"] == 1
    assert roots[0]["secretaries"][0]["href"] is None  # a viewer is not sent to a person's page


def test_org_tree_exports_as_one_offline_file(district: Store) -> None:
    html = build_org_tree(district, STREET, as_of=AS_OF, links=Links(base=None), inline_assets=True)
    assert "<script src" not in html and "tree-search" in html and "/pages/ego/" not in html


# ------------------------------------------------------------------------------------------ tokens page
def test_token_page_names_the_roles_and_loads_its_script() -> None:
    html = build_tokens(Links(base="", admin=True), "me")
    for text in ("管理员（admin）", "只读查看（viewer）", "街道（street）", "只显示这一次", "令牌管理"):
        assert text in html
    assert re.search(r'src="/pages/static/tokens-page\.js\?v=[0-9a-f]{12}"', html)
    assert "orggraph token" not in html  # staff are not sent to a command line
