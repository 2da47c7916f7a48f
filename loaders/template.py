"""Ledger workbooks that prevent errors: `orggraph template` and the look of the demo ledger workbook.

A template has one sheet per ledger with the headers of `loaders/read.py` (required ones marked *, which
the reader ignores), a bold frozen header repeated on every printed page, set widths, text format for
ID and code columns (no 5.2E+17), a date format and validation for dates, a drop-down for every closed
vocabulary (from `loaders.ledgers.VOCABULARIES`, what the loader validates with), an input hint on every
column, one example row whose first cell starts with 【示例】 (the loader skips it), and a 填表说明 sheet.
With a scope, drop-downs of the grid, building, community, street and unit codes the store already holds
there (at most `MAX_CODES` of each) come from a 编码表 sheet that also lists their names.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orggraph.graph.cypher import statement, trusted
from orggraph.graph.store import Store
from orggraph.loaders.ledgers import VOCABULARIES
from orggraph.loaders.read import EXAMPLE_MARK, LEDGERS, ColumnSpec, LedgerSpec, ledger_for_name

from orggraph.sheets import (
    DATE_FORMAT,
    EXAMPLE_FILL,
    TEXT_FORMAT,
    display_width,
    new_workbook,
    print_setup,
    save_workbook,
    set_widths,
    style_header,
    text_height,
)

__all__ = [
    "MAX_CODES",
    "CodeLists",
    "TemplateError",
    "column_format",
    "column_width",
    "parse_ledgers",
    "scope_codes",
    "setup_ledger_sheet",
    "write_template",
]

MAX_CODES = 5000  # per kind of code in a drop-down; a larger scope is told to narrow down
_ROWS = 5000  # rows below the header that carry the validations and formats
CODE_SHEET = "编码表"
GUIDE_SHEET = "填表说明"


class TemplateError(ValueError):
    """A template that cannot be made as asked (unknown ledger name, scope); message in Chinese."""


# ------------------------------------------------------------------------------------------ columns
_WIDE_TEXT = {
    "unit_name": 30,
    "org_name": 30,
    "project": 26,
    "post": 20,
    "tags": 18,
    "title": 18,
    "grid_name": 16,
    "building_name": 14,
    "street_name": 14,
    "community_name": 14,
    "district_name": 10,
}
_KIND_WIDTH = {"id": 22, "code": 18, "date": 13, "int": 10}


def column_width(col: ColumnSpec) -> float:
    """A width that shows the column's values and its header whole (in characters as spreadsheets count)."""
    base = _WIDE_TEXT.get(col.key) or _KIND_WIDTH.get(col.kind) or 10
    return float(max(base, display_width(col.zh) + 4))


def column_format(col: ColumnSpec) -> str | None:
    """Text for IDs and codes (so nothing turns into 5.2E+17 or loses a leading zero), a date format for
    dates."""
    if col.kind in ("id", "code"):
        return TEXT_FORMAT
    if col.kind == "date":
        return DATE_FORMAT
    return None


_HINTS: dict[str, str] = {
    "id_number": "18 位居民身份证号，末位可为 X。导入时只保存加密编号和脱敏号码，不保存原号码",
    "secretary_id": "党组织书记的 18 位居民身份证号（书记须在人员台账中）",
    "unit_code": "18 位统一社会信用代码（单位须在单位台账中或库中已有）",
    "source_unit_code": "兼职委员原所在单位的统一社会信用代码",
    "subject_code": "报到类型为党员时填其身份证号，为单位时填统一社会信用代码",
    "street_code": "街道编码，如 520603001",
    "community_code": "社区编码，如 520603001001",
    "grid_code": "网格编码，如 520603001001001",
    "building_code": "楼栋编码（楼栋须在楼栋台账中或库中已有）",
    "household_no": "户号 / 房号，如 1-101（按文本填写）",
    "target_code": "负责或联系的对象编码：街道、社区、网格或楼栋编码",
    "org_code": "党组织编码",
    "parent_code": "上级党组织编码；最上级组织留空",
    "base_code": "党组织依托的街道、社区、网格、楼栋或单位的编码",
    "party_org_code": "所在党组织编码；政治面貌为中共党员或预备党员时必填",
    "phone": "11 位手机号，以 1 开头。导入时只保存脱敏号码",
    "households": "户数，填整数",
    "population": "人口数，填整数",
    "since": "开始日期，如 2024-01-01",
    "until": "结束日期，仍在任留空",
    "date": "报到日期，如 2024-03-05",
    "tags": "多个标签用顿号分隔，如 独居老人、低保户",
    "name": "姓名",
}


