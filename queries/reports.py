"""The department's reports (`orggraph report coverage|gaps`): the coverage measures or the gap lists of a scope on a
day, as a print-ready workbook with Chinese headers, as CSV files, or as JSON.

A report is built once as plain data (`build_report`), laid out as tables (`report_tables`: one per sheet),
then written in the format the output file's suffix asks for (`write_report`).
"""

from __future__ import annotations

import csv
import datetime as _dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orggraph.graph.schema import display_name
from orggraph.graph.store import Store
from orggraph.queries.coverage import (
    GAP_LISTS,
    MEASURES,
    OVERLOAD_HOUSEHOLDS,
    coverage,
    coverage_breakdown,
    dual_reporting_tally,
    gap_details,
    gaps_of,
    grid_worker_load,
    open_scope,
    part_time_committee,
)

__all__ = [
    "FORMATS",
    "KINDS",
    "Column",
    "ReportError",
    "Table",
    "build_report",
    "report_tables",
    "write_report",
]

KINDS = ("coverage", "gaps")
FORMATS = (".xlsx", ".csv", ".json")

GAP_TITLES = {
    "communities_without_cobuilding": (
        "无共建社区",
        "没有在期联建共建单位的社区",
        "联系辖区单位签订共建协议，录入联建共建台账",
    ),
    "grids_without_fulltime": (
        "无专职网格员网格",
        "没有在期专职网格员的网格",
        "配备专职网格员，录入网格力量台账",
    ),
    "overloaded_grids": (
        "超负荷网格",
        f"专职网格员人均超过 {OVERLOAD_HOUSEHOLDS} 户的网格",
        "增配专职网格员或调整网格",
    ),
    "contact_rule_violations": ("联系点不合规", "在期联系点不符合规定的领导", "按联系人类别调整联系点"),
    "sole_contacts": ("唯一直接联系人", "是某网格唯一直接联系人的人员", "为相关网格增加第二名直接联系人"),
    "grids_without_direct_contact": (
        "无直接联系人网格",
        "没有网格力量或联系领导直接联系的网格",
        "安排网格员或联系领导直接联系",
    ),
}


class ReportError(ValueError):
    """A report that cannot be written as asked (unknown kind or file type); message in Chinese."""


@dataclass(frozen=True)
class Column:
    header: str  # Chinese
    width: float  # in characters, as a spreadsheet counts them (a Chinese character is about two)
    fmt: str | None = None  # number format: "0.0%", "0.0", "#,##0"


@dataclass
class Table:
    sheet: str  # at most 31 characters, none of []:*?/\
    title: str  # printed at the top of every page
    columns: list[Column]
    rows: list[list[Any]] = field(default_factory=list)


# ------------------------------------------------------------------------------------------------- data
def build_report(
    store: Store, kind: str, scope: str | None = None, as_of: str | None = None
) -> dict[str, Any]:
    """The report's data: {"kind", "scope": {label, code, name} | None, "as_of", "generated", …}.

    coverage: "coverage", "breakdown", "grid_worker_load", "dual_reporting", "part_time_committee".
    gaps: "gaps" (api.md's lists), "details" (one list of rows per gap), "grid_worker_load".
    ScopeError for an unknown scope or bad date, ReportError for an unknown kind.
    """
    if kind not in KINDS:
        raise ReportError(f"报表类型「{kind}」不存在，应为 coverage（覆盖率）或 gaps（短板清单）")
    sc = open_scope(store, scope, as_of)
    head: dict[str, Any] = {
        "kind": kind,
        "scope": {"label": sc.ref.label, "code": sc.ref.key, "name": sc.ref.name} if sc.ref else None,
        "scope_title": sc.title,
        "as_of": sc.as_of,
        "generated": _dt.datetime.now().isoformat(timespec="seconds"),
    }
    load = grid_worker_load(store, sc)
    if kind == "coverage":
        return {
            **head,
            "coverage": coverage(store, sc.code, sc.as_of),
            "breakdown": coverage_breakdown(store, sc.code, sc.as_of),
            "grid_worker_load": load,
            "dual_reporting": dual_reporting_tally(store, sc),
            "part_time_committee": part_time_committee(store, sc),
        }
    details = gap_details(store, sc)
    return {**head, "gaps": gaps_of(details), "details": details, "grid_worker_load": load}


