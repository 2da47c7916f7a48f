"""The list pages: search results, what one coverage measure does not cover, and the explained gap lists —
each a printable table with an `.xlsx` export of what it shows.

A table here is `Table(title, columns, rows)`: rows are lists of cells, a cell a string or {"text", "href"}.
The page draws it with `list_table.html`; `xlsx_of` writes the same rows (texts only) into a workbook.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

from orggraph.graph.schema import display_name
from orggraph.graph.store import Store
from orggraph.queries.cache import cached
from orggraph.queries.coverage import OVERLOAD_HOUSEHOLDS, gap_details
from orggraph.queries.network import names
from orggraph.queries.policy import Access
from orggraph.queries.search import KIND_ZH, search, where_of
from orggraph.queries.uncovered import uncovered
from orggraph.viz.access import page_setup, scope_context, scope_title, viewer_or_default
from orggraph.viz.pickers import pickers
from orggraph.viz.render import Links, find_context, render

__all__ = [
    "Table",
    "page_links",
    "build_find",
    "build_uncovered",
    "gap_tables",
    "xlsx_of",
    "UNCOVERED_PAGE",
    "XLSX_CAP",
    "XLSX_TYPE",
]

UNCOVERED_PAGE = 200  # items per page of the uncovered list
XLSX_CAP = 50_000  # rows an export holds at most (a city's households are paged on the page itself)
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    id: str = ""
    total: int | None = None  # when the rows are one page of more
    hint: str = ""

    @property
    def count(self) -> int:
        return self.total if self.total is not None else len(self.rows)


def _text(cell: Any) -> str:
    if isinstance(cell, dict):
        return str(cell.get("text") or "")
    return "" if cell is None else str(cell)


def xlsx_of(tables: list[Table], heading: str) -> bytes:
    """A workbook with one sheet per table: a title row, the header row (bold, frozen), the rows as texts."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    wb.remove(wb.active)
    used: set[str] = set()
    for t in tables or [Table("空", ["说明"], [["没有数据"]])]:
        name = "".join(ch for ch in t.title if ch not in "[]:*?/\\")[:28] or "表"
        while name in used:
            name = name[:26] + f"{len(used)}"
        used.add(name)
        ws = wb.create_sheet(name)
        ws.append([f"{heading} · {t.title}"])
        ws["A1"].font = Font(bold=True, size=13)
        ws.append(t.columns)
        for c in ws[2]:
            c.font = Font(bold=True)
        ws.freeze_panes = "A3"
        widths = [len(c) * 2 + 2 for c in t.columns]
        for row in t.rows[:XLSX_CAP]:
            texts = [_text(c) for c in row]
            ws.append(texts)
            for i, v in enumerate(texts[: len(widths)]):
                widths[i] = min(60, max(widths[i], len(v) * 2 + 2))
        if len(t.rows) > XLSX_CAP:
            ws.append([f"只导出前 {XLSX_CAP:,} 行，共 {len(t.rows):,} 行：请缩小范围后再导出。"])
        for i, w in enumerate(widths):
            ws.column_dimensions[chr(ord("A") + i) if i < 26 else "Z"].width = w
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def page_links(
    links: Links, path: str, total: int, offset: int, size: int, **query: Any
) -> list[dict[str, Any]]:
    """Links to the pages of a long list: the first 30, those near the current one, and the last."""
    out: list[dict[str, Any]] = []
    if total <= size:
        return out
    for start in range(0, total, size):
        if len(out) >= 30 and start + size < total and abs(start - offset) > size * 3:
            continue
        out.append(
            {
                "text": f"{start + 1:,}–{min(start + size, total):,}",
                "href": links.href(path, **query, offset=start or None),
                "here": start == offset,
            }
        )
    return out


def _link(text: str, href: str | None) -> Any:
    return {"text": text, "href": href} if href else text


