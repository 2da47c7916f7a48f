"""Who contacts whom on the small district: contacts of every kind of node, reach, and the shortest contact
path."""

from __future__ import annotations

from typing import Any

import networkx as nx
import pytest
from fixtures import small_district as fx
from fixtures.small_district import AS_OF, BEFORE, LATER, pid, unit_code
from orggraph.graph.store import Store
from orggraph.queries import contacts as con
from orggraph.queries.contacts import contact_path, contacts_of, reach
from orggraph.queries.scope import ScopeError

BACK = {**{pid(h): h for h in fx.HANDLES}, **{unit_code(u): u for u in ("U1", "U2", "U3", "U4")}}


def summary(result: dict[str, Any]) -> set[tuple[str, str, bool, tuple[str, ...]]]:
    """{(handle, role, direct, via)} — readable when a test fails."""
    return {
        (BACK.get(c["key"], c["key"]), c["role"], c["direct"], tuple(c["via"])) for c in result["contacts"]
    }


G111_DIRECT = {
    ("W1", "专职网格员"),
    ("W8", "网格长"),
    ("W8", "党组织书记"),  # secretary of PG111, based in the grid
    ("L1", "联系点:区委区政府班子"),
    ("L7", "联系点:街道党工委班子"),
}
C11_CONTACTS = {  # in force on 龙门社区 at AS_OF (L5 ended, T2 ended, T3 not yet)
    ("L1", "联系点:区委区政府班子"),
    ("L7", "联系点:街道党工委班子"),
    ("U1", "联建共建"),
    ("U2", "联建共建"),
    ("U4", "联建共建"),
    ("M1", "双报到"),
    ("M2", "双报到"),
    ("U2", "双报到"),
    ("Y1", "党组织书记"),
    ("T1", "兼职委员"),
}
S1_CONTACTS = {("L1", "联系点:区委区政府班子"), ("L7", "联系点:街道党工委班子"), ("L7", "党组织书记")}


def test_contacts_of_a_grid_direct_and_inherited(district: Store) -> None:
    r = contacts_of(district, fx.G111, AS_OF)
    assert r["target"] == {"label": "Grid", "key": fx.G111, "name": "龙门一网格"}
    want = (
        {(h, role, True, (fx.G111,)) for h, role in G111_DIRECT}
        | {(h, role, False, (fx.G111, fx.C11)) for h, role in C11_CONTACTS}
        | {(h, role, False, (fx.G111, fx.C11, fx.S1)) for h, role in S1_CONTACTS}
    )
    assert summary(r) == want
    assert r["total"] == len(want) == 18 and r["truncated"] is False
    assert r["by_role"]["双报到"] == 3 and r["by_role"]["党组织书记"] == 3
    # direct ones first, then nearer ancestors first
    depths = [len(c["via"]) for c in r["contacts"]]
    assert depths == sorted(depths) and r["contacts"][0]["direct"]
    units = {c["key"]: c for c in r["contacts"] if c["kind"] == "unit"}
    assert units[unit_code("U1")]["detail"] == "助老服务" and units[unit_code("U1")]["at"] == fx.C11
    assert {c["kind"] for c in r["contacts"]} == {"person", "unit"}


def test_contacts_follow_the_day(district: Store) -> None:
    before = summary(contacts_of(district, fx.C11, BEFORE))
    assert ("L5", "联系点:街道党工委班子", True, (fx.C11,)) in before  # ended 2024-12-31
    assert ("T2", "兼职委员", True, (fx.C11,)) in before
    assert ("M2", "双报到", True, (fx.C11,)) not in before  # reported 2025-05-01
    later = summary(contacts_of(district, fx.G112, LATER))
    assert ("L5", "联系点:街道党工委班子", True, (fx.G112,)) in later
    assert ("T3", "兼职委员", False, (fx.G112, fx.C11)) in later
    now = summary(contacts_of(district, fx.G112, AS_OF))
    assert not any(h in ("L5", "T3", "T2") and via == (fx.G112,) for h, _, _, via in now)


