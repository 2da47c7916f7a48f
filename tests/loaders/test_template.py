"""`orggraph template`: a ledger workbook that prevents errors (issue 15), read back with openpyxl — headers
of loaders/read.py, text and date formats, drop-downs from the loader's own vocabularies and from the store,
input hints, the example row the loader skips — and filled in with the eleven small ledgers, it loads as it
is."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from faults.content import TEST_PID_KEY, write_ledgers
from faults.ledgers import small_ledgers
from fixtures import small_district as fx
from fixtures.small_district import load_small_district
from openpyxl import load_workbook
from orggraph.graph.store import Store
from orggraph.loaders.importer import import_ledgers
from orggraph.loaders.ledgers import VOCABULARIES
from orggraph.loaders.read import EXAMPLE_MARK, LEDGERS, ledger_for_name
from orggraph.loaders.template import (
    CODE_SHEET,
    GUIDE_SHEET,
    TemplateError,
    parse_ledgers,
    scope_codes,
    write_template,
)
from orggraph.loaders.values import parse_date
from orggraph.queries.scope import ScopeError
from support.stores import point_env_at


@pytest.fixture
def district(backend: str, shared_graphs: Any, tmp_path_factory: pytest.TempPathFactory) -> Store:
    """The small district of tests/fixtures (shared with the query tests: read only)."""
    return shared_graphs.get(
        backend, "small_district", lambda s: load_small_district(s, tmp_path_factory.mktemp("small-district"))
    )


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_template(tmp_path_factory.mktemp("tpl") / "台账模板.xlsx")


def validations(ws: Any) -> dict[str, Any]:
    """Column letter -> the data validation on it (every template column has exactly one)."""
    out: dict[str, Any] = {}
    for dv in ws.data_validations.dataValidation:
        for rng in dv.sqref.ranges:
            letter = rng.coord.split(":")[0].rstrip("0123456789")
            assert letter not in out, f"two validations on column {letter}"
            out[letter] = dv
    return out


def test_one_sheet_per_ledger_with_the_loader_headers_formats_and_print_setup(template: Path) -> None:
    wb = load_workbook(template)
    assert wb.sheetnames == [GUIDE_SHEET, *(s.zh for s in LEDGERS.values())]
    for spec in LEDGERS.values():
        ws = wb[spec.zh]
        headers = [c.value for c in ws[1]]
        assert headers == [f"{c.zh}*" if c.required else c.zh for c in spec.columns]
        assert all(c.font.b for c in ws[1]) and ws.freeze_panes == "A2"
        assert ws.page_setup.orientation == "landscape" and ws.print_title_rows == "$1:$1"
        for j, col in enumerate(spec.columns):
            letter = ws.cell(row=1, column=j + 1).column_letter
            width = ws.column_dimensions[letter].width
            assert width >= {"id": 22, "code": 18, "date": 13}.get(col.kind, 8), (spec.zh, col.zh)
            fmt = ws.column_dimensions[letter].number_format
            if col.kind in ("id", "code"):
                assert fmt == "@" and ws.cell(row=2, column=j + 1).number_format == "@"
            elif col.kind == "date":
                assert fmt == "yyyy-mm-dd"
        # The example row: marked in its first cell, filled like a real row.
        example = [c.value for c in ws[2]]
        assert str(example[0]).startswith(EXAMPLE_MARK) and all(
            v not in (None, "") for v, c in zip(example, spec.columns, strict=True) if c.required
        )
        assert ws.cell(row=2, column=1).font.i


def test_every_column_has_a_hint_and_every_vocabulary_a_drop_down(template: Path) -> None:
    wb = load_workbook(template)
    seen = set()
    for spec in LEDGERS.values():
        ws = wb[spec.zh]
        dvs = validations(ws)
        assert len(dvs) == len(spec.columns)
        for j, col in enumerate(spec.columns):
            dv = dvs[ws.cell(row=1, column=j + 1).column_letter]
            assert dv.showInputMessage and dv.prompt and dv.promptTitle == col.zh
            assert ("必填" if col.required else "选填") in dv.prompt
            vocab = VOCABULARIES.get((spec.name, col.key))
            if vocab:
                seen.add((spec.name, col.key))
                assert dv.type == "list" and dv.formula1 == '"' + ",".join(vocab) + '"'
                assert dv.errorStyle == "stop" and dv.showErrorMessage
            elif col.kind == "date":
                assert dv.type == "date" and "DATE(1900,1,1)" in dv.formula1
            elif col.kind == "int":
                assert dv.type == "whole" and dv.formula1 == "0"
        assert "5001" in str(dvs["A"].sqref)  # rows 2…5001 carry the validations
    # The seven closed vocabularies of the issue, plus 性别, each a drop-down taken from the loader.
    assert seen == set(VOCABULARIES) and len(seen) == 8
    guide = [[c for c in r if c] for r in wb[GUIDE_SHEET].iter_rows(values_only=True)]
    assert any(EXAMPLE_MARK in str(r) and "跳过" in str(r) for r in guide)
    assert sum(1 for r in guide if len(r) >= 4) >= sum(len(s.columns) for s in LEDGERS.values())


def test_the_vocabularies_are_the_ones_the_loader_validates(tmp_path: Path) -> None:
    """A value outside a drop-down is exactly what the loader refuses, naming the same list."""
    ledgers = small_ledgers()
    ledgers["网格力量"][0]["岗位"] = "志愿者"
    ledgers["单位"][0]["单位类型"] = "个体户"
    ledgers["双报到"][0]["报到类型"] = "个人"
    report = import_ledgers(
        write_ledgers(tmp_path / "bad", ledgers), None, pid_key=TEST_PID_KEY, dry_run=True
    )
    reasons = {(e.column, e.reason) for e in report.errors}
    for ledger, key in (("grid_staff", "role"), ("units", "unit_kind"), ("dual_reporting", "report_type")):
        vocab = VOCABULARIES[(ledger, key)]
        assert (LEDGERS[ledger].column(key).zh, f"应为以下之一：{'、'.join(vocab)}") in reasons


def fill(template: Path, out: Path, ledgers: dict[str, list[dict[str, str]]]) -> Path:
    """Type the ledgers' rows into the template below its example row, as a user would: dates as dates,
    counts as numbers, IDs and codes as text."""
    wb = load_workbook(template)
    for stem, rows in ledgers.items():
        spec = LEDGERS[ledger_for_name(stem) or ""]
        ws = wb[spec.zh]
        headers = [str(c.value).rstrip("*") for c in ws[1]]
        for i, row in enumerate(rows, start=3):
            for header, text in row.items():
                col = spec.column_for(header)
                assert col is not None and col.zh in headers, header
                v: Any = text or None
                if text and col.kind == "date":
                    v = dt.date.fromisoformat(parse_date(text)[0] or "")
                elif text and col.kind == "int":
                    v = int(text)
                ws.cell(row=i, column=headers.index(col.zh) + 1, value=v)
    wb.save(out)
    return out


def test_a_filled_in_template_loads_as_it_is_and_never_imports_the_example(
    any_store: Store, template: Path, tmp_path: Path
) -> None:
    ledgers = small_ledgers()
    book = fill(template, tmp_path / "填好的台账.xlsx", ledgers)
    report = import_ledgers(book, any_store, pid_key=TEST_PID_KEY)
    assert report.ok, [e.format() for e in report.errors]
    skipped = [w for w in report.warnings if "示例" in w.reason]
    assert len(skipped) == len(LEDGERS) and {w.row for w in skipped} == {2}
    assert {LEDGERS[k].zh: n for k, n in report.rows.items()} == {k: len(v) for k, v in ledgers.items()}

    # The same graph as the same rows loaded from CSV files (the example row added nothing): loading those
    # on top adds no node and no relationship.
    def counts() -> tuple[int, int]:
        n = any_store.read("MATCH (n) RETURN count(n)").scalar()
        r = any_store.read("MATCH ()-[r]->() RETURN count(r)").scalar()
        return int(n or 0), int(r or 0)

    before = counts()
    assert before[0] > 30
    assert import_ledgers(write_ledgers(tmp_path / "csv", ledgers), any_store, pid_key=TEST_PID_KEY).ok
    assert counts() == before
    example_unit = "91520603MA6DN1234X"
    assert any_store.read("MATCH (u:Unit {code: $c}) RETURN count(u)", {"c": example_unit}).scalar() == 0
    assert any_store.read("MATCH (g:Grid) RETURN count(g)").scalar() == len(ledgers["网格"])


def test_an_untouched_template_loads_nothing_without_failing(template: Path) -> None:
    report = import_ledgers(template, None, pid_key=TEST_PID_KEY, dry_run=True)
    assert report.ok and sum(report.rows.values()) == 0
    assert all(i.level == "warning" for i in report.issues)


def test_ledger_names(tmp_path: Path) -> None:
    assert parse_ledgers(None) == list(LEDGERS)
    assert parse_ledgers("网格力量，人员、people") == ["people", "grid_staff"]
    with pytest.raises(TemplateError, match="未知台账名称：户籍"):
        parse_ledgers("人员,户籍")
    out = write_template(tmp_path / "t.xlsx", ["people"])
    assert load_workbook(out).sheetnames == [GUIDE_SHEET, "人员"]


def test_scope_drop_downs_list_the_codes_the_store_holds_there(district: Store, tmp_path: Path) -> None:
    codes = scope_codes(district, fx.S1)
    assert codes.scope_name == "谢桥街道" and not codes.truncated
    assert [c for c, _ in codes.codes["Community"]] == [fx.C11, fx.C12]
    assert {c for c, _ in codes.codes["Grid"]} == {fx.G111, fx.G112, fx.G121}
    assert dict(codes.codes["Grid"])[fx.G112] == "龙门二网格"
    assert [c for c, _ in codes.codes["Street"]] == [fx.S1]
    assert codes.codes["Building"] and codes.codes["Unit"]
    assert all(c.startswith(fx.S1) for c, _ in codes.codes["Grid"])  # nothing from outside the scope
    bounded = scope_codes(district, fx.D1, limit=2)
    assert len(bounded.codes["Grid"]) == 2 and "Grid" in bounded.truncated
    out = write_template(tmp_path / "t.xlsx", None, bounded)
    assert "只列出前" in str(list(load_workbook(out)[GUIDE_SHEET].iter_rows(values_only=True)))
    out = write_template(tmp_path / "t.xlsx", ["grid_staff", "cobuilding"], codes)
    wb = load_workbook(out)
    assert wb.sheetnames == [GUIDE_SHEET, "网格力量", "联建共建", CODE_SHEET]
    table = list(wb[CODE_SHEET].iter_rows(values_only=True))
    assert "谢桥街道" in str(table[0][0])
    staff = validations(wb["网格力量"])["D"]  # 负责对象编码: grids and buildings
    assert (
        staff.type == "list"
        and staff.formula1.startswith(f"'{CODE_SHEET}'!$")
        and staff.errorStyle == "warning"
    )
    col = staff.formula1.split("!$")[1].split("$")[0]
    listed = [r[0] for r in wb[CODE_SHEET][f"{col}3:{col}{wb[CODE_SHEET].max_row}"] if r[0].value]
    assert {c.value for c in listed} == {c for k in ("Grid", "Building") for c, _ in codes.codes[k]}
    assert validations(wb["联建共建"])["B"].formula1.startswith(f"'{CODE_SHEET}'!$")  # 社区编码
    with pytest.raises(ScopeError):
        scope_codes(district, "nope")
    with pytest.raises(ScopeError) as e:
        scope_codes(district, fx.G112)
    assert e.value.status == 422


@pytest.fixture
def cli_env(district: Any, falkor_data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from orggraph.settings import get_settings

    point_env_at(district, monkeypatch, falkor_data_dir)
    yield
    get_settings.cache_clear()


def test_cli_template(cli_env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from orggraph.api.cli import main

    out = tmp_path / "台账模板.xlsx"
    assert main(["template", "--out", str(out), "--ledgers", "人员,网格力量", "--scope", fx.C11]) == 0
    said = capsys.readouterr().out
    assert "人员、网格力量" in said and "龙门社区" in said
    assert load_workbook(out).sheetnames == [GUIDE_SHEET, "人员", "网格力量", CODE_SHEET]
    assert main(["template", "--out", str(tmp_path / "x.xlsx"), "--ledgers", "户籍"]) == 2
    assert "未知台账名称" in capsys.readouterr().err
    assert main(["template", "--out", str(tmp_path / "x.xlsx"), "--scope", "nope"]) == 2
    assert "找不到" in capsys.readouterr().err
    assert main(["template", "--out", str(tmp_path / "x.csv")]) == 2
    assert ".xlsx" in capsys.readouterr().err and not (tmp_path / "x.xlsx").exists()


def test_the_template_opens_on_the_first_ledger(template: Path) -> None:
    wb = load_workbook(template)
    assert wb.active.title == "网格"
    assert [ws.sheet_view.tabSelected for ws in wb.worksheets].count(True) == 1
