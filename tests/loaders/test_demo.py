"""The demo ledgers are deterministic, valid, fully cross-referenced, and reproduce the 万山区 figures."""

from __future__ import annotations

import csv
import re
from collections import Counter, defaultdict
from datetime import date, datetime
from pathlib import Path

import pytest
from orggraph.graph.schema import CONTACT_CATEGORIES, ORG_KINDS, POLITICS, STAFF_ROLES, UNIT_KINDS
from orggraph.loaders.demo import DEFAULT_RESIDENTS, LEDGER_HEADERS, WORKBOOK_NAME, generate
from orggraph.loaders.idcodes import id_birth_year, id_gender, validate_credit_code, validate_resident_id

TODAY = date(2026, 1, 1)
Ledgers = dict[str, list[dict[str, str]]]


def read_ledgers(folder: Path) -> Ledgers:
    out: Ledgers = {}
    for name, header in LEDGER_HEADERS.items():
        with open(folder / f"{name}.csv", encoding="utf-8-sig", newline="") as f:
            reader = csv.DictReader(f)
            assert tuple(reader.fieldnames or ()) == header
            out[name] = list(reader)
    return out


def in_force(row: dict[str, str]) -> bool:
    return not row["结束日期"]


def check_ledgers(d: Ledgers) -> list[str]:
    """Every rule of ledgers.md the generator promises to keep; returns the problems found."""
    problems: list[str] = []

    def expect(ok: bool, what: str) -> None:
        if not ok and len(problems) < 50:
            problems.append(what)

    # regions
    streets, communities, grids = set(), set(), {}
    for g in d["网格"]:
        streets.add(g["街道编码"])
        communities.add(g["社区编码"])
        expect(g["社区编码"].startswith(g["街道编码"]), f"community outside its street: {g}")
        expect(g["网格编码"].startswith(g["社区编码"]), f"grid outside its community: {g}")
        expect(g["网格编码"] not in grids, f"duplicate grid {g['网格编码']}")
        expect(g["网格类型"] in ("居民网格", "专属网格"), f"grid kind {g['网格类型']}")
        grids[g["网格编码"]] = g
    buildings = {}
    for b in d["楼栋"]:
        expect(b["网格编码"] in grids, f"building in unknown grid: {b}")
        expect(b["楼栋编码"] not in buildings, f"duplicate building {b['楼栋编码']}")
        buildings[b["楼栋编码"]] = b
    units = {}
    for u in d["单位"]:
        expect(validate_credit_code(u["单位编码"]) is None, f"bad credit code {u['单位编码']}")
        expect(u["单位编码"] not in units, f"duplicate unit {u['单位编码']}")
        expect(u["单位类型"] in UNIT_KINDS, f"unit kind {u['单位类型']}")
        expect(not u["所在街道编码"] or u["所在街道编码"] in streets, f"unit in unknown street: {u}")
        units[u["单位编码"]] = u

    # people
    people: dict[str, dict[str, str]] = {}
    households: dict[str, set[str]] = defaultdict(set)  # building -> 户号
    residents_per_grid: Counter[str] = Counter()
    orgs = {o["组织编码"]: o for o in d["党组织"]}
    for p in d["人员"]:
        pid = p["身份证号"]
        expect(validate_resident_id(pid, today=TODAY) is None, f"bad ID {pid}: {validate_resident_id(pid)}")
        expect(pid not in people, f"duplicate ID {pid}")
        people[pid] = p
        expect(p["性别"] == id_gender(pid), f"gender does not match ID {pid}")
        expect(
            re.fullmatch(r"1[3-9]\d{9}", p["手机号"]) is not None or p["手机号"] == "", f"phone {p['手机号']}"
        )
        expect(p["政治面貌"] in POLITICS, f"politics {p['政治面貌']}")
        if p["政治面貌"] in ("中共党员", "中共预备党员"):
            expect(p["党组织编码"] in orgs, f"party member without a known party org: {p}")
        expect(not p["党组织编码"] or p["党组织编码"] in orgs, f"unknown party org {p['党组织编码']}")
        expect(not p["工作单位编码"] or p["工作单位编码"] in units, f"unknown unit {p['工作单位编码']}")
        if p["居住楼栋编码"]:
            expect(p["居住楼栋编码"] in buildings, f"person in unknown building {p['居住楼栋编码']}")
            expect(bool(p["户号"]), f"resident without 户号 {pid}")
            expect(1940 <= id_birth_year(pid) <= 2015, f"birth year {pid}")
            households[p["居住楼栋编码"]].add(p["户号"])
            residents_per_grid[buildings.get(p["居住楼栋编码"], {}).get("网格编码", "")] += 1
        else:
            expect(not p["户号"], f"户号 without building {pid}")

    def person(pid: str, name: str | None, where: str) -> None:
        expect(pid in people, f"{where}: unknown person {pid}")
        if name is not None and pid in people:
            expect(people[pid]["姓名"] == name, f"{where}: name {name} != {people[pid]['姓名']}")

    # counts agree with the people actually living there
    for code, b in buildings.items():
        expect(
            int(b["户数"]) == len(households[code]),
            f"building {code} 户数 {b['户数']} != {len(households[code])}",
        )
    grid_households: Counter[str] = Counter()
    for _code, b in buildings.items():
        grid_households[b["网格编码"]] += int(b["户数"])
    for code, g in grids.items():
        expect(int(g["户数"]) == grid_households[code], f"grid {code} 户数 != its buildings'")
        expect(int(g["人口"]) == residents_per_grid[code], f"grid {code} 人口 != its residents")

    # party organizations: parents exist, no cycles, bases and secretaries exist
    bases = streets | communities | set(grids) | set(buildings) | set(units)
    for code, o in orgs.items():
        expect(o["组织类型"] in ORG_KINDS, f"org kind {o['组织类型']}")
        expect(not o["上级组织编码"] or o["上级组织编码"] in orgs, f"org {code} has unknown parent")
        expect(
            not o["依托对象编码"] or o["依托对象编码"] in bases,
            f"org {code} based on unknown {o['依托对象编码']}",
        )
        if o["书记身份证号"]:
            person(o["书记身份证号"], None, f"secretary of {code}")
        seen = {code}
        cur = o["上级组织编码"]
        while cur and cur in orgs:
            expect(cur not in seen, f"cycle through {code}")
            if cur in seen:
                break
            seen.add(cur)
            cur = orgs[cur]["上级组织编码"]
    expect(len(orgs) == len(d["党组织"]), "duplicate party org codes")

    for s in d["网格力量"]:
        person(s["身份证号"], s["姓名"], "网格力量")
        expect(s["岗位"] in STAFF_ROLES, f"role {s['岗位']}")
        targets = buildings if s["岗位"] in ("楼栋长", "单元长") else grids
        expect(s["负责对象编码"] in targets, f"staff target {s['负责对象编码']} for {s['岗位']}")
        expect(not s["结束日期"] or s["结束日期"] >= s["开始日期"], f"term ends before it starts: {s}")
    for c in d["联建共建"]:
        expect(c["单位编码"] in units and c["社区编码"] in communities, f"cobuilding {c}")
        expect(not c["结束日期"] or c["结束日期"] >= c["开始日期"], f"term ends before it starts: {c}")
    for m in d["兼职委员"]:
        person(m["身份证号"], m["姓名"], "兼职委员")
        expect(m["任职组织编码"] in orgs and m["来源单位编码"] in units, f"part-time member {m}")
        expect(not m["结束日期"] or m["结束日期"] >= m["开始日期"], f"term ends before it starts: {m}")
    for c in d["联系点"]:
        person(c["身份证号"], c["姓名"], "联系点")
        expect(c["联系人类别"] in CONTACT_CATEGORIES, f"category {c['联系人类别']}")
        expect(c["联系对象编码"] in streets | communities | set(grids), f"contact target {c['联系对象编码']}")
        expect(not c["结束日期"] or c["结束日期"] >= c["开始日期"], f"term ends before it starts: {c}")
    for r in d["双报到"]:
        expect(r["报到社区编码"] in communities, f"report to unknown community {r}")
        subjects = people if r["报到类型"] == "党员" else units
        expect(r["报到类型"] in ("党员", "单位") and r["报到主体编码"] in subjects, f"report subject {r}")
        if r["报到类型"] == "党员":
            expect(
                people[r["报到主体编码"]]["政治面貌"] == "中共党员",
                f"reporting member not a party member {r}",
            )
    links = set()
    for h in d["联户"]:
        person(h["身份证号"], None, "联户")
        expect(h["户号"] in households.get(h["楼栋编码"], ()), f"link to unknown household {h}")
        key = (h["身份证号"], h["楼栋编码"], h["户号"])
        expect(key not in links, f"duplicate link {key}")
        links.add(key)
    return problems


