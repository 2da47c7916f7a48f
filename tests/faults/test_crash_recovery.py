"""Crash-safe loads into the embedded store: SIGKILL of the server or of the loader at several points of a
load.

After each kill the store must answer again within (generously) the time of one clean load of the same city
(the restarted server replays its AOF tail through a client, graph/aof.py, not by redis's own AOF loading,
which FalkorDB makes some 100 times slower: benchmarks/aof_replay.py), loading the ledgers again must give
exactly the clean graph, and no server or watchdog may be left running once nothing uses the data dir.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from falkordb import FalkorDB
from orggraph.graph import aof
from orggraph.graph.embedded import EmbeddedServer
from orggraph.graph.falkor import FalkorStore

from .city import GRAPH, City, env, kill_server, orggraph, start, stop_server, wait_until
from .content import Content, snapshot


def _processes_of(data_dir: Path) -> list[int]:
    """Live processes whose command line names this data dir (its redis-server via --dir, its watchdog)."""
    needles = (str(data_dir.resolve()).encode(), EmbeddedServer(data_dir)._socket_path().encode())
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if any(n in cmdline for n in needles) and state not in ("Z", "X"):
            found.append(int(entry.name))
    return found


def _no_process_left(data_dir: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while (left := _processes_of(data_dir)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not left, f"left running for {data_dir}: " + ", ".join(
        Path(f"/proc/{p}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")[:120]
        for p in left
    )


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    d = tmp_path / "data"
    yield d
    stop_server(d)
    _no_process_left(d)


def _peek(data_dir: Path) -> tuple[int, int]:
    """The counts, read without registering as a user of the server (the loader must stay its only user)."""
    sock = EmbeddedServer(data_dir)._socket_path()
    try:
        g = FalkorDB(unix_socket_path=sock).select_graph(GRAPH)
        n = g.ro_query("MATCH (n) RETURN count(n)").result_set[0][0]
        r = g.ro_query("MATCH ()-[r]->() RETURN count(r)").result_set[0][0]
    except Exception:  # not started yet, or no graph yet
        return 0, 0
    return int(n), int(r)


def _load(data_dir: Path, city: City) -> subprocess.Popen[str]:
    """`orggraph load` in small batches: some forty of them, so each kill point lands inside the load. The
    MERGE batches (--no-bulk): a first load's bulk path has its own kill test (test_kill.py)."""
    return start(
        data_dir, "load", str(city.ledgers), "--no-bulk", env=env(data_dir, ORGGRAPH_BATCH_SIZE="1000")
    )


def _reached(data_dir: Path, city: City, phase: str, fraction: float) -> bool:
    n, r = _peek(data_dir)
    return n > city.nodes * fraction if phase == "nodes" else r > city.relationships * fraction


def _bound(city: City) -> float:
    """'Within the time of one clean load', made generous for a shared test machine."""
    return 3 * max(city.load_seconds, 5.0) + 10


def _answers_again(data_dir: Path, city: City) -> float:
    """Seconds until the store answers a query (what the next orggraph command does first)."""
    t0 = time.monotonic()
    s = FalkorStore.embedded(data_dir, GRAPH)
    try:
        s.read("MATCH (n) RETURN count(n)")
    finally:
        s.close()
    seconds = time.monotonic() - t0
    assert seconds < _bound(city), (
        f"the store took {seconds:.1f} s to answer (clean load: {city.load_seconds:.1f} s)"
    )
    return seconds


def _reload_gives_the_clean_graph(data_dir: Path, city: City) -> None:
    r = orggraph(data_dir, "load", str(city.ledgers))
    assert r.returncode == 0, r.stderr
    got = snapshot_of(data_dir)
    assert not got.doubled_relationships()
    assert got == city.reference, city.reference.diff(got)


def snapshot_of(data_dir: Path) -> Content:
    s = FalkorStore.embedded(data_dir, GRAPH)
    try:
        return snapshot(s)
    finally:
        s.close()


