"""Tests of the ledger reading layer: discovery, encodings, headers, xlsx cells and the issues they raise."""

from __future__ import annotations

import json
import random
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook
from orggraph.loaders.read import (
    EXAMPLE_MARK,
    LEDGERS,
    MAX_CSV_BYTES,
    MAX_XLSX_BYTES,
    SNIFF_BYTES,
    LedgerIssue,
    LedgerSource,
    discover,
    ledger_for_name,
)

ID1, ID2, ID3 = "11010519491231002X", "110101199003070011", "110101199003070038"


def write_csv(folder: Path, name: str, lines: list[str], encoding: str = "utf-8") -> Path:
    p = folder / name
    p.write_bytes("".join(line + "\r\n" for line in lines).encode(encoding))
    return p


def write_xlsx(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    wb = Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


def errors(issues: list[LedgerIssue]) -> list[LedgerIssue]:
    return [i for i in issues if i.level == "error"]


def only(sources: list[LedgerSource], ledger: str) -> LedgerSource:
    [src] = [s for s in sources if s.ledger == ledger]
    return src


def read_all(src: LedgerSource) -> tuple[list[tuple[int, dict[str, str]]], list[LedgerIssue]]:
    sink: list[LedgerIssue] = []
    return list(src.rows(sink)), sink


# ------------------------------------------------------------------------------------------ the table
def test_required_columns_are_those_marked_in_the_spec() -> None:
    # ledgers.md marks these with '*'
    expected = {
        "grids": {"区县", "街道编码", "街道", "社区编码", "社区", "网格编码"},
        "buildings": {"楼栋编码", "网格编码"},
        "units": {"单位编码", "单位名称", "单位类型"},
        "party_orgs": {"组织编码", "组织名称", "组织类型"},
        "people": {"身份证号", "姓名"},
        "grid_staff": {"身份证号", "岗位", "负责对象编码"},
        "cobuilding": {"单位编码", "社区编码"},
        "part_time_members": {"身份证号", "任职组织编码"},
        "contact_points": {"身份证号", "联系人类别", "联系对象编码"},
        "dual_reporting": {"报到类型", "报到主体编码", "报到社区编码"},
        "household_links": {"身份证号", "楼栋编码", "户号"},
    }
    assert {name: {c.zh for c in spec.columns if c.required} for name, spec in LEDGERS.items()} == expected
    assert LEDGERS["grid_staff"].column("since").zh == "开始日期"
    assert LEDGERS["grid_staff"].column("until").zh == "结束日期"
    assert LEDGERS["units"].lookup["统一社会信用代码"] == "unit_code"


@pytest.mark.parametrize(
    ("name", "ledger"),
    [
        ("人员", "people"),
        ("People", "people"),
        ("GRID_STAFF", "grid_staff"),
        ("人员台账", "people"),
        ("人口", None),
    ],
)
def test_ledger_names(name: str, ledger: str | None) -> None:
    assert ledger_for_name(name) == ledger


def test_issue_format_is_one_chinese_line() -> None:
    i = LedgerIssue("人员.csv", 12, "身份证号", "110101199003070012", "校验位错误，应为 1")
    assert i.format() == "人员.csv 第12行 [身份证号] 值「110101199003070012」：校验位错误，应为 1"
    w = LedgerIssue("人员.csv", None, None, None, "只有表头，没有数据", "warning")
    assert w.format() == "警告：人员.csv：只有表头，没有数据"
    assert "\n" not in LedgerIssue("a.csv", 2, "x", "a\nb", "r").format()
    with pytest.raises(ValueError):
        LedgerIssue("a.csv", 1, None, None, "r", "fatal")


# ------------------------------------------------------------------------------------------ encodings
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_encodings(tmp_path: Path, encoding: str) -> None:
    names = ["张三", "李四", "王五"] if encoding == "gbk" else ["张三", "𠀀明", "王䶮"]
    if encoding == "gb18030":
        with pytest.raises(UnicodeEncodeError):  # these really are outside GBK
            "𠀀䶮".encode("gbk")
    lines = ["身份证号,姓名,性别"] + [f"{i},{n},男" for i, n in zip((ID1, ID2, ID3), names, strict=True)]
    write_csv(tmp_path, "人员.csv", lines, encoding)
    sources, issues = discover(tmp_path)
    assert issues == []
    rows, stream_issues = read_all(only(sources, "people"))
    assert [(n, r["id_number"], r["name"]) for n, r in rows] == [
        (2, ID1, names[0]),
        (3, ID2, names[1]),
        (4, ID3, names[2]),
    ]
    assert stream_issues == []


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_multibyte_character_cut_by_the_sniffed_chunk(tmp_path: Path, encoding: str) -> None:
    header = "身份证号,姓名\r\n".encode(encoding)
    last = f"{ID2},".encode(encoding)
    # ASCII rows padded so that the last row's first Chinese character starts one byte before the chunk's end
    room = SNIFF_BYTES - 1 - len(header) - len(last)
    filler = b""
    while room - len(filler) > 200:
        filler += f"{ID1},{'x' * 80}\r\n".encode()
    filler += f"{ID1},".encode() + b"x" * (room - len(filler) - len(ID1) - 3) + b"\r\n"
    body = header + filler + last + "张三\r\n".encode(encoding)
    assert body.index("张".encode(encoding)) == SNIFF_BYTES - 1
    (tmp_path / "人员.csv").write_bytes(body)
    sources, issues = discover(tmp_path)
    assert issues == []
    rows, stream_issues = read_all(only(sources, "people"))
    assert rows[-1][1]["name"] == "张三" and rows[-1][0] == len(rows) + 1
    assert stream_issues == []


@pytest.mark.parametrize("with_nul", [True, False])
def test_garbage_bytes_are_not_text(tmp_path: Path, with_nul: bool) -> None:
    rng = random.Random(7)
    data = rng.randbytes(5000) if with_nul else bytes(rng.randrange(1, 256) for _ in range(5000))
    (tmp_path / "人员.csv").write_bytes(data)
    sources, issues = discover(tmp_path)
    assert sources == []
    [e] = errors(issues)
    assert e.file == "人员.csv"
    assert "无法识别文件编码" in e.reason and "UTF-8 或 GBK" in e.reason


def test_xlsx_renamed_to_csv_says_so(tmp_path: Path) -> None:
    write_xlsx(tmp_path / "人员.csv", {"人员": [["身份证号", "姓名"]]})
    _, issues = discover(tmp_path)
    [e] = errors(issues)
    assert ".xlsx" in e.reason


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_undecodable_byte_at_row_5000_is_reported_with_its_row(tmp_path: Path, encoding: str) -> None:
    rows = ["身份证号,姓名"] + [f"{ID1},居民{i}" for i in range(2, 6001)]
    data = bytearray("".join(r + "\r\n" for r in rows).encode(encoding))
    assert len(data) > 2 * SNIFF_BYTES  # the bad byte is far past what decides the encoding
    marker = "居民5000".encode(encoding)
    at = data.index(marker + b"\r\n")
    data[at + len(marker) : at + len(marker)] = b"\xff"
    (tmp_path / "人员.csv").write_bytes(bytes(data))
    sources, issues = discover(tmp_path)
    assert issues == []
    got, stream_issues = read_all(only(sources, "people"))
    assert len(got) == 5999 and got[-1][0] == 6000
    [e] = stream_issues
    assert (e.row, e.column, e.level) == (5000, "姓名", "error")
    assert "解码" in e.reason
    assert e.format().startswith("人员.csv 第5000行 [姓名]")


def test_empty_file_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "人员.csv").write_bytes(b"")
    sources, issues = discover(tmp_path)
    assert sources == []
    [e] = issues
    assert e.level == "error" and "文件为空" in e.reason


