"""Ledger-level validation, from ledgers.md: every rule a row can break is an error naming the file, the
spreadsheet row (header = row 1), the column as the user wrote it and the reason, and any error loads
nothing at all (the store stays empty). The valid base is `small_ledgers()`; each case breaks one thing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from faults.city import counts
from faults.ledgers import Ledgers, credit_code, resident_id, small_ledgers
from orggraph.loaders.read import LedgerIssue

UNKNOWN_ID = resident_id(50)  # valid check digit, in no 人员 row
UNKNOWN_UNIT = credit_code(99)  # valid check character, in no 单位 row


def wrong_check(code: str) -> str:
    """The same 18-character code with another (wrong) last character."""
    return code[:17] + ("0" if code[17] != "0" else "1")


@dataclass(frozen=True)
class Edit:
    """Change cells of row `index` of a ledger (or, with `append`, add a changed copy of it)."""

    ledger: str
    index: int
    cells: dict[str, str] = field(default_factory=dict)
    append: bool = False
    rename: tuple[str, str] | None = None  # (header, alias) applied to every row of the ledger
    # computed from the base ledgers (an ID or code taken from another row)
    derive: Callable[[Ledgers], dict[str, str]] | None = None

    def apply(self, ledgers: Ledgers) -> int:
        """Edit `ledgers` in place; the spreadsheet row number of the edited row."""
        rows = ledgers[self.ledger]
        cells = {**self.cells, **(self.derive(ledgers) if self.derive else {})}
        if self.append:
            rows.append({**rows[self.index], **cells})
            n = len(rows) + 1
        else:
            rows[self.index].update(cells)
            n = self.index + 2
        if self.rename:
            old, new = self.rename
            ledgers[self.ledger] = [{(new if k == old else k): v for k, v in r.items()} for r in rows]
        return n


def edit(ledger: str, index: int, **cells: str) -> Edit:
    return Edit(ledger, index, cells)


def dup(ledger: str, index: int, **cells: str) -> Edit:
    return Edit(ledger, index, cells, append=True)


def bad_check(ledger: str, index: int, column: str, rename: tuple[str, str] | None = None) -> Edit:
    return Edit(
        ledger, index, rename=rename, derive=lambda led: {column: wrong_check(led[ledger][index][column])}
    )


def import_refused(load: Callable[..., Any], store: Any, ledgers: Ledgers) -> list[LedgerIssue]:
    """Import; it must be refused whole. The errors."""
    report = load(store, ledgers, expect_errors=True)
    assert not report.ok, "the import was accepted"
    assert counts(store) == (0, 0), "a refused import wrote to the store"
    return report.errors


def shown_as(value: str) -> tuple[str | None, ...]:
    """How an error may show a cell's value: as written; an 18-character ID also masked
    (5206**********123X)."""
    if not value:
        return ("", None)
    return (value, value[:4] + "*" * 10 + value[-4:]) if len(value) == 18 else (value,)


def find(
    errors: list[LedgerIssue],
    ledgers: Ledgers,
    ledger: str,
    rows: set[int],
    column: str,
    fragments: tuple[str, ...],
) -> None:
    """An error on one of `rows` of `ledger`, in `column`, showing the cell's value, its reason with
    `fragments`."""
    file = f"{ledger}.csv"
    hits = [e for e in errors if (e.file, e.column) == (file, column) and e.row in rows]
    got = "\n".join(e.format() for e in errors)
    assert hits, f"no error for {file} row {sorted(rows)} [{column}]; got:\n{got}"
    assert any(all(f in e.reason for f in fragments) for e in hits), (
        f"reason lacks {fragments}: " + " | ".join(e.reason for e in hits)
    )
    if len(rows) == 1:
        [row] = rows
        value = ledgers[ledger][row - 2].get(column, "")
        assert any(e.value in shown_as(value) for e in hits), (value, [e.value for e in hits])


# (edit, expected column, reason fragments, other acceptable rows); the row is the edited row
CASES: dict[str, tuple[Edit, str, tuple[str, ...], tuple[int, ...]]] = {
    # a duplicated code inside a ledger
    "dup-grid": (dup("网格", 1), "网格编码", ("重复",), ()),
    "dup-building": (dup("楼栋", 0, 楼栋名称="又一号楼"), "楼栋编码", ("重复",), ()),
    "dup-unit": (dup("单位", 2, 单位名称="另一个中心"), "单位编码", ("重复",), ()),
    "dup-party-org": (dup("党组织", 3), "组织编码", ("重复",), ()),
    "dup-person": (dup("人员", 7, 姓名="郑十一"), "身份证号", ("重复",), ()),
    # check characters
    "id-check-digit": (bad_check("人员", 7, "身份证号"), "身份证号", ("校验",), ()),
    "id-check-digit-alias": (
        bad_check("人员", 7, "身份证号", rename=("身份证号", "公民身份号码")), "公民身份号码", ("校验",), ()
    ),
    "id-check-digit-staff": (bad_check("网格力量", 2, "身份证号"), "身份证号", ("校验",), ()),
    "id-check-digit-secretary": (bad_check("党组织", 1, "书记身份证号"), "书记身份证号", ("校验",), ()),
    "credit-check-char": (bad_check("单位", 1, "单位编码"), "单位编码", ("校验",), ()),
    "credit-check-char-reporting": (bad_check("双报到", 1, "报到主体编码"), "报到主体编码", ("校验",), ()),
    # references to codes no ledger defines
    "building-unknown-grid": (edit("楼栋", 3, 网格编码="G99"), "网格编码", ("找不到",), ()),
    "person-unknown-building": (edit("人员", 5, 居住楼栋编码="B99"), "居住楼栋编码", ("找不到",), ()),
    "person-unknown-unit": (edit("人员", 3, 工作单位编码=UNKNOWN_UNIT), "工作单位编码", ("找不到",), ()),
    "person-unknown-party-org": (edit("人员", 8, 党组织编码="P99"), "党组织编码", ("找不到",), ()),
    "staff-unknown-grid": (edit("网格力量", 0, 负责对象编码="G99"), "负责对象编码", ("找不到",), ()),
    "staff-unknown-building": (edit("网格力量", 3, 负责对象编码="B99"), "负责对象编码", ("找不到",), ()),
    "staff-unknown-person": (edit("网格力量", 2, 身份证号=UNKNOWN_ID), "身份证号", ("找不到",), ()),
    "cobuilding-unknown-unit": (edit("联建共建", 0, 单位编码=UNKNOWN_UNIT), "单位编码", ("找不到",), ()),
    "cobuilding-unknown-community": (edit("联建共建", 1, 社区编码="C99"), "社区编码", ("找不到",), ()),
    "contact-unknown-target": (edit("联系点", 1, 联系对象编码="C99"), "联系对象编码", ("找不到",), ()),
    "contact-unknown-person": (edit("联系点", 0, 身份证号=UNKNOWN_ID), "身份证号", ("找不到",), ()),
    "reporting-unknown-member": (edit("双报到", 0, 报到主体编码=UNKNOWN_ID), "报到主体编码", ("找不到",), ()),
    "reporting-unknown-unit": (edit("双报到", 1, 报到主体编码=UNKNOWN_UNIT), "报到主体编码", ("找不到",), ()),
    "reporting-unknown-community": (edit("双报到", 0, 报到社区编码="C99"), "报到社区编码", ("找不到",), ()),
    "household-link-unknown-building": (edit("联户", 0, 楼栋编码="B99"), "楼栋编码", ("找不到",), ()),
    "party-org-unknown-parent": (edit("党组织", 2, 上级组织编码="P99"), "上级组织编码", ("找不到",), ()),
    "party-org-unknown-base": (edit("党组织", 3, 依托对象编码="X99"), "依托对象编码", ("找不到",), ()),
    "part-time-unknown-org": (edit("兼职委员", 0, 任职组织编码="P99"), "任职组织编码", ("找不到",), ()),
    "part-time-unknown-unit": (edit("兼职委员", 0, 来源单位编码=UNKNOWN_UNIT), "来源单位编码", ("找不到",), ()),
    "unit-unknown-street": (edit("单位", 0, 所在街道编码="520603999"), "所在街道编码", ("找不到",), ()),
    # dates
    "date-unparseable": (edit("网格力量", 0, 开始日期="2023-13-01"), "开始日期", ("日期",), ()),
    "date-words": (edit("联建共建", 0, 结束日期="明年"), "结束日期", ("日期",), ()),
    "date-no-such-day": (edit("双报到", 0, 报到日期="2024-02-30"), "报到日期", ("日期",), ()),
    "end-before-start-staff": (edit("网格力量", 3, 结束日期="2023-12-31"), "结束日期", ("早于",), ()),
    "end-before-start-cobuilding": (edit("联建共建", 0, 结束日期="2021/12/31"), "结束日期", ("早于",), ()),
    "end-before-start-part-time": (edit("兼职委员", 0, 结束日期="2023年5月31日"), "结束日期", ("早于",), ()),
    "end-before-start-contact": (edit("联系点", 2, 结束日期="2023-12-31"), "结束日期", ("早于",), ()),
    "end-before-start-household-link": (edit("联户", 0, 结束日期="2023-12-31"), "结束日期", ("早于",), ()),
    # counts
    "negative-households": (edit("网格", 0, 户数="-5"), "户数", ("负",), ()),
    "negative-population": (edit("网格", 2, 人口="-700"), "人口", ("负",), ()),
    "negative-building-households": (edit("楼栋", 1, 户数="-1"), "户数", ("负",), ()),
    "text-in-population": (edit("网格", 3, 人口="约九百"), "人口", ("整数",), ()),
    "text-in-building-households": (edit("楼栋", 0, 户数="40户"), "户数", ("整数",), ()),
    # party organizations: a cycle anywhere in the loop (P0 → P2 → P1 → P0), or a self-parent
    "party-org-cycle": (edit("党组织", 0, 上级组织编码="P2"), "上级组织编码", ("循环",), (3, 4)),
    "party-org-self-parent": (edit("党组织", 3, 上级组织编码="P3"), "上级组织编码", ("循环",), ()),
    "member-without-org": (edit("人员", 0, 党组织编码=""), "党组织编码", ("必须",), ()),
    "probationary-without-org": (edit("人员", 2, 党组织编码=""), "党组织编码", ("必须",), ()),
    # enumerations: the reason lists what is allowed
    "enum-role": (edit("网格力量", 0, 岗位="网格管理员"), "岗位", ("网格长", "专职网格员", "社区民警"), ()),
    "enum-unit-kind": (edit("单位", 0, 单位类型="机关"), "单位类型", ("党政机关", "民营企业", "其他"), ()),
    "enum-org-kind": (edit("党组织", 3, 组织类型="支部"), "组织类型", ("党工委", "党支部", "党小组"), ()),
    "enum-contact-category": (
        edit("联系点", 0, 联系人类别="班子成员"), "联系人类别", ("区委区政府班子", "部务会成员", "街道党工委班子"), ()
    ),
    "enum-report-type": (edit("双报到", 0, 报到类型="个人"), "报到类型", ("党员", "单位"), ()),
    "enum-politics": (edit("人员", 1, 政治面貌="党员"), "政治面貌", ("中共党员", "中共预备党员", "群众"), ()),
    "enum-grid-kind": (edit("网格", 1, 网格类型="普通网格"), "网格类型", ("居民网格", "专属网格"), ()),
    # 负责对象编码: a grid code, a building code only for 楼栋长/单元长
    "grid-worker-on-building": (edit("网格力量", 0, 负责对象编码="B1"), "负责对象编码", ("网格",), ()),
    "building-head-on-grid": (edit("网格力量", 3, 负责对象编码="G1"), "负责对象编码", ("楼栋",), ()),
    # required cells and formats
    "required-name": (edit("人员", 7, 姓名=""), "姓名", ("必填",), ()),
    "required-role": (edit("网格力量", 1, 岗位=""), "岗位", ("必填",), ()),
    "required-household-no": (edit("联户", 0, 户号=""), "户号", ("必填",), ()),
    "required-grid-code": (edit("楼栋", 2, 网格编码=""), "网格编码", ("必填",), ()),
    "phone-format": (edit("人员", 0, 手机号="1380000"), "手机号", ("11",), ()),
}  # fmt: skip


@pytest.mark.parametrize(("change", "column", "fragments", "also"), list(CASES.values()), ids=list(CASES))
def test_a_broken_row_is_refused_and_named(
    store: Any,
    load: Callable[..., Any],
    change: Edit,
    column: str,
    fragments: tuple[str, ...],
    also: tuple[int, ...],
) -> None:
    ledgers = small_ledgers()
    row = change.apply(ledgers)
    errors = import_refused(load, store, ledgers)
    find(errors, ledgers, change.ledger, {row, *also}, column, fragments)


def test_every_error_is_reported_at_once(any_store: Any, load: Callable[..., Any]) -> None:
    ledgers = small_ledgers()
    expected = [
        (c.ledger, c.apply(ledgers), column, fragments)
        for c, column, fragments, _ in (
            CASES["id-check-digit"],
            CASES["dup-unit"],
            CASES["building-unknown-grid"],
            CASES["text-in-building-households"],
            CASES["date-unparseable"],
            CASES["end-before-start-staff"],
            CASES["negative-households"],
            CASES["enum-contact-category"],
        )
    ]
    errors = import_refused(load, any_store, ledgers)
    for ledger, row, column, fragments in expected:
        find(errors, ledgers, ledger, {row}, column, fragments)
    assert len({(e.file, e.row, e.column) for e in errors}) >= len(expected)


def _warning_for_name(report: Any) -> None:
    [w] = [i for i in report.warnings if i.file == "网格力量.csv" and i.row == 4]
    assert w.column == "姓名" and w.value == "赵小六"


# (edit, query that must answer, then a check of the report)
ACCEPTED: dict[str, tuple[Edit, str, Callable[[Any], None] | None]] = {
    # the grids ledger creates the communities it names
    "grid-in-new-community": (
        dup("网格", 3, 社区编码="C9", 社区="新社区", 网格编码="G9"),
        "MATCH (:Grid {code: 'G9'})-[:PART_OF]->(c:Community {code: 'C9', name: '新社区'})-[:PART_OF]->"
        "(:Street {code: '520603002'}) RETURN c.code",
        None,
    ),
    "unit-head-on-building": (
        dup("网格力量", 3, 岗位="单元长", 负责对象编码="B2"),
        "MATCH (:Person {name: '吴九'})-[s:SERVES {role: '单元长'}]->(:Building {code: 'B2'}) RETURN s.role",
        None,
    ),
    # a name that differs from 人员 is a warning; the row still loads
    "staff-name-mismatch": (
        edit("网格力量", 2, 姓名="赵小六"),
        "MATCH (:Person {name: '赵六'})-[s:SERVES {role: '兼职网格员'}]->(:Grid {code: 'G2'}) RETURN s.role",
        _warning_for_name,
    ),
}  # fmt: skip


@pytest.mark.parametrize(("change", "query", "check"), list(ACCEPTED.values()), ids=list(ACCEPTED))
def test_what_the_spec_allows_loads(
    store: Any, load: Callable[..., Any], change: Edit, query: str, check: Callable[[Any], None] | None
) -> None:
    ledgers = small_ledgers()
    change.apply(ledgers)
    report = load(store, ledgers)
    assert len(store.read(query).rows) == 1
    if check:
        check(report)
    else:
        assert not [w for w in report.warnings if w.file == f"{change.ledger}.csv"]