# ------------------------------------------------------------------------------------------------ tables
def _measure(result: dict[str, Any], mid: str) -> dict[str, Any]:
    head, _, sub = mid.partition(".")
    return result[head][sub] if sub else result[head]


def _name_and_definition(zh: str) -> tuple[str, str]:
    name, _, rest = zh.partition("（")
    return name, rest.rstrip("）")


def _load_table(load: list[dict[str, Any]]) -> Table:
    t = Table(
        "网格员负担",
        "网格户数与专职网格员负担",
        [
            Column("网格编码", 20),
            Column("网格名称", 18),
            Column("所属社区", 16),
            Column("网格类型", 10),
            Column("户数", 8, "#,##0"),
            Column("户数来源", 10),
            Column("专职网格员人数", 9, "0"),
            Column("专职网格员", 24),
            Column("人均户数", 9, "0.0"),
            Column("负担过重", 9),
        ],
    )
    for g in load:
        t.rows.append(
            [
                g["code"],
                g["name"],
                g["community_name"],
                g["kind"],
                g["households"],
                "台账户数" if g["households_source"] == "ledger" else "按已录入户数",
                g["fulltime"],
                "、".join(w["name"] or w["pid"] for w in g["workers"]),
                g["load"],
                "是" if g["overloaded"] else ("无专职网格员" if g["fulltime"] == 0 else "否"),
            ]
        )
    return t


def _coverage_tables(r: dict[str, Any]) -> list[Table]:
    summary = Table(
        "覆盖率汇总",
        "覆盖率汇总",
        [
            Column("指标", 22),
            Column("覆盖数", 9, "#,##0"),
            Column("总数", 9, "#,##0"),
            Column("覆盖率", 9, "0.0%"),
            Column("口径", 48),
        ],
    )
    for m in MEASURES:
        v = _measure(r["coverage"], m.id)
        name, definition = _name_and_definition(m.zh)
        summary.rows.append([name, v["covered"], v["total"], v["ratio"] if v["total"] else None, definition])
    child = display_name(r["breakdown"][0]["label"]) if r["breakdown"] else "下级"
    cols = [Column(f"{child}编码", 16), Column(f"{child}名称", 14)]
    for m in MEASURES:
        name = _name_and_definition(m.zh)[0]
        cols += [Column(f"{name}（覆盖/总数）", 12), Column(f"{name}", 10, "0.0%")]
    breakdown = Table(f"按{child}分列", f"覆盖率按{child}分列", cols)
    for row in r["breakdown"]:
        cells: list[Any] = [row["code"], row["name"]]
        for m in MEASURES:
            v = _measure(row["coverage"], m.id)
            cells += [f"{v['covered']}/{v['total']}", v["ratio"] if v["total"] else None]
        breakdown.rows.append(cells)
    dual = Table(
        "双报到",
        "各社区双报到情况",
        [
            Column("社区编码", 16),
            Column("社区名称", 14),
            Column("报到党员数", 10, "#,##0"),
            Column("报到单位数", 10, "#,##0"),
            Column("报到单位", 48),
        ],
    )
    for c in r["dual_reporting"]:
        units = "、".join(
            f"{u['name']}（{u['post']}）" if u.get("post") else str(u["name"]) for u in c["unit_list"]
        )
        dual.rows.append([c["code"], c["name"], c["members"], c["units"], units])
    ptm = Table(
        "兼职委员",
        "街道、社区党组织兼职委员",
        [
            Column("组织编码", 14),
            Column("组织名称", 26),
            Column("组织类型", 8),
            Column("依托对象", 14),
            Column("在期兼职委员数", 10, "0"),
            Column("兼职委员", 28),
            Column("来源单位", 40),
        ],
    )
    for o in r["part_time_committee"]:
        members = "、".join(str(m["name"] or m["pid"]) for m in o["member_list"])
        units = "、".join(str(u["name"] or u["code"]) for u in o["source_units"])
        ptm.rows.append([o["code"], o["name"], o["kind"], o["base_name"], o["members"], members, units])
    return [summary, breakdown, _load_table(r["grid_worker_load"]), dual, ptm]


