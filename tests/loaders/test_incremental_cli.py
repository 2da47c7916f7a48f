"""`orggraph load --json`, `orggraph load` (the Chinese summary), `--dry-run`, `orggraph changes` and
`orggraph diff` as a user runs them, on the embedded store (issue 12)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from faults.city import orggraph, stop_server
from faults.content import write_ledgers
from faults.monthly import base_ledgers, edited


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    base = tmp_path_factory.mktemp("incr-cli")
    d = base / "data"
    try:
        yield d
    finally:
        stop_server(d)


def one_json(stdout: str) -> dict:
    lines = [ln for ln in stdout.splitlines() if ln.strip()]
    assert len(lines) == 1, stdout
    return json.loads(lines[0])


def test_load_changes_and_diff_from_the_command_line(data: Path, tmp_path: Path) -> None:
    first = orggraph(data, "load", str(write_ledgers(tmp_path / "a", base_ledgers())), "--json")
    assert first.returncode == 0, first.stderr
    out = one_json(first.stdout)
    assert set(out) == {"rows", "changes", "seconds"}
    assert out["rows"]["people"] == 10 and out["changes"]["added"] > 0
    assert set(out["changes"]) == {"added", "updated", "removed", "by_kind"}

    again = orggraph(data, "load", str(write_ledgers(tmp_path / "b", base_ledgers())))
    assert again.returncode == 0, again.stderr
    assert "没有变化" in again.stdout and "未写入任何数据" in again.stdout

    folder = str(write_ledgers(tmp_path / "c", edited(base_ledgers())))
    dry = orggraph(data, "load", folder, "--dry-run", "--json")
    assert one_json(dry.stdout)["changes"]["by_kind"] == {
        "phones_changed": 5,
        "contact_points_ended": 3,
        "residents_moved": 2,
    }
    real = orggraph(data, "load", folder)
    assert real.returncode == 0, real.stderr
    assert (
        "电话变更 5" in real.stdout and "联系点结束 3" in real.stdout and "人员迁居（换户） 2" in real.stdout
    )

    listed = orggraph(data, "changes", "--json")
    assert listed.returncode == 0, listed.stderr
    loads = json.loads(listed.stdout)
    assert [r["changes"]["updated"] + r["changes"]["removed"] for r in loads[:2]] == [10, 0]
    assert len(loads) == 3  # the dry run is no load
    text = orggraph(data, "changes", "--since", "2000-01-01")
    assert text.returncode == 0 and text.stdout.count("完成") == 3
    bad = orggraph(data, "changes", "--since", "last week")
    assert bad.returncode == 2 and "YYYY-MM-DD" in bad.stderr and "Traceback" not in bad.stderr

    diff = orggraph(data, "diff", "--scope", "C1", "--from", "2026-11-01", "--to", "2026-11-30", "--json")
    assert diff.returncode == 0, diff.stderr
    assert sorted(t["t_key"] for t in one_json(diff.stdout)["terms"]) == ["C1", "G1"]
    wrong = orggraph(data, "diff", "--from", "2026-11-30", "--to", "2026-11-01")
    assert wrong.returncode == 2 and "晚于" in wrong.stderr and "Traceback" not in wrong.stderr
