"""The bounded graphs behind the pages: what they contain, what they count instead, and that the store never hands over more."""

from __future__ import annotations

from typing import Any

import pytest
from orggraph.graph.store import Result, Store
from orggraph.queries.network import cobuilding_network, ego_network, names, org_tree
from orggraph.queries.scope import ScopeError
from support.viz_district import (  # tests/support/viz_district.py
    B1,
    C1,
    C2,
    G1,
    ORG_B1,
    ORG_C1,
    ORG_G1,
    ORG_STREET,
    PT_NOW,
    PT_OLD,
    REPORTERS,
    STREET,
    U1,
    U2,
    U3,
    pid,
)

AS_OF = "2025-06-30"


def edges(g: Any) -> set[tuple[str, str, str]]:
    return {(e.source, e.target, e.type) for e in g.edges}


def groups(g: Any) -> dict[tuple[str | None, str], int]:
    return {(n.parent, n.noun): n.count for n in g.nodes.values() if n.label == "Group"}


class CountingStore(Store):
    """Wraps a store and records how many rows and nodes each read hands back to Python."""

    def __init__(self, inner: Store) -> None:
        self.inner = inner
        self.reads: list[tuple[int, int]] = []  # (rows, node values)

    def read(
        self, query: Any, params: Any = None, *, timeout: float | None = None, max_rows: int | None = None
    ) -> Result:
        r = self.inner.read(query, params, timeout=timeout, max_rows=max_rows)
        self.reads.append((len(r.rows), _count_nodes(r.rows)))
        return r

    def write(self, query: Any, params: Any = None) -> Result:
        return self.inner.write(query, params)

    def ensure_schema(self) -> None:
        self.inner.ensure_schema()

    def clear(self) -> None:
        self.inner.clear()

    def ping(self) -> None:
        self.inner.ping()


def _count_nodes(value: Any) -> int:
    if isinstance(value, dict):
        return 1 if "labels" in value else sum(_count_nodes(v) for v in value.values())
    if isinstance(value, list):
        return sum(_count_nodes(v) for v in value)
    return 0


# ---------------------------------------------------------------------------------------------------- ego
def test_ego_of_a_community_shows_every_neighbour_under_the_cap(district: Store) -> None:
    g = ego_network(district, C1, as_of=AS_OF)
    assert g.center == f"Community:{C1}"
    reporters = {n.key for n in g.nodes.values() if n.label == "Person" and n.level == 1}
    # 30 reporting members and the leader who contacts the community
    assert len(reporters) == REPORTERS + 1
    assert (f"Unit:{U1}", f"Community:{C1}", "CO_BUILDS") in edges(g)
    assert (f"Community:{C1}", f"Street:{STREET}", "PART_OF") in edges(g)
    assert (f"PartyOrg:{ORG_C1}", f"Community:{C1}", "BASED_IN") in edges(g)
    assert not groups(g)


def test_ego_past_the_cap_counts_the_rest_in_group_nodes(district: Store) -> None:
    cap = 12
    g = ego_network(district, C1, as_of=AS_OF, cap=cap)
    assert len(g.nodes) <= cap
    shown = sum(
        1
        for n in g.nodes.values()
        if n.label == "Person"
        and ("PartyMember" in n.labels)
        and n.level == 1
        and (f"{n.id}", g.center, "REPORTED_TO") in edges(g)
    )
    counted = groups(g)[(g.center, "报到党员")]
    assert shown + counted == REPORTERS  # every reporting member is either drawn or counted, once
    assert shown >= 1


def test_ego_leaves_out_relationships_not_in_force(district: Store) -> None:
    g = ego_network(district, C2, as_of=AS_OF)
    assert f"Unit:{U3}" not in g.nodes  # its co-building ended in 2021
    earlier = ego_network(district, C2, as_of="2020-06-30")
    assert (f"Unit:{U3}", f"Community:{C2}", "CO_BUILDS") in edges(earlier)


def test_ego_two_steps_reaches_neighbours_of_neighbours(district: Store) -> None:
    one = ego_network(district, U1, depth=1, as_of=AS_OF)
    two = ego_network(district, U1, depth=2, as_of=AS_OF)
    assert f"Community:{C1}" in one.nodes
    assert f"Street:{STREET}" not in one.nodes
    assert f"Street:{STREET}" in two.nodes  # U1 → C1 → street
    assert two.nodes[f"Street:{STREET}"].level == 2
    assert set(one.nodes) < set(two.nodes)


def test_ego_two_steps_stays_under_the_cap(district: Store) -> None:
    g = ego_network(district, G1, depth=2, as_of=AS_OF, cap=25)
    assert len(g.nodes) <= 25
    assert g.omitted > 0 or groups(g)  # something had to be left out, and it is accounted for


def test_ego_queries_hand_back_a_bounded_number_of_nodes(district: Store) -> None:
    """A hub of 30 members with a cap of 10: no read returns more than the cap's worth of node values per group."""
    counting = CountingStore(district)
    ego_network(counting, C1, depth=2, as_of=AS_OF, cap=10)
    step_one = counting.reads[2]  # resolve, fetch the centre, then step one
    assert step_one[1] <= 10 * step_one[0]
    assert (
        sum(n for _, n in counting.reads) < 2 * REPORTERS
    )  # far fewer than the members (and their homes ...)