def test_header_only_is_a_warning(tmp_path: Path) -> None:
    write_csv(tmp_path, "联户.csv", ["身份证号,楼栋编码,户号", "", ",,"])
    sources, issues = discover(tmp_path)
    assert [(i.level, i.reason) for i in issues] == [("warning", "只有表头，没有数据")]
    assert list(only(sources, "household_links").rows()) == []


def test_a_template_example_row_and_the_template_sheets_are_skipped(tmp_path: Path) -> None:
    """docs/ledgers.md: a row whose first cell starts with 【示例】 is a template's example, never imported;
    the 填表说明 and 编码表 sheets are not ledgers."""
    book = write_xlsx(
        tmp_path / "台账模板.xlsx",
        {
            "填表说明": [["填表说明"], ["第 2 行是示例"]],
            "人员": [
                ["身份证号*", "姓名*"],
                [f"{EXAMPLE_MARK}{ID1}", "张三"],
                [ID2, "李四"],
                ["示例", "王五"],
            ],
            "编码表": [["编码"], ["520603001"]],
        },
    )
    sources, issues = discover(book)
    assert errors(issues) == [] and [s.ledger for s in sources] == ["people"]
    rows, sink = read_all(sources[0])
    # Only a row marked in its first column is skipped; a name that merely says 示例 is data.
    assert [(n, r["id_number"]) for n, r in rows] == [(3, ID2), (4, "示例")]
    assert [(i.level, i.row, "示例行" in i.reason) for i in sink] == [("warning", 2, True)]
    # One ledger per file (named after the ledger): the template sheets are not "other sheets" either.
    one = write_xlsx(
        tmp_path / "人员.xlsx", {"人员": [["身份证号", "姓名"], [ID2, "李四"]], "填表说明": [["说明"]]}
    )
    assert discover(one)[1] == []


