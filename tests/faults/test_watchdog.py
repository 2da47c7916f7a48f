"""The watchdog of `serve` (api/healing.py) on a real embedded server: a killed server is restarted, a hung
(SIGSTOPped) one is killed and restarted, and the same store object answers again afterwards."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from orggraph.api.healing import OK, RECOVERING, Watchdog
from orggraph.graph.falkor import FalkorStore


@pytest.fixture
def watched(tmp_path: Path) -> Iterator[tuple[FalkorStore, Watchdog]]:
    store = FalkorStore.embedded(tmp_path / "data", "g")
    store.write("CREATE (:Street {code: '1', name: 'x'})")
    dog = Watchdog(store.server)
    dog.INTERVAL, dog.PING_TIMEOUT, dog.HANG_AFTER = 0.2, 0.5, 2.0
    dog.start()
    yield store, dog
    dog.stop()
    pid = store.server.server_pid()
    if pid is not None:
        os.kill(pid, signal.SIGCONT)
    store.close()


def _until_restarted(store: FalkorStore, dog: Watchdog, old_pid: int, timeout: float = 60) -> set[str]:
    seen: set[str] = set()
    deadline = time.monotonic() + timeout
    while True:
        seen.add(dog.current)
        pid = store.server.server_pid()
        if dog.current == OK and pid is not None and pid != old_pid:
            return seen
        assert time.monotonic() < deadline, f"not restarted within {timeout} s (seen {seen})"
        time.sleep(0.05)


def test_killed_server_is_restarted(watched: tuple[FalkorStore, Watchdog]) -> None:
    store, dog = watched
    pid = store.server.server_pid()
    assert pid is not None and dog.current == OK
    os.kill(pid, signal.SIGKILL)
    seen = _until_restarted(store, dog, pid)
    assert RECOVERING in seen and dog.restarts == 1
    assert (
        store.read("MATCH (s:Street) RETURN count(s)").scalar() == 1
    )  # the same store reconnects, data kept


def test_hung_server_is_killed_and_restarted(watched: tuple[FalkorStore, Watchdog]) -> None:
    store, dog = watched
    pid = store.server.server_pid()
    assert pid is not None
    os.kill(pid, signal.SIGSTOP)
    seen = _until_restarted(store, dog, pid)
    assert RECOVERING in seen and dog.restarts == 1
    assert store.read("MATCH (s:Street) RETURN s.name").scalar() == "x"


def test_a_server_that_cannot_start_ends_unavailable(
    watched: tuple[FalkorStore, Watchdog], monkeypatch: pytest.MonkeyPatch
) -> None:
    store, dog = watched
    dog.MAX_ATTEMPTS, dog.RETRY_AFTER_GIVING_UP = 2, 0.5
    from orggraph.graph.embedded import EmbeddedServerError

    def broken() -> str:
        raise EmbeddedServerError("坏了")

    monkeypatch.setattr(store.server, "revive", broken)
    pid = store.server.server_pid()
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while dog.current != "unavailable":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    monkeypatch.undo()  # the next round of tries succeeds
    _until_restarted(store, dog, pid)
