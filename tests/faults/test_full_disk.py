"""A full disk, simulated two ways: a file-size limit (RLIMIT_FSIZE) on the orggraph process, and the data dir
on a size-limited tmpfs that is filled up (needs root to mount; skipped otherwise). Either way: a clear
Chinese error, a non-zero exit, no traceback, the store's previous content unchanged and readable, and once
space is back the same command finishes the job exactly."""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from orggraph.graph.backup import inspect_backup
from orggraph.graph.falkor import FalkorStore
from orggraph.loaders.demo import generate
from orggraph.loaders.importer import import_ledgers

from .city import GRAPH, PID_KEY, env, stop_server
from .content import Content, hostile_graph, snapshot, write_ledgers
from .ledgers import small_ledgers

_LIMIT = 64 * 1024  # bytes any one file of the limited process may reach


def _limited(limit: int = _LIMIT) -> None:
    # In the child, before exec: writes past the limit fail with EFBIG instead of killing the process.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


def _run_limited(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "orggraph", *args],
        env=env(data_dir), capture_output=True, text=True, timeout=300, check=False, preexec_fn=_limited,
    )  # fmt: skip


def _no_traceback(r: subprocess.CompletedProcess[str]) -> None:
    assert r.returncode != 0, f"exit 0 on a full disk:\n{r.stdout}"
    assert "Traceback" not in r.stderr, r.stderr
    assert any("\u4e00" <= ch <= "\u9fff" for ch in r.stderr), f"no Chinese message: {r.stderr!r}"


@pytest.fixture
def held(tmp_path: Path) -> Iterator[tuple[Path, FalkorStore]]:
    """A data dir whose server the test runs (so it is not the limited process's child) holding the hostile
    graph."""
    data = tmp_path / "data"
    s = FalkorStore.embedded(data, GRAPH)
    try:
        hostile_graph(s)
        yield data, s
    finally:
        s.close()
        stop_server(data)


@pytest.fixture(scope="module")
def demo_ledgers(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo") / "ledgers"
    generate(folder, residents=1000)
    return folder


# ----------------------------------------------------------------------------------------- RLIMIT_FSIZE
def test_load_whose_spool_cannot_be_written(held: tuple[Path, FalkorStore], demo_ledgers: Path) -> None:
    """The loader spools its transformed writes to a temporary file first: that write fails."""
    data, store = held
    before = snapshot(store)
    r = _run_limited(data, "load", str(demo_ledgers))
    assert snapshot(store) == before  # nothing was written: the spool fails in the first pass
    _no_traceback(r)
    assert "磁盘" in r.stderr or "空间" in r.stderr, r.stderr


def test_backup_on_a_full_disk_keeps_the_previous_backup(
    held: tuple[Path, FalkorStore], tmp_path: Path
) -> None:
    data, store = held
    store.write(
        "UNWIND range(1, 3000) AS i CREATE (:Household {code: 'H' + toString(i), source: 'padding padding'})"
    )
    out = tmp_path / "b"
    r = subprocess.run([sys.executable, "-m", "orggraph", "backup", str(out)], env=env(data), capture_output=True,
                       text=True, timeout=300, check=False)  # fmt: skip
    assert r.returncode == 0, r.stderr
    good = out.read_bytes()
    assert len(good) > _LIMIT  # the limit bites
    store.write("CREATE (:Grid {code: 'after the good backup'})")
    r = _run_limited(data, "backup", str(out))
    _no_traceback(r)
    assert "磁盘空间不足" in r.stderr
    assert out.read_bytes() == good and inspect_backup(out).nodes > 0  # the old backup is untouched
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".b.")] == []  # no partial file left


