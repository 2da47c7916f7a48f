"""`orggraph serve` killed with SIGKILL under traffic — alone, and together with its database server: the
store is intact, and a restarted serve answers what it answered before (the audit log stays readable too)."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from orggraph.graph.embedded import EmbeddedServer
from orggraph.loaders.demo import generate

from .city import content_of, kill_server, orggraph, start, stop_server

_READ = {
    "query": "MATCH (g:Grid)-[:PART_OF]->(c:Community) RETURN c.code AS c, count(g) AS n ORDER BY c",
    "params": {},
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """A data dir holding the 1,000-resident demo, loaded by `orggraph load`, and an admin token."""
    folder = tmp_path_factory.mktemp("serve")
    generate(folder / "ledgers", residents=1000)
    data = folder / "data"
    r = orggraph(data, "load", str(folder / "ledgers"))
    assert r.returncode == 0, r.stderr
    r = orggraph(data, "token", "create", "--role", "admin", "--name", "faults", "--json")
    assert r.returncode == 0, r.stderr
    yield data, json.loads(r.stdout)["token"]
    stop_server(data)


def _serve(data: Path, port: int) -> subprocess.Popen[str]:
    proc = start(data, "serve", "--port", str(port))
    deadline = time.monotonic() + 120
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2).status_code == 200:
                return proc
        except httpx.TransportError:
            pass
        if proc.poll() is not None:
            raise AssertionError(f"serve exited {proc.returncode}: {proc.communicate()[1]}")
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError("serve did not answer within 120 s")
        time.sleep(0.1)


def _answers(port: int, token: str) -> dict[str, object]:
    h = {"Authorization": f"Bearer {token}"}
    base = f"http://127.0.0.1:{port}/api"
    with httpx.Client(headers=h, timeout=30) as c:
        coverage = c.get(f"{base}/coverage")
        gaps = c.get(f"{base}/gaps")
        cypher = c.post(f"{base}/cypher", json=_READ)
    for r in (coverage, gaps, cypher):
        assert r.status_code == 200, (r.request.url, r.status_code, r.text[:300])
    return {"coverage": coverage.json(), "gaps": gaps.json(), "cypher": cypher.json()}


class _Traffic:
    """Clients hammering the API from threads until stopped; counts answers and broken connections."""

    def __init__(self, port: int, token: str, clients: int = 4) -> None:
        self.port, self.token = port, token
        self.stop = threading.Event()
        self.ok = 0
        self.failed = 0
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(clients)]

    def _run(self) -> None:
        h = {"Authorization": f"Bearer {self.token}"}
        with httpx.Client(headers=h, timeout=10) as c:
            while not self.stop.is_set():
                try:
                    r = c.post(f"http://127.0.0.1:{self.port}/api/cypher", json=_READ)
                    r2 = c.get(f"http://127.0.0.1:{self.port}/api/coverage")
                    if r.status_code == 200 and r2.status_code == 200:
                        self.ok += 1
                except httpx.TransportError:
                    self.failed += 1
                    time.sleep(0.05)

    def __enter__(self) -> _Traffic:
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(timeout=30)


@pytest.mark.parametrize("also_database", [False, True], ids=["serve", "serve-and-database"])
def test_serve_killed_under_traffic(served: tuple[Path, str], also_database: bool) -> None:
    data, token = served
    before = content_of(data)
    port = _free_port()
    proc = _serve(data, port)
    try:
        expected = _answers(port, token)
        with _Traffic(port, token) as traffic:
            while traffic.ok < 20:  # under load: requests in flight when the kill lands
                time.sleep(0.05)
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
            if also_database:
                kill_server(data)
            while traffic.failed < 4:
                time.sleep(0.05)
        assert traffic.ok >= 20 and traffic.failed >= 4
    finally:
        if proc.poll() is None:
            proc.kill()
    if not also_database:
        assert EmbeddedServer(data).server_pid() is not None  # serve's death left the shared database running
    port = _free_port()
    proc = _serve(data, port)  # the restarted serve finds (or restarts) the database and answers
    try:
        assert _answers(port, token) == expected
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    assert content_of(data) == before
    r = orggraph(data, "audit", "--tail", "5")  # the log a killed server was appending to still reads
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr


def test_serve_restarts_its_killed_database(served: tuple[Path, str]) -> None:
    """Issue 10: the database killed under a running serve (serve itself untouched) answers again within 60 s,
    health saying `recovering` (503, Retry-After) meanwhile, with the same answers as before."""
    data, token = served
    port = _free_port()
    proc = _serve(data, port)
    try:
        expected = _answers(port, token)
        old = kill_server(data)
        t0 = time.monotonic()
        seen: list[tuple[int, str]] = []
        while True:
            r = httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=5)
            seen.append((r.status_code, r.json()["status"]))
            if r.status_code == 503:
                assert r.json()["status"] in ("recovering", "unavailable")
                assert r.json()["status"] != "recovering" or r.headers["retry-after"] == "5"
            new = EmbeddedServer(data).server_pid()
            if r.status_code == 200 and new is not None and new != old:
                break
            assert time.monotonic() - t0 < 60, seen[-5:]
            time.sleep(0.1)
        assert (503, "recovering") in seen
        assert proc.poll() is None  # serve was never restarted
        assert _answers(port, token) == expected
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