# ------------------------------------------------------------------------------------------------ search
def build_find(
    store: Store,
    q: str | None,
    *,
    as_of: str | None = None,
    viewer: Access | None = None,
    links: Links | None = None,
    inline_assets: bool = False,
) -> str:
    """The results of the header search box as a page (Enter in the box, or no JavaScript)."""
    day, links, _ = page_setup(store, None, as_of, viewer, links)
    hits = search(store, q or "", viewer_or_default(viewer), limit=50) if q else []
    table = Table("搜索结果", ["类型", "名称", "位置（街道 / 社区）", "编码"], id="results")
    for h in hits:
        table.rows.append(
            [
                KIND_ZH[h["kind"]],
                _link(h["name"], links.ego(h["key"])),
                h["where"],
                h["key"] if h["kind"] != "person" else "",
            ]
        )
    notes = (
        [] if hits or not q else [f"没有找到「{q}」：可输入姓名、名称、拼音首字母（如“zxy”）或编码的开头。"]
    )
    return render(
        "list_table.html",
        title=f"搜索：{q}" if q else "搜索",
        subtitle="可按姓名、名称、拼音首字母或编码查找；点击名称查看其关系图"
        if q
        else "在上方搜索框输入姓名、名称、拼音首字母或编码",
        links=links,
        inline_assets=inline_assets,
        as_of=day,
        notes=notes,
        here="",
        tables=[table] if q else [],
        find=find_context(links, q),
        export_href=None,
    )


# --------------------------------------------------------------------------------------------- uncovered
def uncovered_table(
    store: Store,
    measure: str,
    scope: str | None,
    day: str,
    links: Links,
    *,
    offset: int = 0,
    limit: int = UNCOVERED_PAGE,
) -> tuple[Table, dict[str, Any]]:
    got = uncovered(store, measure, scope, day, offset=offset, limit=limit)
    zh = display_name(got["level"])
    t = Table(got["zh"], [zh, "位置（街道 / 社区）", "原因", "编码"], id="uncovered", total=got["total"])
    for it in got["items"]:
        t.rows.append([_link(it["name"], links.ego(it["key"])), it["where"], it["why"], it["key"]])
    return t, got


def build_uncovered(
    store: Store,
    measure: str,
    scope: str | None = None,
    *,
    offset: int = 0,
    as_of: str | None = None,
    viewer: Access | None = None,
    links: Links | None = None,
    inline_assets: bool = False,
) -> str:
    """What one coverage measure does not cover in a scope, paged: as many as the overview card says."""
    day, links, sref = page_setup(store, scope, as_of, viewer, links)
    code = sref.key if sref else None
    table, got = uncovered_table(store, measure, code, day, links, offset=offset)
    zh = display_name(got["level"])
    pages = page_links(
        links, "/pages/uncovered", got["total"], offset, UNCOVERED_PAGE, measure=measure, scope=code
    )
    return render(
        "list_table.html",
        title=f"未覆盖的{zh} · {scope_title(sref)}",
        subtitle=f"{got['zh']}：共 {got['total']:,} {'' if zh == '户' else '个'}{zh}未覆盖"
        + (
            f"，本页第 {offset + 1:,}–{offset + len(table.rows):,} 个"
            if got["total"] > UNCOVERED_PAGE
            else ""
        ),
        links=links,
        inline_assets=inline_assets,
        as_of=day,
        scope=scope_context(sref),
        here="概览",
        tables=[table],
        page_links=pages,
        pickers=pickers(
            store,
            viewer_or_default(viewer),
            links,
            "/pages/uncovered",
            day,
            scope=code,
            keep={"measure": measure},
        ),
        export_href=links.href("/pages/uncovered.xlsx", measure=measure, scope=code),
        back_href=links.href("/pages/overview", scope=code),
    )