def test_contacts_of_a_household_through_its_building(district: Store) -> None:
    r = contacts_of(district, "B1121-102", AS_OF)
    got = summary(r)
    # R6's link to this household ended; the building's 楼栋长 ended; R6 still leads the building's 党小组.
    assert not any(d for _, _, d, _ in got)
    assert ("R6", "党组织书记", False, ("B1121-102", "B1121")) in got
    assert ("W2", "专职网格员", False, ("B1121-102", "B1121", fx.G112)) in got
    assert r["total"] == 15
    assert ("R6", "联户", True, ("B1121-102",)) in summary(contacts_of(district, "B1121-102", BEFORE))


def test_contacts_of_a_person_are_those_of_their_home(district: Store) -> None:
    r = contacts_of(district, pid("R2"), AS_OF)
    assert r["target"]["label"] == "Person" and r["target"]["household"] == "B1111-101"
    got = summary(r)
    assert ("R1", "联户", True, ("B1111-101",)) in got
    assert ("H1", "楼栋长", False, ("B1111-101", "B1111")) in got
    assert r["total"] == 20
    # R1 links her own household: she is not her own contact.
    own = contacts_of(district, pid("R1"), AS_OF)
    assert pid("R1") not in {c["key"] for c in own["contacts"]} and own["total"] == 19
    # someone living nowhere has no contacts
    nobody = contacts_of(district, pid("Z1"), AS_OF)
    assert nobody["contacts"] == [] and nobody["target"]["household"] is None


def test_contacts_of_a_party_organization_and_of_a_unit(district: Store) -> None:
    org = contacts_of(district, "PC11", AS_OF)
    got = summary(org)
    assert {(h, role) for h, role, d, _ in got if d} == {("Y1", "党组织书记"), ("T1", "兼职委员")}
    assert org["target"]["base"] == {"label": "Community", "key": fx.C11, "name": "龙门社区"}
    assert ("U1", "联建共建", False, ("PC11", fx.C11)) in got
    assert ("Y1", "党组织书记", False, ("PC11", fx.C11)) not in got  # listed once, directly
    assert org["total"] == 13
    unit = contacts_of(district, unit_code("U1"), AS_OF)
    assert summary(unit) == {
        ("M1", "党组织书记", True, (unit_code("U1"),)),  # secretary of PU1, based in the unit
        ("L1", "联系点:区委区政府班子", False, (unit_code("U1"), fx.S1)),  # the unit sits in 谢桥街道
        ("L7", "联系点:街道党工委班子", False, (unit_code("U1"), fx.S1)),
        ("L7", "党组织书记", False, (unit_code("U1"), fx.S1)),
    }


def test_contacts_of_a_street_and_a_district(district: Store) -> None:
    assert {(h, role, d) for h, role, d, _ in summary(contacts_of(district, fx.S1, AS_OF))} == {
        (h, role, True) for h, role in S1_CONTACTS
    }
    assert contacts_of(district, fx.D1, AS_OF)["contacts"] == []  # nothing lands on a district


def test_contacts_are_capped_per_group_with_full_counts(district: Store) -> None:
    r = contacts_of(district, fx.C11, AS_OF, cap=1)
    assert r["truncated"] is True
    assert r["total"] == 13 and r["by_role"]["联建共建"] == 3  # 10 on 龙门社区, 3 on 谢桥街道
    assert sum(1 for c in r["contacts"] if c["role"] == "联建共建") == 1


def test_unknown_key_is_404(district: Store) -> None:
    with pytest.raises(ScopeError) as e:
        contacts_of(district, "no-such-code", AS_OF)
    assert e.value.status == 404


# -------------------------------------------------------------------------------------------------- reach
def covers(r: dict[str, Any]) -> dict[str, int]:
    return {k: v["count"] for k, v in r["covers"].items()}


def test_reach_of_a_grid_head_who_is_also_a_secretary(district: Store) -> None:
    r = reach(district, pid("W8"), AS_OF)
    assert {(d["key"], d["role"]) for d in r["direct"]} == {(fx.G111, "网格长"), (fx.G111, "党组织书记")}
    assert covers(r) == {"grids": 1, "buildings": 2, "households": 4, "residents": 5}
    assert r["covers"]["buildings"]["items"] == ["B1111", "B1112"]
    assert sorted(BACK[x["pid"]] for x in r["covers"]["residents"]["items"]) == ["R1", "R2", "R3", "R4", "R5"]


