"""Incremental loads and change reports (issue 12), on both stores: a re-load of the same ledgers reports no
change and writes nothing; edited phones, ended contact points and moved residents are reported by kind and
are the only writes; dry runs, refused and interrupted loads leave the record as it was; whatever the record
skips, the store ends up exactly as a fresh load of the same ledgers leaves it."""

from __future__ import annotations

import copy
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from faults.content import TEST_PID_KEY, Content, snapshot, write_ledgers
from faults.ledgers import Ledgers
from faults.monthly import BUILDING, HOUSEHOLD, base_ledgers, edited
from orggraph.graph.falkor import FalkorStore
from orggraph.graph.store import Store, StoreError
from orggraph.loaders.changes import History
from orggraph.loaders.importer import ImportReport, import_ledgers


class Loader:
    """Loads into one store with one change history, each load from a folder of its own."""

    def __init__(self, store: Store, tmp: Path) -> None:
        self.store, self.tmp, self.n = store, tmp, 0
        self.data = tmp / "data"

    def __call__(self, led: Ledgers, **kw: Any) -> ImportReport:
        self.n += 1
        folder = write_ledgers(self.tmp / f"l{self.n}", led)
        return import_ledgers(folder, self.store, pid_key=TEST_PID_KEY, history_dir=self.data, **kw)

    def reports(self) -> list[dict[str, Any]]:
        h = History(self.data)
        try:
            return h.reports()
        finally:
            h.close()


def without_source(content: Content) -> Content:
    """Row numbers aside: an unchanged node keeps the `source` of the load that last wrote it."""

    def drop(props: tuple[tuple[str, Any], ...]) -> tuple[tuple[str, Any], ...]:
        return tuple(kv for kv in props if kv[0] != "source")

    return Content(
        Counter({(labels, drop(props)): n for (labels, props), n in content.nodes.items()}),
        Counter({(a, ka, t, drop(props), b, kb): n for (a, ka, t, props, b, kb), n in content.rels.items()}),
    )


def full_reload_content(*versions: Ledgers, falkor_data_dir: Path, tmp: Path) -> Content:
    """What loading each version in turn stores when every row is written (the loader without a change
    record)."""
    s = FalkorStore.embedded(falkor_data_dir, f"full_{uuid.uuid4().hex[:10]}")
    try:
        for i, led in enumerate(versions):
            report = import_ledgers(write_ledgers(tmp / f"full{i}", led), s, pid_key=TEST_PID_KEY)
            assert report.ok
        return without_source(snapshot(s))
    finally:
        s.clear()
        s.close()


@pytest.fixture
def loader(any_store: Store, tmp_path: Path) -> Loader:
    return Loader(any_store, tmp_path)


def test_reload_of_the_same_ledgers_reports_no_change_and_writes_nothing(loader: Loader) -> None:
    first = loader(base_ledgers())
    assert first.ok and first.changes is not None
    assert first.changes.mode == "initial" and first.changes.added == sum(first.written.values()) > 0
    before = snapshot(loader.store)
    again = loader(base_ledgers())
    assert again.ok and again.changes is not None
    assert (again.changes.added, again.changes.updated, again.changes.removed, again.changes.by_kind) == (
        0,
        0,
        0,
        {},
    )
    assert again.written == {}
    assert sorted(again.skipped) == sorted(first.rows)  # every file is the very one the first load read
    assert snapshot(loader.store) == before
    assert [r["status"] for r in loader.reports()] == ["done", "done"]


def test_same_content_in_another_order_is_no_change(loader: Loader) -> None:
    led = base_ledgers()
    loader(led)
    shuffled = copy.deepcopy(led)
    shuffled["人员"].reverse()  # every row number (the `source`) moves, nothing else
    shuffled["联系点"].reverse()
    again = loader(shuffled)
    assert again.changes is not None and again.changes.total == 0 and again.written == {}
    assert "people" not in again.skipped  # read again: its bytes differ


def test_phones_contacts_and_moves_are_exactly_the_changes_and_the_writes(
    loader: Loader, falkor_data_dir: Path, tmp_path: Path
) -> None:
    """The issue's "done when": 5 phones, 3 contact points ended, 2 residents moved: reported and written
    alone."""
    loader(base_ledgers())
    new = edited(base_ledgers())
    report = loader(new)
    ch = report.changes
    assert ch is not None and ch.mode == "incremental"
    assert ch.by_kind == {"phones_changed": 5, "contact_points_ended": 3, "residents_moved": 2}
    assert (ch.added, ch.updated, ch.removed) == (0, 7, 3)
    written: dict[str, int] = {}
    for name, n in report.written.items():  # load.node.Person.member, load.rel.Person.CONTACTS.Grid …
        what = name.split(".")[2 if name.startswith("load.node.") else 3]
        written[what] = written.get(what, 0) + n
    assert written == {"Person": 5, "CONTACTS": 3, "LIVES_IN": 2}
    assert without_source(snapshot(loader.store)) == full_reload_content(
        base_ledgers(), new, falkor_data_dir=falkor_data_dir, tmp=tmp_path
    )
    # What moved and what ended is in the report's items, for /api/diff.
    h = History(loader.data)
    try:
        items = list(h.items([report.load_id or 0]))
    finally:
        h.close()
    assert sorted((i[1], i[4]) for i in items if i[1] == "residents_moved") == [
        ("residents_moved", "B1-101"),
        ("residents_moved", "B2-201"),
    ]


