"""`orggraph report coverage|gaps|analytics`: workbooks that open with Chinese headers and set widths, CSV
files, JSON."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fixtures import small_district as fx
from fixtures.small_district import AS_OF, BEFORE, EXPECTED_GAPS, pid
from openpyxl import load_workbook
from orggraph.graph.store import Store
from orggraph.queries import analytics
from orggraph.queries.reports import ReportError, build_report, report_tables, write_report
from orggraph.queries.scope import ScopeError
from support.stores import point_env_at


@pytest.fixture
def coverage_report(district: Store) -> dict[str, Any]:
    return build_report(district, "coverage", fx.D1, AS_OF)


@pytest.fixture
def gaps_report(district: Store) -> dict[str, Any]:
    return build_report(district, "gaps", fx.D1, AS_OF)


@pytest.fixture
def analytics_report(district: Store) -> dict[str, Any]:
    return build_report(district, "analytics", None, AS_OF)


def rows_of(ws: Any) -> list[list[Any]]:
    """The header row and the rows below it (row 1 is the sheet's title)."""
    return [list(r) for r in ws.iter_rows(min_row=2, values_only=True)]


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
    assert ws.column_dimensions["A"].width == 22 and ws.column_dimensions["E"].width == 56
    assert ws["D3"].number_format == "0.0%"
    assert ws.freeze_panes == "A3"
    assert ws.page_setup.orientation == "landscape" and ws.print_title_rows == "$1:$2"
    assert "截至 2025-06-30" in ws["A1"].value  # the title row, repeated on every printed page
    # The title row names the table, the scope by name and the day.
    assert ws["A1"].value == "覆盖率汇总\n万山区　截至 2025-06-30" and ws["A1"].font.b
    assert ws.row_dimensions[1].height >= 2 * 18 and "A1:E1" in {str(m) for m in ws.merged_cells.ranges}
    # One row per street and measure: covered and total are numbers, not "1/2" text.
    streets = rows_of(wb["按街道分列"])
    assert streets[0] == ["街道名称", "街道编码", "指标", "覆盖数", "总数", "覆盖率"]
    assert [r[1] for r in streets[1:]] == [fx.S1] * 8 + [fx.S2] * 8
    assert streets[1][2:] == ["联建共建覆盖率", 1, 2, 0.5]
    load = {r[1]: r for r in rows_of(wb["网格员负担"])[1:]}
    assert load[fx.G112][4:] == [650, "台账户数", 1, "郭峰", 650, "是"]
    assert load[fx.G121][-1] == "无专职网格员" and load[fx.G121][-2] is None and load[fx.G121][-3] == "（无）"
    dual = {r[1]: r for r in rows_of(wb["双报到"])[1:]}
    assert dual[fx.C11][2:] == [2, 1, "万山区卫生健康局（义诊）"]
    ptm = {r[1]: r for r in rows_of(wb["兼职委员"])[1:]}
    assert ptm["PC21"][4:6] == [2, "沈涛、吕娟"] or ptm["PC21"][4:6] == [2, "吕娟、沈涛"]
    about = {r[0]: r[1] for r in rows_of(wb["说明"])[1:]}
    assert about["范围"] == "万山区" and about["截至日期"] == AS_OF
    assert "JSON" not in str(about)


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
    assert comms[0] == ["社区名称", "社区编码", "所属街道"]
    assert comms[1:] == [["梅花社区", fx.C12, "谢桥街道"], ["冲广坪社区", fx.C21, "仁山街道"]]
    over = rows_of(wb["超负荷网格"])
    assert [r[1] for r in over[1:]] == [fx.G112, fx.G211]
    violations = rows_of(wb["联系点不合规"])
    assert violations[0][:3] == ["姓名", "职务", "联系人类别"] and violations[0][-1] == "人员编号"
    l4 = next(r for r in violations[1:] if r[-1] == pid("L4"))
    assert l4[:6] == ["程刚", "组织部副部长", "部务会成员", 0, 1, 2]
    assert "应联系" in l4[6] and "2 个网格" in l4[6] and "应联系 不联系" not in l4[6]
    assert "（" in l4[7]  # the contact points by name, with the code beside it
    assert rows_of(wb["唯一直接联系人"])[1:] == [
        ["郭峰", 1, f"{gaps_report['names'][fx.G112]}（{fx.G112}）", pid("W2")]
    ]
    assert rows_of(wb["无直接联系人网格"])[1:] == [["工业园专属网格", fx.G212, "冲广坪社区"]]
    assert gaps_report["names"][fx.G112] == "龙门二网格"
    ws = wb["联系点不合规"]
    assert ws.column_dimensions["G"].width == 36
    # Wrapped text gets a row height that shows it whole (LibreOffice does not grow rows by itself).
    assert all(ws.row_dimensions[i].height for i in range(3, ws.max_row + 1))
    assert ws["I3"].number_format == "@"


def test_csv_files_one_per_table(gaps_report: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "gaps.csv"
    paths = write_report(gaps_report, out)
    assert paths[0] == out and len(paths) == len(report_tables(gaps_report))
    assert paths[1].name == "gaps-无共建社区.csv"
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8 with a BOM as Chinese
    with open(paths[4], encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0][0] == "姓名" and rows[0][-1] == "人员编号" and len(rows) == 1 + 3


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

    point_env_at(district, monkeypatch, falkor_data_dir)
    yield
    get_settings.cache_clear()


def test_cli_report(cli_env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from orggraph.api.cli import main

    out = tmp_path / "r.xlsx"
    assert main(["report", "coverage", "--scope", fx.S1, "--as-of", AS_OF, "--out", str(out)]) == 0
    assert "谢桥街道" in capsys.readouterr().out
    assert rows_of(load_workbook(out)["按社区分列"])[1][1] == fx.C11
    assert main(["report", "gaps", "--out", str(tmp_path / "g.json")]) == 0  # whole graph, today
    assert json.loads((tmp_path / "g.json").read_text(encoding="utf-8"))["gaps"]["sole_contacts"] == [
        pid("W2")
    ]
    assert main(["report", "gaps", "--scope", "nope", "--out", str(tmp_path / "x.xlsx")]) == 2
    assert "找不到" in capsys.readouterr().err and not (tmp_path / "x.xlsx").exists()
    assert main(["report", "gaps", "--as-of", "2025-02-30", "--out", str(tmp_path / "x.csv")]) == 2
    assert main(["report", "gaps", "--out", str(tmp_path / "x.txt")]) == 2


# ---------------------------------------------------------------------------------------------- analytics
ANALYTICS_SHEETS = [
    "分析汇总",
    "关键人员",
    "未联系户",
    "负担分布",
    "专职网格员负担",
    "社区联结",
    "联结单位",
    "社区群",
    "孤立社区",
    "说明",
]


def test_analytics_workbook_has_the_numbers_of_analyze(
    district: Store, analytics_report: dict[str, Any], tmp_path: Path
) -> None:
    want = analytics.analyze(district, None, AS_OF)
    assert analytics_report["analytics"] == want
    cp, fl, cb = want["critical_people"], want["fulltime_load"], want["community_bridges"]
    report_names = analytics_report["names"]
    out = tmp_path / "analytics.xlsx"
    assert write_report(analytics_report, out) == [out]
    wb = load_workbook(out)
    assert wb.sheetnames == ANALYTICS_SHEETS
    assert wb.properties.title.startswith("网络分析报表（碧江区、万山区")
    summary = rows_of(wb["分析汇总"])
    assert summary[0] == ["分析", "指标", "数值", "说明"]
    figures = {(r[0], r[1]): r[2] for r in summary[1:]}
    assert figures[("关键人员", "户数")] == cp["households"] == 11
    assert figures[("关键人员", "与党组织有联系的户")] == cp["linked"]
    assert figures[("关键人员", "与党组织没有联系的户")] == cp["unlinked"]
    assert figures[("关键人员", "关键人员")] == len(cp["critical"]) == 1
    assert figures[("负担均衡", "在期专职网格员")] == fl["workers"]
    assert figures[("负担均衡", "人均户数：平均")] == round(fl["mean"], 1)
    assert figures[("负担均衡", "人均户数：最多")] == fl["max"] == 650
    assert figures[("负担均衡", "基尼系数")] == round(fl["gini"], 3)
    assert figures[("负担均衡", "负担过重（人均超过 300 户）")] == len(fl["overloaded"]) == 2
    assert figures[("社区联结", "经共同单位相连的社区对")] == len(cb["pairs"]) == 2
    assert figures[("社区联结", "孤立社区")] == len(cb["isolated"]) == 1
    assert figures[("社区联结", "关键单位")] == len(cb["cut_units"]) == 2

    critical = rows_of(wb["关键人员"])
    assert critical[0] == ["姓名", "唯一联系的户数", "这些户（最多 200 户）", "联系关系落在", "人员编号"]
    assert critical[1][:3] == ["许静", 1, "B3111-101"] and critical[1][4] == pid("L8")
    assert critical[1][3] == "、".join(f"{report_names[c]}（{c}）" for c in sorted([fx.S3, fx.C31, fx.G311]))
    assert rows_of(wb["未联系户"]) == [["户编码"], ["（无）"]]  # every household has someone
    assert [r[1] for r in rows_of(wb["负担分布"])[1:]] == [b["workers"] for b in fl["histogram"]]
    workers = rows_of(wb["专职网格员负担"])
    assert workers[0] == ["姓名", "人均户数", "网格数", "服务的网格", "负担过重", "人员编号"]
    assert [(r[5], r[1], r[4]) for r in workers[1:]] == [
        (w["pid"], w["load"], "是" if w["load"] > 300 else "否") for w in fl["top"]
    ]
    assert workers[1][:2] == ["郭峰", 650] and workers[1][3] == f"{report_names[fx.G112]}（{fx.G112}）"
    pairs = rows_of(wb["社区联结"])
    assert [[r[1], r[3]] for r in pairs[1:]] == [p["communities"] for p in cb["pairs"]]
    assert pairs[1] == ["西门社区", fx.C31, "龙门社区", fx.C11, 1, "铜仁万山供电有限公司"]
    bridging = {r[1]: r for r in rows_of(wb["联结单位"])[1:]}
    assert set(bridging) == {u["code"] for u in cb["bridging_units"]}
    assert {c for c, r in bridging.items() if r[4] == "是"} == {u["code"] for u in cb["cut_units"]}
    assert all("社区（" in r[3] for r in bridging.values())  # communities by name
    # One member per row, named: communities first, then units.
    groups = rows_of(wb["社区群"])
    g = cb["groups"][0]
    assert [r[5] for r in groups[1:]] == [*g["communities"], *g["units"]]
    assert all(r[:3] == [1, len(g["communities"]), len(g["units"])] and r[4] for r in groups[1:])
    assert [r[3] for r in groups[1:]] == ["社区"] * len(g["communities"]) + ["单位"] * len(g["units"])
    assert rows_of(wb["孤立社区"])[1:] == [["梅花社区", fx.C12]]
    assert [r[0] for r in rows_of(wb["负担分布"])[1:]] == [
        "100 户及以下",
        "超过 100 户，至多 200 户",
        "超过 200 户，至多 300 户",
        "超过 300 户",
    ]
    ws = wb["专职网格员负担"]
    assert ws["B3"].number_format == "#,##0.0" and ws.column_dimensions["D"].width == 44
    assert ws.page_setup.orientation == "landscape" and ws.print_title_rows == "$1:$2"
    assert ws.freeze_panes == "A3" and "截至 2025-06-30" in ws["A1"].value
    assert wb["分析汇总"]["C3"].number_format == "#,##0.0##"
    about = {r[0]: r[1] for r in rows_of(wb["说明"])[1:]}
    assert (
        about["报表"] == "网络分析报表"
        and about["范围"] == "碧江区、万山区"
        and "200,000 户" in about["规模上限"]
    )
    assert wb["孤立社区"]["A1"].value == "没有任何在期共建或报到单位的社区\n碧江区、万山区　截至 2025-06-30"


def test_analytics_csv_and_json(district: Store, analytics_report: dict[str, Any], tmp_path: Path) -> None:
    paths = write_report(analytics_report, tmp_path / "a.csv")
    assert [p.name for p in paths] == ["a.csv", *(f"a-{s}.csv" for s in ANALYTICS_SHEETS[1:])]
    with open(paths[1], encoding="utf-8-sig", newline="") as f:
        row = list(csv.reader(f))[1]
        assert row[:3] == ["许静", "1", "B3111-101"] and row[-1] == pid("L8")
    write_report(analytics_report, tmp_path / "a.json")
    data = json.loads((tmp_path / "a.json").read_text(encoding="utf-8"))
    assert data["kind"] == "analytics" and data["scope"] is None and data["as_of"] == AS_OF
    assert data["analytics"] == json.loads(json.dumps(analytics.analyze(district, None, AS_OF)))


def test_cli_report_analytics(
    cli_env: None,
    district: Store,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from orggraph.api.cli import main

    out = tmp_path / "a.xlsx"
    assert main(["report", "analytics", "--scope", fx.S2, "--as-of", BEFORE, "--out", str(out)]) == 0
    assert "「万山区 仁山街道」截至 2024-06-30" in capsys.readouterr().out
    critical = analytics.analyze(district, fx.S2, BEFORE)["critical_people"]["critical"]
    assert (
        [r[-1] for r in rows_of(load_workbook(out)["关键人员"])[1:]]
        == [c["pid"] for c in critical]
        == [pid("L2")]
    )
    assert main(["report", "analytics", "--scope", "nope", "--out", str(tmp_path / "x.xlsx")]) == 2
    monkeypatch.setattr(analytics, "MAX_HOUSEHOLDS", 5)  # the whole graph has 11 households
    assert main(["report", "analytics", "--as-of", AS_OF, "--out", str(tmp_path / "big.xlsx")]) == 2
    assert "请按区县或街道分别分析" in capsys.readouterr().err and not (tmp_path / "big.xlsx").exists()