# ------------------------------------------------------------------------------------------ rows
def test_rows_keep_spreadsheet_numbers_across_multiline_cells_and_empty_rows(tmp_path: Path) -> None:
    (tmp_path / "联建共建.csv").write_text(
        '单位编码,社区编码,共建项目\n91A,C1,"第一行\n第二行"\n\n  ,\u3000\n91B,C2,x\n91C,C3,y',
        encoding="utf-8",
    )
    sources, issues = discover(tmp_path)
    assert issues == []
    src = only(sources, "cobuilding")
    rows = list(src.rows())
    # record 2 spans two lines, records 3 and 4 are empty: 91B is the spreadsheet's row 5
    assert [(n, r["unit_code"], r["project"]) for n, r in rows] == [
        (2, "91A", "第一行\n第二行"),
        (5, "91B", "x"),
        (6, "91C", "y"),
    ]
    assert set(rows[0][1]) == set(LEDGERS["cobuilding"].keys)  # every key, absent columns as ''
    assert rows[0][1]["since"] == ""
    assert src.columns == ["unit_code", "community_code", "project"]
    assert list(src.rows()) == rows  # re-iterable


def test_cells_are_trimmed_and_codes_normalised_but_names_are_not(tmp_path: Path) -> None:
    write_csv(
        tmp_path,
        "人员.csv",
        [
            "身份证号,姓名,户号",
            f"\u3000{ID1}\xa0, 金\u00a0,１２０１",
            "１１０１０１１９９００３０７００１１,\uf900,3",
        ],
    )
    sources, _ = discover(tmp_path)
    rows, stream_issues = read_all(only(sources, "people"))
    assert [(r["id_number"], r["name"], r["household_no"]) for _, r in rows] == [
        (ID1, "金", "1201"),
        (ID2, "\uf900", "3"),  # a CJK compatibility ideograph in a name stays as written
    ]
    assert stream_issues == []


