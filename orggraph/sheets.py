"""One look for every workbook orggraph writes (reports, the demo ledgers, ledger templates, page exports).

A printed table is read on paper, so every sheet gets: a title row (title, scope *by name*, date), a bold
coloured header that is frozen and repeated on every printed page, set column widths, explicit row heights
for wrapped text (LibreOffice and WPS do not grow a row by themselves, so text would print over the next
row), "（无）" when a table or a list is empty, and A4 landscape pages fitted to the width.

The simple way in is `write_table(path, title=…, scope=…, as_of=…, columns=[…], rows=[…])` for one table
(columns as `Column`s or bare headers, widths then fitted to the content), or
`write_tables(path, tables, scope=…, as_of=…)` with `Table`s of `Column`s and rows.
A cell may hold a list: it is written as one cell "甲、乙、丙" while that fits in `MAX_LINES` lines of its
column, and otherwise spread over continuation rows, one slice per row, so a long list never hides.
Ledger workbooks (whose header must stay in row 1 for `orggraph load`) use the parts: `style_header`,
`set_widths`, `print_setup`, `text_height`.
"""

from __future__ import annotations

import datetime as _dt
import math
import os
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "EMPTY",
    "LIST_SEP",
    "MAX_LINES",
    "Column",
    "Table",
    "add_table",
    "display_width",
    "new_workbook",
    "print_setup",
    "save_workbook",
    "set_widths",
    "style_header",
    "text_height",
    "write_table",
    "write_tables",
]

EMPTY = "（无）"
LIST_SEP = "、"
MAX_LINES = 12  # a cell taller than this is split over continuation rows
LINE_POINTS = 15.0  # one line of 11-point CJK text, with its leading, as LibreOffice and Excel print it
PAD_POINTS = 4.0
MIN_ROW_POINTS = 18.0
MAX_ROW_POINTS = 409.0  # the tallest row a spreadsheet keeps
HEAD_FILL = "C00000"
EXAMPLE_FILL = "FFF2CC"
DATE_FORMAT = "yyyy-mm-dd"
TEXT_FORMAT = "@"


@dataclass(frozen=True)
class Column:
    header: str  # Chinese
    width: float  # in characters, as a spreadsheet counts them (a Chinese character is about two)
    fmt: str | None = None  # number format: "0.0%", "0.0", "#,##0", "@" (text), "yyyy-mm-dd"
    # The cell of one source row, for tables declared as a list of columns (`Table.filled`).
    value: Callable[[Any], Any] | None = field(default=None, compare=False, repr=False)


def key(name: str) -> Callable[[Any], Any]:
    """A column's value: the row's field `name` (`Column("网格编码", 18, "@", key("code"))`)."""
    return lambda row: row[name]


@dataclass
class Table:
    sheet: str  # at most 31 characters, none of []:*?/\
    title: str  # the title row, and printed at the top of every page
    columns: list[Column]
    rows: list[list[Any]] = field(default_factory=list)  # a cell may be a list of texts

    def filled(self, source: Iterable[Any]) -> Table:
        """The table with one row per source row, each cell its column's `value` of it."""
        getters = [c.value for c in self.columns]
        if any(g is None for g in getters):
            raise ValueError(f"{self.sheet}: every column needs a value to fill the table from rows")
        self.rows.extend([g(r) for g in getters if g is not None] for r in source)
        return self


# ------------------------------------------------------------------------------------------------ measure
def display_width(text: str) -> int:
    """Columns a text takes as a spreadsheet counts them: wide (CJK, full-width) characters count two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _lines(text: str, width: float) -> int:
    usable = max(width - 1.5, 2.0)  # cell padding
    return sum(max(1, math.ceil(display_width(part) / usable)) for part in str(text).split("\n"))


def text_height(values: Sequence[Any], widths: Sequence[float]) -> float:
    """The row height (points) that shows every wrapped text cell of a row whole."""
    lines = 1
    for v, w in zip(values, widths, strict=False):
        if isinstance(v, str) and v:
            lines = max(lines, _lines(v, w))
    return min(MAX_ROW_POINTS, max(MIN_ROW_POINTS, lines * LINE_POINTS + PAD_POINTS))


def _split_list(items: list[str], width: float) -> list[str]:
    """Join the items, slicing them into pieces of at most MAX_LINES lines of a column `width` wide."""
    if not items:
        return [EMPTY]
    pieces: list[str] = []
    current: list[str] = []
    for item in items:
        trial = LIST_SEP.join([*current, item])
        if current and _lines(trial, width) > MAX_LINES:
            pieces.append(LIST_SEP.join(current))
            current = [item]
        else:
            current.append(item)
    pieces.append(LIST_SEP.join(current))
    return pieces


def expand_rows(table: Table) -> list[list[Any]]:
    """The table's rows as sheet rows: list cells joined, or spread over continuation rows when long."""
    out: list[list[Any]] = []
    for row in table.rows:
        split = [
            _split_list([str(x) for x in v], c.width) if isinstance(v, list | tuple) else [v]
            for v, c in zip(row, table.columns, strict=False)
        ]
        depth = max((len(s) for s in split), default=1)
        for i in range(depth):
            out.append([s[i] if i < len(s) else None for s in split] if i else [s[0] for s in split])
    return out