def _region_table(key: str, rows: list[dict[str, Any]], label: str, parent: str) -> Table:
    sheet, title, _ = GAP_TITLES[key]
    t = Table(
        sheet, title, [Column(f"{label}编码", 20), Column(f"{label}名称", 18), Column(f"所属{parent}", 16)]
    )
    t.rows = [[x["code"], x["name"], x.get("parent_name")] for x in rows]
    return t


def _gap_tables(r: dict[str, Any]) -> list[Table]:
    d = r["details"]
    summary = Table(
        "短板汇总", "短板清单汇总", [Column("清单", 36), Column("数量", 8, "#,##0"), Column("怎么办", 40)]
    )
    for k in GAP_LISTS:
        _, title, hint = GAP_TITLES[k]
        summary.rows.append([title, len(r["gaps"][k]), hint])
    tables = [
        summary,
        _region_table("communities_without_cobuilding", d["communities_without_cobuilding"], "社区", "街道"),
    ]
    for key in ("grids_without_fulltime", "overloaded_grids"):
        sheet, title, _ = GAP_TITLES[key]
        t = Table(
            sheet,
            title,
            [
                Column("网格编码", 20),
                Column("网格名称", 18),
                Column("所属社区", 16),
                Column("户数", 8, "#,##0"),
                Column("专职网格员人数", 9, "0"),
                Column("人均户数", 9, "0.0"),
                Column("专职网格员", 24),
            ],
        )
        for g in d[key]:
            workers = "、".join(w["name"] or w["pid"] for w in g["workers"])
            t.rows.append(
                [
                    g["code"],
                    g["name"],
                    g["community_name"],
                    g["households"],
                    g["fulltime"],
                    g["load"],
                    workers,
                ]
            )
        tables.append(t)
    sheet, title, _ = GAP_TITLES["contact_rule_violations"]
    v = Table(
        sheet,
        title,
        [
            Column("人员标识", 22),
            Column("姓名", 10),
            Column("职务", 18),
            Column("联系人类别", 14),
            Column("街道数", 7, "0"),
            Column("社区数", 7, "0"),
            Column("网格数", 7, "0"),
            Column("违反的规定", 56),
            Column("在期联系点", 40),
        ],
    )
    for x in d["contact_rule_violations"]:
        targets = "；".join(
            f"{display_name(lv)}：{'、'.join(codes)}" for lv, codes in x["targets"].items() if codes
        )
        c = x["counts"]
        v.rows.append(
            [
                x["pid"],
                x["name"],
                "、".join(x["titles"]),
                x["category"],
                c["Street"],
                c["Community"],
                c["Grid"],
                x["rule"],
                targets,
            ]
        )
    tables.append(v)
    sheet, title, _ = GAP_TITLES["sole_contacts"]
    s = Table(
        sheet,
        title,
        [
            Column("人员标识", 22),
            Column("姓名", 10),
            Column("网格数", 7, "0"),
            Column("唯一直接联系的网格", 50),
        ],
    )
    s.rows = [[x["pid"], x["name"], len(x["grids"]), "、".join(x["grids"])] for x in d["sole_contacts"]]
    tables += [
        s,
        _region_table("grids_without_direct_contact", d["grids_without_direct_contact"], "网格", "社区"),
    ]
    tables.append(_load_table(r["grid_worker_load"]))
    return tables


def _about(r: dict[str, Any]) -> Table:
    t = Table("说明", "报表说明", [Column("项目", 16), Column("内容", 90)])
    t.rows = [
        ["报表", "覆盖率报表" if r["kind"] == "coverage" else "短板清单"],
        ["范围", r["scope_title"]],
        ["截至日期", r["as_of"]],
        ["生成时间", r["generated"]],
        ["在期", "关系的开始日期不晚于截至日期、结束日期为空或不早于截至日期；双报到以报到日期为准"],
    ]
    t.rows += [[_name_and_definition(m.zh)[0], _name_and_definition(m.zh)[1]] for m in MEASURES]
    t.rows.append(["覆盖率为空", "总数为 0 时覆盖率留空（JSON 中为 0.0）"])
    return t