def test_reach_counts_nested_targets_once(district: Store) -> None:
    # L1 contacts 谢桥街道, 龙门社区 and 龙门一网格: the last two lie inside the first.
    r = reach(district, pid("L1"), AS_OF)
    assert [d["label"] for d in r["direct"]] == ["Street", "Community", "Grid"]
    assert covers(r) == {"grids": 3, "buildings": 4, "households": 7, "residents": 9}
    r6 = reach(district, pid("R6"), AS_OF)  # links B1121-101 and leads B1121's 党小组
    assert covers(r6) == {"grids": 0, "buildings": 1, "households": 2, "residents": 3}


def test_reach_of_units(district: Store) -> None:
    u4 = reach(district, unit_code("U4"), AS_OF)
    assert {(d["key"], d["role"]) for d in u4["direct"]} == {(fx.C11, "联建共建"), (fx.C22, "联建共建")}
    assert covers(u4) == {"grids": 3, "buildings": 4, "households": 7, "residents": 9}
    u2 = reach(district, unit_code("U2"), AS_OF)  # C21's term ended; co-builds and reported to C11
    assert {(d["key"], d["role"]) for d in u2["direct"]} == {(fx.C11, "联建共建"), (fx.C11, "双报到")}
    assert covers(u2) == {"grids": 2, "buildings": 3, "households": 6, "residents": 8}
    assert reach(district, unit_code("U2"), BEFORE)["covers"]["grids"]["count"] == 4  # + 冲广坪's two


def test_reach_lists_only_when_small(district: Store) -> None:
    r = reach(district, pid("L1"), AS_OF, cap=5)
    assert r["covers"]["residents"] == {"count": 9, "items": None}
    assert r["covers"]["grids"]["items"] == sorted([fx.G111, fx.G112, fx.G121])


def test_reach_of_nothing_in_force_and_of_the_wrong_kind(district: Store) -> None:
    assert reach(district, pid("M3"), AS_OF)["direct"] == []  # reports only in 2099
    assert covers(reach(district, pid("M3"), LATER))["residents"] == 2
    with pytest.raises(ScopeError) as e:
        reach(district, fx.G111, AS_OF)
    assert e.value.status == 422


# --------------------------------------------------------------------------------------------------- path
def _check_path(store: Store, r: dict[str, Any], a: str, b: str) -> None:
    """Consecutive nodes are joined by the edges listed, in the direction they say."""
    assert r["found"] and len(r["nodes"]) == r["length"] + 1 == len(r["edges"]) + 1
    assert r["nodes"][0]["key"] == a and r["nodes"][-1]["key"] == b
    for i, e in enumerate(r["edges"]):
        x, y = r["nodes"][i]["key"], r["nodes"][i + 1]["key"]
        assert (e["from"], e["to"]) == ((x, y) if e["forward"] else (y, x))
        assert e["direction"] == ("->" if e["forward"] else "<-")


def test_path_from_a_resident_to_a_leader(district: Store) -> None:
    r = contact_path(district, pid("R2"), pid("L1"), AS_OF)
    _check_path(district, r, pid("R2"), pid("L1"))
    assert r["length"] == 4  # R2 → household → building → grid ← L1
    assert [n["label"] for n in r["nodes"]] == ["Person", "Household", "Building", "Grid", "Person"]
    assert [e["type"] for e in r["edges"]] == ["LIVES_IN", "PART_OF", "PART_OF", "CONTACTS"]
    assert r["edges"][-1] == {
        "type": "CONTACTS", "name": "联系点", "role": "区委区政府班子", "forward": False, "direction": "<-",
        "from": pid("L1"), "to": fx.G111,
    }  # fmt: skip
    assert r["exhaustive"] is True


def test_path_respects_max_len_and_the_day(district: Store) -> None:
    assert contact_path(district, pid("R2"), pid("L1"), AS_OF, max_len=3) == {
        "found": False,
        "max_len": 3,
        "exhaustive": True,
    }
    # T2's only tie, to 龙门社区党委, ended on 2024-12-31
    assert contact_path(district, pid("T2"), fx.C11, AS_OF)["found"] is False
    before = contact_path(district, pid("T2"), fx.C11, BEFORE)
    _check_path(district, before, pid("T2"), fx.C11)
    assert [e["type"] for e in before["edges"]] == ["PART_TIME_MEMBER_OF", "BASED_IN"]


