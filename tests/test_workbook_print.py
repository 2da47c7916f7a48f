"""The workbooks print: each report, the ledger template and the demo ledger workbook convert to PDF with
LibreOffice headless (as a staff member would print them), with sane page counts and the title rows, scope
names and （无） on paper. LibreOffice Calc and poppler come with `./dev test`; under CI a missing one fails
instead of skipping."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from fixtures import small_district as fx
from fixtures.small_district import AS_OF, load_small_district
from orggraph.loaders.demo import WORKBOOK_NAME, generate
from orggraph.loaders.read import LEDGERS
from orggraph.loaders.template import scope_codes, write_template
from orggraph.queries.reports import build_report, report_tables, write_report


def _tool(*names: str) -> str:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    if os.environ.get("CI") == "true":
        pytest.fail(f"{names[0]} is missing: ./dev test installs it (LibreOffice Calc, poppler-utils)")
    pytest.skip(f"{names[0]} is not installed (./dev test installs it)")


def _pages(pdf: Path, pdfinfo: str) -> int:
    out = subprocess.run([pdfinfo, str(pdf)], capture_output=True, text=True, check=True).stdout
    m = re.search(r"^Pages:\s+(\d+)", out, re.M)
    assert m, out
    return int(m.group(1))


def _text(pdf: Path, pdftotext: str) -> str:
    return subprocess.run(
        [pdftotext, "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


@pytest.fixture(scope="module")
def printed(shared_graphs: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    soffice = _tool("soffice", "libreoffice")
    pdfinfo, pdftotext = _tool("pdfinfo"), _tool("pdftotext")
    store = shared_graphs.get(
        "falkordb",
        "small_district",
        lambda s: load_small_district(s, tmp_path_factory.mktemp("small-district")),
    )
    d = tmp_path_factory.mktemp("print")
    books: dict[str, Path] = {}
    sheets: dict[str, int] = {}
    for kind, scope in (("coverage", None), ("gaps", fx.D1), ("analytics", None)):
        report = build_report(store, kind, scope, AS_OF)
        [books[kind]] = write_report(report, d / f"{kind}.xlsx")
        sheets[kind] = len(report_tables(report))
    books["template"] = write_template(d / "template.xlsx", None, scope_codes(store, fx.D1))
    sheets["template"] = 1 + len(LEDGERS) + 1
    generate(d / "demo", residents=1000, xlsx=True)
    books["demo"] = d / "demo" / WORKBOOK_NAME
    sheets["demo"] = len(LEDGERS)
    pdf_dir = d / "pdf"
    # A private profile: no clash with another LibreOffice running on the machine.
    run = subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{d / 'profile'}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(pdf_dir),
            *map(str, books.values()),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr
    pdfs = {k: pdf_dir / f"{p.stem}.pdf" for k, p in books.items()}
    return {
        k: {"pdf": pdf, "pages": _pages(pdf, pdfinfo), "text": _text(pdf, pdftotext), "sheets": sheets[k]}
        for k, pdf in pdfs.items()
    }


@pytest.mark.parametrize("kind", ["coverage", "gaps", "analytics"])
def test_each_report_prints_with_titles_and_scope_names(printed: dict[str, Any], kind: str) -> None:
    p = printed[kind]
    # A small district: every sheet fits a page or two; fitted to width, a sheet never spreads sideways.
    assert p["sheets"] <= p["pages"] <= 2 * p["sheets"]
    text = p["text"]
    assert "万山区" in text and "截至 2025-06-30" in text and "全部" not in text.replace("全部区县", "")
    assert "JSON" not in text and "第 1 页" in text


def test_the_reports_print_names_and_empty_lists(printed: dict[str, Any]) -> None:
    analytics = printed["analytics"]["text"]
    assert "（无）" in analytics  # every household is linked: 未联系户 is empty
    assert "梅花社区" in analytics  # 孤立社区 by name
    gaps = printed["gaps"]["text"]
    assert "龙门二网格" in gaps and "郭峰" in gaps  # 唯一直接联系人: the person and the grid by name


def test_the_template_and_the_demo_workbook_print(printed: dict[str, Any]) -> None:
    t = printed["template"]
    assert t["sheets"] <= t["pages"] <= 3 * t["sheets"]
    assert "填表说明" in t["text"] and "【示例】" in t["text"] and "身份证号" in t["text"]
    demo = printed["demo"]
    assert demo["pages"] >= demo["sheets"]
    assert "###" not in demo["text"]  # dates wide enough
    assert re.search(r"\b52060\d{12}[\dX]\b", demo["text"])  # an ID number printed whole