def test_ego_of_a_person_by_pid(district: Store) -> None:
    g = ego_network(district, pid(PT_NOW), as_of=AS_OF)
    assert (f"Person:{pid(PT_NOW)}", f"PartyOrg:{ORG_C1}", "PART_TIME_MEMBER_OF") in edges(g)
    assert (f"Person:{pid(PT_NOW)}", f"Unit:{U1}", "WORKS_AT") in edges(g)


def test_ego_of_unknown_key_is_a_404(district: Store) -> None:
    with pytest.raises(ScopeError) as e:
        ego_network(district, "nope", as_of=AS_OF)
    assert e.value.status == 404


def test_ego_depth_must_be_1_or_2(district: Store) -> None:
    with pytest.raises(ScopeError) as e:
        ego_network(district, C1, depth=3)
    assert e.value.status == 422


# --------------------------------------------------------------------------------------------- co-building
def test_cobuilding_links_units_to_communities_and_marks_the_uncovered(district: Store) -> None:
    g = cobuilding_network(district, STREET, as_of=AS_OF)
    assert edges(g) == {
        (f"Unit:{U1}", f"Community:{C1}", "CO_BUILDS"),
        (f"Unit:{U2}", f"Community:{C1}", "CO_BUILDS"),
    }
    assert g.nodes[f"Community:{C2}"].flags.get("uncovered") is True
    assert not g.nodes[f"Community:{C1}"].flags.get("uncovered")
    assert g.nodes[f"Unit:{U1}"].props["kind"] == "国有企业"


def test_cobuilding_of_one_community(district: Store) -> None:
    g = cobuilding_network(district, C1, as_of=AS_OF)
    assert {n.id for n in g.nodes.values()} == {f"Community:{C1}", f"Unit:{U1}", f"Unit:{U2}"}


def test_cobuilding_past_the_cap_summarises_by_street_and_unit_kind(district: Store) -> None:
    g = cobuilding_network(district, None, as_of=AS_OF, cap=3)
    assert g.mode == "summary"
    street = g.nodes[f"Street:{STREET}"]
    assert (street.flags["communities"], street.flags["covered"]) == (2, 1)
    kinds = {n.flags["unit_kind"]: n.count for n in g.nodes.values() if n.flags.get("unit_kind")}
    assert kinds == {"国有企业": 1, "民营企业": 1}
    assert len(g.nodes) <= 3 + 6


def test_cobuilding_scope_must_be_a_region(district: Store) -> None:
    with pytest.raises(ScopeError) as e:
        cobuilding_network(district, U1)
    assert e.value.status == 422


# ------------------------------------------------------------------------------------------------ org tree
def test_org_tree_links_each_organization_to_its_parent(district: Store) -> None:
    g = org_tree(district, STREET, as_of=AS_OF)
    tree = {(a, b) for a, b, t in edges(g) if t == "SUBORDINATE_TO"}
    assert tree == {
        (f"PartyOrg:{ORG_C1}", f"PartyOrg:{ORG_STREET}"),
        (f"PartyOrg:{ORG_G1}", f"PartyOrg:{ORG_C1}"),
        (f"PartyOrg:{ORG_B1}", f"PartyOrg:{ORG_G1}"),
    }
    levels = {n.key: n.level for n in g.nodes.values() if n.label == "PartyOrg"}
    assert levels == {ORG_STREET: 0, ORG_C1: 1, ORG_G1: 2, ORG_B1: 3}
    assert [s.name for s in g.nodes[f"PartyOrg:{ORG_C1}"].flags["secretaries"]] == ["许书记"]


def test_org_tree_shows_part_time_members_in_force_only(district: Store) -> None:
    g = org_tree(district, STREET, as_of=AS_OF)
    members = {a for a, b, t in edges(g) if t == "PART_TIME_MEMBER_OF"}
    assert members == {f"Person:{pid(PT_NOW)}"}
    assert f"Person:{pid(PT_OLD)}" not in g.nodes
    then = org_tree(district, STREET, as_of="2019-06-30")
    assert {a for a, b, t in edges(then) if t == "PART_TIME_MEMBER_OF"} == {f"Person:{pid(PT_OLD)}"}


def test_org_tree_of_a_community_keeps_the_organizations_above_it(district: Store) -> None:
    g = org_tree(district, C1, as_of=AS_OF)
    assert {n.key for n in g.nodes.values() if n.label == "PartyOrg"} == {ORG_STREET, ORG_C1, ORG_G1, ORG_B1}
    other = org_tree(district, C2, as_of=AS_OF)
    assert not [n for n in other.nodes.values() if n.label == "PartyOrg"]


def test_org_tree_past_the_cap_counts_the_lower_levels(district: Store) -> None:
    g = org_tree(district, STREET, as_of=AS_OF, cap=3)  # two organizations and the count of what is below
    kinds = {n.props.get("kind") for n in g.nodes.values() if n.label == "PartyOrg"}
    assert kinds == {"党工委", "党委"}
    assert groups(g) == {(f"PartyOrg:{ORG_C1}", "党支部"): 1}
    assert g.notes and len(g.nodes) == 3
    # One place fewer: the counted nodes for the hidden levels count against the cap too, so a level less.
    g = org_tree(district, STREET, as_of=AS_OF, cap=2)
    assert len(g.nodes) <= 2
    assert {n.props.get("kind") for n in g.nodes.values() if n.label == "PartyOrg"} == {"党工委"}


def test_names_of_a_batch(district: Store) -> None:
    assert names(district, "Community", [C1, C2, "nope"]) == {C1: "旺家社区", C2: "冲广社区"}
    assert names(district, "Building", [B1]) == {B1: "丰园1栋"}