def test_too_long_cell_and_scientific_notation_are_errors(tmp_path: Path) -> None:
    write_csv(
        tmp_path, "人员.csv", ["身份证号,姓名,标签", f"{ID1},张三,{'志愿者、' * 1200}", "1.10101E+17,李四,"]
    )
    sources, issues = discover(tmp_path)
    assert errors(issues) == []
    rows, stream_issues = read_all(only(sources, "people"))
    assert [n for n, _ in rows] == [2, 3]
    assert [(i.row, i.column) for i in stream_issues] == [(2, "标签"), (3, "身份证号")]
    assert "过长" in stream_issues[0].reason and "科学计数法" in stream_issues[1].reason


def test_unclosed_quote_stops_the_file_with_an_error_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / "人员.csv").write_text(
        f'身份证号,姓名\n{ID1},张三\n{ID2},"李四\n' + "x\n" * 100_000, encoding="utf-8"
    )
    sources, issues = discover(tmp_path)
    rows, stream_issues = read_all(only(sources, "people"))
    assert [n for n, _ in rows] == [2]
    [e] = stream_issues
    assert e.row == 3 and "引号" in e.reason


def test_rows_without_an_issue_list_fill_the_source_issues_once_per_pass(tmp_path: Path) -> None:
    write_csv(tmp_path, "人员.csv", ["身份证号,姓名", "1.1E+17,张三"])
    src = only(discover(tmp_path)[0], "people")
    for _ in range(2):
        assert len(list(src.rows())) == 1
        assert [i.row for i in src.issues] == [2]


def test_tab_separated_csv(tmp_path: Path) -> None:
    write_csv(tmp_path, "单位.csv", ["单位编码\t单位名称\t单位类型", "91A\t某公司, 有限\t民营企业"])
    rows, _ = read_all(only(discover(tmp_path)[0], "units"))
    assert rows[0][1]["unit_name"] == "某公司, 有限"


# ------------------------------------------------------------------------------------------ headers
def test_alias_headers_with_blanks_and_required_marker(tmp_path: Path) -> None:
    write_csv(
        tmp_path,
        "people.CSV",
        ["\u3000公民身份号码*\u3000, 姓 名 ,联系电话＊,Tags", f"{ID1},张三,13800138000,志愿者"],
    )
    sources, issues = discover(tmp_path)
    assert issues == []
    src = only(sources, "people")
    assert src.columns == ["id_number", "name", "phone", "tags"]
    assert src.header("id_number") == "公民身份号码"  # as the user wrote it, for error messages
    assert src.header("gender") == "性别"  # absent: the template's header
    rows, _ = read_all(src)
    assert rows[0][1]["phone"] == "13800138000" and rows[0][1]["tags"] == "志愿者"


def test_aliases_are_per_ledger(tmp_path: Path) -> None:
    # 统一社会信用代码 means 单位编码 in 单位; 区 is only the district in 网格
    write_csv(tmp_path, "单位.csv", ["统一社会信用代码,单位名称,单位类型", "91A,某局,党政机关"])
    write_csv(tmp_path, "楼栋.csv", ["楼栋编码,网格编码,区", "B1,G1,x"])
    sources, issues = discover(tmp_path)
    assert only(sources, "units").columns == ["unit_code", "unit_name", "unit_kind"]
    [w] = issues
    assert (w.file, w.level) == ("楼栋.csv", "warning") and "区" in w.reason


def test_unknown_columns_give_one_warning_per_file(tmp_path: Path) -> None:
    write_csv(tmp_path, "人员.csv", ["序号,身份证号,姓名,备注,", f"1,{ID1},张三,无,"])
    sources, issues = discover(tmp_path)
    [w] = issues
    assert w.level == "warning" and w.row == 1
    assert "忽略未知列" in w.reason and "序号" in w.reason and "备注" in w.reason
    rows, _ = read_all(only(sources, "people"))
    assert rows[0][1]["id_number"] == ID1