def test_export_on_a_full_disk_leaves_no_half_export(held: tuple[Path, FalkorStore], tmp_path: Path) -> None:
    data, store = held
    store.write(
        "UNWIND range(1, 3000) AS i CREATE (:Household {code: 'H' + toString(i), source: 'padding padding'})"
    )
    before = snapshot(store)
    r = _run_limited(data, "export", "--neo4j-admin", str(tmp_path / "out"))
    _no_traceback(r)
    assert "磁盘空间不足" in r.stderr
    assert not (tmp_path / "out" / "import.sh").exists() and not (tmp_path / "out" / "nodes").exists()
    assert snapshot(store) == before


# ----------------------------------------------------------------------------------------------- tmpfs
@contextlib.contextmanager
def _tmpfs(where: Path, size: str) -> Iterator[Path]:
    where.mkdir(parents=True, exist_ok=True)
    r = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True, check=False
    )
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {r.stderr.decode(errors='replace').strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True, check=False)


def _fill(disk: Path, leave: int) -> Path:
    """Fill the disk up to `leave` bytes free."""
    filler = disk / "filler"
    with open(filler, "wb") as f:
        with contextlib.suppress(OSError):
            while (room := os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize - leave) > 0:
                f.write(b"\0" * min(room, 65536))
                f.flush()
    return filler


def _moved(ledgers: dict[str, list[dict[str, str]]]) -> dict[str, list[dict[str, str]]]:
    """The small ledgers in streets of their own (520699xxx), so they touch nothing of the demo city."""
    swap = {"520603001": "520699001", "520603002": "520699002"}
    return {k: [{c: swap.get(v, v) for c, v in row.items()} for row in rows] for k, rows in ledgers.items()}


def _contains(big: Content, small: Content) -> bool:
    return not (small.nodes - big.nodes) and not (small.rels - big.rels)


@pytest.mark.parametrize(
    "leave",
    [
        # Room for the lock file and the server's small writes, not for the load's AOF entries.
        pytest.param(8 * 1024, id="nearly-full"),
        pytest.param(0, id="full"),
    ],
)
def test_data_dir_on_a_full_disk(tmp_path: Path, demo_ledgers: Path, leave: int) -> None:
    extra = write_ledgers(tmp_path / "extra", _moved(small_ledgers()))
    # What a clean store holds after both loads.
    ref_dir = tmp_path / "ref"
    with FalkorStore.embedded(ref_dir, GRAPH) as ref:
        ref.ensure_schema()
        assert import_ledgers(demo_ledgers, ref, pid_key=PID_KEY).ok
        assert import_ledgers(extra, ref, pid_key=PID_KEY).ok
        reference = snapshot(ref)
    stop_server(ref_dir)

    with _tmpfs(tmp_path / "disk", "48m") as disk:
        data = disk / "data"
        store = FalkorStore.embedded(data, GRAPH)
        try:
            store.ensure_schema()
            assert import_ledgers(demo_ledgers, store, pid_key=PID_KEY).ok
            baseline = snapshot(store)
            filler = _fill(disk, leave)
            r = subprocess.run([sys.executable, "-m", "orggraph", "load", str(extra)], env=env(data),
                               capture_output=True, text=True, timeout=300, check=False)  # fmt: skip
            _no_traceback(r)
            said = r.stderr.strip()
            during = snapshot(store)  # readable, and the city is all there
            assert _contains(during, baseline), baseline.diff(during)
            os.unlink(filler)
        finally:
            store.close()  # the last user: the server stops cleanly now that there is space
        store = FalkorStore.embedded(data, GRAPH)  # and starts again from its files: nothing corrupt
        try:
            after_restart = snapshot(store)
            assert _contains(after_restart, baseline), baseline.diff(after_restart)
            r = subprocess.run([sys.executable, "-m", "orggraph", "load", str(extra)], env=env(data),
                               capture_output=True, text=True, timeout=300, check=False)  # fmt: skip
            assert r.returncode == 0, r.stderr
            final = snapshot(store)
            assert final == reference, reference.diff(final)
        finally:
            store.close()
            stop_server(data)
    print(f"full-disk load said: {said}")