def contact_rule_breakers(rows: list[dict[str, str]], streets: set[str], communities: set[str]) -> set[str]:
    levels: dict[str, Counter[str]] = defaultdict(Counter)
    category = {}
    for c in rows:
        category[c["身份证号"]] = c["联系人类别"]
        if in_force(c):
            t = c["联系对象编码"]
            levels[c["身份证号"]][
                "street" if t in streets else "community" if t in communities else "grid"
            ] += 1
    broken = set()
    for pid, cat in category.items():
        want = (
            {"street": 1, "community": 1, "grid": 1}
            if cat == "区委区政府班子"
            else {"community": 1, "grid": 1}
        )
        if +levels[pid] != Counter(want):
            broken.add(pid)
    return broken


@pytest.fixture(scope="module")
def default_demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int], Ledgers]:
    out = tmp_path_factory.mktemp("demo")
    counts = generate(out)
    return out, counts, read_ledgers(out)


def test_default_demo_is_valid_and_consistent(default_demo: tuple[Path, dict[str, int], Ledgers]) -> None:
    _, counts, d = default_demo
    assert check_ledgers(d) == []
    assert counts == {name: len(rows) for name, rows in d.items()}


def test_default_demo_reproduces_the_case_figures(default_demo: tuple[Path, dict[str, int], Ledgers]) -> None:
    _, _, d = default_demo
    streets = {g["街道编码"] for g in d["网格"]}
    communities = {g["社区编码"] for g in d["网格"]}
    assert {g["区县"] for g in d["网格"]} == {"万山区"}
    assert 4 <= len(streets) <= 5
    assert len(communities) == 16
    assert len(d["网格"]) == 65
    assert all(200 <= int(g["户数"]) <= 300 for g in d["网格"])
    assert sum(1 for p in d["人员"] if p["居住楼栋编码"]) == DEFAULT_RESIDENTS
    assert len(d["单位"]) == 107
    assert {u["单位编码"] for u in d["单位"]} == {c["单位编码"] for c in d["联建共建"]}  # all 107 co-build
    assert {u["单位类型"] for u in d["单位"]} >= {"党政机关", "事业单位", "国有企业", "民营企业", "社会组织"}
    assert len({c["身份证号"] for c in d["联系点"]}) == 53

    orgs = {o["组织编码"]: o for o in d["党组织"]}
    members = [m for m in d["兼职委员"] if in_force(m)]
    on_street = {m["身份证号"] for m in members if orgs[m["任职组织编码"]]["依托对象编码"] in streets}
    on_comm = {m["身份证号"] for m in members if orgs[m["任职组织编码"]]["依托对象编码"] in communities}
    assert (len(on_street), len(on_comm)) == (10, 98)
    assert len(members) == 108  # one seat each, distinct people
    assert sum(1 for r in d["双报到"] if r["报到类型"] == "党员") == 2061
    assert sum(1 for r in d["双报到"] if r["报到类型"] == "单位") > 0

    staff = [s for s in d["网格力量"] if in_force(s)]
    full = {s["身份证号"] for s in staff if s["岗位"] == "专职网格员"}
    part = {s["身份证号"] for s in staff if s["岗位"] == "兼职网格员"}
    assert 0.55 <= len(full) / len(full | part) <= 0.62
    grids_with_full = {s["负责对象编码"] for s in staff if s["岗位"] == "专职网格员"}
    assert 1 <= 65 - len(grids_with_full) <= 5
    heads = {s["负责对象编码"] for s in staff if s["岗位"] == "楼栋长"}
    assert 0.8 <= len(heads) / len(d["楼栋"]) < 1