def test_missing_required_column(tmp_path: Path) -> None:
    write_csv(tmp_path, "人员.csv", ["身份证号,性别", f"{ID1},男"])
    sources, issues = discover(tmp_path)
    assert sources == []
    [e] = issues
    assert (e.file, e.row, e.column, e.level) == ("人员.csv", 1, "姓名", "error")
    assert "缺少必填列「姓名」" in e.reason


def test_duplicate_headers_for_one_column(tmp_path: Path) -> None:
    write_csv(tmp_path, "人员.csv", ["身份证号,姓名,证件号码", f"{ID1},张三,{ID1}"])
    sources, issues = discover(tmp_path)
    assert sources == []
    [e] = issues
    assert e.column == "证件号码" and "身份证号" in e.reason and "重复" in e.reason


def test_title_row_above_the_header_is_pointed_out(tmp_path: Path) -> None:
    write_csv(tmp_path, "人员.csv", ["某某社区人员台账,,", "身份证号,姓名,性别", f"{ID1},张三,男"])
    sources, issues = discover(tmp_path)
    assert sources == []
    [e] = issues
    assert e.row == 1 and "第2行" in e.reason


def test_mapping_file_adds_aliases_and_silences_ignored_columns(tmp_path: Path) -> None:
    data = tmp_path / "ledgers"
    data.mkdir()
    write_csv(data, "人员.csv", ["证件号,名字,备注,手机", f"{ID1},张三,x,13800138000"])
    write_csv(data, "网格力量.csv", ["证件号,职位类别,负责网格,备注", f"{ID1},网格长,G1,x"])
    mapping = tmp_path / "映射.json"
    mapping.write_text(
        json.dumps(
            {
                "人员": {"证件号": "身份证号"},
                "grid_staff": {"职位类别": "role"},
                "*": {"证件号": "id_number", "负责网格": "负责对象编码", "备注": None},
            }
        ),
        encoding="utf-8",
    )
    sources, issues = discover(data, mapping_file=mapping)
    assert issues == []
    assert only(sources, "people").columns == ["id_number", "name", "phone"]
    staff = only(sources, "grid_staff")
    assert staff.columns == ["id_number", "role", "target_code"]
    assert read_all(staff)[0][0][1]["role"] == "网格长"


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ("{not json", "不是有效的 JSON"),
        ('{"人口": {"a": "b"}}', "台账名称「人口」未知"),
        ('{"人员": {"证件号": "身份证"}, "网格": {"x": "姓名"}}', "网格台账没有这一列"),
        ('{"*": {"x": "no_such_column"}}', "没有任何台账有这一列"),
    ],
)
def test_bad_mapping_file_is_reported(tmp_path: Path, content: str, needle: str) -> None:
    mapping = tmp_path / "map.json"
    mapping.write_text(content, encoding="utf-8")
    _, issues = discover(tmp_path, mapping_file=mapping)
    assert any(needle in i.reason and i.file == "map.json" for i in errors(issues)), [
        i.format() for i in issues
    ]


# ------------------------------------------------------------------------------------------ discovery
def test_unknown_ledger_name(tmp_path: Path) -> None:
    write_csv(tmp_path, "人口.csv", ["身份证号,姓名"])
    write_csv(tmp_path, "人员.csv", ["身份证号,姓名", f"{ID1},张三"])
    (tmp_path / "说明.txt").write_text("x", encoding="utf-8")
    (tmp_path / "~$人员.xlsx").write_bytes(b"lock")  # Excel's lock file: silently skipped
    sources, issues = discover(tmp_path)
    assert [s.ledger for s in sources] == ["people"]
    [e] = errors(issues)
    assert e.file == "人口.csv" and "未知台账名称" in e.reason and "人员(people)" in e.reason
    assert [i.file for i in issues if i.level == "warning"] == ["说明.txt"]


