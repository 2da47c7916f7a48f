"""`GET /api/changes`, `GET /api/diff`, the page 数据变更 and its .xlsx export (issue 12), on both stores: two
loads of small_ledgers() — the second with 5 phones edited, the 3 contact points ended on 2026-11-30 and 2
residents moved — as admin and analyst; every other role is refused."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from faults.content import TEST_PID_KEY, write_ledgers
from faults.monthly import base_ledgers, edited
from openpyxl import load_workbook
from orggraph.graph.store import Store
from orggraph.loaders.importer import import_ledgers

from orggraph.settings import Settings

TODAY = dt.date.today().isoformat()  # the second load's day (reports are stamped when they run)


@pytest.fixture
def api(any_store: Store, settings: Settings, make_api: Callable[..., Any], tmp_path: Path) -> Any:
    for i, led in enumerate((base_ledgers(), edited(base_ledgers()))):
        report = import_ledgers(
            write_ledgers(tmp_path / f"l{i}", led),
            any_store,
            pid_key=TEST_PID_KEY,
            history_dir=settings.data_dir,
        )
        assert report.ok
    return make_api(any_store)


def test_changes_lists_loads_newest_first_for_admin_and_analyst(api: Any) -> None:
    for role in ("admin", "analyst"):
        r = api.get("/api/changes", role)
        assert r.status_code == 200, r.text
        loads = r.json()["loads"]
        assert [x["status"] for x in loads] == ["done", "done"]
        assert loads[0]["changes"]["by_kind"] == {
            "phones_changed": 5,
            "contact_points_ended": 3,
            "residents_moved": 2,
        }
        assert loads[1]["changes"]["added"] > 0 and loads[1]["mode"] == "initial"
        assert loads[0]["rows"]["people"] == 10 and loads[0]["files"]["people"] == "人员.csv"
        assert set(loads[0]["content_hashes"]) == set(loads[0]["rows"])
    assert api.get("/api/changes?since=2999-01-01").json() == {"loads": []}
    bad = api.get("/api/changes?since=yesterday")
    assert bad.status_code == 422 and "YYYY-MM-DD" in bad.json()["detail"]


@pytest.mark.parametrize("role", ["viewer", "street", "community"])
def test_other_roles_may_not_read_changes(api: Any, role: str) -> None:
    scope = {"street": "520603001", "community": "C1"}.get(role)
    for url in (
        "/api/changes",
        f"/api/diff?from=2026-01-01&to={TODAY}",
        "/pages/changes",
        "/pages/changes.xlsx",
    ):
        r = api.get(url, role, scope)
        assert r.status_code == 403, (url, r.status_code)
        assert "仅管理员和分析员" in r.text
        assert r.headers["content-type"].startswith(
            "text/html" if url.startswith("/pages/") else "application/json"
        )


def test_diff_lists_terms_and_load_items_between_two_dates(api: Any) -> None:
    r = api.get(f"/api/diff?from=2026-11-01&to={TODAY}")
    assert r.status_code == 200, r.text
    d = r.json()
    ended = sorted((t["what"], t["event"], t["date"], t["t_key"]) for t in d["terms"])
    assert ended == [("联系点", "ended", "2026-11-30", k) for k in sorted(("520603001", "C1", "G1"))]
    kinds = sorted(c["kind"] for c in d["changes"])
    assert kinds == ["contact_points_ended"] * 3 + ["phones_changed"] * 5 + ["residents_moved"] * 2
    assert len(d["loads"]) == 2 and not d["truncated"]
    # In community C1: its contact point and its grid's, and what changed among people living there.
    c1 = api.get(f"/api/diff?scope=C1&from=2026-11-01&to={TODAY}", "analyst").json()
    assert sorted(t["t_key"] for t in c1["terms"]) == ["C1", "G1"]
    assert sorted(c["kind"] for c in c1["changes"]) == (
        ["contact_points_ended"] * 2 + ["phones_changed"] * 3 + ["residents_moved"] * 2
    )
    # Before any load and before the contact points ended: the staff terms of 2024 only.
    early = api.get("/api/diff?from=2024-01-01&to=2024-01-31").json()
    assert sorted((t["what"], t["event"], t["date"]) for t in early["terms"]) == sorted(
        [("网格力量", "began", "2024-01-01"), ("联户", "began", "2024-01-01")]
        + [("联系点", "began", "2024-01-01")] * 3
    )
    assert early["loads"] == [] and early["changes"] == []


@pytest.mark.parametrize(
    ("query", "status", "says"),
    [
        ("from=2026-01-01", 422, "缺少日期 to"),
        ("from=2026-02-30&to=2026-03-01", 422, "格式不对"),
        ("from=2026-03-01&to=2026-01-01", 422, "晚于"),
        ("scope=NOPE&from=2026-01-01&to=2026-03-01", 404, "找不到"),
        ("scope=G1&from=2026-01-01&to=2026-03-01", 422, "范围只能是"),
    ],
)
def test_diff_refuses_bad_input_in_chinese(api: Any, query: str, status: int, says: str) -> None:
    r = api.get(f"/api/diff?{query}")
    assert r.status_code == status, r.text
    assert says in r.json()["detail"]


def test_the_page_and_its_xlsx(api: Any) -> None:
    page = api.get("/pages/changes")
    assert page.status_code == 200
    assert "数据变更" in page.text and "电话变更 5" in page.text and "/pages/changes.xlsx" in page.text
    xlsx = api.get("/pages/changes.xlsx", "analyst")
    assert xlsx.status_code == 200
    wb = load_workbook(io.BytesIO(xlsx.content))
    assert wb.sheetnames == ["导入记录", "变更明细"]
    loads = list(wb["导入记录"].iter_rows(min_row=2, values_only=True))
    assert [row[3] for row in loads] == ["完成", "完成"]
    kinds = {(row[0], row[3]): row[4] for row in wb["变更明细"].iter_rows(min_row=2, values_only=True)}
    newest = loads[0][0]
    assert {k: v for (load, k), v in kinds.items() if load == newest} == {
        "phones_changed": 5,
        "contact_points_ended": 3,
        "residents_moved": 2,
    }
    assert "数据变更" in api.get("/pages/overview").text  # the menu item
