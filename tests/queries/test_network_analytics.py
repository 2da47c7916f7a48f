"""networkx analytics: critical people (checked against articulation points of an independently built graph),
full-time worker load balance with its Gini figure, and the communities bridged by shared units."""

from __future__ import annotations

from typing import Any

import networkx as nx
import pytest
from fixtures import small_district as fx
from fixtures.small_district import AS_OF, BEFORE, id_number, pid, unit_code
from orggraph.graph.store import Store
from orggraph.queries import analytics
from orggraph.queries.analytics import (
    analyze,
    community_bridges,
    critical_people,
    fulltime_load_balance,
    gini,
)
from orggraph.queries.scope import ScopeError

BACK = {**{pid(h): h for h in fx.HANDLES}, **{unit_code(u): u for u in ("U1", "U2", "U3", "U4")}}


def test_gini() -> None:
    assert gini([]) == 0.0 and gini([0, 0]) == 0.0 and gini([5, 5, 5]) == 0.0
    assert gini([0, 0, 0, 4]) == pytest.approx(0.75)
    # pairwise definition: Σ|xi − xj| / (2 n² mean)
    xs = [90, 120, 400, 650]
    pairwise = sum(abs(a - b) for a in xs for b in xs) / (2 * len(xs) ** 2 * (sum(xs) / len(xs)))
    assert gini(xs) == pytest.approx(pairwise) == pytest.approx(1960 / 5040)


# ------------------------------------------------------------------------------------------ critical people
def test_critical_people_on_the_small_district(district: Store) -> None:
    # 万山区 today: every household has two party-linked contacts somewhere above it.
    d1 = critical_people(district, fx.D1, AS_OF)
    assert (d1["households"], d1["linked"], d1["unlinked"], d1["critical"]) == (10, 10, 0, [])
    # 碧江区's only household hangs on L8 alone (W9, its grid worker, is no party member).
    whole = critical_people(district, None, AS_OF)
    assert [(BACK[c["pid"]], c["households"], c["household_list"]) for c in whole["critical"]] == [
        ("L8", 1, ["B3111-101"])
    ]
    assert whole["critical"][0]["through"] == sorted([fx.S3, fx.C31, fx.G311])
    # Before L4 began (2025), 丹都's household had only the street's contact L2.
    before = critical_people(district, fx.D1, BEFORE)
    assert [(BACK[c["pid"]], c["household_list"], c["through"]) for c in before["critical"]] == [
        ("L2", ["B2211-101"], [fx.S2])
    ]


def _reference_critical(store: Store, day: str) -> dict[str, set[str]]:
    """Independent check of the definition: build households — people — party organizations (+ a sink joined
    to every organization) from raw relationships with networkx, and remove each person in turn."""

    def live(r: dict[str, Any]) -> bool:
        p = r or {}
        return (
            (p.get("since") is None or p["since"] <= day)
            and (p.get("until") is None or p["until"] >= day)
            and (p.get("date") is None or p["date"] <= day)
        )

    rows = store.read(
        "MATCH (a)-[r]->(b) RETURN labels(a)[0], coalesce(a.pid, a.code), type(r), properties(r), "
        "labels(b)[0], b.code"
    ).rows
    parent, edges = {}, []
    for la, a, t, props, lb, b in rows:
        if t == "PART_OF":
            parent[a] = b
        elif live(props):
            edges.append((la, a, t, lb, b))
    based = {a: b for la, a, t, lb, b in edges if t == "BASED_IN"}
    g = nx.Graph()
    g.add_node("SINK")
    lands: dict[str, set[str]] = {}
    for la, a, t, _lb, b in edges:
        if la == "Person" and t in ("MEMBER_OF", "SECRETARY_OF", "PART_TIME_MEMBER_OF"):
            g.add_edge(("P", a), ("O", b))
            g.add_edge(("O", b), "SINK")
        if la == "Person" and t in ("CONTACTS", "SERVES", "LINKS_HOUSEHOLD", "REPORTED_TO"):
            lands.setdefault(b, set()).add(a)
        if la == "Person" and t in ("SECRETARY_OF", "PART_TIME_MEMBER_OF") and b in based:
            lands.setdefault(based[b], set()).add(a)
    households = [a for la, a, t, _props, _lb, _b in rows if la == "Household" and t == "PART_OF"]
    for h in households:
        node = h
        while node is not None:
            for p in lands.get(node, ()):
                if ("P", p) in g:  # only people in some organization link to the Party
                    g.add_edge(("H", h), ("P", p))
            node = parent.get(node)
    out: dict[str, set[str]] = {}
    for ap in nx.articulation_points(g):
        if ap[0] != "P":
            continue
        h2 = g.copy()
        h2.remove_node(ap)
        reach = nx.node_connected_component(h2, "SINK")
        cut = {
            h
            for h in households
            if ("H", h) in g and nx.has_path(g, ("H", h), "SINK") and ("H", h) not in reach
        }
        if cut:
            out[ap[1]] = cut
    return out


@pytest.mark.parametrize("day", [AS_OF, BEFORE, fx.LATER])
def test_critical_people_are_the_articulation_points(district: Store, day: str) -> None:
    got = {c["pid"]: set(c["household_list"]) for c in critical_people(district, None, day)["critical"]}
    assert got == _reference_critical(district, day)