def test_dry_run_reports_what_would_change_and_changes_nothing(loader: Loader) -> None:
    loader(base_ledgers())
    before = snapshot(loader.store)
    dry = loader(edited(base_ledgers()), dry_run=True)
    assert dry.changes is not None and dry.changes.by_kind == {
        "phones_changed": 5,
        "contact_points_ended": 3,
        "residents_moved": 2,
    }
    assert dry.written == {} and snapshot(loader.store) == before
    assert len(loader.reports()) == 1  # a dry run is no load
    real = loader(edited(base_ledgers()))
    assert real.changes is not None and real.changes.by_kind == dry.changes.by_kind


def test_refused_load_writes_nothing_and_is_recorded(loader: Loader) -> None:
    loader(base_ledgers())
    before = snapshot(loader.store)
    bad = edited(base_ledgers())
    bad["联系点"][0]["开始日期"] = "2026-13-45"
    refused = loader(bad)
    assert not refused.ok and refused.written == {}
    assert snapshot(loader.store) == before
    assert [r["status"] for r in loader.reports()] == ["refused", "done"]
    fixed = loader(edited(base_ledgers()))  # the record was left as it was: the same changes are reported
    assert fixed.changes is not None and fixed.changes.total == 10


def test_emptied_cell_removes_and_a_missing_row_is_only_reported(loader: Loader) -> None:
    loader(base_ledgers())
    new = base_ledgers()
    new["人员"][9][BUILDING] = new["人员"][9][HOUSEHOLD] = ""  # 陈二 no longer lives in B4-402
    del new["人员"][7]  # 郑十 is left out of the newer ledger: kept in the graph (loads never delete)
    report = loader(new)
    ch = report.changes
    assert ch is not None
    assert ch.by_kind == {"residents_unhoused": 1, "residents_not_in_ledger": 1}
    assert (ch.added, ch.updated, ch.removed) == (0, 0, 1)
    lives = loader.store.read(
        "MATCH (:Person)-[r:LIVES_IN]->(h:Household {code: 'B4-402'}) RETURN count(r)"
    ).scalar()
    assert lives == 0
    assert loader.store.read("MATCH (p:Person {name: '郑十'}) RETURN count(p)").scalar() == 1


def test_a_store_changed_outside_the_loads_is_written_whole_again(loader: Loader) -> None:
    loader(base_ledgers())
    loader.store.write("MATCH (g:Grid {code: 'G1'}) SET g.name = 'changed by hand'")
    again = loader(base_ledgers())
    assert again.changes is not None and again.changes.mode == "rewrite"
    assert again.skipped == [] and sum(again.written.values()) > 0
    assert loader.store.read("MATCH (g:Grid {code: 'G1'}) RETURN g.name").scalar() == "G1网格"
    assert loader(base_ledgers()).written == {}  # and then the record holds again


def test_an_interrupted_load_is_reported_as_such_and_the_next_one_finishes_it(
    loader: Loader, monkeypatch: pytest.MonkeyPatch, falkor_data_dir: Path, tmp_path: Path
) -> None:
    loader(base_ledgers())
    store = loader.store
    real = store.write_stream

    def fail_after_first(writes: Any) -> Any:
        for i, done in enumerate(real(writes)):
            yield done
            if i == 0:
                raise StoreError("connection lost")

    monkeypatch.setattr(store, "write_stream", fail_after_first)
    new = edited(base_ledgers())
    with pytest.raises(StoreError):
        loader(new)
    monkeypatch.setattr(store, "write_stream", real)
    assert [r["status"] for r in loader.reports()] == ["running", "done"]
    finish = loader(new)
    assert finish.changes is not None and finish.changes.by_kind == {
        "phones_changed": 5,
        "contact_points_ended": 3,
        "residents_moved": 2,
    }
    assert without_source(snapshot(store)) == full_reload_content(
        base_ledgers(), new, falkor_data_dir=falkor_data_dir, tmp=tmp_path
    )


def test_a_cleared_store_starts_the_record_afresh(loader: Loader) -> None:
    loader(base_ledgers())
    loader.store.clear()
    again = loader(base_ledgers())
    assert again.changes is not None and again.changes.mode == "initial"
    assert again.changes.added == sum(again.written.values()) > 0


def test_an_unusable_change_record_refuses_the_load_before_any_write(loader: Loader) -> None:
    from orggraph.loaders.importer import LoadError

    loader.data.mkdir(parents=True)
    (loader.data / "changes.sqlite").mkdir()  # not a database: cannot be opened
    with pytest.raises(LoadError, match="变更记录.*库中的数据没有改动"):
        loader(base_ledgers())
    assert snapshot(loader.store).summary() == "0 nodes, 0 relationships"