def test_same_ledger_twice(tmp_path: Path) -> None:
    write_csv(tmp_path, "人员.csv", ["身份证号,姓名", f"{ID1},张三"])
    write_xlsx(tmp_path / "people.xlsx", {"Sheet1": [["身份证号", "姓名"], [ID2, "李四"]]})
    sources, issues = discover(tmp_path)
    assert [s.file for s in sources] == ["people.xlsx"]  # sorted names: the first one is kept
    [e] = errors(issues)
    assert "人员台账出现了两次" in e.reason and "people.xlsx" in e.reason and "人员.csv" in e.reason


def test_missing_path_empty_folder_and_unsupported_formats(tmp_path: Path) -> None:
    assert "找不到" in discover(tmp_path / "nope")[1][0].reason
    assert "没有台账文件" in discover(tmp_path)[1][0].reason
    (tmp_path / "人员.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    [e] = discover(tmp_path)[1]
    assert e.level == "error" and ".xls" in e.reason and ".xlsx" in e.reason


def test_a_single_file_can_be_given(tmp_path: Path) -> None:
    p = write_csv(tmp_path, "楼栋.csv", ["楼栋编码,网格编码", "B1,G1"])
    sources, issues = discover(p)
    assert issues == [] and [s.ledger for s in sources] == ["buildings"]


def test_oversized_sparse_files(tmp_path: Path) -> None:
    for name, limit in (("人员.csv", MAX_CSV_BYTES), ("网格.xlsx", MAX_XLSX_BYTES)):
        with open(tmp_path / name, "wb") as f:
            f.truncate(limit + 1)  # sparse: takes no disk space
    sources, issues = discover(tmp_path)
    assert sources == []
    assert sorted(i.file for i in errors(issues)) == ["人员.csv", "网格.xlsx"]
    assert all("文件过大" in i.reason for i in issues)
    assert any("改用 CSV" in i.reason for i in issues if i.file == "网格.xlsx")


def test_a_small_limit_is_configurable(tmp_path: Path) -> None:
    write_csv(tmp_path, "人员.csv", ["身份证号,姓名", f"{ID1},张三"])
    assert "文件过大" in discover(tmp_path, max_csv_bytes=10)[1][0].reason


# ------------------------------------------------------------------------------------------ xlsx
def test_xlsx_folder_with_real_dates_and_numbers(tmp_path: Path) -> None:
    write_xlsx(
        tmp_path / "网格力量.xlsx",
        {
            "Sheet1": [
                ["身份证号", "岗位", "负责对象编码", "开始日期", "结束日期"],
                [ID1, "网格长", 101.0, datetime(2023, 5, 1), date(2024, 1, 31)],
            ]
        },
    )
    write_xlsx(
        tmp_path / "网格.xlsx",
        {
            "网格": [
                ["区县", "街道编码", "街道", "社区编码", "社区", "网格编码", "户数", "人口"],
                ["万山区", "520603001", "仁山街道", "C1", "社区", "G1", 12.0, 30],
            ]
        },
    )
    sources, issues = discover(tmp_path)
    assert issues == []
    assert [s.file for s in sources] == ["网格.xlsx", "网格力量.xlsx"]  # LEDGERS order
    staff, stream_issues = read_all(only(sources, "grid_staff"))
    assert staff == [
        (
            2,
            {
                "id_number": ID1,
                "name": "",
                "role": "网格长",
                "target_code": "101",
                "since": "2023-05-01",
                "until": "2024-01-31",
            },
        )
    ]
    grids, _ = read_all(only(sources, "grids"))
    assert (grids[0][1]["households"], grids[0][1]["population"]) == ("12", "30")
    assert stream_issues == []


def test_one_workbook_of_sheets(tmp_path: Path) -> None:
    wb = write_xlsx(
        tmp_path / "台账.xlsx",
        {
            "楼栋": [["楼栋编码", "网格编码"], ["B1", "G1"], [None, None], ["B2", "G1"]],
            "Units": [["单位编码", "单位名称", "单位类型"], ["91A", "某局", "党政机关"]],
            "Sheet3": [],
            "汇总": [["说明"]],
        },
    )
    sources, issues = discover(wb)
    assert [(s.ledger, s.file) for s in sources] == [
        ("buildings", "台账.xlsx[楼栋]"),
        ("units", "台账.xlsx[Units]"),
    ]
    assert [(n, r["building_code"]) for n, r in only(sources, "buildings").rows()] == [(2, "B1"), (4, "B2")]
    [e] = issues  # the empty Sheet3 is skipped, the non-empty 汇总 is not a ledger
    assert e.file == "台账.xlsx[汇总]" and "未知台账名称" in e.reason
    # the same workbook inside a folder
    assert [s.file for s in discover(tmp_path)[0]] == ["台账.xlsx[楼栋]", "台账.xlsx[Units]"]


def test_workbook_with_no_ledger_sheet(tmp_path: Path) -> None:
    write_xlsx(tmp_path / "数据.xlsx", {"Sheet1": [["身份证号", "姓名"]]})
    [e] = discover(tmp_path)[1]
    assert "未知台账名称" in e.reason and "Sheet1" in e.reason


def test_formula_cell(tmp_path: Path) -> None:
    write_xlsx(tmp_path / "楼栋.xlsx", {"楼栋": [["楼栋编码", "网格编码", "户数"], ["B1", "G1", "=1+1"]]})
    rows, stream_issues = read_all(only(discover(tmp_path)[0], "buildings"))
    assert [n for n, _ in rows] == [2]
    [e] = stream_issues
    assert (e.row, e.column, e.value) == (2, "户数", "=1+1") and "单元格含公式" in e.reason


def test_merged_cells(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "楼栋"
    for row in (["楼栋编码", "网格编码"], ["B1", "G1"], ["B2", None], ["B3", "G2"]):
        ws.append(row)
    ws.merge_cells("B2:B3")
    wb.save(tmp_path / "楼栋.xlsx")
    sources, issues = discover(tmp_path)
    [e] = issues
    assert (e.row, e.column, e.level) == (2, "网格编码", "error")
    assert "合并单元格 B2:B3" in e.reason and "取消合并" in e.reason


def test_numeric_id_and_date_in_a_text_column(tmp_path: Path) -> None:
    write_xlsx(
        tmp_path / "人员.xlsx",
        {
            "人员": [
                ["身份证号", "姓名", "户号"],
                [110101199003070011, "张三", datetime(2024, 1, 2)],
                [ID3, "李四", "1-2"],
            ]
        },
    )
    rows, stream_issues = read_all(only(discover(tmp_path)[0], "people"))
    # the number has already lost its last digits in the file: handed out as digits, and reported
    assert (
        [n for n, _ in rows] == [2, 3]
        and rows[0][1]["id_number"].isdigit()
        and rows[1][1]["id_number"] == ID3
    )
    assert [(i.row, i.column) for i in stream_issues] == [(2, "身份证号"), (2, "户号")]
    assert "身份证号被存为数字，已丢失精度，请将该列设为文本" in stream_issues[0].reason
    assert "日期" in stream_issues[1].reason


def test_not_an_xlsx(tmp_path: Path) -> None:
    (tmp_path / "人员.xlsx").write_text("身份证号,姓名\n", encoding="utf-8")
    sources, issues = discover(tmp_path)
    assert sources == []
    [e] = issues
    assert "不是有效的 xlsx" in e.reason


def test_empty_ledger_sheet(tmp_path: Path) -> None:
    write_xlsx(tmp_path / "台账.xlsx", {"人员": [], "楼栋": [["楼栋编码", "网格编码"], ["B1", "G1"]]})
    sources, issues = discover(tmp_path)
    assert [s.ledger for s in sources] == ["buildings"]
    [e] = issues
    assert e.file == "台账.xlsx[人员]" and "工作表为空" in e.reason
