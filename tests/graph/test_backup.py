"""`orggraph backup` / `orggraph restore`: the content round-trips exactly, and a bad file changes nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from faults.content import TEST_PID_KEY, hostile_graph, snapshot, use_store
from orggraph.api.cli import main as cli_main
from orggraph.graph.backup import MAGIC, BackupError, _write_file, backup, inspect_backup, restore
from orggraph.graph.embedded import EmbeddedServer
from orggraph.graph.falkor import FalkorStore
from orggraph.graph.store import Store

_INDEXES = "CALL db.indexes() YIELD label, properties RETURN label, properties"
_CONSTRAINTS = "CALL db.constraints() YIELD type, label, properties RETURN type, label, properties"


def _schema(store: Store) -> tuple[list[Any], list[Any]]:
    return sorted(map(repr, store.read(_INDEXES).rows)), sorted(map(repr, store.read(_CONSTRAINTS).rows))


def _alive(store: FalkorStore) -> None:
    store.ping()  # the server survived whatever the test did


@pytest.fixture
def demo_store(store: FalkorStore, tmp_path_factory: pytest.TempPathFactory) -> FalkorStore:
    """The demo city (2,000 residents) loaded into this test's graph."""
    from orggraph.loaders.demo import generate
    from orggraph.loaders.importer import import_ledgers

    ledgers = tmp_path_factory.mktemp("demo") / "ledgers"
    generate(ledgers, residents=2000)
    store.ensure_schema()  # see test_reported.py: a load into a never-written FalkorDB graph fails otherwise
    report = import_ledgers(ledgers, store, pid_key=TEST_PID_KEY)
    assert report.ok, [i.format() for i in report.errors[:5]]
    return store


def test_demo_round_trips_exactly(demo_store: FalkorStore, tmp_path: Path) -> None:
    before, schema = snapshot(demo_store), _schema(demo_store)
    assert sum(before.nodes.values()) > 2000 and sum(before.rels.values()) > 2000
    info = backup(demo_store, tmp_path / "city.orggraph-backup")
    assert (info.nodes, info.relationships) == (sum(before.nodes.values()), sum(before.rels.values()))
    demo_store.clear()
    assert snapshot(demo_store).summary() == "0 nodes, 0 relationships"
    restored = restore(demo_store, tmp_path / "city.orggraph-backup")
    assert restored.nodes == info.nodes
    after = snapshot(demo_store)
    assert after == before, before.diff(after)
    assert _schema(demo_store) == schema  # indexes and uniqueness constraints came back too
    assert not list((tmp_path).glob("*.partial"))


def test_restore_replaces_a_different_graph_without_crashing_the_server(
    store: FalkorStore, tmp_path: Path
) -> None:
    hostile_graph(store)
    want = snapshot(store)
    backup(store, tmp_path / "b")
    store.write("MATCH (n:Grid) DETACH DELETE n")
    store.write("CREATE (:Grid {code: 'other'})")
    assert snapshot(store) != want
    restore(store, tmp_path / "b")  # the graph exists: renamed aside, restored, old copy deleted
    _alive(store)
    assert snapshot(store) == want, want.diff(snapshot(store))
    assert store.connection.keys(store.graph_name + "*") == [store.graph_name]  # nothing left aside