def _hint(ledger: str, col: ColumnSpec) -> str:
    vocab = VOCABULARIES.get((ledger, col.key))
    parts = ["必填。" if col.required else "选填。"]
    if vocab:
        parts.append("从下拉列表中选择：" + "、".join(vocab))
    else:
        parts.append(_HINTS.get(col.key, col.zh))
    return "".join(parts)


# An example row per ledger; its first cell carries EXAMPLE_MARK, so the loader skips it.
_EXAMPLES: dict[str, dict[str, Any]] = {
    "grids": {
        "district_name": "万山区",
        "street_code": "520603001",
        "street_name": "谢桥街道",
        "community_code": "520603001001",
        "community_name": "龙门社区",
        "grid_code": "520603001001001",
        "grid_name": "龙门一网格",
        "grid_kind": "居民网格",
        "households": 260,
        "population": 720,
    },
    "buildings": {
        "building_code": "B520603001001001-01",
        "building_name": "龙门1栋",
        "grid_code": "520603001001001",
        "households": 48,
    },
    "units": {
        "unit_code": "91520603MA6DN1234X",
        "unit_name": "铜仁万山示例有限公司",
        "unit_kind": "民营企业",
        "street_code": "520603001",
    },
    "party_orgs": {
        "org_code": "P520603001001",
        "org_name": "龙门社区党委",
        "org_kind": "党委",
        "parent_code": "P520603001",
        "base_code": "520603001001",
        "secretary_id": "11010519491231002X",
    },
    "people": {
        "id_number": "11010519491231002X",
        "name": "张三",
        "gender": "男",
        "phone": "13800000000",
        "politics": "中共党员",
        "party_org_code": "P520603001001",
        "unit_code": "91520603MA6DN1234X",
        "building_code": "B520603001001001-01",
        "household_no": "1-101",
        "tags": "退役军人",
    },
    "grid_staff": {
        "id_number": "11010519491231002X",
        "name": "张三",
        "role": "专职网格员",
        "target_code": "520603001001001",
        "since": _dt.date(2024, 1, 1),
        "until": None,
    },
    "cobuilding": {
        "unit_code": "91520603MA6DN1234X",
        "community_code": "520603001001",
        "since": _dt.date(2024, 1, 1),
        "until": _dt.date(2026, 12, 31),
        "project": "义诊进社区",
    },
    "part_time_members": {
        "id_number": "11010519491231002X",
        "name": "张三",
        "org_code": "P520603001001",
        "source_unit_code": "91520603MA6DN1234X",
        "since": _dt.date(2024, 1, 1),
        "until": None,
    },
    "contact_points": {
        "id_number": "11010519491231002X",
        "name": "张三",
        "title": "区委常委",
        "category": "区委区政府班子",
        "target_code": "520603001",
        "since": _dt.date(2024, 1, 1),
        "until": None,
    },
    "dual_reporting": {
        "report_type": "单位",
        "subject_code": "91520603MA6DN1234X",
        "community_code": "520603001001",
        "date": _dt.date(2024, 3, 5),
        "post": "义诊",
    },
    "household_links": {
        "id_number": "11010519491231002X",
        "building_code": "B520603001001001-01",
        "household_no": "1-101",
        "since": _dt.date(2024, 1, 1),
        "until": None,
    },
}