def test_default_demo_has_gaps_for_the_measures_to_find(
    default_demo: tuple[Path, dict[str, int], Ledgers],
) -> None:
    _, _, d = default_demo
    streets = {g["街道编码"] for g in d["网格"]}
    communities = {g["社区编码"] for g in d["网格"]}
    covered = {c["社区编码"] for c in d["联建共建"] if in_force(c)}
    assert 14 <= len(covered) < 16
    ended_only = {c["社区编码"] for c in d["联建共建"]} - covered
    assert ended_only, "a community whose co-building terms have all ended"
    assert 1 <= len(contact_rule_breakers(d["联系点"], streets, communities)) <= 2
    assert any(not in_force(c) for c in d["联系点"])
    contacted = {c["联系对象编码"] for c in d["联系点"] if in_force(c)}
    assert communities <= contacted  # 53 leaders contact all 16 communities (the case)
    # sole contacts (graph-model.md): a grid whose only direct SERVES/CONTACTS in force comes from one person
    grid_codes = {g["网格编码"] for g in d["网格"]}
    direct: dict[str, set[str]] = defaultdict(set)
    for row, target in [(s, s["负责对象编码"]) for s in d["网格力量"]] + [
        (c, c["联系对象编码"]) for c in d["联系点"]
    ]:
        if in_force(row) and target in grid_codes:
            direct[target].add(row["身份证号"])
    sole = {g for g in grid_codes if len(direct[g]) == 1}
    assert 2 <= len(sole) <= 4, sole
    assert all(direct[g] for g in grid_codes)  # and none is left with no direct contact at all

    orgs = d["党组织"]
    kinds = Counter(o["组织类型"] for o in orgs)
    assert kinds["党工委"] >= len(streets) and kinds["党小组"] > 0
    grids = {g["网格编码"] for g in d["网格"]}
    building_grid = {b["楼栋编码"]: b["网格编码"] for b in d["楼栋"]}
    with_org = {o["依托对象编码"] for o in orgs if o["依托对象编码"] in grids}
    with_org |= {building_grid[o["依托对象编码"]] for o in orgs if o["依托对象编码"] in building_grid}
    assert 0.8 <= len(with_org) / len(grids) < 1
    assert any(o["组织类型"] == "党支部" and o["依托对象编码"] in building_grid for o in orgs)

    people = d["人员"]
    party = sum(1 for p in people if p["政治面貌"] in ("中共党员", "中共预备党员"))
    assert 0.08 <= party / len(people) <= 0.10
    tags = Counter(t for p in people for t in p["标签"].split("、") if t)
    assert {"社区工作者", "志愿者", "空巢老人", "留守儿童", "退役军人"} <= set(tags)
    linked = {(h["楼栋编码"], h["户号"]) for h in d["联户"] if in_force(h)}
    total = sum(int(g["户数"]) for g in d["网格"])
    assert 0.2 <= len(linked) / total <= 0.6


