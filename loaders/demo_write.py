"""Writing the demo ledgers: one CSV per ledger as rows are generated (`_Out`), the workbook form
(`--xlsx`), the refusal of a folder holding the other form, and the message that says how to load them.
"""

from __future__ import annotations

import csv
import itertools
import shlex
from datetime import date
from pathlib import Path
from typing import IO, Any

from orggraph.loaders.demo_names import _CITY
from orggraph.loaders.read import LEDGERS

__all__ = ["WORKBOOK_NAME", "LEDGER_HEADERS", "written_message"]

# Ledger name (file stem and sheet name) -> header, in the order the files are listed (ledgers.md): the
# ledger specification's template headers (orggraph.loaders.read.LEDGERS), so the demo writes what load reads.
LEDGER_HEADERS: dict[str, tuple[str, ...]] = {
    spec.zh: tuple(c.zh for c in spec.columns) for spec in LEDGERS.values()
}
WORKBOOK_NAME = "台账.xlsx"
_INT_COLUMNS = frozenset({"户数", "人口"})
_DATE_COLUMNS = frozenset({"开始日期", "结束日期", "报到日期"})
_WIDTH_SAMPLE = 2000  # rows of each ledger the workbook's column widths are fitted to
_XLSX_MAX_ROWS = 1_048_575  # Excel's sheet limit minus the header


class _Out:
    """One CSV per ledger, written as rows are generated."""

    def __init__(self, out_dir: Path) -> None:
        out_dir.mkdir(parents=True, exist_ok=True)
        self.files: dict[str, IO[str]] = {}
        self.writers: dict[str, Any] = {}
        self.counts = dict.fromkeys(LEDGER_HEADERS, 0)
        for name, header in LEDGER_HEADERS.items():
            # UTF-8 with BOM: what spreadsheet software opens correctly when a user double-clicks the file.
            f = open(out_dir / f"{name}.csv", "w", encoding="utf-8-sig", newline="", buffering=1 << 20)
            self.files[name] = f
            self.writers[name] = csv.writer(f)
            self.writers[name].writerow(header)

    def write(self, ledger: str, row: list[str]) -> None:
        self.writers[ledger].writerow(row)
        self.counts[ledger] += 1

    def write_many(self, ledger: str, rows: list[list[str]]) -> None:
        self.writers[ledger].writerows(rows)
        self.counts[ledger] += len(rows)

    def close(self) -> None:
        for f in self.files.values():
            f.close()


def _refuse_mixed_output(out_dir: Path, xlsx: bool) -> None:
    """ValueError when `out_dir` holds demo ledgers of the other form (a workbook and CSVs: each ledger
    twice)."""
    if xlsx:
        found = [f"{name}.csv" for name in LEDGER_HEADERS if (out_dir / f"{name}.csv").exists()]
    else:
        found = [WORKBOOK_NAME] if (out_dir / WORKBOOK_NAME).exists() else []
    if found:
        shown = "、".join(found[:3]) + (" 等" if len(found) > 3 else "")
        raise ValueError(
            f"输出文件夹 {out_dir} 中已有 {shown}：与{'工作簿' if xlsx else ' CSV 文件'}放在一起时，"
            "导入这个文件夹"
            "会把每个台账算两次。请换一个输出文件夹，或先删除这些文件。"
        )


def _write_workbook(csv_dir: Path, path: Path) -> None:
    """Copy the CSVs into one workbook, counts as numbers and dates as real date cells (as users keep them),
    formatted as `orggraph template` formats a ledger: widths, text ID/code columns, date format, a bold
    frozen header repeated on every printed page, landscape.

    Saved under a temporary name and then renamed: the workbook is whole or absent.
    """
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter
    from orggraph.loaders.read import LEDGERS, ColumnSpec, ledger_for_name
    from orggraph.loaders.template import column_width, header_cells, setup_ledger_sheet

    from orggraph.sheets import display_width, save_workbook

    _TEXT_COLUMN = ColumnSpec("other", "")  # every demo header is a ledger column; a stand-in
    wb = Workbook(write_only=True)
    for name in LEDGER_HEADERS:
        ws = wb.create_sheet(name)
        spec = LEDGERS[ledger_for_name(name) or ""]
        with open(csv_dir / f"{name}.csv", encoding="utf-8-sig", newline="") as f:
            reader = csv.reader(f)
            header = next(reader)
            columns = [spec.column_for(h) or _TEXT_COLUMN for h in header]
            setup_ledger_sheet(ws, spec, columns, title=f"{name}台账（演示数据）", scope=_CITY)
            # Widths are set before the rows stream in: fit them to the first rows (the demo's codes, e.g. a
            # party organization's, can be longer than the usual ones).
            sample = list(itertools.islice(reader, _WIDTH_SAMPLE))
            for j, col in enumerate(columns):
                widest = max((display_width(r[j]) for r in sample if j < len(r)), default=0)
                letter = get_column_letter(j + 1)
                ws.column_dimensions[letter].width = max(column_width(col), min(50.0, widest + 2.0))
            f.seek(0)
            reader = csv.reader(f)
            next(reader)
            ws.append(header_cells(ws, header))
            ints = [i for i, h in enumerate(header) if h in _INT_COLUMNS]
            dates = [i for i, h in enumerate(header) if h in _DATE_COLUMNS]
            for row in reader:
                cells: list[object] = [v or None for v in row]
                for i in ints:
                    cells[i] = int(row[i]) if row[i] else None
                for i in dates:
                    cells[i] = date.fromisoformat(row[i]) if row[i] else None
                ws.append(cells)
    save_workbook(wb, path)


def written_message(out_dir: Path, xlsx: bool) -> str:
    """What generate() wrote into `out_dir`, and the command that loads it."""
    folder = shlex.quote(str(out_dir))
    if xlsx:
        book = out_dir / WORKBOOK_NAME
        return (
            f"演示台账已写入 {book}（每个台账一个工作表）。"
            f"导入：orggraph load {shlex.quote(str(book))}（或 orggraph load {folder}）"
        )
    return f"演示台账已写入 {out_dir}（每个台账一个 CSV 文件）。导入：orggraph load {folder}"
