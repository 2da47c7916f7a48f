"""Processes killed in the middle of a load: the embedded server (SIGKILL), the loader itself (SIGKILL), and a
second load started while one runs. Afterwards the store must be exactly what one clean load gives: nothing
lost, nothing doubled (a MERGE that created a second relationship would show up as a count of 2)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from orggraph.graph.falkor import FalkorStore

from .city import GRAPH, City, counts, env, kill_server, orggraph, start, stop_server, wait_until
from .content import Content, snapshot


def _same_as_reference(got: Content, city: City) -> None:
    doubled = got.doubled_relationships()
    assert not doubled, f"{len(doubled)} relationships doubled, e.g. {list(doubled.items())[:3]}"
    multiplicity = got.rel_multiplicity()
    assert multiplicity == city.reference.rel_multiplicity(), "relationships per (start, type, end) differ"
    assert got == city.reference, city.reference.diff(got)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    d = tmp_path / "data"
    yield d
    stop_server(d)


def _holder(data_dir: Path) -> FalkorStore:
    """The test's own connection: it watches the counts while the load writes."""
    s = FalkorStore.embedded(data_dir, GRAPH)
    s.ensure_schema()  # see test_reported.py: a load into a never-written graph fails otherwise
    return s


@pytest.mark.parametrize("phase", ["nodes", "relationships"])
def test_server_killed_mid_load_then_load_again(city: City, data_dir: Path, phase: str) -> None:
    holder = _holder(data_dir)
    proc = start(data_dir, "load", str(city.ledgers), "--no-bulk")  # the MERGE batches; bulk: below
    try:
        if phase == "nodes":
            wait_until(
                proc, lambda: counts(holder)[0] > city.nodes // 4, "a quarter of the nodes were written"
            )
        else:
            wait_until(
                proc, lambda: counts(holder)[1] > city.relationships // 4, "a quarter of the relationships"
            )
        written = counts(holder)
        kill_server(data_dir)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
        holder.close()
    assert written[0] < city.nodes or written[1] < city.relationships, "the kill came after the load was done"
    assert proc.returncode not in (0, None), f"the load claims success after losing its server:\n{out}"
    assert "Traceback" not in err and "数据库" in err, err
    # The server restarts from its AOF (the part of the load it acknowledged). The test keeps it running
    # from here on: another restart would replay the whole AOF, which is very slow (see test_reported.py).
    holder = FalkorStore.embedded(data_dir, GRAPH)
    try:
        assert counts(holder)[0] > 0  # what was written before the kill survived it
        r = orggraph(data_dir, "load", str(city.ledgers))
        assert r.returncode == 0, r.stderr
        _same_as_reference(snapshot(holder), city)
    finally:
        holder.close()


def test_loader_killed_mid_load_then_load_again(city: City, data_dir: Path) -> None:
    holder = _holder(data_dir)
    proc = start(data_dir, "load", str(city.ledgers), "--no-bulk")  # the MERGE batches; bulk: below
    try:
        wait_until(proc, lambda: counts(holder)[1] > city.relationships // 3, "a third of the relationships")
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        partial = counts(holder)
        assert partial[1] < city.relationships
        r = orggraph(data_dir, "load", str(city.ledgers))  # the dead loader's flock went with it
        assert r.returncode == 0, r.stderr
        _same_as_reference(snapshot(holder), city)
    finally:
        if proc.poll() is None:
            proc.kill()
        holder.close()


def test_loader_killed_mid_bulk_load_then_load_again(city: City, data_dir: Path) -> None:
    """A first load through GRAPH.BULK (many small commands here) killed half way: the next load finds a
    store that no longer matches its record and MERGEs every row, which completes the graph exactly."""
    holder = _holder(data_dir)
    proc = start(data_dir, "load", str(city.ledgers), env=env(data_dir, ORGGRAPH_BATCH_SIZE="100"))
    try:
        wait_until(proc, lambda: 0 < counts(holder)[0] < city.nodes, "part of the nodes were written")
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        partial = _settled(holder)
        assert partial != (city.nodes, city.relationships), "the kill came after the load was done"
        r = orggraph(data_dir, "load", str(city.ledgers))
        assert r.returncode == 0, r.stderr
        _same_as_reference(snapshot(holder), city)
        again = orggraph(data_dir, "load", str(city.ledgers), "--json")
        assert '"added": 0, "updated": 0, "removed": 0' in again.stdout, again.stdout
    finally:
        if proc.poll() is None:
            proc.kill()
        holder.close()


def _settled(store: FalkorStore, timeout: float = 60) -> tuple[int, int]:
    """The counts once they stop changing (two reads half a second apart agree)."""
    deadline = time.monotonic() + timeout
    last = counts(store)
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = counts(store)
        if now == last:
            return now
        last = now
    raise AssertionError(f"the store kept changing for {timeout:.0f} s: {last}")


def test_second_load_is_refused_while_one_runs(city: City, data_dir: Path) -> None:
    holder = _holder(data_dir)
    first = start(data_dir, "load", str(city.ledgers))
    try:
        wait_until(first, lambda: counts(holder)[0] > 0, "the first load writes")
        first.send_signal(signal.SIGSTOP)  # frozen in the middle of its write phase, holding the load lock
        try:
            during = _settled(holder)  # the batch it had sent before it froze is still being written
            second = orggraph(data_dir, "load", str(city.ledgers), timeout=120)
            assert second.returncode == 1, second.stderr
            assert "另一个导入正在进行" in second.stderr and "Traceback" not in second.stderr
            assert counts(holder) == during  # the refused load wrote nothing
        finally:
            first.send_signal(signal.SIGCONT)
        out, err = first.communicate(timeout=300)
        assert first.returncode == 0, err
        _same_as_reference(snapshot(holder), city)
    finally:
        if first.poll() is None:
            first.kill()
        holder.close()


def test_lock_holder_refuses_loads_and_they_succeed_after(city: City, data_dir: Path, tmp_path: Path) -> None:
    """Two processes, no timing: one holds `load_lock`, the other's `orggraph load` is refused, then
    succeeds."""
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys; from pathlib import Path; from orggraph.loaders.importer import load_lock\n"
         f"with load_lock(Path({str(data_dir)!r})):\n    print('locked', flush=True)\n    sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        for args in (("load", str(city.ledgers)), ("load", str(city.ledgers), "--dry-run")):
            r = orggraph(data_dir, *args)
            assert r.returncode == 1 and "另一个导入正在进行" in r.stderr, r.stderr
        assert (data_dir / "load.lock").read_text().strip() == str(holder.pid)
    finally:
        holder.communicate("", timeout=30)
    assert not (data_dir / "falkordb").exists()  # refused before it even started the database
    watch = FalkorStore.embedded(data_dir, GRAPH)
    try:
        watch.ensure_schema()
        r = orggraph(data_dir, "load", str(city.ledgers))
        assert r.returncode == 0, r.stderr
        _same_as_reference(snapshot(watch), city)
    finally:
        watch.close()
