"""Coverage measures, breakdowns, gap lists and tallies on the small district, against hand-computed figures.

How the figures of tests/fixtures/small_district.py come about (万山区, AS_OF = 2025-06-30):
- co-building: 龙门 (U1, U2, U4) and 丹都 (U4) have a unit in force; 梅花's only unit starts in 2099, 冲广坪's
  ended 2024-12-31 → 2 of 4. Before (2024-06-30) 冲广坪 still had U2 → 3 of 4; in 2099 梅花 has U3 → 3 of 4.
- contact points: both streets (L1, L7 / L2); communities 龙门, 梅花, 冲广坪 but not 丹都 → 3 of 4; grids
  G111, G121, G211, G221 but not G112 (L5 only from 2099) nor the 专属网格 G212 → 4 of 6.
- grid party organizations: G111 (PG111), G112 (through building B1121's 党小组), G211 → 3 of 6, any day.
- full-time share, counted in people: 专职 W1, W2, W5, W7; 兼职 W3 and W7 (W7 is both, counted once as
  full-time) → 4 of 5. Inside 谢桥街道 W7 is only 兼职 → 2 of 4.
- building heads: only B1111's 楼栋长 is in force (B1121's ended, B2211's starts 2099; B2111 has a 单元长) → 1
  of 6.
- household links: R1's three households, R6's B1121-101, R9's B1211-101 → 5 of 10.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fixtures import small_district as fx
from fixtures.small_district import AS_OF, BEFORE, EXPECTED_COVERAGE, EXPECTED_GAPS, LATER, pid, unit_code
from orggraph.graph.store import INDEX_SEEK_OPERATORS, Store, full_scans
from orggraph.queries import coverage as cov
from orggraph.queries.catalog import CATALOG
from orggraph.queries.coverage import (
    DEFAULT_RULES,
    RulesError,
    contact_rule_violations,
    coverage,
    coverage_breakdown,
    dual_reporting_tally,
    gaps,
    grid_worker_load,
    load_rules,
    part_time_committee,
    sole_contacts,
)
from orggraph.queries.scope import ScopeError


def M(covered: int, total: int) -> dict[str, Any]:
    return {"covered": covered, "total": total, "ratio": covered / total if total else 0.0}


def handles(pids: list[str]) -> list[str]:
    back = {pid(h): h for h in fx.HANDLES}
    return [back.get(p, p) for p in pids]


# ------------------------------------------------------------------------------------------------ coverage
@pytest.mark.parametrize(("scope", "day"), list(EXPECTED_COVERAGE), ids=lambda v: str(v))
def test_coverage_matches_hand_computed(district: Store, scope: str | None, day: str) -> None:
    assert coverage(district, scope, day) == EXPECTED_COVERAGE[(scope, day)]


def test_coverage_shape_is_exactly_api_md(district: Store) -> None:
    got = coverage(district, fx.D1, AS_OF)
    assert set(got) == {
        "cobuilding",
        "contact_points",
        "grid_party_org",
        "fulltime_share",
        "building_heads",
        "household_links",
    }
    assert set(got["contact_points"]) == {"Street", "Community", "Grid"}
    for m in [got["cobuilding"], *got["contact_points"].values(), got["grid_party_org"]]:
        assert set(m) == {"covered", "total", "ratio"}
        assert isinstance(m["covered"], int) and isinstance(m["total"], int) and isinstance(m["ratio"], float)


def test_community_scope_has_no_streets_and_ratio_of_nothing_is_zero(district: Store) -> None:
    got = coverage(district, fx.C21, AS_OF)
    assert got["contact_points"]["Street"] == {"covered": 0, "total": 0, "ratio": 0.0}
    assert got["contact_points"]["Community"] == M(1, 1)


def test_default_day_is_today_and_fixture_is_stable_until_2099(district: Store) -> None:
    # The fixture's terms all start by 2025-01-01 or in 2099, so today answers as AS_OF does.
    assert coverage(district, fx.D1) == EXPECTED_COVERAGE[(fx.D1, AS_OF)]


def test_breakdown_district_by_street_sums_to_the_district(district: Store) -> None:
    rows = coverage_breakdown(district, fx.D1, AS_OF)
    assert [(r["label"], r["code"], r["name"]) for r in rows] == [
        ("Street", fx.S1, "谢桥街道"),
        ("Street", fx.S2, "仁山街道"),
    ]
    assert rows[0]["coverage"] == EXPECTED_COVERAGE[(fx.S1, AS_OF)]
    assert rows[1]["coverage"] == EXPECTED_COVERAGE[(fx.S2, AS_OF)]
    whole = EXPECTED_COVERAGE[(fx.D1, AS_OF)]
    for mid in ("cobuilding", "grid_party_org", "building_heads", "household_links"):
        assert sum(r["coverage"][mid]["total"] for r in rows) == whole[mid]["total"]  # type: ignore[index]
        assert sum(r["coverage"][mid]["covered"] for r in rows) == whole[mid]["covered"]  # type: ignore[index]


def test_breakdown_of_everything_is_by_district(district: Store) -> None:
    rows = coverage_breakdown(district, None, AS_OF)
    assert [r["code"] for r in rows] == [fx.D2, fx.D1]
    assert rows[0]["coverage"] == EXPECTED_COVERAGE[(fx.D2, AS_OF)]
    assert rows[1]["coverage"] == EXPECTED_COVERAGE[(fx.D1, AS_OF)]


def test_breakdown_street_by_community(district: Store) -> None:
    rows = coverage_breakdown(district, fx.S1, AS_OF)
    assert [r["code"] for r in rows] == [fx.C11, fx.C12]
    assert rows[0]["coverage"] == EXPECTED_COVERAGE[(fx.C11, AS_OF)]
    assert rows[1]["coverage"] == EXPECTED_COVERAGE[(fx.C12, AS_OF)]


def test_breakdown_community_by_grid(district: Store) -> None:
    rows = coverage_breakdown(district, fx.C21, AS_OF)
    assert [(r["label"], r["code"]) for r in rows] == [("Grid", fx.G211), ("Grid", fx.G212)]
    g211, g212 = rows[0]["coverage"], rows[1]["coverage"]
    # Community-level measures mean nothing for one grid: 0 of 0.
    assert g211["cobuilding"] == M(0, 0) and g211["contact_points"]["Community"] == M(0, 0)
    assert g211["contact_points"]["Grid"] == M(1, 1)  # L4, L6
    assert g211["grid_party_org"] == M(1, 1)
    assert g211["fulltime_share"] == M(1, 1)  # W5 (W4 ended, W6 from 2099)
    assert g211["building_heads"] == M(0, 1)  # B2111 has a 单元长, not a 楼栋长
    assert g211["household_links"] == M(0, 2)  # K3 only from 2099
    assert g212["contact_points"]["Grid"] == M(0, 1)
    assert g212["fulltime_share"] == M(0, 0)
    assert g212["household_links"] == M(0, 0)


def test_breakdown_as_of_counts_terms_of_that_day(district: Store) -> None:
    s2 = {r["code"]: r["coverage"] for r in coverage_breakdown(district, fx.D1, BEFORE)}[fx.S2]
    assert s2["cobuilding"] == M(2, 2)  # 冲广坪 still has U2 (until 2024-12-31), 丹都 U4 (since 2023-06)
    assert s2["fulltime_share"] == M(2, 2)  # W4 then, W7


# ---------------------------------------------------------------------------------------------------- gaps
@pytest.mark.parametrize(("scope", "day"), list(EXPECTED_GAPS), ids=lambda v: str(v))
def test_gaps_match_hand_computed(district: Store, scope: str | None, day: str) -> None:
    got = gaps(district, scope, day)
    want = EXPECTED_GAPS[(scope, day)]
    assert list(got) == list(want)
    for k, v in got.items():
        assert v == sorted(v), k  # the API's lists are sorted
    people = ("contact_rule_violations", "sole_contacts")
    assert {k: (sorted(handles(v)) if k in people else v) for k, v in got.items()} == {
        k: sorted(v) for k, v in want.items()
    }


def test_whole_graph_gaps_include_the_neighbour_district(district: Store) -> None:
    assert gaps(district, None, AS_OF) == gaps(district, fx.D1, AS_OF)  # 碧江区 has no gap
    assert gaps(district, fx.D2, AS_OF) == {k: [] for k in cov.GAP_LISTS}


def test_rule_violations_say_which_rule_is_broken(district: Store) -> None:
    got = {
        (handles([v["pid"]])[0], v["category"]): v for v in contact_rule_violations(district, fx.D1, AS_OF)
    }
    assert set(got) == {("L2", "区委区政府班子"), ("L4", "部务会成员"), ("L7", "街道党工委班子")}
    l2, l4, l7 = got[("L2", "区委区政府班子")], got[("L4", "部务会成员")], got[("L7", "街道党工委班子")]
    assert l2["counts"] == {"Street": 1, "Community": 1, "Grid": 0}
    assert l2["broken"] == [{"level": "Grid", "required": 1, "actual": 0}]
    assert l2["name"] == "董梅" and l2["titles"] == ["区长"]
    assert l4["counts"] == {"Street": 0, "Community": 1, "Grid": 2}
    assert l4["targets"]["Grid"] == sorted([fx.G211, fx.G221])
    assert l4["broken"] == [{"level": "Grid", "required": 1, "actual": 2}]
    assert l7["broken"] == [{"level": "Street", "required": 0, "actual": 1}]
    assert "部务会成员" in l4["rule"] and "2 个网格" in l4["rule"]


def test_rule_counts_are_all_of_a_persons_contacts_not_only_those_in_scope(district: Store) -> None:
    # In 丹都社区 only L4's grid G221 lies, but L4 is judged on all three contact points.
    got = contact_rule_violations(district, fx.C22, AS_OF)
    assert handles([v["pid"] for v in got]) == ["L4"]
    assert got[0]["counts"] == {"Street": 0, "Community": 1, "Grid": 2}


def test_nobody_in_force_is_not_checked_and_future_terms_count_later(district: Store) -> None:
    # L3 and L4 begin 2025-01-01: before that they have no contact point and break no rule.
    assert sorted(handles([v["pid"] for v in contact_rule_violations(district, fx.D1, BEFORE)])) == [
        "L2",
        "L7",
    ]
    later = {handles([v["pid"]])[0]: v for v in contact_rule_violations(district, fx.D1, LATER)}
    assert later["L5"]["counts"] == {"Street": 0, "Community": 1, "Grid": 2}  # G121 and, from 2099, G112


def test_rules_can_be_given_and_read_from_a_file(
    district: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lenient = {**DEFAULT_RULES, "街道党工委班子": {"Community": 1, "Grid": 1}}  # streets not checked
    assert sorted(handles([v["pid"] for v in contact_rule_violations(district, fx.D1, AS_OF, lenient)])) == [
        "L2",
        "L4",
    ]
    f = tmp_path / "rules.json"
    f.write_text(
        json.dumps({"区委区政府班子": None, "其他": {"网格": 2}}, ensure_ascii=False), encoding="utf-8"
    )
    monkeypatch.setenv(cov.RULES_ENV, str(f))
    got = {handles([v["pid"]])[0]: v for v in contact_rule_violations(district, fx.D1, AS_OF)}
    assert set(got) == {"L4", "L6", "L7"}  # L2 has no rule now; L6 (其他) must contact 2 grids, has 1
    assert got["L6"]["broken"] == [{"level": "Grid", "required": 2, "actual": 1}]


@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        json.dumps({"书记": {"网格": 1}}),
        json.dumps({"其他": {"楼栋": 1}}),
        json.dumps({"其他": {"网格": -1}}),
        "[1]",
    ],
)
def test_a_bad_rule_file_is_a_clear_error(tmp_path: Path, content: str) -> None:
    f = tmp_path / "rules.json"
    f.write_text(content, encoding="utf-8")
    with pytest.raises(RulesError, match="联系点规则文件"):
        load_rules(f)
    with pytest.raises(RulesError, match="读不到"):
        load_rules(tmp_path / "missing.json")


def test_sole_contacts_name_their_grids(district: Store) -> None:
    got = sole_contacts(district, fx.D1, AS_OF)
    assert [(handles([r["pid"]])[0], r["name"], r["grids"]) for r in got] == [("W2", "郭峰", [fx.G112])]
    before = {handles([r["pid"]])[0]: r["grids"] for r in sole_contacts(district, None, BEFORE)}
    assert before == {"W2": [fx.G112], "W7": [fx.G221]}


def test_grid_worker_load(district: Store) -> None:
    rows = {r["code"]: r for r in grid_worker_load(district, fx.D1, AS_OF)}
    assert list(rows) == sorted(rows) and len(rows) == 6
    assert (rows[fx.G112]["households"], rows[fx.G112]["fulltime"], rows[fx.G112]["load"]) == (650, 1, 650.0)
    assert rows[fx.G112]["overloaded"] is True
    assert rows[fx.G211]["workers"] == [{"pid": pid("W5"), "name": "高洁"}]
    assert rows[fx.G221]["load"] == 90.0 and rows[fx.G221]["overloaded"] is False
    # No full-time worker: no load (not "infinitely overloaded"); the grid is in grids_without_fulltime.
    assert rows[fx.G121]["load"] is None and rows[fx.G121]["overloaded"] is False
    # 户数 left empty in the ledger: the households the graph holds (none under the 专属网格).
    assert (rows[fx.G212]["households"], rows[fx.G212]["households_source"]) == (0, "counted")
    assert rows[fx.G111]["households_source"] == "ledger" and rows[fx.G111]["community"] == fx.C11
    later = {r["code"]: r for r in grid_worker_load(district, fx.D1, LATER)}
    assert (later[fx.G211]["fulltime"], later[fx.G211]["load"], later[fx.G211]["overloaded"]) == (
        2,
        200.0,
        False,
    )


def test_dual_reporting_tally(district: Store) -> None:
    rows = {r["code"]: r for r in dual_reporting_tally(district, fx.D1, AS_OF)}
    assert {c: (r["members"], r["units"]) for c, r in rows.items()} == {
        fx.C11: (2, 1),  # M1, M2; U2
        fx.C12: (0, 0),
        fx.C21: (0, 1),  # M3 reports only in 2099; U3
        fx.C22: (0, 0),
    }
    assert rows[fx.C11]["unit_list"] == [
        {"code": unit_code("U2"), "name": "万山区卫生健康局", "post": "义诊", "date": "2023-01-01"}
    ]
    before = {r["code"]: (r["members"], r["units"]) for r in dual_reporting_tally(district, fx.S1, BEFORE)}
    assert before == {fx.C11: (1, 1), fx.C12: (0, 0)}
    assert {r["code"]: r["members"] for r in dual_reporting_tally(district, fx.C21, LATER)} == {fx.C21: 1}


def test_part_time_committee(district: Store) -> None:
    rows = {r["code"]: r for r in part_time_committee(district, fx.D1, AS_OF)}
    assert sorted(rows) == [
        "PC11",
        "PC12",
        "PC21",
        "PC22",
        "PS1",
        "PS2",
    ]  # street and community organizations
    assert rows["PC11"]["members"] == 1 and handles([m["pid"] for m in rows["PC11"]["member_list"]]) == ["T1"]
    assert rows["PC11"]["source_units"] == [{"code": unit_code("U1"), "name": "铜仁万山供电有限公司"}]
    assert rows["PC21"]["members"] == 2
    assert [u["code"] for u in rows["PC21"]["source_units"]] == sorted([unit_code("U1"), unit_code("U4")])
    assert rows["PS1"]["members"] == 0 and rows["PS1"]["base"] == fx.S1
    before = {r["code"]: r for r in part_time_committee(district, fx.S1, BEFORE)}
    assert sorted(handles([m["pid"] for m in before["PC11"]["member_list"]])) == ["T1", "T2"]
    later = {r["code"]: r for r in part_time_committee(district, fx.C11, LATER)}
    assert list(later) == ["PC11"]  # a community scope has no street organization
    assert sorted(handles([m["pid"] for m in later["PC11"]["member_list"]])) == ["T1", "T3"]


# ------------------------------------------------------------------------------------------------- scopes
def test_unknown_scope_is_404_and_wrong_kind_422(district: Store) -> None:
    with pytest.raises(ScopeError) as e:
        coverage(district, "999999", AS_OF)
    assert e.value.status == 404
    with pytest.raises(ScopeError) as e:
        gaps(district, fx.G111, AS_OF)
    assert e.value.status == 422 and "范围" in str(e.value)
    with pytest.raises(ScopeError) as e:
        coverage(district, fx.D1, "2025-13-01")
    assert e.value.status == 422


# ------------------------------------------------------------------------------------------ named queries
MEASURE_IDS = [m.id for m in cov.MEASURES]


@pytest.mark.parametrize("scope", [None, fx.D1, fx.S1, fx.C21])
def test_named_measure_queries_agree_with_the_functions(district: Store, scope: str | None) -> None:
    level = cov.open_scope(district, scope).level
    flat: dict[str, Any] = {}
    for k, v in coverage(district, scope, AS_OF).items():
        flat.update({f"{k}.{s}": m for s, m in v.items()} if k == "contact_points" else {k: v})
    for mid in MEASURE_IDS:
        q = CATALOG[f"coverage.{mid}"]
        assert q.scoped and [p.name for p in q.params] == (
            ["scope"] if mid == "grid_party_org" else ["scope", "as_of"]
        )
        total, covered = district.read(q.text_for(level), {"scope": scope, "as_of": AS_OF}).rows[0]
        assert (covered, total) == (flat[mid]["covered"], flat[mid]["total"]), (mid, scope)
        assert type(covered) is int and type(total) is int, (mid, scope)  # FalkorDB's sum() was 3.0


def test_named_gap_queries_agree_with_the_functions(district: Store) -> None:
    for scope in (None, fx.S2, fx.C11):
        g = gaps(district, scope, AS_OF)
        params = {"scope": scope, "as_of": AS_OF}
        level = cov.open_scope(district, scope).level
        rows = district.read(CATALOG["gaps.communities_without_cobuilding"].text_for(level), params).rows
        assert [r[0] for r in rows] == g["communities_without_cobuilding"]
        rows = district.read(CATALOG["gaps.grids_without_direct_contact"].text_for(level), params).rows
        assert [r[0] for r in rows] == g["grids_without_direct_contact"]
        rows = district.read(CATALOG["gaps.sole_contacts"].text_for(level), params).records()
        assert sorted(r["pid"] for r in rows) == g["sole_contacts"]
        rows = district.read(CATALOG["gaps.grid_worker_load"].text_for(level), params).records()
        assert sorted(r["code"] for r in rows if not r["workers"]) == g["grids_without_fulltime"]
        load = {r["code"]: (r["households"] or 0) / len(r["workers"]) for r in rows if r["workers"]}
        assert sorted(c for c, v in load.items() if v > 300) == g["overloaded_grids"]
        rows = district.read(CATALOG["coverage.part_time_committee"].text_for(level), params).records()
        assert [r["code"] for r in rows] == [r["code"] for r in part_time_committee(district, scope, AS_OF)]


@pytest.mark.parametrize(("level", "scope"), [("District", fx.D1), ("Street", fx.S1), ("Community", fx.C11)])
def test_scoped_named_queries_start_from_the_scope_code(district: Any, level: str, scope: str) -> None:
    """A scoped named query reads only the scope's subtree: its plan finds the scope by its indexed code and
    scans no label (the old catalog form scanned every household even when a street was given)."""
    for name, q in CATALOG.items():
        if not q.variants:
            continue
        ops = district.explain(q.text_for(level), {"scope": scope, "as_of": AS_OF})
        assert not full_scans(ops), (name, level, ops)
        if q.text_for(level) != cov._NOTHING:  # a level the scope does not contain needs no read at all
            assert any(op.startswith(INDEX_SEEK_OPERATORS) and f":{level}" in op for op in ops), (
                name,
                level,
                ops,
            )


def test_every_named_query_has_a_purpose_and_declared_params(district: Store) -> None:
    import re

    mine = {n: q for n, q in CATALOG.items() if n.startswith(("coverage.", "gaps.", "contacts."))}
    assert len(mine) >= 14
    for name, q in mine.items():
        assert q.purpose and "\n" not in q.purpose, name
        used = {v for text in (q.variants or {"": q.text}).values() for v in re.findall(r"\$(\w+)", text)}
        assert used == {p.name for p in q.params}, name
        assert not q.variants or q.text == q.variants["all"], name


# --------------------------------------------------------------------------------------- on every backend
def test_key_figures_on_every_backend(any_store: Store, load: Any) -> None:
    load(any_store, fx.ledgers())
    assert coverage(any_store, fx.D1, AS_OF) == EXPECTED_COVERAGE[(fx.D1, AS_OF)]
    assert coverage(any_store, fx.S1, AS_OF) == EXPECTED_COVERAGE[(fx.S1, AS_OF)]
    got = gaps(any_store, fx.D1, AS_OF)
    assert sorted(handles(got["contact_rule_violations"])) == ["L2", "L4", "L7"]
    assert got["overloaded_grids"] == [fx.G112, fx.G211]
    assert [r["code"] for r in coverage_breakdown(any_store, None, AS_OF)] == [fx.D2, fx.D1]
