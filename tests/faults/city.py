"""Real processes for the fault tests: a demo city, its reference content (loaded once, cleanly, into a store
of its own), and `orggraph` run as a child process against a data dir of the test's choosing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orggraph.graph.embedded import EmbeddedServer
from orggraph.graph.falkor import FalkorStore
from orggraph.loaders.demo import generate
from orggraph.loaders.importer import import_ledgers

from .content import Content, snapshot

PID_KEY = b"orggraph-test-key"  # the conftest's TEST_PID_KEY: the in-process reference and the CLI must agree
GRAPH = "orggraph"
# Big enough that the write phase of `orggraph load` lasts over a second (about 26,000 rows, 1.5 s on the
# test machine), so a kill lands in the middle of it; small enough that a restart replaying the AOF of a
# partial load stays within the embedded server's start timeout (see test_reported.py for larger cities).
CITY_RESIDENTS = 8_000


@dataclass(frozen=True)
class City:
    ledgers: Path
    reference: Content
    nodes: int
    relationships: int
    load_seconds: float = (
        0.0  # the clean load's write and validation, in this process (a bound for recoveries)
    )


def build_city(folder: Path, residents: int = CITY_RESIDENTS) -> City:
    ledgers = folder / "ledgers"
    generate(ledgers, residents=residents)
    data = folder / "reference-data"
    s = FalkorStore.embedded(data, GRAPH)
    try:
        s.ensure_schema()  # see test_reported.py: a load into a never-written graph fails otherwise
        t0 = time.monotonic()
        report = import_ledgers(ledgers, s, pid_key=PID_KEY)
        seconds = time.monotonic() - t0
        assert report.ok, [i.format() for i in report.errors[:5]]
        ref = snapshot(s)
    finally:
        s.close()
    EmbeddedServer(data).stop()
    return City(ledgers, ref, sum(ref.nodes.values()), sum(ref.rels.values()), seconds)


def env(data_dir: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "ORGGRAPH_DATA_DIR": str(data_dir), "ORGGRAPH_PID_KEY": PID_KEY.decode(), **extra}


def orggraph(
    data_dir: Path, *args: str, timeout: float = 300, **popen: Any
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "orggraph", *args],
        env=env(data_dir),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        **popen,
    )


def start(data_dir: Path, *args: str, **popen: Any) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "orggraph", *args],
        env=popen.pop("env", None) or env(data_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **popen,
    )


def counts(store: FalkorStore) -> tuple[int, int]:
    n = store.read("MATCH (n) RETURN count(n)").scalar() or 0
    r = store.read("MATCH ()-[r]->() RETURN count(r)").scalar() or 0
    return int(n), int(r)


def wait_until(
    proc: subprocess.Popen[str], condition: Callable[[], bool], what: str, timeout: float = 120
) -> None:
    """Poll `condition` until true; fail if the process ends first (then the fault would come too late)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if proc.poll() is not None:
            out, err = proc.communicate()
            raise AssertionError(f"the process ended (exit {proc.returncode}) before {what}:\n{out}\n{err}")
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def stop_server(data_dir: Path) -> None:
    EmbeddedServer(data_dir).stop()


def kill_server(data_dir: Path) -> int:
    pid = EmbeddedServer(data_dir).server_pid()
    assert pid is not None, "no server to kill"
    os.kill(pid, signal.SIGKILL)
    return pid


def content_of(data_dir: Path) -> Content:
    s = FalkorStore.embedded(data_dir, GRAPH)
    try:
        return snapshot(s)
    finally:
        s.close()
