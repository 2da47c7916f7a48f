"""First loads through FalkorDB's bulk path (issue 12, loaders/bulk.py): the same graph, the same indexes and
constraints and the same change history as the UNWIND/MERGE path; commands split at their bounds; rows only
MERGE can write fall back to it with nothing left of the attempt; Neo4j and non-empty graphs keep MERGE."""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path
from typing import Any

import pytest
from faults.content import TEST_PID_KEY, snapshot, write_ledgers
from faults.monthly import base_ledgers, edited
from orggraph.graph.falkor import FalkorStore
from orggraph.graph.store import Store
from orggraph.loaders import bulk
from orggraph.loaders.changes import HISTORY_FILE, History
from orggraph.loaders.demo import generate
from orggraph.loaders.importer import ImportReport, _Spool, import_ledgers, write_load
from orggraph.loaders.writes import node_write, rel_write

_INDEXES = "CALL db.indexes() YIELD label, properties RETURN label, properties"
_CONSTRAINTS = "CALL db.constraints() YIELD type, label, properties RETURN type, label, properties"


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small demo city: every ledger, party members and not, households, terms, contacts."""
    folder = tmp_path_factory.mktemp("bulk") / "city"
    generate(folder, residents=1_500, seed=7)
    return folder


def _graph(data_dir: Path) -> FalkorStore:
    return FalkorStore.embedded(data_dir, f"bulk_{uuid.uuid4().hex[:10]}")


def _schema(s: Store) -> tuple[list[Any], list[Any]]:
    idx = sorted((lb, sorted(p)) for lb, p in s.read(_INDEXES).rows)
    cons = sorted((t, lb, sorted(p)) for t, lb, p in s.read(_CONSTRAINTS).rows)
    return idx, cons


def _record(data: Path) -> tuple[list[Any], list[dict[str, Any]]]:
    """The change record a load left: every entity's identity and hashes, and the load reports' changes."""
    db = sqlite3.connect(data / HISTORY_FILE)
    try:
        entities = db.execute("SELECT id, h, x, m, p FROM entity ORDER BY id").fetchall()
    finally:
        db.close()
    h = History(data)
    try:
        reports = [{k: r[k] for k in ("rows", "changes", "content_hashes", "mode")} for r in h.reports()]
    finally:
        h.close()
    return entities, reports


@pytest.mark.parametrize("command_rows", [100_000, 700])
def test_a_bulk_first_load_stores_what_merge_stores(
    city: Path, falkor_data_dir: Path, tmp_path: Path, command_rows: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Content, indexes, constraints and change record are the MERGE path's, in one command or in many."""
    real = bulk.write_bulk
    monkeypatch.setattr(
        "orggraph.loaders.importer.write_bulk",
        lambda *a, **kw: real(*a, **{**kw, "command_rows": command_rows}),
    )
    got: dict[bool, Any] = {}
    for use_bulk in (True, False):
        s = _graph(falkor_data_dir)
        data = tmp_path / f"data-{use_bulk}"
        try:
            report = import_ledgers(city, s, pid_key=TEST_PID_KEY, history_dir=data, bulk=use_bulk)
            assert report.ok and report.bulk is use_bulk
            got[use_bulk] = (snapshot(s), _schema(s), _record(data), report.written)
        finally:
            s.clear()
            s.close()
    (content, schema, record, written), (ref_content, ref_schema, ref_record, ref_written) = (
        got[True],
        got[False],
    )
    assert content == ref_content, ref_content.diff(content)
    assert content.summary() != "0 nodes, 0 relationships"
    assert schema == ref_schema and schema[0] and schema[1]
    assert record == ref_record
    assert record[1][0]["changes"]["added"] == sum(written.values()) > 0
    assert written == ref_written


def test_after_a_bulk_first_load_the_next_load_writes_only_the_changes(
    falkor_data_dir: Path, tmp_path: Path
) -> None:
    s = _graph(falkor_data_dir)
    data = tmp_path / "data"
    try:
        first = import_ledgers(
            write_ledgers(tmp_path / "a", base_ledgers()), s, pid_key=TEST_PID_KEY, history_dir=data
        )
        assert first.bulk and first.changes is not None and first.changes.mode == "initial"
        new = edited(base_ledgers())
        second = import_ledgers(write_ledgers(tmp_path / "b", new), s, pid_key=TEST_PID_KEY, history_dir=data)
        assert not second.bulk and second.changes is not None
        assert second.changes.by_kind == {
            "phones_changed": 5,
            "contact_points_ended": 3,
            "residents_moved": 2,
        }
        assert sum(second.written.values()) == 10
    finally:
        s.clear()
        s.close()


def test_rows_only_merge_can_write_fall_back_to_it(falkor_data_dir: Path, tmp_path: Path) -> None:
    """Two rows for one node (MERGE keeps one node): the bulk attempt is undone and MERGE writes the spool.
    A value GRAPH.BULK cannot carry (a NUL in a string) is refused before anything is sent."""
    s = _graph(falkor_data_dir)
    spool = _Spool(tmp_path, 2)
    try:
        spool.add(node_write("District"), {"key": "520603", "props": {"name": "万山区", "source": "a"}})
        spool.add(node_write("Street"), {"key": "520603001", "props": {"name": "仁山街道", "source": "b"}})
        spool.add(
            node_write("Street"), {"key": "520603001", "props": {"name": "仁山街道（新）", "source": "c"}}
        )
        spool.add(rel_write("Street", "PART_OF", "District"), {"a": "520603001", "b": "520603", "props": {}})
        report = ImportReport(issues=[])
        write_load(s, spool, report)
        assert not report.bulk
        rows = s.read("MATCH (n:Street)-[:PART_OF]->(d:District) RETURN n.name, d.code").rows
        assert len(rows) == 1 and rows[0][1] == "520603"  # one street (which name: MERGE's own business)
        with pytest.raises(bulk.BulkUnsuitable):
            bulk._value("a\x00b")
    finally:
        spool.close()
        s.clear()
        s.close()


def test_a_failed_bulk_attempt_leaves_the_graph_empty(falkor_data_dir: Path) -> None:
    s = _graph(falkor_data_dir)
    batches = [
        (node_write("District"), [{"key": "1", "props": {"name": "a"}}]),
        (node_write("District"), [{"key": "1", "props": {"name": "b"}}]),
    ]
    try:
        with pytest.raises(bulk.BulkUnsuitable):
            bulk.write_bulk(s, batches, 2, command_rows=1)  # the first node is sent before the second is seen
        assert bulk.bulk_possible(s)
    finally:
        s.clear()
        s.close()


def test_only_an_empty_falkordb_graph_takes_the_bulk_path(
    any_store: Store, backend: str, tmp_path: Path
) -> None:
    folder = write_ledgers(tmp_path / "l", base_ledgers())
    first = import_ledgers(folder, any_store, pid_key=TEST_PID_KEY)
    assert first.ok and first.bulk is (backend != "neo4j")
    before = snapshot(any_store)
    again = import_ledgers(folder, any_store, pid_key=TEST_PID_KEY)  # no record: every row MERGEd again
    assert again.ok and not again.bulk
    assert snapshot(any_store) == before