def parse_ledgers(text: str | None) -> list[str]:
    """'人员,网格力量' (Chinese or English names, ，、 also separate) → canonical ledger names; all when
    empty."""
    if not text or not text.strip():
        return list(LEDGERS)
    names = [t.strip() for t in text.replace("，", ",").replace("、", ",").split(",") if t.strip()]
    out: list[str] = []
    unknown: list[str] = []
    for n in names:
        ledger = ledger_for_name(n)
        if ledger is None:
            unknown.append(n)
        elif ledger not in out:
            out.append(ledger)
    if unknown:
        allowed = "、".join(s.zh for s in LEDGERS.values())
        raise TemplateError(f"未知台账名称：{'、'.join(unknown)}。可用的名称：{allowed}（用逗号分隔）")
    return [k for k in LEDGERS if k in out]  # in the order the ledgers are documented


# ------------------------------------------------------------------------------------------ store codes
_CODE_KINDS = ("Street", "Community", "Grid", "Building")
_SCOPE_LABELS = ("District", "Street", "Community")
_IN_SCOPE = {
    (kind, scope): statement(
        f"template.codes.{kind}.{scope}",
        # Labels come from the fixed tuples above, never from input.
        trusted(
            f"MATCH (n:{kind})-[:PART_OF*0..4]->(s:{scope} {{code: $key}}) "
            "RETURN DISTINCT n.code AS code, n.name AS name ORDER BY code LIMIT $limit"
        ),
        "台账模板下拉列表：范围内已有的区域编码",
        origin=__name__,
    )
    for kind in _CODE_KINDS
    for scope in _SCOPE_LABELS
}
_UNITS_IN_SCOPE = {
    scope: statement(
        f"template.codes.Unit.{scope}",
        trusted(
            f"MATCH (u:Unit)-[:CO_BUILDS|REPORTED_TO]->(:Community)-[:PART_OF*0..2]->(s:{scope} "
            f"{{code: $key}}) "
            "RETURN DISTINCT u.code AS code, u.name AS name ORDER BY code LIMIT $limit"
        ),
        "台账模板下拉列表：与范围内社区共建或向其报到的单位",
        origin=__name__,
    )
    for scope in _SCOPE_LABELS
}
_UNITS_OF_STREETS = statement(
    "template.codes.Unit.streets",
    "UNWIND $streets AS s MATCH (u:Unit {street: s}) "
    "RETURN DISTINCT u.code AS code, u.name AS name ORDER BY code LIMIT $limit",
    "台账模板下拉列表：所在街道在范围内的单位",
    origin=__name__,
)


@dataclass
class CodeLists:
    """The codes (with names) a scope already holds, for the template's drop-downs."""

    scope_name: str
    codes: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # kind -> [(code, name)]
    truncated: list[str] = field(default_factory=list)  # kinds with more than MAX_CODES codes


_KIND_ZH = {"Street": "街道", "Community": "社区", "Grid": "网格", "Building": "楼栋", "Unit": "单位"}


def scope_codes(store: Store, scope: str, limit: int = MAX_CODES) -> CodeLists:
    """The existing street, community, grid, building and unit codes of a district, street or community.

    ScopeError when the scope names nothing or is not a district, street or community.
    """
    from orggraph.queries.scope import ScopeError, resolve_scope

    ref = resolve_scope(store, scope)
    if ref is None or ref.label not in _SCOPE_LABELS:
        raise ScopeError(f"模板范围「{scope}」应为区县、街道或社区编码", 422)
    lists = CodeLists(str(ref.name or ref.key))
    params = {"key": ref.key, "limit": limit + 1}
    for kind in _CODE_KINDS:
        lists.codes[kind] = [
            (str(c), str(n or "")) for c, n in store.read(_IN_SCOPE[(kind, ref.label)], params).rows
        ]
    streets = [c for c, _ in lists.codes["Street"]]
    units: dict[Any, Any] = dict(store.read(_UNITS_IN_SCOPE[ref.label], params).rows)
    if streets:
        more = store.read(_UNITS_OF_STREETS, {"streets": streets[:limit], "limit": limit + 1}).rows
        units.update((c, n) for c, n in more)
    lists.codes["Unit"] = sorted((str(c), str(n or "")) for c, n in units.items())
    for kind, rows in lists.codes.items():
        if len(rows) > limit:
            lists.codes[kind] = rows[:limit]
            lists.truncated.append(kind)
    return lists