def report_tables(report: dict[str, Any]) -> list[Table]:
    """The report as tables, one per sheet, in reading order, ending with an explanation sheet."""
    tables = _coverage_tables(report) if report["kind"] == "coverage" else _gap_tables(report)
    return [*tables, _about(report)]


# ------------------------------------------------------------------------------------------------ files
def write_report(report: dict[str, Any], out: Path) -> list[Path]:
    """Write the report as `out`'s suffix asks; the files written.

    .xlsx: one sheet per table, print-ready. .csv: spreadsheets open one table per file, so `out` holds the first
    table and `<stem>-<sheet>.csv` beside it each further one (UTF-8 with BOM, which Excel reads as Chinese).
    .json: the report data itself.
    """
    out = Path(out)
    suffix = out.suffix.lower()
    writers: dict[str, Callable[[dict[str, Any], Path], list[Path]]] = {
        ".xlsx": _xlsx,
        ".csv": _csv,
        ".json": _json,
    }
    if suffix not in writers:
        raise ReportError(
            f"不支持的文件类型「{out.suffix or '（无扩展名）'}」：输出文件应以 .xlsx、.csv 或 .json 结尾"
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    return writers[suffix](report, out)


def _json(report: dict[str, Any], out: Path) -> list[Path]:
    out.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    return [out]


def _csv(report: dict[str, Any], out: Path) -> list[Path]:
    paths = []
    for i, t in enumerate(report_tables(report)):
        path = out if i == 0 else out.with_name(f"{out.stem}-{t.sheet}.csv")
        with open(path, "w", newline="", encoding="utf-8-sig") as f:
            w = csv.writer(f)
            w.writerow([c.header for c in t.columns])
            w.writerows(["" if v is None else v for v in row] for row in t.rows)
        paths.append(path)
    return paths


def _xlsx(report: dict[str, Any], out: Path) -> list[Path]:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    thin = Side(style="thin", color="A0A0A0")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    head_fill = PatternFill("solid", fgColor="C00000")
    head_font = Font(bold=True, color="FFFFFF")
    wrap = Alignment(wrap_text=True, vertical="top")
    scope_line = f"{report['scope_title']}  截至 {report['as_of']}"
    for t in report_tables(report):
        ws = wb.create_sheet(t.sheet)
        ws.append([c.header for c in t.columns])
        for row in t.rows:
            ws.append(["" if v is None else v for v in row])
        for j, c in enumerate(t.columns, start=1):
            letter = get_column_letter(j)
            ws.column_dimensions[letter].width = c.width
            head = ws.cell(row=1, column=j)
            head.font, head.fill, head.border = head_font, head_fill, border
            head.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
            for i in range(2, len(t.rows) + 2):
                cell = ws.cell(row=i, column=j)
                cell.border = border
                if c.fmt:
                    cell.number_format = c.fmt
                elif isinstance(cell.value, str):
                    cell.alignment = wrap
        ws.row_dimensions[1].height = 32
        ws.freeze_panes = "A2"
        if t.rows:
            ws.auto_filter.ref = f"A1:{get_column_letter(len(t.columns))}{len(t.rows) + 1}"
        # Print: landscape, as wide as the page, the header row on every page, title and page numbers.
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.print_title_rows = "1:1"
        ws.print_options.horizontalCentered = True
        ws.page_margins.left = ws.page_margins.right = 0.4
        ws.oddHeader.center.text = f"&B{t.title}"
        ws.oddHeader.right.text = scope_line
        ws.oddFooter.center.text = "第 &P 页，共 &N 页"
        ws.oddFooter.right.text = f"生成于 {report['generated']}"
    wb.properties.title = f"{'覆盖率报表' if report['kind'] == 'coverage' else '短板清单'}（{scope_line}）"
    wb.properties.creator = "orggraph"
    wb.save(out)
    return [out]