def flat_rows(table: Table) -> list[list[Any]]:
    """The rows with list cells joined into one text (for CSV), "" for empty cells."""
    return [
        [LIST_SEP.join(map(str, v)) if isinstance(v, list | tuple) else ("" if v is None else v) for v in row]
        for row in table.rows
    ]


# ------------------------------------------------------------------------------------------------ styling
def _styles() -> dict[str, Any]:
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    thin = Side(style="thin", color="A0A0A0")
    return {
        "border": Border(left=thin, right=thin, top=thin, bottom=thin),
        "head_fill": PatternFill("solid", fgColor=HEAD_FILL),
        "head_font": Font(bold=True, color="FFFFFF"),
        "head_align": Alignment(horizontal="center", vertical="center", wrap_text=True),
        "wrap": Alignment(wrap_text=True, vertical="top"),
        "top": Alignment(vertical="top"),
        "title_font": Font(bold=True, size=13),
        "title_align": Alignment(horizontal="left", vertical="center", wrap_text=True),
    }


def set_widths(ws: Any, widths: Sequence[float]) -> None:
    from openpyxl.utils import get_column_letter

    for j, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = w


def style_header(ws: Any, headers: Sequence[str], widths: Sequence[float], row: int = 1) -> None:
    """A bold, coloured, centred header row whose height shows every header whole, frozen below it."""
    st = _styles()
    for j, h in enumerate(headers, start=1):
        cell = ws.cell(row=row, column=j)
        if cell.value is None:
            cell.value = h
        cell.font, cell.fill, cell.border, cell.alignment = (
            st["head_font"],
            st["head_fill"],
            st["border"],
            st["head_align"],
        )
    # Headers break only between words when each fits on its line; give them two lines at most.
    ws.row_dimensions[row].height = max(24.0, text_height(list(headers), widths) + 4)
    ws.freeze_panes = f"A{row + 1}"  # (ws.cell would create row+1 and shift the next append)


def print_setup(
    ws: Any, *, title: str, scope_line: str, header_rows: str, landscape: bool = True, footer_right: str = ""
) -> None:
    """A4, landscape, fitted to the page width, `header_rows` repeated on every page, title and page
    numbers."""
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.paperSize = "9"  # A4 (Worksheet.PAPERSIZE_A4; write-only sheets lack the constant)
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = header_rows
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    # The page header and footer need room of their own, or they print cut in half over the table.
    ws.page_margins.top = ws.page_margins.bottom = 0.8
    ws.page_margins.header = ws.page_margins.footer = 0.3
    ws.oddHeader.center.text = f"&B{title}"
    ws.oddHeader.right.text = scope_line
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"
    if footer_right:
        ws.oddFooter.right.text = footer_right


def new_workbook() -> Any:
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    return wb


def scope_line(scope: str, as_of: str) -> str:
    return f"{scope}  截至 {as_of}"