@pytest.mark.parametrize(("phase", "fraction"), [("nodes", 0.05), ("nodes", 0.6), ("relationships", 0.3)])
def test_server_killed_at_points_of_a_load(city: City, data_dir: Path, phase: str, fraction: float) -> None:
    proc = _load(data_dir, city)
    try:
        wait_until(proc, lambda: _reached(data_dir, city, phase, fraction), f"{fraction:.0%} of the {phase}")
        proc.send_signal(signal.SIGSTOP)  # so the kill lands before the load's end, however fast it writes
        kill_server(data_dir)
        proc.send_signal(signal.SIGCONT)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode not in (0, None) and "Traceback" not in err, err
    _no_process_left(data_dir)  # the loader's exit released the dead server; its watchdog saw it go
    _answers_again(data_dir, city)
    assert not (EmbeddedServer(data_dir).db_dir / aof.REPLAY_DIRNAME).exists(), "the replay did not finish"
    _reload_gives_the_clean_graph(data_dir, city)


@pytest.mark.parametrize(("phase", "fraction"), [("nodes", 0.3), ("relationships", 0.6)])
def test_loader_killed_leaves_no_orphan(city: City, data_dir: Path, phase: str, fraction: float) -> None:
    proc = _load(data_dir, city)
    try:
        wait_until(proc, lambda: _reached(data_dir, city, phase, fraction), f"{fraction:.0%} of the {phase}")
        server = EmbeddedServer(data_dir).server_pid()
        assert server is not None
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    # Nothing uses the server any more: its watchdog stops it (cleanly: the next start reads a snapshot).
    _no_process_left(data_dir)
    assert EmbeddedServer(data_dir).server_pid() is None
    _answers_again(data_dir, city)
    _reload_gives_the_clean_graph(data_dir, city)


