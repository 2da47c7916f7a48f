"""What the ledgers become, from graph-model.md and ledgers.md: `small_ledgers()` (all eleven ledgers) loaded and
read back ledger by ledger as sets of tuples; provenance, pid and no raw ID anywhere; re-import, newer versions,
an .xlsx workbook and GBK CSVs; and the `orggraph load` / `orggraph cypher` commands as a user runs them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from faults.city import counts, orggraph, stop_server
from faults.content import TEST_PID_KEY, Content, snapshot, write_ledgers
from faults.ledgers import Ledgers, small_ledgers
from openpyxl import Workbook
from orggraph.graph.store import Store
from orggraph.loaders.idcodes import mask_phone
from orggraph.loaders.importer import import_ledgers
from orggraph.loaders.phones import PhoneSeal, phone_seal

LEDGERS = small_ledgers()
IDS = [r["身份证号"] for r in LEDGERS["人员"]]
U0, U1, U2 = (r["单位编码"] for r in LEDGERS["单位"])
S1, S2 = "520603001", "520603002"
LEDGER_NAMES = tuple(LEDGERS)  # the eleven ledger names of ledgers.md


def pid(i: int) -> str:
    """api.md: the first 20 hex characters of HMAC-SHA256(ORGGRAPH_PID_KEY, the upper-case 身份证号)."""
    return hmac.new(TEST_PID_KEY, IDS[i].upper().encode("utf-8"), hashlib.sha256).hexdigest()[:20]


def rows(store: Any, query: str) -> set[tuple[Any, ...]]:
    return {tuple(tuple(v) if isinstance(v, list) else v for v in r) for r in store.read(query).rows}


def main_label(var: str) -> str:
    return f"[l IN labels({var}) WHERE l <> 'PartyMember'][0]"


def ledger_row(source: str) -> tuple[str, int]:
    """The ledger and row a `source` names (the longest ledger name in it: 网格力量 is not 网格)."""
    ledger = max((n for n in LEDGER_NAMES if n in source), key=len, default="")
    numbers = [int(x) for x in re.findall(r"\d+", source)]
    assert ledger and numbers, f"source {source!r} names no ledger and row"
    return ledger, numbers[-1]


def provenance(content: Content) -> Content:
    """The content with each `source` reduced to (ledger, row): the same rows from a workbook or from CSVs."""

    def fix(props: tuple[tuple[str, Any], ...]) -> tuple[tuple[str, Any], ...]:
        return tuple((k, ledger_row(v) if k == "source" else v) for k, v in props)

    nodes = Counter({(labels, fix(props)): n for (labels, props), n in content.nodes.items()})
    rels = Counter({(a, ka, t, fix(props), b, kb): n for (a, ka, t, props, b, kb), n in content.rels.items()})
    return Content(nodes, rels)


def _fill_small(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Store], None]:
    def fill(s: Store) -> None:
        report = import_ledgers(
            write_ledgers(tmp_path_factory.mktemp("small"), LEDGERS), s, pid_key=TEST_PID_KEY
        )
        assert report.ok, [i.format() for i in report.errors]

    return fill


@pytest.fixture
def loaded(backend: str, shared_graphs: Any, tmp_path_factory: pytest.TempPathFactory) -> Store:
    """small_ledgers() loaded once per backend, for the tests that only read."""
    return shared_graphs.get(backend, "import_small_ledgers", _fill_small(tmp_path_factory))


@pytest.fixture
def content(shared_graphs: Any, tmp_path_factory: pytest.TempPathFactory) -> Content:
    """What a clean load of small_ledgers() stores, read from FalkorDB (Neo4j stores the very same:
    test_both_stores_hold_the_same), to compare with whatever store a test loads."""
    return snapshot(shared_graphs.get("falkordb", "import_small_ledgers", _fill_small(tmp_path_factory)))


def test_both_stores_hold_the_same(loaded: Store, content: Content) -> None:
    """The loader writes the same nodes, relationships and properties into FalkorDB and into Neo4j."""
    got = snapshot(loaded)
    assert got == content, content.diff(got)


# ------------------------------------------------------------------------------------------ each ledger
PERSON = "p.pid, p.name, p.id_masked, p.gender, p.birth_year, p.phone, p.politics, p.tags"
READ_BACK: dict[str, tuple[str, set[tuple[Any, ...]]]] = {
    "district": ("MATCH (s:Street)-[:PART_OF]->(d:District) RETURN s.code, s.name, d.name",
                 {(S1, "谢桥街道", "万山区"), (S2, "仁山街道", "万山区")}),
    "community": ("MATCH (c:Community)-[:PART_OF]->(s:Street) RETURN c.code, c.name, s.code",
                  {("C1", "冲广坪社区", S1), ("C2", "龙田社区", S1), ("C3", "仁山社区", S2)}),
    "grid": ("MATCH (g:Grid)-[:PART_OF]->(c:Community) RETURN g.code, g.name, g.kind, g.households, g.population, c.code",
             {("G1", "G1网格", "居民网格", 200, 600, "C1"), ("G2", "G2网格", "居民网格", 250, None, "C1"),
              ("G3", "G3网格", "居民网格", None, 700, "C2"), ("G4", "G4网格", "居民网格", 300, 900, "C3")}),
    "building": ("MATCH (b:Building)-[:PART_OF]->(g:Grid) RETURN b.code, b.name, b.households, g.code",
                 {("B1", "B1号楼", 40, "G1"), ("B2", "B2号楼", 30, "G1"), ("B3", "B3号楼", None, "G2"),
                  ("B4", "B4号楼", 20, "G3")}),
    "unit": ("MATCH (u:Unit) RETURN u.code, u.name, u.kind",
             {(U0, "区委组织部", "党政机关"), (U1, "万山国资公司", "国有企业"), (U2, "社工服务中心", "社会组织")}),
    "party-org": ("MATCH (o:PartyOrg) RETURN o.code, o.name, o.kind",
                  {("P0", "谢桥街道党工委", "党工委"), ("P1", "冲广坪社区党委", "党委"),
                   ("P2", "第一网格党支部", "党支部"), ("P3", "社工中心党支部", "党支部")}),
    "subordinate-to": ("MATCH (o:PartyOrg)-[:SUBORDINATE_TO]->(p:PartyOrg) RETURN o.code, p.code",
                       {("P1", "P0"), ("P2", "P1"), ("P3", "P1")}),
    "based-in": (f"MATCH (o:PartyOrg)-[:BASED_IN]->(b) RETURN o.code, {main_label('b')}, b.code",
                 {("P0", "Street", S1), ("P1", "Community", "C1"), ("P2", "Grid", "G1"), ("P3", "Unit", U2)}),
    "secretary-of": ("MATCH (p:Person)-[:SECRETARY_OF]->(o:PartyOrg) RETURN p.pid, o.code",
                     {(pid(8), "P1"), (pid(0), "P2")}),
    "party-member": ("MATCH (p:PartyMember) RETURN p.pid, 'Person' IN labels(p)",
                     {(pid(0), True), (pid(2), True), (pid(4), True), (pid(8), True)}),
    "household": ("MATCH (h:Household)-[:PART_OF]->(b:Building) RETURN h.code, b.code",
                  {("B1-101", "B1"), ("B1-102", "B1"), ("B2-201", "B2"), ("B3-301", "B3"), ("B4-401", "B4"),
                   ("B4-402", "B4")}),
    "lives-in": ("MATCH (p:Person)-[:LIVES_IN]->(h:Household) RETURN p.pid, h.code",
                 {(pid(0), "B1-101"), (pid(1), "B1-102"), (pid(2), "B2-201"), (pid(3), "B3-301"),
                  (pid(5), "B4-401"), (pid(6), "B1-101"), (pid(9), "B4-402")}),
    "member-of": ("MATCH (p:Person)-[:MEMBER_OF]->(o:PartyOrg) RETURN p.pid, o.code",
                  {(pid(0), "P2"), (pid(2), "P2"), (pid(4), "P3"), (pid(8), "P1")}),
    "works-at": ("MATCH (p:Person)-[:WORKS_AT]->(u:Unit) RETURN p.pid, u.code",
                 {(pid(0), U0), (pid(3), U1), (pid(4), U2)}),
    "serves": (f"MATCH (p:Person)-[s:SERVES]->(t) RETURN p.pid, {main_label('t')}, t.code, s.role, s.since, s.until",
               {(pid(1), "Grid", "G1", "专职网格员", "2023-01-01", None),
                (pid(1), "Grid", "G1", "专职网格员", "2021-03-01", "2022-12-31"),
                (pid(3), "Grid", "G2", "兼职网格员", None, None),
                (pid(6), "Building", "B1", "楼栋长", "2024-01-01", None)}),
    "co-builds": ("MATCH (u:Unit)-[r:CO_BUILDS]->(c:Community) RETURN u.code, c.code, r.since, r.until, r.project",
                  {(U0, "C1", "2022-01-01", None, "共建项目甲"), (U1, "C2", "2021-01-01", "2023-12-31", None)}),
    "part-time-member-of": ("MATCH (p:Person)-[r:PART_TIME_MEMBER_OF]->(o:PartyOrg) "
                            "RETURN p.pid, o.code, r.since, r.until, r.source_unit",
                            {(pid(4), "P1", "2023-06-01", None, U2)}),
    "contacts": (f"MATCH (p:Person)-[r:CONTACTS]->(t) RETURN p.pid, {main_label('t')}, t.code, r.category, r.title, "
                 "r.since, r.until",
                 {(pid(5), label, code, "区委区政府班子", "区委常委", "2024-01-01", None)
                  for label, code in (("Street", S1), ("Community", "C1"), ("Grid", "G1"))}),
    "reported-to": (f"MATCH (a)-[r:REPORTED_TO]->(c:Community) RETURN {main_label('a')}, coalesce(a.pid, a.code), "
                    "c.code, r.date, r.post",
                    {("Person", pid(0), "C1", "2024-03-05", "环境整治"), ("Unit", U1, "C2", None, None)}),
    "links-household": ("MATCH (p:Person)-[r:LINKS_HOUSEHOLD]->(h:Household) RETURN p.pid, h.code, r.since, r.until",
                        {(pid(0), "B1-102", "2024-01-01", None)}),
}  # fmt: skip


@pytest.mark.parametrize(("query", "expected"), list(READ_BACK.values()), ids=list(READ_BACK))
def test_each_ledger_reads_back(loaded: Store, query: str, expected: set[tuple[Any, ...]]) -> None:
    assert rows(loaded, query) == expected


def test_people_carry_pid_masked_id_and_what_the_id_says(loaded: Store) -> None:
    expected = set()
    for i, (r, id18) in enumerate(zip(LEDGERS["人员"], IDS, strict=True)):
        tags = tuple(t for t in re.split(r"[、,;，]", r["标签"]) if t)
        expected.add((pid(i), r["姓名"], id18[:4] + "*" * 10 + id18[-4:], "男" if int(id18[16]) % 2 else "女",
                      int(id18[6:10]), mask_phone(r["手机号"]) if r["手机号"] else None, r["政治面貌"] or None,
                      tags))  # fmt: skip
    got = {(*p[:-1], tuple(p[-1] or ())) for p in rows(loaded, f"MATCH (p:Person) RETURN {PERSON}")}
    assert got == expected
    # the ledger's own 性别 (张三 男, 赵六 女) agrees with the ID, and 张三 has two tags
    assert {(pid(0), "男", ("志愿者", "退役军人")), (pid(3), "女", ())} <= {(p[0], p[3], p[7]) for p in got}


def test_phones_are_stored_masked_and_sealed_never_in_full(loaded: Store) -> None:
    """The graph keeps `phone` masked and the full number only sealed (AES-GCM under a key derived from the pid
    key): whatever an analyst's Cypher reads, no full number is in it; the server's key opens the seal."""
    seal = phone_seal(TEST_PID_KEY)
    by_pid = {pid(i): r["手机号"] for i, r in enumerate(LEDGERS["人员"])}
    stored = rows(loaded, "MATCH (p:Person) RETURN p.pid, p.phone, p.phone_sealed")
    assert {p for p, *_ in stored} == set(by_pid) and any(by_pid.values())
    for p, masked, sealed in stored:
        full = by_pid[p]
        assert (masked, seal.open(p, sealed)) == ((mask_phone(full), full) if full else (None, None))
        if full:
            assert full not in sealed and PhoneSeal(b"another-key").open(p, sealed) is None
    everything = json.dumps(loaded.read("MATCH (n) RETURN properties(n)").rows, ensure_ascii=False)
    assert not any(full and full in everything for full in by_pid.values())


def test_the_whole_vocabulary_is_there(loaded: Store) -> None:
    labels = {lb for (ls,) in rows(loaded, "MATCH (n) RETURN labels(n)") for lb in ls}
    types = {t for (t,) in rows(loaded, "MATCH ()-[r]->() RETURN type(r)")}
    assert labels >= {"District", "Street", "Community", "Grid", "Building", "Household", "PartyOrg", "Unit",
                      "Person", "PartyMember"}  # fmt: skip
    assert types >= {"PART_OF", "LIVES_IN", "SUBORDINATE_TO", "BASED_IN", "MEMBER_OF", "SECRETARY_OF", "WORKS_AT",
                     "SERVES", "CO_BUILDS", "PART_TIME_MEMBER_OF", "CONTACTS", "REPORTED_TO", "LINKS_HOUSEHOLD"}  # fmt: skip


def test_every_node_and_relationship_names_its_ledger_and_row(loaded: Store, content: Content) -> None:
    sources = [dict(p).get("source") for _, p in content.nodes] + [
        dict(r[3]).get("source") for r in content.rels
    ]
    assert None not in sources and all(ledger_row(s)[1] >= 2 for s in sources)
    where = {  # the element x: (ledger, row)
        "(x:Grid {code: 'G3'})": ("网格", 4), "(x:Building {code: 'B2'})": ("楼栋", 3), "(x:Unit {code: $u})": ("单位", 4),
        "(x:PartyOrg {code: 'P3'})": ("党组织", 5), "(x:Person {name: '陈二'})": ("人员", 11),
        "()-[x:SERVES {since: '2021-03-01'}]->()": ("网格力量", 3), "()-[x:CO_BUILDS]->({code: 'C2'})": ("联建共建", 3),
        "()-[x:PART_TIME_MEMBER_OF]->()": ("兼职委员", 2), "()-[x:CONTACTS]->(:Grid)": ("联系点", 4),
        "(:Unit)-[x:REPORTED_TO]->()": ("双报到", 3), "()-[x:LINKS_HOUSEHOLD]->()": ("联户", 2),
        "({name: '孙七'})-[x:WORKS_AT]->()": ("人员", 6),
    }  # fmt: skip
    got = {m: ledger_row(loaded.read(f"MATCH {m} RETURN x.source", {"u": U2}).scalar()) for m in where}
    assert got == where


def test_no_raw_id_number_anywhere(content: Content) -> None:
    def strings(v: Any) -> Iterator[str]:
        if isinstance(v, (tuple, list)):
            for x in v:
                yield from strings(x)
        elif v is not None:
            yield str(v)

    stored = list(strings([*content.nodes, *content.rels]))
    assert len(stored) > 300  # names, keys and values of every property
    secretaries = [r["书记身份证号"] for r in LEDGERS["党组织"] if r["书记身份证号"]]
    assert secretaries
    leaked = {i for i in (*IDS, *secretaries) for s in stored if i in s.upper() or i[:17] in s}
    assert not leaked


# ------------------------------------------------------------------------------------------ re-import
def test_reimport_changes_nothing(any_store: Store, load: Callable[..., Any]) -> None:
    load(any_store, LEDGERS)
    first = snapshot(any_store)
    load(any_store, small_ledgers())
    assert snapshot(any_store) == first, first.diff(snapshot(any_store))
    assert sum(first.nodes.values()) == 37 and first.doubled_relationships() == {}


def test_the_sealed_phone_is_the_same_on_every_load_and_follows_a_changed_number(
    any_store: Store, load: Callable[..., Any]
) -> None:
    """Deterministic seal (nonce from HMAC(pid, number)): re-loading writes the same value, so an incremental load
    can tell a changed number by comparing; a changed number gives another value that opens to the new one."""
    query = f"MATCH (p:Person {{pid: '{pid(0)}'}}) RETURN p.phone, p.phone_sealed"
    load(any_store, LEDGERS)
    (first,) = rows(any_store, query)
    load(any_store, small_ledgers())
    assert rows(any_store, query) == {first}
    newer = small_ledgers()
    newer["人员"][0]["手机号"] = "13911112222"
    load(any_store, {"人员": newer["人员"]})
    ((masked, sealed),) = rows(any_store, query)
    assert (
        masked == "139****2222"
        and sealed != first[1]
        and phone_seal(TEST_PID_KEY).open(pid(0), sealed) == "13911112222"
    )
    assert (
        first[1] is not None and phone_seal(TEST_PID_KEY).open(pid(1), first[1]) is None
    )  # bound to the person


# (the newer ledger's edits {ledger: {row index: cells}}, a query, what it answers afterwards, relationship delta)
NEWER: dict[str, tuple[dict[str, dict[int, dict[str, str]]], str, set[tuple[Any, ...]], int]] = {
    "community-renamed": ({"网格": {0: {"社区": "冲广坪新社区"}, 1: {"社区": "冲广坪新社区"}}},
                          "MATCH (c:Community {code: 'C1'}) RETURN c.name", {("冲广坪新社区",)}, 0),
    "term-ended": ({"网格力量": {2: {"结束日期": "2024-06-30"}}},
                   "MATCH (:Person)-[s:SERVES]->(:Grid {code: 'G2'}) RETURN s.role, s.since, s.until",
                   {("兼职网格员", None, "2024-06-30")}, 0),
    "grid-kind-and-count": ({"网格": {0: {"网格类型": "专属网格", "户数": ""}}},
                            "MATCH (g:Grid {code: 'G1'}) RETURN g.kind, g.households, g.population",
                            {("专属网格", None, 600)}, 0),
    "building-moved": ({"楼栋": {2: {"网格编码": "G1"}}},
                       "MATCH (:Building {code: 'B3'})-[:PART_OF]->(g) RETURN g.code", {("G1",)}, 0),
    "project-renamed": ({"联建共建": {1: {"共建项目": "新项目"}}},
                        "MATCH (:Unit)-[r:CO_BUILDS]->(:Community {code: 'C2'}) RETURN r.project, r.until",
                        {("新项目", "2023-12-31")}, 0),
    "phone-changed": ({"人员": {0: {"手机号": "13900000009"}}},
                      "MATCH (p:Person {name: '张三'}) RETURN p.phone", {("139****0009",)}, 0),  # masked
    "household-changed": ({"人员": {9: {"户号": "401"}}},
                          "MATCH (:Person {name: '陈二'})-[:LIVES_IN]->(h) RETURN h.code", {("B4-401",)}, 0),
    "joined-party": ({"人员": {7: {"政治面貌": "中共党员", "党组织编码": "P1"}}},
                     "MATCH (p:Person {name: '郑十'})-[:MEMBER_OF]->(o) RETURN 'PartyMember' IN labels(p), o.code",
                     {(True, "P1")}, 1),
    "left-party": ({"人员": {4: {"政治面貌": "群众", "党组织编码": ""}}},
                   "MATCH (p:Person {name: '孙七'}) OPTIONAL MATCH (p)-[:MEMBER_OF]->(o) "
                   "RETURN 'PartyMember' IN labels(p), o.code",
                   {(False, None)}, -1),
    "moved-out-and-left-job": ({"人员": {3: {"居住楼栋编码": "", "户号": "", "工作单位编码": ""}}},
                               "MATCH (p:Person {name: '赵六'}) OPTIONAL MATCH (p)-[r:LIVES_IN|WORKS_AT]->() "
                               "RETURN type(r)", {(None,)}, -2),
    "new-secretary": ({"党组织": {2: {"书记身份证号": IDS[8]}}},
                      "MATCH (p:Person)-[:SECRETARY_OF]->(:PartyOrg {code: 'P2'}) RETURN p.name", {("钱一",)}, 0),
    "org-made-top-and-unbased": ({"党组织": {3: {"上级组织编码": "", "依托对象编码": ""}}},
                                 "MATCH (o:PartyOrg {code: 'P3'}) OPTIONAL MATCH (o)-[r:SUBORDINATE_TO|BASED_IN]->() "
                                 "RETURN type(r)", {(None,)}, -2),
    "secretary-removed": ({"党组织": {1: {"书记身份证号": ""}}},
                          "MATCH (o:PartyOrg {code: 'P1'}) OPTIONAL MATCH (p)-[:SECRETARY_OF]->(o) RETURN p.name",
                          {(None,)}, -1),
}  # fmt: skip


@pytest.mark.parametrize(("edits", "query", "expected", "delta"), list(NEWER.values()), ids=list(NEWER))
def test_a_newer_ledger_updates_what_changed(
    any_store: Store,
    load: Callable[..., Any],
    edits: dict[str, dict[int, dict[str, str]]],
    query: str,
    expected: set[tuple[Any, ...]],
    delta: int,
) -> None:
    load(any_store, LEDGERS)
    nodes, rels = counts(any_store)
    newer = small_ledgers()
    for ledger, changes in edits.items():
        for i, cells in changes.items():
            newer[ledger][i].update(cells)
    load(any_store, {ledger: newer[ledger] for ledger in edits})  # only the newer ledger(s)
    assert rows(any_store, query) == expected
    assert counts(any_store) == (nodes, rels + delta)


# ------------------------------------------------------------------------------------------ other inputs
def _cell(header: str, text: str) -> object:
    """What a spreadsheet holds: numbers as numbers, ISO dates as date cells, the rest (codes, IDs) as text."""
    if text and header in ("户数", "人口"):
        return int(text)
    if re.fullmatch(r"\d{4}-\d\d-\d\d", text):
        return dt.date.fromisoformat(text)
    return text or None


def write_workbook(path: Path, ledgers: Ledgers) -> Path:
    wb = Workbook()
    wb.remove(wb.active)
    for name, ledger_rows in ledgers.items():
        ws = wb.create_sheet(name)
        header = list(ledger_rows[0])
        ws.append(header)
        for r in ledger_rows:
            ws.append([_cell(h, r[h]) for h in header])
    wb.save(path)
    return path


def test_one_workbook_loads_like_the_folder_of_csvs(
    any_store: Store, content: Content, tmp_path: Path
) -> None:
    book = write_workbook(tmp_path / "台账.xlsx", LEDGERS)
    report = import_ledgers(book, any_store, pid_key=TEST_PID_KEY)
    assert report.ok, [i.format() for i in report.errors]
    got = snapshot(any_store)
    assert provenance(got) == provenance(content), provenance(content).diff(provenance(got))


def test_a_workbook_error_names_the_workbook_sheet_and_row(any_store: Store, tmp_path: Path) -> None:
    bad = small_ledgers()
    bad["楼栋"][3]["网格编码"] = "G99"
    report = import_ledgers(write_workbook(tmp_path / "台账.xlsx", bad), any_store, pid_key=TEST_PID_KEY)
    [e] = [e for e in report.errors if e.column == "网格编码"]
    assert ("台账.xlsx" in e.file and "楼栋" in e.file, e.row, e.value) == (True, 5, "G99")
    assert counts(any_store) == (0, 0)


def test_gbk_csvs_load_identically(any_store: Store, content: Content, tmp_path: Path) -> None:
    folder = write_ledgers(tmp_path / "gbk", LEDGERS, encoding="gbk")
    assert "冲广坪".encode("gbk") in (folder / "网格.csv").read_bytes()
    report = import_ledgers(folder, any_store, pid_key=TEST_PID_KEY)
    assert report.ok, [i.format() for i in report.errors]
    assert snapshot(any_store) == content


# ------------------------------------------------------------------------------------------ the commands
CJK = re.compile(r"[\u4e00-\u9fff]")


def cypher_json(data_dir: Path, query: str, *args: str) -> list[dict[str, Any]]:
    p = orggraph(data_dir, "cypher", query, "--json", *args)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Any]]:
    """A data dir loaded with `orggraph load` (the process, to check); the embedded server stopped after."""
    base = tmp_path_factory.mktemp("cli")
    data = base / "data"
    try:
        yield data, orggraph(data, "load", str(write_ledgers(base / "ledgers", LEDGERS)))
    finally:
        stop_server(data)


def test_cli_load_then_cypher(cli: tuple[Path, Any]) -> None:
    data, loaded = cli
    assert loaded.returncode == 0, loaded.stderr
    assert cypher_json(data, "MATCH (c:Community) RETURN c.code AS code, c.name AS name ORDER BY code") == [
        {"code": "C1", "name": "冲广坪社区"},
        {"code": "C2", "name": "龙田社区"},
        {"code": "C3", "name": "仁山社区"},
    ]
    # ORGGRAPH_PID_KEY is the key of pid; --param passes a value
    q = "MATCH (p:Person {pid: $pid}) RETURN p.name AS name, p.id_masked AS id"
    assert cypher_json(data, q, "--param", f"pid={pid(0)}") == [
        {"name": "张三", "id": IDS[0][:4] + "*" * 10 + IDS[0][-4:]}
    ]
    table = orggraph(data, "cypher", "MATCH (g:Grid) RETURN count(g) AS grids")
    assert (table.returncode, table.stdout.split()) == (0, ["grids", "4"])


def test_cli_dry_run_writes_nothing(cli: tuple[Path, Any], content: Content, tmp_path: Path) -> None:
    data, _ = cli
    newer = small_ledgers()
    for r in newer["网格"][:2]:
        r["社区"] = "冲广坪新社区"
    newer["网格"].append({**newer["网格"][3], "网格编码": "G9"})
    p = orggraph(data, "load", str(write_ledgers(tmp_path / "newer", newer)), "--dry-run")
    assert p.returncode == 0, p.stderr
    q = "MATCH (n) WITH count(n) AS n MATCH (c:Community {code: 'C1'}) RETURN n, c.name AS name"
    assert cypher_json(data, q) == [{"n": sum(content.nodes.values()), "name": "冲广坪社区"}]


def test_cli_cypher_refuses_writes(cli: tuple[Path, Any], content: Content) -> None:
    data, _ = cli
    for write in ("CREATE (:Community {code: 'C9', name: '新社区'})", "MATCH (n) DETACH DELETE n"):
        p = orggraph(data, "cypher", write)
        assert p.returncode != 0 and CJK.search(p.stderr), (write, p.returncode, p.stderr)
    q = "MATCH (n) OPTIONAL MATCH (n)-[r]->() RETURN count(DISTINCT n) AS n, count(r) AS r"
    assert cypher_json(data, q) == [{"n": sum(content.nodes.values()), "r": sum(content.rels.values())}]


def test_cli_load_with_errors_exits_2_lists_all_and_loads_nothing(tmp_path: Path) -> None:
    bad = small_ledgers()
    bad["楼栋"][3]["网格编码"] = "G99"
    bad["网格力量"][0]["开始日期"] = "2023-13-01"
    bad["人员"][7]["身份证号"] = IDS[7][:17] + ("0" if IDS[7][17] != "0" else "1")
    data = tmp_path / "data"
    try:
        p = orggraph(data, "load", str(write_ledgers(tmp_path / "bad", bad)))
        assert p.returncode == 2, p.stderr
        lines = p.stderr.splitlines()
        for file, row, column, value in (
            ("楼栋.csv", 5, "网格编码", "G99"),
            ("网格力量.csv", 2, "开始日期", "2023-13-01"),
            ("人员.csv", 9, "身份证号", None),
        ):
            hits = [
                ln for ln in lines if file in ln and re.search(rf"(?<!\d){row}(?!\d)", ln) and column in ln
            ]
            assert hits, (file, row, column, p.stderr)
            after = hits[0].split(column, 1)[1]  # the value and the reason
            assert (value or "") in after and CJK.search(after.replace(value or "", "")), hits[0]
        assert cypher_json(data, "MATCH (n) RETURN count(n) AS n") == [{"n": 0}]
    finally:
        stop_server(data)