# Which code lists a column's drop-down offers: one kind, or several (then a combined list).
_CODE_COLUMNS: dict[tuple[str, str], tuple[str, ...]] = {
    ("grids", "street_code"): ("Street",),
    ("grids", "community_code"): ("Community",),
    ("buildings", "grid_code"): ("Grid",),
    ("units", "street_code"): ("Street",),
    ("people", "unit_code"): ("Unit",),
    ("people", "building_code"): ("Building",),
    ("grid_staff", "target_code"): ("Grid", "Building"),
    ("cobuilding", "unit_code"): ("Unit",),
    ("cobuilding", "community_code"): ("Community",),
    ("part_time_members", "source_unit_code"): ("Unit",),
    ("contact_points", "target_code"): ("Street", "Community", "Grid"),
    ("dual_reporting", "community_code"): ("Community",),
    ("household_links", "building_code"): ("Building",),
}


# ------------------------------------------------------------------------------------------ sheets
def setup_ledger_sheet(
    ws: Any, spec: LedgerSpec, columns: Sequence[ColumnSpec], *, title: str, scope: str
) -> None:
    """Widths, text and date formats by column, frozen header, A4 landscape with the header on every page.

    Works on write-only sheets too (call it before appending rows); the header cells are styled by the caller
    (`style_header` on an ordinary sheet, `header_cells` on a write-only one).
    """
    from openpyxl.utils import get_column_letter

    set_widths(ws, [column_width(c) for c in columns])
    for j, col in enumerate(columns, start=1):
        fmt = column_format(col)
        if fmt:
            ws.column_dimensions[get_column_letter(j)].number_format = fmt
    ws.freeze_panes = "A2"
    print_setup(ws, title=title, scope_line=scope, header_rows="1:1")