# ----------------------------------------------------------------------------------------------- gaps
def gap_tables(store: Store, scope: str | None, day: str, links: Links, viewer: Access) -> list[Table]:
    """The six gap lists with where each entry lies and why it is listed (rule and counts per level; the grids
    a sole contact holds; a grid's load)."""
    # A city's lists take seconds (the contact rule check alone reads every leader's contact points): computed
    # once per version of the data, like the overview's figures.
    d = cached(
        store, ("gap_details", scope, day), lambda: gap_details(store, scope, day), versioned_only=True
    ).value
    people = viewer.people
    region_cols = ["名称", "位置（街道 / 社区）", "原因"]

    def pl(pid: str, name: str) -> Any:
        return _link(name or "人员", links.ego(pid) if people else None)

    grid_where = where_of(
        store,
        "grid",
        sorted(
            {
                g["code"]
                for k in ("grids_without_fulltime", "overloaded_grids", "grids_without_direct_contact")
                for g in d[k]
            }
        ),
    )
    comm_where = where_of(store, "community", [c["code"] for c in d["communities_without_cobuilding"]])
    pids = sorted({p["pid"] for k in ("contact_rule_violations", "sole_contacts") for p in d[k]})
    person_where = where_of(store, "person", pids)
    grid_names = names(store, "Grid", sorted({g for p in d["sole_contacts"] for g in p["grids"]}))

    t1 = Table(
        "没有在期共建单位的社区",
        region_cols,
        id="communities_without_cobuilding",
        hint="联系辖区单位签订共建协议，录入联建共建台账",
    )
    for c in d["communities_without_cobuilding"]:
        t1.rows.append(
            [
                _link(c["name"] or c["code"], links.ego(c["code"])),
                comm_where.get(c["code"], ""),
                "没有在期的联建共建单位",
            ]
        )
    t2 = Table(
        "没有专职网格员的网格",
        region_cols,
        id="grids_without_fulltime",
        hint="配备专职网格员，录入网格力量台账",
    )
    for g in d["grids_without_fulltime"]:
        t2.rows.append(
            [
                _link(g["name"] or g["code"], links.ego(g["code"])),
                grid_where.get(g["code"], ""),
                f"{g['households']:,} 户，没有在期的专职网格员",
            ]
        )
    t3 = Table(
        f"专职网格员负担过重的网格（每人超过 {OVERLOAD_HOUSEHOLDS} 户）",
        region_cols,
        id="overloaded_grids",
        hint="增配专职网格员或调整网格",
    )
    for g in d["overloaded_grids"]:
        who = "、".join(w["name"] for w in g["workers"]) if people else f"{g['fulltime']} 人"
        t3.rows.append(
            [
                _link(g["name"] or g["code"], links.ego(g["code"])),
                grid_where.get(g["code"], ""),
                f"{g['households']:,} 户 ÷ {g['fulltime']} 名专职网格员（{who}）= 每人 {g['load']:,.0f} 户",
            ]
        )
    t4 = Table(
        "联系点不符合规定的领导",
        ["姓名", "位置（街道 / 社区）", "原因", "职务"],
        id="contact_rule_violations",
        hint="按联系人类别调整联系点（见台账说明）",
    )
    for p in d["contact_rule_violations"]:
        levels = "；".join(
            f"{display_name(b['level'])}应 {b['required']} 个、实际 {b['actual']} 个" for b in p["broken"]
        )
        t4.rows.append(
            [
                pl(p["pid"], p["name"]),
                person_where.get(p["pid"], ""),
                f"{p['rule']}（{levels}）",
                "、".join(p["titles"]),
            ]
        )
    t5 = Table(
        "唯一直接联系人（其离开后有网格无人直接联系）",
        ["姓名", "位置（街道 / 社区）", "原因"],
        id="sole_contacts",
        hint="为相关网格增加第二名直接联系人",
    )
    for p in d["sole_contacts"]:
        grids = "、".join(grid_names.get(g) or g for g in p["grids"])
        t5.rows.append(
            [
                pl(p["pid"], p["name"]),
                person_where.get(p["pid"], ""),
                f"是 {len(p['grids'])} 个网格唯一的直接联系人：{grids}",
            ]
        )
    t6 = Table(
        "没有直接联系人的网格",
        region_cols,
        id="grids_without_direct_contact",
        hint="安排网格员或联系领导直接联系",
    )
    for g in d["grids_without_direct_contact"]:
        t6.rows.append(
            [
                _link(g["name"] or g["code"], links.ego(g["code"])),
                grid_where.get(g["code"], ""),
                "没有在期的网格力量或联系领导直接联系",
            ]
        )
    return [t1, t2, t3, t4, t5, t6]
