"""`orggraph report coverage|gaps`: workbooks that open with Chinese headers and set widths, CSV files, JSON."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fixtures import small_district as fx
from fixtures.small_district import AS_OF, EXPECTED_GAPS, pid
from openpyxl import load_workbook
from orggraph.graph.store import Store
from orggraph.queries.reports import ReportError, build_report, report_tables, write_report
from orggraph.queries.scope import ScopeError


@pytest.fixture(scope="module")
def coverage_report(district: Store) -> dict[str, Any]:
    return build_report(district, "coverage", fx.D1, AS_OF)


@pytest.fixture(scope="module")
def gaps_report(district: Store) -> dict[str, Any]:
    return build_report(district, "gaps", fx.D1, AS_OF)


def rows_of(ws: Any) -> list[list[Any]]:
    return [list(r) for r in ws.iter_rows(values_only=True)]


def test_coverage_workbook(coverage_report: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "coverage.xlsx"
    assert write_report(coverage_report, out) == [out]
    wb = load_workbook(out)
    assert wb.sheetnames == ["覆盖率汇总", "按街道分列", "网格员负担", "双报到", "兼职委员", "说明"]
    summary = rows_of(wb["覆盖率汇总"])
    assert summary[0] == ["指标", "覆盖数", "总数", "覆盖率", "口径"]
    by_name = {r[0]: r[1:4] for r in summary[1:]}
    assert by_name["联建共建覆盖率"] == [2, 4, 0.5]
    assert by_name["专职网格员占比"] == [4, 5, 0.8]
    assert by_name["联户覆盖率"] == [5, 10, 0.5]
    assert len(summary) == 1 + 8
    ws = wb["覆盖率汇总"]
    assert ws.column_dimensions["A"].width == 22 and ws.column_dimensions["E"].width == 48
    assert ws["D2"].number_format == "0.0%"
    assert ws.freeze_panes == "A2"
    assert ws.page_setup.orientation == "landscape" and ws.print_title_rows == "$1:$1"
    assert "截至 2025-06-30" in ws.oddHeader.right.text
    streets = rows_of(wb["按街道分列"])
    assert streets[0][:4] == ["街道编码", "街道名称", "联建共建覆盖率（覆盖/总数）", "联建共建覆盖率"]
    assert [r[0] for r in streets[1:]] == [fx.S1, fx.S2]
    assert streets[1][2:4] == ["1/2", 0.5]
    load = {r[0]: r for r in rows_of(wb["网格员负担"])[1:]}
    assert load[fx.G112][4:] == [650, "台账户数", 1, "郭峰", 650, "是"]
    assert load[fx.G121][-1] == "无专职网格员" and load[fx.G121][-2] is None
    dual = {r[0]: r for r in rows_of(wb["双报到"])[1:]}
    assert dual[fx.C11][2:] == [2, 1, "万山区卫生健康局（义诊）"]
    ptm = {r[0]: r for r in rows_of(wb["兼职委员"])[1:]}
    assert ptm["PC21"][4:6] == [2, "沈涛、吕娟"] or ptm["PC21"][4:6] == [2, "吕娟、沈涛"]
    about = {r[0]: r[1] for r in rows_of(wb["说明"])[1:]}
    assert about["范围"] == "万山区（区县）" and about["截至日期"] == AS_OF


def test_gaps_workbook(gaps_report: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "sub" / "gaps.xlsx"
    write_report(gaps_report, out)
    wb = load_workbook(out)
    assert wb.sheetnames == [
        "短板汇总",
        "无共建社区",
        "无专职网格员网格",
        "超负荷网格",
        "联系点不合规",
        "唯一直接联系人",
        "无直接联系人网格",
        "网格员负担",
        "说明",
    ]
    want = EXPECTED_GAPS[(fx.D1, AS_OF)]
    counts = [r[1] for r in rows_of(wb["短板汇总"])[1:]]
    assert counts == [len(v) for v in want.values()]
    comms = rows_of(wb["无共建社区"])
    assert comms[0] == ["社区编码", "社区名称", "所属街道"]
    assert comms[1:] == [[fx.C12, "梅花社区", "谢桥街道"], [fx.C21, "冲广坪社区", "仁山街道"]]
    over = rows_of(wb["超负荷网格"])
    assert [r[0] for r in over[1:]] == [fx.G112, fx.G211]
    violations = rows_of(wb["联系点不合规"])
    assert violations[0][:4] == ["人员标识", "姓名", "职务", "联系人类别"]
    l4 = next(r for r in violations[1:] if r[0] == pid("L4"))
    assert l4[1:7] == ["程刚", "组织部副部长", "部务会成员", 0, 1, 2]
    assert "应联系" in l4[7] and "2 个网格" in l4[7]
    assert rows_of(wb["唯一直接联系人"])[1:] == [[pid("W2"), "郭峰", 1, fx.G112]]
    assert rows_of(wb["无直接联系人网格"])[1:] == [[fx.G212, "工业园专属网格", "冲广坪社区"]]
    assert wb["联系点不合规"].column_dimensions["H"].width == 56


def test_csv_files_one_per_table(gaps_report: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "gaps.csv"
    paths = write_report(gaps_report, out)
    assert paths[0] == out and len(paths) == len(report_tables(gaps_report))
    assert paths[1].name == "gaps-无共建社区.csv"
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8 with a BOM as Chinese
    with open(paths[4], encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0][0] == "人员标识" and len(rows) == 1 + 3


def test_json_is_the_report_data(
    gaps_report: dict[str, Any], coverage_report: dict[str, Any], tmp_path: Path
) -> None:
    out = tmp_path / "gaps.json"
    write_report(gaps_report, out)
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["gaps"]["overloaded_grids"] == [fx.G112, fx.G211]
    assert data["scope"] == {"label": "District", "code": fx.D1, "name": "万山区"} and data["as_of"] == AS_OF
    write_report(coverage_report, tmp_path / "c.json")
    assert (
        json.loads((tmp_path / "c.json").read_text(encoding="utf-8"))["coverage"]["cobuilding"]["total"] == 4
    )


def test_bad_kind_or_file_type(district: Store, gaps_report: dict[str, Any], tmp_path: Path) -> None:
    with pytest.raises(ReportError):
        build_report(district, "people", None, AS_OF)
    with pytest.raises(ReportError, match=".xlsx"):
        write_report(gaps_report, tmp_path / "gaps.pdf")
    with pytest.raises(ScopeError):
        build_report(district, "gaps", "nope", AS_OF)


@pytest.fixture
def cli_env(district: Any, falkor_data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from orggraph.settings import get_settings

    monkeypatch.setenv("ORGGRAPH_DATA_DIR", str(falkor_data_dir))
    monkeypatch.setenv("ORGGRAPH_GRAPH_NAME", district.graph_name)
    monkeypatch.delenv("ORGGRAPH_URI", raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_cli_report(cli_env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from orggraph.api.cli import main

    out = tmp_path / "r.xlsx"
    assert main(["report", "coverage", "--scope", fx.S1, "--as-of", AS_OF, "--out", str(out)]) == 0
    assert "谢桥街道" in capsys.readouterr().out
    assert rows_of(load_workbook(out)["按社区分列"])[1][0] == fx.C11
    assert main(["report", "gaps", "--out", str(tmp_path / "g.json")]) == 0  # whole graph, today
    assert json.loads((tmp_path / "g.json").read_text(encoding="utf-8"))["gaps"]["sole_contacts"] == [
        pid("W2")
    ]
    assert main(["report", "gaps", "--scope", "nope", "--out", str(tmp_path / "x.xlsx")]) == 2
    assert "找不到" in capsys.readouterr().err and not (tmp_path / "x.xlsx").exists()
    assert main(["report", "gaps", "--as-of", "2025-02-30", "--out", str(tmp_path / "x.csv")]) == 2
    assert main(["report", "gaps", "--out", str(tmp_path / "x.txt")]) == 2
