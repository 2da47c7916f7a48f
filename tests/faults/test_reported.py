"""Bugs the fault and fuzz tests found, kept as regression tests now that they are fixed.

Each test states the correct behaviour and its docstring what went wrong before. A new bug found the same way
is pinned here as `@reported` (a strict xfail) until it is fixed, then the marker goes.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from orggraph.graph.falkor import FalkorStore
from orggraph.loaders.importer import import_ledgers

from faults.content import TEST_PID_KEY, snapshot, write_ledgers
from faults.ledgers import small_ledgers

reported = pytest.mark.xfail(strict=True, reason="reported to the loader/store owners; remove when fixed")


@pytest.fixture
def fresh(falkor_data_dir: Path) -> FalkorStore:
    """A FalkorDB graph nothing was ever written to (a new install, or after clear())."""
    s = FalkorStore.embedded(falkor_data_dir, f"t_{uuid.uuid4().hex[:12]}")
    yield s
    s.clear()
    s.close()


def test_load_into_a_fresh_store(fresh: FalkorStore, tmp_path: Path) -> None:
    """Was: importer._preload_existing reads the store first; FalkorDB answers a read of a graph that does not
    exist yet with "Invalid graph operation on empty key", so `orggraph load` on a new data dir failed with
    "查询有误：Invalid graph operation on empty key" (and `orggraph demo` too). Fixed in falkor.py."""
    report = import_ledgers(write_ledgers(tmp_path / "l", small_ledgers()), fresh, pid_key=TEST_PID_KEY)
    assert report.ok


def test_read_of_a_fresh_store_is_an_empty_answer(fresh: FalkorStore) -> None:
    """`orggraph cypher "MATCH (n) RETURN count(n)"` on a new data dir: was exit 1 "查询有误：…empty key",
    then no row at all instead of [[0]]. A read of a graph that does not exist now creates it empty first."""
    assert fresh.read("MATCH (n) RETURN count(n) AS n").rows == [[0]]


@pytest.mark.parametrize("households", ["1" * 400 + ".0", "9" * 4400])
def test_huge_count_is_a_ledger_error_not_a_crash(
    store: FalkorStore, tmp_path: Path, households: str
) -> None:
    """values.parse_count: int(float('1'*400 + '.0')) raises OverflowError, int('9'*4400) ValueError
    (Python's 4300-digit limit; the 4000-character cell limit is reported but the cell is still parsed)."""
    ledgers = small_ledgers()
    ledgers["网格"][0]["户数"] = households
    store.ensure_schema()
    report = import_ledgers(write_ledgers(tmp_path / "l", ledgers), store, pid_key=TEST_PID_KEY)
    assert not report.ok and any(i.column == "户数" for i in report.errors)


def test_count_beyond_64_bits_is_refused(store: FalkorStore, tmp_path: Path) -> None:
    """values.parse_count accepts 户数 = 10**20; FalkorDB then stores 9223372036854775807 without a word
    (and Neo4j's driver would fail in the write phase, after validation: a partial import)."""
    ledgers = small_ledgers()
    ledgers["网格"][0]["户数"] = str(10**20)
    store.ensure_schema()
    report = import_ledgers(write_ledgers(tmp_path / "l", ledgers), store, pid_key=TEST_PID_KEY)
    assert not report.ok, "accepted: " + repr(
        store.read("MATCH (g:Grid {code: 'G1'}) RETURN g.households").rows
    )
    assert snapshot(store).summary() == "0 nodes, 0 relationships"


def test_demo_data_with_too_few_residents_is_a_message(tmp_path: Path) -> None:
    """`orggraph demo-data OUT --residents 300`: demo.generate raises ValueError, cmd_demo_data does not catch
    it."""
    r = subprocess.run(
        [sys.executable, "-m", "orggraph", "demo-data", str(tmp_path / "d"), "--residents", "300"],
        capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, "ORGGRAPH_DATA_DIR": str(tmp_path / "data")},
    )  # fmt: skip
    assert r.returncode == 2 and "居民人数太少" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.slow
def test_server_killed_after_a_city_load_comes_back(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Was: after `orggraph load` of a 20,000-resident city (about 4 s of writes), a SIGKILLed embedded server
    did not come back: on restart it replays the AOF, whose GRAPH.QUERY batches FalkorDB runs some 80 times
    slower while loading than live (measured: a 5.7 MB AOF replays in 2.0 s sent live to a running server,
    154 s as AOF loading; a full load's AOF took 357 s), and EmbeddedServer gives up after start_timeout =
    30 s and kills it: "内置数据库在 30 秒内没有响应" — every later command repeats that. The data is intact.
    Ideas: BGREWRITEAOF after each load (an RDB-preamble AOF loads in about a second here), and treating a
    live server that is still loading as starting, not as hung. Both done: write_spool ends with
    store.checkpoint() (BGREWRITEAOF), and a server busy replaying while it uses CPU is waited for."""
    from faults.city import GRAPH, build_city, counts, kill_server, stop_server

    folder = tmp_path_factory.mktemp("big")
    city = build_city(folder, residents=20_000)
    data = folder / "data"
    s = FalkorStore.embedded(data, GRAPH)
    try:
        s.ensure_schema()
        assert import_ledgers(city.ledgers, s, pid_key=TEST_PID_KEY).ok
        kill_server(data)
    finally:
        s.close()
    try:
        s = FalkorStore.embedded(data, GRAPH)  # what every orggraph command does first
        try:
            assert counts(s) == (city.nodes, city.relationships)
        finally:
            s.close()
    finally:
        stop_server(data)


def test_disk_full_error_says_so() -> None:
    """Was: a load on a data dir whose disk is full ended with "查询有误：MISCONF Errors writing to the AOF
    file: No space left on device" (tests/faults/test_full_disk.py): "query error" sends the user to their
    query. falkor._translate could map MISCONF to a StoreError saying the database cannot write to its disk,
    to free space and run the same load again (it completes what was written, doubling nothing)."""
    import redis
    from orggraph.graph.falkor import _translate

    e = _translate(
        redis.exceptions.ResponseError("MISCONF Errors writing to the AOF file: No space left on device")
    )
    assert "磁盘" in str(e) and "查询有误" not in str(e)