def _corruptions(good: bytes) -> dict[str, tuple[bytes, str]]:
    header_end = good.index(b"\n", len(MAGIC)) + 1
    flipped = bytearray(good)
    flipped[header_end + 100] ^= 0x01
    return {
        "truncated": (good[: len(good) // 2], "不完整"),
        "one byte flipped": (bytes(flipped), "校验和"),
        "cut before the footer": (good[:-40], "不完整"),
        "extra bytes": (good + b"x", "损坏"),
        "not a backup": (b"PK\x03\x04 a zip file", "不是 orggraph 的备份文件"),
        "empty": (b"", "不是 orggraph 的备份文件"),
        "header garbage": (MAGIC + b"{not json\n" + good[header_end:], "文件头"),
    }


def test_corrupt_backups_are_refused_and_change_nothing(store: FalkorStore, tmp_path: Path) -> None:
    hostile_graph(store)
    good_path = tmp_path / "good"
    backup(store, good_path)
    store.write("CREATE (:Grid {code: 'added after the backup'})")
    current = snapshot(store)
    for name, (data, message) in _corruptions(good_path.read_bytes()).items():
        bad = tmp_path / "bad"
        bad.write_bytes(data)
        with pytest.raises(BackupError, match=message):
            restore(store, bad)
        assert snapshot(store) == current, f"{name}: the store changed"
    with pytest.raises(BackupError, match="找不到备份文件"):
        restore(store, tmp_path / "missing")
    _alive(store)


def test_payload_the_server_refuses_is_rolled_back(store: FalkorStore, tmp_path: Path) -> None:
    """A file whose checksum is right but whose payload the server rejects (e.g. from another version)."""
    hostile_graph(store)
    backup(store, tmp_path / "good")
    data = (tmp_path / "good").read_bytes()
    header_end = data.index(b"\n", len(MAGIC)) + 1
    header = json.loads(data[len(MAGIC) : header_end])
    payload = bytearray(data[header_end : header_end + header["payload_bytes"]])
    payload[-10] ^= 0xFF  # the RDB version field of the DUMP footer
    _write_file(tmp_path / "refused", header, bytes(payload))
    store.write("CREATE (:Grid {code: 'current'})")
    current = snapshot(store)
    with pytest.raises(BackupError, match="数据库拒绝了这份备份.*未做任何改动"):
        restore(store, tmp_path / "refused")
    _alive(store)
    assert snapshot(store) == current
    assert store.connection.keys(store.graph_name + "*") == [store.graph_name]


def test_backup_of_another_graph_name_is_refused(
    store: FalkorStore, falkor_data_dir: Path, tmp_path: Path
) -> None:
    hostile_graph(store)
    backup(store, tmp_path / "b")
    other = FalkorStore.embedded(falkor_data_dir, f"t_{uuid.uuid4().hex[:12]}")
    try:
        with pytest.raises(BackupError, match="ORGGRAPH_GRAPH_NAME="):
            restore(other, tmp_path / "b")
        _alive(other)
    finally:
        other.clear()
        other.close()


def test_empty_store_round_trips(store: FalkorStore, tmp_path: Path) -> None:
    info = backup(store, tmp_path / "empty")  # a graph never written to (reading it creates it empty)
    assert (info.nodes, info.relationships) == (0, 0) and inspect_backup(tmp_path / "empty").nodes == 0
    hostile_graph(store)
    restore(store, tmp_path / "empty")
    assert snapshot(store).summary() == "0 nodes, 0 relationships"


def test_a_restore_interrupted_between_rename_and_delete_is_repaired(
    store: FalkorStore, tmp_path: Path
) -> None:
    hostile_graph(store)
    want = snapshot(store)
    backup(store, tmp_path / "b")
    aside = store.graph_name + ".orggraph-restore-old"
    # As if a restore had renamed the graph aside and died before restoring: the next command puts it back.
    store.connection.execute_command("RENAME", store.graph_name, aside)
    backup(store, tmp_path / "again")
    assert snapshot(store) == want and not store.connection.exists(aside)
    assert inspect_backup(tmp_path / "again").nodes == sum(want.nodes.values())


def test_backup_file_is_replaced_atomically(store: FalkorStore, tmp_path: Path) -> None:
    hostile_graph(store)
    out = tmp_path / "b"
    out.write_bytes(b"an older backup")
    backup(store, out)
    assert inspect_backup(out).nodes == sum(snapshot(store).nodes.values())
    assert [p.name for p in tmp_path.iterdir()] == ["b"]


def test_cli_backup_and_restore(
    store: FalkorStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    hostile_graph(store)
    want = snapshot(store)
    use_store(monkeypatch, store, tmp_path / "data")
    assert cli_main(["backup", str(tmp_path / "b")]) == 0
    assert "已备份" in capsys.readouterr().out
    store.clear()
    (tmp_path / "bad").write_bytes((tmp_path / "b").read_bytes()[:-5])
    assert cli_main(["restore", str(tmp_path / "bad")]) == 1
    assert "不完整" in capsys.readouterr().err
    assert snapshot(store).summary() == "0 nodes, 0 relationships"
    assert cli_main(["restore", str(tmp_path / "b")]) == 0
    assert "已从" in capsys.readouterr().out
    assert snapshot(store) == want


# ------------------------------------------------------------------------- real processes, own server
@pytest.fixture
def own_data_dir(tmp_path: Path) -> Iterator[Path]:
    d = tmp_path / "data"
    yield d
    EmbeddedServer(d).stop()


def _orggraph(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ORGGRAPH_DATA_DIR": str(data_dir), "ORGGRAPH_PID_KEY": TEST_PID_KEY.decode()}
    return subprocess.run(
        [sys.executable, "-m", "orggraph", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_restored_graph_survives_a_server_restart(own_data_dir: Path, tmp_path: Path) -> None:
    """RENAME/RESTORE go through the AOF: after a restart (and after SIGKILL) the restored graph is there."""
    s = FalkorStore.embedded(own_data_dir, "orggraph")
    try:
        hostile_graph(s)
        want = snapshot(s)
        backup(s, tmp_path / "b")
        s.write("MATCH (n) DETACH DELETE n")
        s.write("CREATE (:Grid {code: 'after'})")
    finally:
        s.close()
    r = _orggraph(own_data_dir, "restore", str(tmp_path / "b"))
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr
    server = EmbeddedServer(own_data_dir)
    s = FalkorStore.embedded(own_data_dir, "orggraph")
    try:
        pid = server.server_pid()
        assert pid is not None
        os.kill(pid, 9)  # no clean shutdown, no final RDB: only what the AOF holds
    finally:
        s.close()
    s = FalkorStore.embedded(own_data_dir, "orggraph")
    try:
        got = snapshot(s)
        assert got == want, want.diff(got)
    finally:
        s.close()


def test_cli_restore_of_a_truncated_file_is_a_clear_error(own_data_dir: Path, tmp_path: Path) -> None:
    s = FalkorStore.embedded(own_data_dir, "orggraph")
    try:
        hostile_graph(s)
        want = snapshot(s)
    finally:
        s.close()
    r = _orggraph(own_data_dir, "backup", str(tmp_path / "b"))
    assert r.returncode == 0, r.stderr
    (tmp_path / "t").write_bytes((tmp_path / "b").read_bytes()[:1000])
    r = _orggraph(own_data_dir, "restore", str(tmp_path / "t"))
    assert (
        r.returncode == 1 and "备份文件" in r.stderr and "不完整" in r.stderr and "Traceback" not in r.stderr
    )
    s = FalkorStore.embedded(own_data_dir, "orggraph")
    try:
        assert snapshot(s) == want
    finally:
        s.close()


def test_backup_from_a_newer_database_is_refused(store: FalkorStore, tmp_path: Path) -> None:
    hostile_graph(store)
    backup(store, tmp_path / "b")
    data = (tmp_path / "b").read_bytes()
    header_end = data.index(b"\n", len(MAGIC)) + 1
    header = json.loads(data[len(MAGIC) : header_end])
    payload = data[header_end : header_end + header["payload_bytes"]]
    header["graph_module_version"] = 10**9
    _write_file(tmp_path / "newer", header, payload)
    before = snapshot(store)
    with pytest.raises(BackupError, match="更新版本"):
        restore(store, tmp_path / "newer")
    assert snapshot(store) == before


def test_neo4j_is_told_to_use_its_own_tools(tmp_path: Path) -> None:
    from orggraph.graph.backup import BackupUnsupported

    class Neo4jLike:
        backend = "neo4j"
        database = "city"

    with pytest.raises(BackupUnsupported, match="neo4j-admin database dump city"):
        backup(Neo4jLike(), tmp_path / "b")  # type: ignore[arg-type]
    with pytest.raises(BackupUnsupported, match="neo4j-admin database load city"):
        restore(Neo4jLike(), tmp_path / "b")  # type: ignore[arg-type]
    assert not (tmp_path / "b").exists()
