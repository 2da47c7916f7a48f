"""orggraph.sheets, the one look of every workbook: a table (title, scope by name, date, columns, rows)
becomes a sheet with a title row, a frozen header repeated on print, widths, number formats, row heights that
show wrapped text whole, （无） for empty tables and lists, and long lists spread over rows instead of hidden
in one cell."""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook

from orggraph.sheets import (
    EMPTY,
    MAX_LINES,
    Column,
    Table,
    display_width,
    flat_rows,
    text_height,
    write_table,
    write_tables,
)


def test_a_table_becomes_a_titled_print_ready_sheet(tmp_path: Path) -> None:
    units = [f"铜仁市万山区第{i}号共建单位（U{i:03d}）" for i in range(60)]
    t = Table(
        "社区",
        "社区与共建单位",
        [Column("社区名称", 14), Column("户数", 8, "#,##0"), Column("覆盖率", 9, "0.0%"), Column("单位", 30)],
        [["龙门社区", 1200, 0.5, units], ["梅花社区", 30, None, []], ["说明很长的一行" * 8, 1, 1.0, ["甲"]]],
    )
    empty = Table("空表", "没有内容的清单", [Column("编码", 16, "@"), Column("名称", 12)])
    out = write_tables(tmp_path / "r.xlsx", [t, empty], scope="万山区", as_of="2025-06-30", title="测试报表")
    wb = load_workbook(out)
    ws = wb["社区"]
    assert ws["A1"].value == "社区与共建单位\n万山区　截至 2025-06-30" and ws["A1"].font.b
    assert [c.value for c in ws[2]] == ["社区名称", "户数", "覆盖率", "单位"]
    assert ws.freeze_panes == "A3" and ws.print_title_rows == "$1:$2"
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1
    assert ws.page_margins.top > ws.page_margins.header  # room for the page header
    assert ws.column_dimensions["D"].width == 30 and ws["B3"].number_format == "#,##0"
    assert ws["C3"].number_format == "0.0%"
    # The 60 units did not fit MAX_LINES lines: they continue on the rows below, every one of them kept.
    col_d = [ws.cell(row=i, column=4).value for i in range(3, ws.max_row + 1)]
    first_rows = [v for v in col_d if v and "共建单位" in v]
    assert len(first_rows) > 1 and "、".join(first_rows).split("、") == units
    assert ws["A4"].value is None  # a continuation row leaves the other cells empty
    # Every row has a height that holds its text; no row is taller than the cap allows.
    heights = [ws.row_dimensions[i].height for i in range(3, ws.max_row + 1)]
    assert all(h and h >= 18 for h in heights) and max(heights) <= (MAX_LINES + 1) * 15 + 4
    long_row = next(
        i for i in range(3, ws.max_row + 1) if str(ws.cell(row=i, column=1).value).startswith("说明很长")
    )
    assert ws.row_dimensions[long_row].height > 40  # 56 characters in a 14-wide column: several lines
    plum = next(i for i in range(3, ws.max_row + 1) if ws.cell(row=i, column=1).value == "梅花社区")
    assert ws.cell(row=plum, column=4).value == EMPTY and ws.cell(row=plum, column=3).value is None
    e = wb["空表"]
    assert e["A3"].value == EMPTY and e.max_row == 3 and e.column_dimensions["A"].width == 16
    assert wb.properties.title == "测试报表（万山区  截至 2025-06-30）"
    # CSV rows join a list into one cell.
    assert flat_rows(t)[0][3] == "、".join(units) and flat_rows(t)[1][2] == ""


def test_measures() -> None:
    assert display_width("龙门社区") == 8 and display_width("G112") == 4 and display_width("１") == 2
    assert text_height(["短"], [10]) == text_height([""], [10]) <= 20
    assert text_height(["字" * 40], [10.0]) > text_height(["字" * 20], [10.0]) > 18
    assert text_height(["一\n二\n三"], [40]) >= 3 * 15


def test_write_table_is_one_call_for_other_exporters(tmp_path: Path) -> None:
    out = write_table(
        tmp_path / "页面.xlsx",
        title="联建共建网络：单位/社区",
        scope="万山区 仁山街道",
        as_of="2025-06-30",
        columns=["单位名称", "社区数", Column("覆盖率", 9, "0.0%")],
        rows=[["铜仁万山供电有限公司", 12345, 0.5], ["短", 1, None]],
    )
    ws = load_workbook(out).active
    assert ws.title == "联建共建网络：单位_社区"  # a sheet name cannot hold "/"
    assert ws["A1"].value == "联建共建网络：单位/社区\n万山区 仁山街道　截至 2025-06-30"
    assert [c.value for c in ws[2]] == ["单位名称", "社区数", "覆盖率"]
    assert ws.column_dimensions["A"].width == display_width("铜仁万山供电有限公司") + 2
    assert ws.column_dimensions["B"].width == 8 and ws["C3"].number_format == "0.0%"
    assert ws["B3"].value == 12345 and ws.print_title_rows == "$1:$2"
    assert text_height(["字" * 10000], [10]) == 409  # never taller than a spreadsheet keeps