def test_path_to_an_isolated_person_and_to_itself(district: Store) -> None:
    assert contact_path(district, pid("Z1"), fx.G111, AS_OF)["found"] is False
    same = contact_path(district, fx.G111, fx.G111, AS_OF)
    assert same["found"] and same["length"] == 0 and same["nodes"][0]["name"] == "龙门一网格"


def test_path_across_districts_through_a_cobuilding_unit(district: Store) -> None:
    r = contact_path(district, "B3111", "B1112", AS_OF)  # 碧江区 ↔ 万山区: only U1 co-builds in both
    _check_path(district, r, "B3111", "B1112")
    assert unit_code("U1") in [n["key"] for n in r["nodes"]]
    assert r["length"] == 6  # B3111→G311→C31←U1→C11←G111←B1112


def test_path_can_be_restricted_to_some_relationships(district: Store) -> None:
    r = contact_path(
        district, pid("R2"), pid("L1"), AS_OF, rels=["LIVES_IN", "LINKS_HOUSEHOLD", "MEMBER_OF", "PART_OF"]
    )
    assert (
        r["found"] is False
    )  # L1 is reached only through a CONTACTS edge or 区委 membership, R2 is no member
    with pytest.raises(ScopeError):
        contact_path(district, pid("R2"), pid("L1"), AS_OF, rels=["KNOWS"])
    with pytest.raises(ScopeError):
        contact_path(district, pid("R2"), pid("L1"), AS_OF, max_len=99)


def _reference_graph(store: Store, day: str) -> nx.Graph:
    """The whole small graph as networkx (undirected, relationships in force on `day`), to check path
    lengths."""
    rows = store.read(
        "MATCH (a)-[r]->(b) RETURN coalesce(a.pid, a.code), coalesce(b.pid, b.code), r.since, r.until, r.date"
    ).rows
    g = nx.Graph()
    for a, b, since, until, date in rows:
        if (
            (since is None or since <= day)
            and (until is None or until >= day)
            and (date is None or date <= day)
        ):
            g.add_edge(a, b)
    return g


@pytest.mark.parametrize(
    ("a", "b"),
    [("R2", "L8"), ("W2", "T4"), ("R13", "M2"), ("H3", "Y1"), ("K3", "R11"), ("L6", "W9")],
)
def test_path_lengths_are_shortest(district: Store, a: str, b: str) -> None:
    g = _reference_graph(district, AS_OF)
    want = (
        nx.shortest_path_length(g, pid(a), pid(b))
        if pid(a) in g and pid(b) in g and nx.has_path(g, pid(a), pid(b))
        else None
    )
    r = contact_path(district, pid(a), pid(b), AS_OF, max_len=12)
    if want is None:
        assert r["found"] is False
    else:
        _check_path(district, r, pid(a), pid(b))
        assert r["length"] == want


def test_path_reports_a_capped_search(district: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(con, "EXPAND_ROWS", 2)
    r = contact_path(district, pid("R2"), pid("L8"), AS_OF, max_len=12)
    assert r["exhaustive"] is False


def test_a_search_past_its_time_stops_and_says_it_is_not_exhaustive(
    district: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(con, "SEARCH_SECONDS", 0.0)  # every step overruns: stop after the first
    r = contact_path(district, pid("R2"), pid("L8"), AS_OF, max_len=12)
    assert r == {"found": False, "max_len": 12, "exhaustive": False}
    monkeypatch.setattr(con, "SEARCH_SECONDS", 60.0)
    assert contact_path(district, pid("R2"), pid("L8"), AS_OF, max_len=12)["exhaustive"] is True


# --------------------------------------------------------------------------------------- on every backend
def test_contacts_and_path_on_every_backend(any_store: Store, load: Any) -> None:
    load(any_store, fx.ledgers())
    assert contacts_of(any_store, fx.G111, AS_OF)["total"] == 18
    assert {k: v["count"] for k, v in reach(any_store, pid("L1"), AS_OF)["covers"].items()}["residents"] == 9
    r = contact_path(any_store, pid("R2"), pid("L1"), AS_OF)
    assert r["found"] and r["length"] == 4
