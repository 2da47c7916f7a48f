"""The people ledger transformed by forked workers (loaders/parallel.py) gives exactly what the serial pass
gives: the same issues in the same order (file, row, column, value, reason), the same writes in the same order
(so the same change record and the same graph), the same row counts."""

from __future__ import annotations

import csv
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from faults.content import TEST_PID_KEY
from orggraph.loaders import parallel
from orggraph.loaders.demo import generate
from orggraph.loaders.importer import LoadError, plan_import


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("parallel") / "city"
    generate(folder, residents=2_000, seed=11)
    return folder


def _plan(folder: Path, workers: int) -> tuple[list[str], dict[str, int], list[Any]]:
    report, spool = plan_import(folder, None, pid_key=TEST_PID_KEY, workers=workers, batch_size=500)
    issues = [i.format() for i in report.issues]
    if spool is None:
        return issues, report.rows, []
    try:
        return issues, report.rows, list(spool.replay())
    finally:
        spool.close()


def _broken(city: Path, out: Path) -> Path:
    """The city with errors and warnings of every sort scattered over the people ledger: a duplicated ID far
    from its first row, bad ID check characters, bad phones, unknown codes, a wrong gender, and a grid worker
    the people ledger no longer defines."""
    shutil.copytree(city, out)
    path = out / "人员.csv"
    with open(path, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    head, body = rows[0], rows[1:]
    col = {h: i for i, h in enumerate(head)}
    with open(out / "网格力量.csv", encoding="utf-8-sig", newline="") as f:
        staff = {r["身份证号"] for r in csv.DictReader(f)}
    body = [r for r in body if r[col["身份证号"]] not in list(staff)[:1]]  # a grid worker no longer defined
    body.append(list(body[10]))  # the same person again, at the end
    body.append(list(body[700]))
    for i in range(3, len(body), 97):
        body[i][col["手机号"]] = "12345"
    for i in range(5, len(body), 131):
        body[i][col["身份证号"]] = body[i][col["身份证号"]][:-1] + (
            "0" if body[i][col["身份证号"]][-1] != "0" else "1"
        )
    for i in range(7, len(body), 173):
        body[i][col["党组织编码"]] = "NO-SUCH-ORG"
    for i in range(9, len(body), 59):
        body[i][col["性别"]] = "女" if body[i][col["性别"]] == "男" else "男"
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f).writerows([head, *body])
    return out


@pytest.mark.parametrize("workers", [2, 3])
def test_workers_give_the_serial_writes(city: Path, workers: int) -> None:
    issues, rows, writes = _plan(city, 1)
    assert writes and rows["people"] >= 2_000
    assert _plan(city, workers) == (issues, rows, writes)


@pytest.mark.parametrize("workers", [2, 3])
def test_workers_give_the_serial_errors(city: Path, tmp_path: Path, workers: int) -> None:
    folder = _broken(city, tmp_path / "broken")
    issues, rows, writes = _plan(folder, 1)
    assert not writes and any("身份证号重复" in i for i in issues) and any("警告" in i for i in issues)
    assert any("找不到该人员" in i for i in issues)
    assert _plan(folder, workers) == (issues, rows, writes)


def test_a_worker_that_dies_refuses_the_load_with_a_message(
    city: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Killed or out of memory: the load stops before any write, saying so (LoadError: exit 1)."""
    monkeypatch.setattr(parallel, "_work", lambda *a: os._exit(1))
    with pytest.raises(LoadError, match="子进程意外退出"):
        plan_import(city, None, pid_key=TEST_PID_KEY, workers=2)