def test_unlinked_households_and_a_sole_household_contact(store: Store, load: Any) -> None:
    # One community, two grids: P1 (a party member) links hh 101; hh 102 has nobody; grid 2's worker is 群众.
    load(
        store,
        {
            "grids": [
                {
                    "区县": "测试区",
                    "街道编码": "S",
                    "街道": "街",
                    "社区编码": "C",
                    "社区": "社",
                    "网格编码": g,
                }
                for g in ("G1", "G2")
            ],
            "buildings": [{"楼栋编码": "B1", "网格编码": "G1"}, {"楼栋编码": "B2", "网格编码": "G2"}],
            "party_orgs": [{"组织编码": "O", "组织名称": "支部", "组织类型": "党支部"}],
            "people": [
                {"身份证号": id_number("R1"), "姓名": "甲", "政治面貌": "中共党员", "党组织编码": "O"},
                {"身份证号": id_number("R2"), "姓名": "乙", "居住楼栋编码": "B1", "户号": "101"},
                {"身份证号": id_number("R3"), "姓名": "丙", "居住楼栋编码": "B1", "户号": "102"},
                {"身份证号": id_number("R4"), "姓名": "丁", "居住楼栋编码": "B2", "户号": "201"},
                {"身份证号": id_number("W1"), "姓名": "戊", "政治面貌": "群众"},
            ],
            "household_links": [
                {"身份证号": id_number("R1"), "楼栋编码": "B1", "户号": "101", "开始日期": "2020-01-01"}
            ],
            "grid_staff": [
                {
                    "身份证号": id_number("W1"),
                    "岗位": "专职网格员",
                    "负责对象编码": "G2",
                    "开始日期": "2020-01-01",
                }
            ],
        },
    )
    r = critical_people(store, "S", AS_OF)
    assert (r["households"], r["linked"], r["unlinked"]) == (3, 1, 2)
    assert r["unlinked_list"] == ["B1-102", "B2-201"]
    assert [(c["pid"], c["household_list"], c["through"]) for c in r["critical"]] == [
        (pid("R1"), ["B1-101"], ["B1-101"])
    ]


def test_a_scope_too_large_is_refused(district: Store) -> None:
    with pytest.raises(ScopeError) as e:
        critical_people(district, None, AS_OF, max_households=5)
    assert e.value.status == 422 and "按区县或街道" in str(e.value)
    assert critical_people(district, fx.S1, AS_OF, max_households=7)["households"] == 7


# ----------------------------------------------------------------------------------------------- load balance
def test_fulltime_load_balance(district: Store) -> None:
    r = fulltime_load_balance(district, fx.D1, AS_OF)
    # W1 120, W2 650, W5 400, W7 90 households each (W7's 兼职 grid does not count).
    assert (r["workers"], r["grids"], r["grids_without_fulltime"], r["households_served"]) == (4, 6, 2, 1260)
    assert (r["mean"], r["median"], r["min"], r["max"]) == (315.0, 260.0, 90.0, 650.0)
    assert r["gini"] == pytest.approx(1960 / 5040)
    assert [h["workers"] for h in r["histogram"]] == [1, 1, 0, 2]
    assert [(BACK[w["pid"]], w["load"]) for w in r["overloaded"]] == [("W2", 650.0), ("W5", 400.0)]
    assert [BACK[w["pid"]] for w in r["top"]] == ["W2", "W5", "W1", "W7"]
    later = fulltime_load_balance(district, fx.S2, fx.LATER)  # W5 and W6 share 冲广坪一网格's 400
    assert sorted((BACK[w["pid"]], w["load"]) for w in later["top"]) == [
        ("W5", 200.0),
        ("W6", 200.0),
        ("W7", 90.0),
    ]


# ---------------------------------------------------------------------------------------------------- bridges
def test_community_bridges(district: Store) -> None:
    whole = community_bridges(district, None, AS_OF)
    assert [(p["communities"], [BACK[u["code"]] for u in p["units"]]) for p in whole["pairs"]] == [
        ([fx.C31, fx.C11], ["U1"]),  # 供电公司 co-builds in both districts
        ([fx.C11, fx.C22], ["U4"]),
    ]
    assert [(BACK[b["code"]], b["communities"]) for b in whole["bridging_units"]] == [
        ("U4", [fx.C11, fx.C22]),
        ("U1", [fx.C31, fx.C11]),
    ]
    assert [g["communities"] for g in whole["groups"]] == [[fx.C31, fx.C11, fx.C22]]
    assert whole["isolated"] == [fx.C12]  # U3's co-building starts in 2099; 冲广坪 has U3's report, alone
    assert sorted(BACK[u["code"]] for u in whole["cut_units"]) == ["U1", "U4"]
    d1 = community_bridges(district, fx.D1, AS_OF)
    assert [p["communities"] for p in d1["pairs"]] == [[fx.C11, fx.C22]] and d1["communities"] == 4
    later = community_bridges(district, fx.D1, fx.LATER)  # U3 co-builds with 梅花 and reported to 冲广坪
    assert [fx.C12, fx.C21] in [p["communities"] for p in later["pairs"]]


def test_analyze_bundles_all_three(district: Store) -> None:
    r = analyze(district, fx.S2, BEFORE)
    assert set(r) == {"critical_people", "fulltime_load", "community_bridges"}
    assert [BACK[c["pid"]] for c in r["critical_people"]["critical"]] == ["L2"]
    with pytest.raises(ScopeError):
        analyze(district, None, AS_OF, max_households=1)
    assert analytics.MAX_HOUSEHOLDS >= 100_000