def test_same_arguments_give_identical_files(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    assert generate(a, residents=3000, districts=2) == generate(b, residents=3000, districts=2)
    generate(c, residents=3000, districts=2, seed=7)
    for name in LEDGER_HEADERS:
        assert (a / f"{name}.csv").read_bytes() == (b / f"{name}.csv").read_bytes(), name
    assert (a / "人员.csv").read_bytes() != (c / "人员.csv").read_bytes()


def test_more_districts_and_residents_stay_valid(tmp_path: Path) -> None:
    counts = generate(tmp_path, residents=3000, districts=2, seed=11)
    d = read_ledgers(tmp_path)
    assert check_ledgers(d) == []
    assert counts["人员"] == len(d["人员"])
    assert len({g["区县"] for g in d["网格"]}) == 2
    assert sum(1 for p in d["人员"] if p["居住楼栋编码"]) == 3000
    assert all(200 <= int(g["户数"]) <= 300 for g in d["网格"])


def test_workbook_has_a_sheet_per_ledger(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    counts = generate(tmp_path, residents=1500, xlsx=True)
    wb = load_workbook(tmp_path / WORKBOOK_NAME, read_only=True)
    try:
        assert wb.sheetnames == list(LEDGER_HEADERS)
        for name, n in counts.items():
            rows = list(wb[name].iter_rows(values_only=True))
            assert len(rows) == n + 1
            assert rows[0] == LEDGER_HEADERS[name]
        grid = next(wb["网格"].iter_rows(min_row=2, max_row=2, values_only=True))
        assert isinstance(grid[8], int)  # 户数 as a number
        person = next(wb["人员"].iter_rows(min_row=2, max_row=2, values_only=True))
        assert isinstance(person[0], str) and len(person[0]) == 18  # an ID must stay text
        staff = next(wb["网格力量"].iter_rows(min_row=2, max_row=2, values_only=True))
        assert isinstance(staff[4], datetime)  # a real date cell
    finally:
        wb.close()
    # Formatted to print readably: IDs and dates whole, text columns, bold frozen header on every page.
    wb = load_workbook(tmp_path / WORKBOOK_NAME)
    people, staff = wb["人员"], wb["网格力量"]
    for ws in (people, staff, wb["网格"]):
        assert ws.freeze_panes == "A2" and ws.print_title_rows == "$1:$1" and ws["A1"].font.b
        assert ws.page_setup.orientation == "landscape" and ws.sheet_properties.pageSetUpPr.fitToPage
    assert people.column_dimensions["A"].width >= 20 and people.column_dimensions["A"].number_format == "@"
    assert (
        staff.column_dimensions["E"].number_format == "yyyy-mm-dd"
        and staff["E2"].number_format == "yyyy-mm-dd"
    )
    assert staff.column_dimensions["E"].width >= 12  # a date prints whole, never as ###
    assert wb["网格"].column_dimensions["F"].width >= 18  # 网格编码, 15 digits


@pytest.mark.parametrize(("residents", "districts"), [(500, 1), (3000, 0), (2000, 8)])
def test_impossible_arguments_are_refused(tmp_path: Path, residents: int, districts: int) -> None:
    with pytest.raises(ValueError):
        generate(tmp_path, residents=residents, districts=districts)
