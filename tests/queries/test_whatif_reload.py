"""A what-if scenario's "after" equals what a real load of the changed ledgers reports, for each kind of
change,
on both stores (issue 16).

Each case is a scenario and the same change made to the ledgers of tests/fixtures/small_district.py (an end
date on the rows, or new rows). The district is loaded, the scenario asked (whole graph and one street), then
the store is cleared and the changed ledgers loaded: its coverage, gap lists, uncovered items and the terms
of the people named must be the scenario's "after" (before + appeared − disappeared for the lists).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from fixtures.small_district import (
    AS_OF,
    C11,
    C21,
    C22,
    D1,
    G111,
    G112,
    G121,
    G221,
    S1,
    S2,
    id_number,
    ledgers,
    pid,
    unit_code,
)
from orggraph.graph.store import Store
from orggraph.queries.coverage import coverage, gap_details, open_scope
from orggraph.queries.uncovered import uncovered, uncovered_measures
from orggraph.queries.whatif import _flat, _gap_items, _terms, what_if

DAY_BEFORE = "2025-06-29"  # an end without a date: the day before as_of is the term's last day
Ledgers = dict[str, list[dict[str, str]]]


def _end_rows(ledger: str, match: Callable[[dict[str, str]], bool]) -> Callable[[Ledgers], None]:
    def edit(led: Ledgers) -> None:
        hits = [r for r in led[ledger] if match(r) and not r.get("结束日期")]
        assert hits, f"no row of {ledger} to end"
        for r in hits:
            r["结束日期"] = DAY_BEFORE

    return edit


def _person(h: str) -> Callable[[dict[str, str]], bool]:
    return lambda r: r.get("身份证号") == id_number(h)


def _add_row(ledger: str, row: dict[str, str]) -> Callable[[Ledgers], None]:
    return lambda led: led[ledger].append(row)


def _both(*edits: Callable[[Ledgers], None]) -> Callable[[Ledgers], None]:
    def edit(led: Ledgers) -> None:
        for e in edits:
            e(led)

    return edit


def _staff(h: str, role: str, target: str) -> dict[str, str]:
    return {
        "身份证号": id_number(h),
        "姓名": "",
        "岗位": role,
        "负责对象编码": target,
        "开始日期": AS_OF,
        "结束日期": "",
    }


CASES: dict[str, tuple[list[dict[str, Any]], Callable[[Ledgers], None]]] = {
    "end SERVES": (
        [{"op": "end", "person": pid("W2"), "target": G112, "role": "专职网格员"}],
        _end_rows("grid_staff", lambda r: _person("W2")(r) and r["负责对象编码"] == G112),
    ),
    "end CONTACTS": (
        [{"op": "end", "person": pid("L4"), "target": G221, "category": "部务会成员"}],
        _end_rows("contact_points", lambda r: _person("L4")(r) and r["联系对象编码"] == G221),
    ),
    "end CO_BUILDS": (
        [{"op": "end", "unit": unit_code("U4"), "target": C22}],
        _end_rows("cobuilding", lambda r: r["单位编码"] == unit_code("U4") and r["社区编码"] == C22),
    ),
    "end PART_TIME_MEMBER_OF": (
        [{"op": "end", "person": pid("T4"), "target": "PC21"}],
        _end_rows("part_time_members", lambda r: _person("T4")(r) and r["任职组织编码"] == "PC21"),
    ),
    "end LINKS_HOUSEHOLD": (
        [{"op": "end", "person": pid("R9"), "target": "B1211-101"}],
        _end_rows("household_links", lambda r: _person("R9")(r)),
    ),
    "add SERVES": (
        [{"op": "add", "person": pid("Z1"), "target": G121, "role": "专职网格员"}],
        _add_row("grid_staff", _staff("Z1", "专职网格员", G121)),
    ),
    "add CONTACTS": (
        [
            {
                "op": "add",
                "person": pid("L1"),
                "target": G112,
                "category": "区委区政府班子",
                "title": "区委书记",
            }
        ],
        _add_row(
            "contact_points",
            {
                "身份证号": id_number("L1"),
                "职务": "区委书记",
                "联系人类别": "区委区政府班子",
                "联系对象编码": G112,
                "开始日期": AS_OF,
            },
        ),
    ),
    "add CO_BUILDS": (
        [{"op": "add", "unit": unit_code("U3"), "target": C21}],
        _add_row("cobuilding", {"单位编码": unit_code("U3"), "社区编码": C21, "开始日期": AS_OF}),
    ),
    "add LINKS_HOUSEHOLD": (
        [{"op": "add", "person": pid("R6"), "target": "B1121-102"}],
        _add_row(
            "household_links",
            {"身份证号": id_number("R6"), "楼栋编码": "B1121", "户号": "102", "开始日期": AS_OF},
        ),
    ),
    "move": (
        [{"op": "move", "person": pid("W1"), "from": G111, "to": G112, "role": "专职网格员"}],
        _both(
            _end_rows("grid_staff", lambda r: _person("W1")(r) and r["负责对象编码"] == G111),
            _add_row("grid_staff", _staff("W1", "专职网格员", G112)),
        ),
    ),
    "remove person": (
        [{"op": "remove", "person": pid("W7")}],
        _end_rows("grid_staff", _person("W7")),
    ),
    "remove unit": (
        [{"op": "remove", "unit": unit_code("U1")}],
        _end_rows("cobuilding", lambda r: r["单位编码"] == unit_code("U1") and r["开始日期"] <= AS_OF),
    ),
    "several at once": (
        [
            {"op": "remove", "person": pid("R1")},
            {"op": "end", "person": pid("L1"), "target": C11},
            {"op": "add", "person": pid("W3"), "target": G111, "role": "专职网格员"},
        ],
        _both(
            _end_rows("household_links", _person("R1")),
            _end_rows("contact_points", lambda r: _person("L1")(r) and r["联系对象编码"] == C11),
            _add_row("grid_staff", _staff("W3", "专职网格员", G111)),
        ),
    ),
}


def _identity(name: str, it: dict[str, Any]) -> Any:
    return (it["key"], it["why"]) if name in ("contact_rule_violations", "sole_contacts") else it["key"]


def _lists(store: Store, scope: str | None) -> dict[str, set[Any]]:
    sc = open_scope(store, scope, AS_OF)
    out = {k: {_identity(k, it) for it in v} for k, v in _gap_items(gap_details(store, sc)).items()}
    for m in uncovered_measures():
        got = uncovered(store, m.id, sc, offset=0, limit=10_000)
        out[f"uncovered.{m.id}"] = {it["key"] for it in got["items"]}
    return out


def _measures(store: Store, scope: str | None) -> dict[str, tuple[int, int]]:
    sc = open_scope(store, scope, AS_OF)
    flat = _flat(coverage(store, sc))
    without = len(gap_details(store, sc)["grids_without_fulltime"])
    flat["fulltime_worker"] = {"covered": flat["contact_points.Grid"]["total"] - without}
    flat["fulltime_worker"]["total"] = flat["contact_points.Grid"]["total"]
    return {k: (v["covered"], v["total"]) for k, v in flat.items()}


@pytest.mark.parametrize("case", list(CASES))
def test_after_equals_a_real_reload(case: str, any_store: Store, load: Callable[..., object]) -> None:
    changes, edit = CASES[case]
    original = ledgers()
    load(any_store, original)
    scopes = [None, D1, S1, S2, C11]
    answers = {sc: what_if(any_store, changes, sc, AS_OF) for sc in scopes}
    before = {sc: _lists(any_store, sc) for sc in scopes}
    changed = copy.deepcopy(original)
    edit(changed)
    any_store.clear()
    load(any_store, changed)
    for sc in scopes:
        a = answers[sc]
        assert {
            m["measure"]: (m["after"]["covered"], m["after"]["total"]) for m in a["coverage"]
        } == _measures(any_store, sc), (case, sc)
        real = _lists(any_store, sc)
        for g in a["gaps"]:
            name = g["list"]
            expect = (before[sc][name] - {_identity(name, it) for it in g["disappeared"]}) | {
                _identity(name, it) for it in g["appeared"]
            }
            assert expect == real[name], (case, sc, name)
        for p in a["people"]:
            label = "Person" if p["kind"] == "person" else "Unit"
            assert p["after"] == _terms(any_store, label, p["key"], AS_OF), (case, p["name"])
    a = answers[None]
    assert (
        any(m["delta"]["covered"] for m in a["coverage"])
        or any(g["appeared"] or g["disappeared"] for g in a["gaps"])
        or any(p["before"] != p["after"] for p in a["people"])
    ), f"{case}: the scenario changed nothing, so it proves nothing"