def add_table(wb: Any, table: Table, *, scope: str, as_of: str, generated: str | None = None) -> Any:
    """Add `table` as a sheet: title row (title, scope, date), header row, rows; styled and print-ready."""
    from openpyxl.utils import get_column_letter

    st = _styles()
    ws = wb.create_sheet(table.sheet)
    # A header fits on one line: wrapped, Chinese breaks anywhere ("唯一联系的户/数").
    widths = [max(c.width, display_width(c.header) + 2.0) for c in table.columns]
    ncol = len(table.columns)
    line = scope_line(scope, as_of)
    # Title on the first line, scope and day on the second: a narrow table wraps between them, not mid-date.
    title = f"{table.title}\n{scope}　截至 {as_of}"
    cell = ws.cell(row=1, column=1, value=title)
    cell.font, cell.alignment = st["title_font"], st["title_align"]
    if ncol > 1:
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=ncol)
    # The title spans the table; its 13-point characters are wider than the body's.
    ws.row_dimensions[1].height = _lines(title, max(sum(widths), 10.0) / 1.25) * 18 + 6
    ws.append([c.header for c in table.columns])
    style_header(ws, [c.header for c in table.columns], widths, row=2)
    set_widths(ws, widths)
    rows = expand_rows(table)
    if not rows:
        ws.append([EMPTY] + [None] * (ncol - 1))
        cell = ws.cell(row=3, column=1)
        cell.alignment = st["top"]
        ws.row_dimensions[3].height = MIN_ROW_POINTS + 2
        if ncol > 1:
            ws.merge_cells(start_row=3, start_column=1, end_row=3, end_column=ncol)
    for i, row in enumerate(rows, start=3):
        ws.append(row)
        for j, c in enumerate(table.columns, start=1):
            cell = ws.cell(row=i, column=j)
            cell.border = st["border"]
            if c.fmt:
                cell.number_format = c.fmt
            cell.alignment = st["wrap"] if isinstance(cell.value, str) else st["top"]
        ws.row_dimensions[i].height = text_height(row, widths)
    if rows:
        ws.auto_filter.ref = f"A2:{get_column_letter(ncol)}{len(rows) + 2}"
    print_setup(
        ws,
        title=table.title,
        scope_line=line,
        header_rows="1:2",
        footer_right=f"生成于 {generated}" if generated else "",
    )
    ws.oddHeader.center.text = ws.oddHeader.right.text = ""  # the title row repeats on every page instead
    return ws


def save_workbook(wb: Any, path: Path) -> Path:
    """Save under a temporary name, then rename: the workbook is whole or absent."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        wb.save(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def write_tables(
    path: Path,
    tables: Iterable[Table],
    *,
    scope: str,
    as_of: str | _dt.date | None = None,
    title: str | None = None,
    generated: str | None = None,
) -> Path:
    """Write `tables` (one sheet each) as a print-ready workbook at `path`; the path.

    `scope` is the scope by name ("万山区"), `as_of` the day the figures hold for (default today).
    """
    day = as_of if isinstance(as_of, str) else (as_of or _dt.date.today()).isoformat()
    wb = new_workbook()
    for t in tables:
        add_table(wb, t, scope=scope, as_of=day, generated=generated)
    wb.properties.title = f"{title or ''}（{scope_line(scope, day)}）" if title else scope_line(scope, day)
    wb.properties.creator = "orggraph"
    return save_workbook(wb, path)


def fitted_column(header: str, values: Iterable[Any], fmt: str | None = None) -> Column:
    """A column as wide as its header and its values need (between 8 and 50 characters)."""
    widest = display_width(header)
    for v in values:
        texts = v if isinstance(v, list | tuple) else [v]
        for t in texts:
            if t is not None:
                widest = max(widest, display_width(f"{t:,}" if isinstance(t, int) else str(t)))
    return Column(header, float(min(50, max(8, widest + 2))), fmt)


def write_table(
    path: Path,
    *,
    title: str,
    scope: str,
    columns: Sequence[Column | str],
    rows: Sequence[Sequence[Any]],
    as_of: str | _dt.date | None = None,
    sheet: str | None = None,
    generated: str | None = None,
) -> Path:
    """One table as a print-ready workbook: what a page's or a report's "export as .xlsx" needs.

    `columns`: `Column`s, or bare headers (then widths fit the content and numbers keep the "General" format).
    """
    cols = [
        c if isinstance(c, Column) else fitted_column(c, (r[j] if j < len(r) else None for r in rows))
        for j, c in enumerate(columns)
    ]
    name = (sheet or title)[:31]
    for ch in "[]:*?/\\":
        name = name.replace(ch, "_")
    table = Table(name, title, cols, [list(r) for r in rows])
    return write_tables(path, [table], scope=scope, as_of=as_of, title=title, generated=generated)