def test_replay_cut_off_is_done_again_exactly_once(city: City, data_dir: Path, tmp_path: Path) -> None:
    """The process replaying an AOF tail is SIGKILLed in the middle: the half-replayed server is replaced and
    the whole tail replayed again on the base (nothing applied twice, nothing lost: the same content as a
    replay that was never cut off)."""
    proc = _load(data_dir, city)
    try:
        wait_until(proc, lambda: _reached(data_dir, city, "relationships", 0.4), "40% of the relationships")
        proc.send_signal(signal.SIGSTOP)
        kill_server(data_dir)
        proc.send_signal(signal.SIGCONT)
        proc.communicate(timeout=120)
        assert proc.returncode != 0
    finally:
        if proc.poll() is None:
            proc.kill()
    _no_process_left(data_dir)
    pristine = (
        tmp_path / "pristine"
    )  # the same killed files, recovered without interruption: the expected content
    (pristine / "falkordb").mkdir(parents=True)
    subprocess.run(["cp", "-a", str(EmbeddedServer(data_dir).db_dir), str(pristine / "falkordb")], check=True)
    # A process that replays 5 commands of the tail and then dies as if SIGKILLed.
    cut = subprocess.run(
        [sys.executable, "-c",
         "import os, sys\nfrom pathlib import Path\nfrom orggraph.graph import aof\n"
         "from orggraph.graph.embedded import EmbeddedServer\n"
         "real = aof.iter_commands\n"
         "def cut(path, *a):\n    for i, c in enumerate(real(path, *a)):\n"
         "        if i == 5:\n            os._exit(9)\n        yield c\n"
         "aof.iter_commands = cut\nEmbeddedServer(Path(sys.argv[1])).acquire()\n",
         str(data_dir)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert cut.returncode == 9, cut.stderr
    assert aof.pending_replay(EmbeddedServer(data_dir).db_dir) is not None, "the tail was not set aside"
    try:
        got = snapshot_of(data_dir)
        expected = snapshot_of(pristine)
    finally:
        stop_server(pristine)
    assert sum(got.nodes.values()) > 0
    assert got == expected, expected.diff(got)
    assert aof.pending_replay(EmbeddedServer(data_dir).db_dir) is None
    _no_process_left(pristine)


def test_schema_is_in_the_aof_once(city: City, data_dir: Path) -> None:
    """FalkorDB writes each GRAPH.CONSTRAINT CREATE to the AOF twice; ensure_schema creates only what is
    missing and then folds the AOF into a snapshot, so a restart never replays a constraint, let alone
    twice."""
    r = orggraph(data_dir, "load", str(city.ledgers))
    assert r.returncode == 0, r.stderr
    s = FalkorStore.embedded(data_dir, GRAPH)
    try:
        s.ensure_schema()  # a second time: nothing to create, nothing written
        s.connection.execute_command("WAITAOF", 1, 0, 0)
        db = EmbeddedServer(data_dir).db_dir
        manifest = aof.read_manifest(db / aof.AOF_DIRNAME)
        tail = [
            c for e in manifest if e.type == "i" for c in aof.iter_commands(db / aof.AOF_DIRNAME / e.name)
        ]
        assert not [c for c in tail if c[0].upper() in (b"GRAPH.CONSTRAINT",)], (
            "constraints replayed on restart"
        )
        assert not [c for c in tail if b"CREATE INDEX" in b" ".join(c)], "indexes replayed on restart"
        assert len(s.read("CALL db.constraints()").rows) == 9
    finally:
        s.close()


# --- the AOF reader
# ------------------------------------------------------------------------------------------


def _resp(*args: bytes) -> bytes:
    return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)


def test_aof_reader_drops_a_truncated_command_and_an_open_multi(tmp_path: Path) -> None:
    path = tmp_path / "a.aof"
    full = _resp(b"SELECT", b"0") + b"#TS:123\r\n" + _resp(b"SET", b"k", b"v\r\nwith crlf")
    txn = _resp(b"MULTI") + _resp(b"SET", b"a", b"1") + _resp(b"EXEC")
    path.write_bytes(full + txn + _resp(b"GRAPH.QUERY", b"g", b"CREATE ()")[:-7])
    assert list(aof.iter_commands(path, chunk=7)) == [
        [b"SELECT", b"0"], [b"SET", b"k", b"v\r\nwith crlf"], [b"MULTI"], [b"SET", b"a", b"1"], [b"EXEC"]
    ]  # fmt: skip
    path.write_bytes(full + _resp(b"MULTI") + _resp(b"SET", b"a", b"1"))
    assert list(aof.iter_commands(path)) == [[b"SELECT", b"0"], [b"SET", b"k", b"v\r\nwith crlf"]]


def test_small_tail_is_left_to_redis(tmp_path: Path) -> None:
    db = tmp_path / "db"
    (db / aof.AOF_DIRNAME).mkdir(parents=True)
    (db / aof.AOF_DIRNAME / "x.base.rdb").write_bytes(b"")
    (db / aof.AOF_DIRNAME / "x.incr.aof").write_bytes(_resp(b"SET", b"k", b"v"))
    (db / aof.AOF_DIRNAME / aof.MANIFEST).write_text(
        "file x.base.rdb seq 1 type b\nfile x.incr.aof seq 1 type i startoffset 0\n"
    )
    assert aof.set_aside(db) is None
    plan = aof.set_aside(db, threshold=1)
    assert plan is not None and plan.files == ("x.incr.aof",) and plan.base == "x.base.rdb"
    assert [e.type for e in aof.read_manifest(db / aof.AOF_DIRNAME)] == ["b"]
    assert (plan.folder / "x.incr.aof").read_bytes() == _resp(b"SET", b"k", b"v")
    assert aof.set_aside(db) == plan  # interrupted: the same plan again, whatever its size


def test_watchdog_goes_with_its_server(tmp_path: Path) -> None:
    """Every server start comes with a watchdog; a clean stop by the last user ends both."""
    data = tmp_path / "data"
    s = FalkorStore.embedded(data, GRAPH)
    try:
        assert len(_processes_of(data)) == 2  # redis-server and its watchdog
    finally:
        s.close()
    _no_process_left(data, timeout=10)