def header_cells(ws: Any, headers: Sequence[str]) -> list[Any]:
    """Styled header cells for a write-only sheet."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill

    from orggraph.sheets import HEAD_FILL

    out = []
    for h in headers:
        c = WriteOnlyCell(ws, value=h)
        c.font = Font(bold=True, color="FFFFFF")
        c.fill = PatternFill("solid", fgColor=HEAD_FILL)
        c.alignment = Alignment(horizontal="center", vertical="center")
        out.append(c)
    return out


def _quoted_list(values: Sequence[str]) -> str:
    return '"' + ",".join(values) + '"'


def _code_sheet(wb: Any, codes: CodeLists) -> dict[tuple[str, ...], str]:
    """The 编码表 sheet: a code column and a name column per kind (and per combined list); the ranges."""
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(CODE_SHEET)
    ranges: dict[tuple[str, ...], str] = {}
    combos = sorted(set(_CODE_COLUMNS.values()), key=lambda k: (len(k), k))
    widths: list[float] = []
    ws.cell(row=1, column=1, value=f"{codes.scope_name}已有的编码（下拉列表取自此表，请勿修改）").font = Font(
        bold=True
    )
    col = 1
    for combo in combos:
        rows = [r for kind in combo for r in codes.codes.get(kind, [])]
        head = "、".join(_KIND_ZH[k] for k in combo)
        ws.cell(row=2, column=col, value=f"{head}编码")
        ws.cell(row=2, column=col + 1, value=f"{head}名称")
        for i, (code, name) in enumerate(rows, start=3):
            ws.cell(row=i, column=col, value=code).number_format = TEXT_FORMAT
            ws.cell(row=i, column=col + 1, value=name)
        letter = get_column_letter(col)
        if rows:
            ranges[combo] = f"'{CODE_SHEET}'!${letter}$3:${letter}${len(rows) + 2}"
        widths += [22.0, 18.0]
        col += 2
    set_widths(ws, widths)
    style_header(ws, [str(ws.cell(row=2, column=j).value) for j in range(1, col)], widths, row=2)
    print_setup(ws, title=CODE_SHEET, scope_line=codes.scope_name, header_rows="1:2")
    return ranges


def _guide(wb: Any, ledgers: Sequence[str], codes: CodeLists | None) -> None:
    from openpyxl.styles import Alignment, Font

    ws = wb.create_sheet(GUIDE_SHEET, 0)
    widths = [12.0, 18.0, 8.0, 12.0, 70.0]
    set_widths(ws, widths)
    lines = [
        "填表说明",
        "1. 每个工作表是一个台账，第 1 行是表头，请不要修改、删除或移动表头；带 * 的列必须填写。",
        f"2. 第 2 行是示例（第一格以「{EXAMPLE_MARK}」开头），导入时自动跳过、不会导入；可以保留，"
        "也可以删除。"
        "请从第 3 行起填写，每行一条记录，不要合并单元格。",
        "3. 身份证号、编码类的列已设为文本格式，可以直接输入或粘贴（粘贴时请选择“只粘贴数值”），"
        "不会变成科学计数法。",
        "4. 日期列请填写如 2024-05-01 的日期；带下拉箭头的列请从列表中选择。"
        "选中单元格时会显示该列的填写提示。",
        "5. 填好后用 orggraph load 导入本工作簿（文件名可以自定，工作表名不要改）；先加 --dry-run "
        "只检查不写入。",
        "6. 身份证号和手机号导入时只保存加密编号与脱敏号码，原号码不入库。",
    ]
    if codes is not None:
        lines.append(
            f"7. 「{CODE_SHEET}」列出{codes.scope_name}库中已有的编码和名称，编码列的下拉列表取自该表。"
        )
        for kind in codes.truncated:
            lines.append(
                f"   注意：{_KIND_ZH[kind]}编码超过 {MAX_CODES} 个，只列出前 {MAX_CODES} 个；"
                "请按街道或社区分别生成模板。"
            )
    row = 1
    for i, text in enumerate(lines):
        ws.cell(row=row, column=1, value=text)
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=5)
        ws.cell(row=row, column=1).alignment = Alignment(wrap_text=True, vertical="top")
        if i == 0:
            ws.cell(row=row, column=1).font = Font(bold=True, size=14)
            ws.row_dimensions[row].height = 26
        else:
            ws.row_dimensions[row].height = text_height([text], [sum(widths)])
        row += 1
    row += 1
    headers = ["台账", "列名", "必填", "格式", "填写说明"]
    for j, h in enumerate(headers, start=1):
        ws.cell(row=row, column=j, value=h)
    style_header(ws, headers, widths, row=row)
    ws.freeze_panes = None
    head_row = row
    for ledger in ledgers:
        spec = LEDGERS[ledger]
        for col in spec.columns:
            row += 1
            fmt = {"id": "文本", "code": "文本", "date": "日期", "int": "整数"}.get(col.kind, "文字")
            values = [spec.zh, col.zh, "是" if col.required else "", fmt, _hint(ledger, col)]
            for j, v in enumerate(values, start=1):
                ws.cell(row=row, column=j, value=v).alignment = Alignment(wrap_text=True, vertical="top")
            ws.row_dimensions[row].height = text_height(values, widths)
    print_setup(
        ws,
        title=GUIDE_SHEET,
        scope_line=codes.scope_name if codes else "",
        header_rows=f"{head_row}:{head_row}",
        landscape=False,
    )


def _ledger_sheet(wb: Any, ledger: str, ranges: dict[tuple[str, ...], str], scope_name: str) -> None:
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    spec = LEDGERS[ledger]
    ws = wb.create_sheet(spec.zh)
    cols = list(spec.columns)
    headers = [f"{c.zh}*" if c.required else c.zh for c in cols]
    widths = [column_width(c) for c in cols]
    widths[0] += display_width(EXAMPLE_MARK)  # the example row's mark shows whole
    ws.append(headers)
    setup_ledger_sheet(ws, spec, cols, title=f"{spec.zh}台账", scope=scope_name)
    set_widths(ws, widths)
    style_header(ws, headers, widths)
    example = _EXAMPLES[ledger]
    values = [example.get(c.key) for c in cols]
    values[0] = f"{EXAMPLE_MARK}{values[0] if values[0] is not None else ''}"
    ws.append(values)
    fill = PatternFill("solid", fgColor=EXAMPLE_FILL)
    for j, c in enumerate(cols, start=1):
        cell = ws.cell(row=2, column=j)
        cell.fill, cell.font = fill, Font(italic=True, color="7F6000")
        fmt = column_format(c)
        if fmt:
            cell.number_format = fmt
    last = _ROWS + 1
    for j, c in enumerate(cols, start=1):
        letter = get_column_letter(j)
        area = f"{letter}2:{letter}{last}"
        vocab = VOCABULARIES.get((ledger, c.key))
        codes = _CODE_COLUMNS.get((ledger, c.key))
        dv: DataValidation
        if vocab:
            dv = DataValidation(
                type="list", formula1=_quoted_list(vocab), allow_blank=True, showDropDown=False
            )
            dv.error, dv.errorTitle = f"请从下拉列表中选择：{'、'.join(vocab)}", f"{c.zh}不在可选范围内"
            dv.errorStyle = "stop"
        elif codes and codes in ranges:
            dv = DataValidation(type="list", formula1=ranges[codes], allow_blank=True)
            # New codes may come in the same workbook: warn, do not forbid.
            dv.error = f"该编码不在「{CODE_SHEET}」中：如果是本次新增的，请确认它在相应台账中"
            dv.errorTitle, dv.errorStyle = "编码不在已有列表中", "warning"
        elif c.kind == "date":
            dv = DataValidation(
                type="date",
                operator="between",
                formula1="DATE(1900,1,1)",
                formula2="DATE(2199,12,31)",
                allow_blank=True,
            )
            dv.error, dv.errorTitle, dv.errorStyle = "请填写日期，如 2024-05-01", "不是日期", "stop"
        elif c.kind == "int":
            dv = DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0", allow_blank=True)
            dv.error, dv.errorTitle, dv.errorStyle = "请填写不小于 0 的整数", "不是整数", "stop"
        elif c.kind == "id":
            dv = DataValidation(type="textLength", operator="equal", formula1="18", allow_blank=True)
            dv.error, dv.errorTitle, dv.errorStyle = f"{c.zh}应为 18 位", "位数不对", "warning"
        else:
            dv = DataValidation(allow_blank=True)
        dv.showInputMessage = True
        dv.showErrorMessage = dv.type is not None
        dv.promptTitle = c.zh[:32]
        dv.prompt = _hint(ledger, c)[:250]
        dv.add(area)
        ws.add_data_validation(dv)
    ws.row_dimensions[2].height = text_height([str(v) if v is not None else "" for v in values], widths)


def write_template(out: Path, ledgers: Sequence[str] | None = None, codes: CodeLists | None = None) -> Path:
    """Write the ledger template workbook; the path. `ledgers`: canonical names (default all)."""
    chosen = list(ledgers) if ledgers else list(LEDGERS)
    wb = new_workbook()
    ranges = _code_sheet(wb, codes) if codes is not None else {}
    scope_name = codes.scope_name if codes else ""
    for ledger in chosen:
        _ledger_sheet(wb, ledger, ranges, scope_name)
    _guide(wb, chosen, codes)
    if codes is not None:
        wb.move_sheet(CODE_SHEET, offset=len(wb.sheetnames) - 1 - wb.sheetnames.index(CODE_SHEET))
    # Open on the first ledger, after the guide; exactly one selected tab (two would open the sheets grouped).
    wb.active = 1
    for i, ws in enumerate(wb.worksheets):
        ws.sheet_view.tabSelected = i == 1
    wb.properties.title = "台账模板" + (f"（{scope_name}）" if scope_name else "")
    wb.properties.creator = "orggraph"
    return save_workbook(wb, out)
