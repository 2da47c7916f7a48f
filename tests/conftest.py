"""Shared fixtures: one embedded FalkorDB server for the whole session, a fresh graph per test, and Neo4j.

`store` is an empty FalkorDB graph of its own (cheap: a new key on the shared server), for what is FalkorDB's
alone (the embedded server, backup, faults). Everything store-facing runs on both stores through the `backend`
parameter: `any_store` is an empty store of each backend, and `shared_graphs.get(backend, name, fill)` a store
holding a named dataset that read-only tests share (tests/queries `district`, tests/api `city`, …).

Neo4j is the server `./dev test` starts (tools/neo4j) and names in ORGGRAPH_TEST_NEO4J_URI/_USER/_PASSWORD.
Neo4j Community holds one user database, so the datasets take turns in it: `shared_graphs` reloads one only
when another test has put something else there. Without ORGGRAPH_TEST_NEO4J_URI the Neo4j half skips, saying
why; under CI (CI=true) it fails instead: no Neo4j test may skip there. `load` writes small ledgers (given as
{ledger name: rows}) to CSV files and imports them.
"""

from __future__ import annotations

import csv
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from orggraph.graph.falkor import FalkorStore
from orggraph.graph.store import Store
from support.stores import BACKENDS, SharedGraphs, need_neo4j, point_env_at

# Fixtures every directory may use without importing them (an import would shadow them: ruff F811).
pytest_plugins = ("support.browser",)

TEST_PID_KEY = b"orggraph-test-key"
__all__ = ["BACKENDS", "TEST_PID_KEY", "need_neo4j", "point_env_at", "write_ledgers"]


@pytest.fixture(autouse=True)
def _fresh_answer_cache() -> None:
    """Every test starts with an empty answer cache (orggraph.queries.cache): the tests' one Neo4j holds a
    different graph from test to test under the same identity, and answers there are kept by age (60 s)."""
    from orggraph.queries import cache

    cache.clear()


@pytest.fixture(scope="session")
def falkor_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    d = tmp_path_factory.mktemp("falkor")
    keeper = FalkorStore.embedded(d, "keeper")  # holds the server for the whole session
    yield d
    keeper.close()


@pytest.fixture
def store(falkor_data_dir: Path) -> Iterator[FalkorStore]:
    s = FalkorStore.embedded(falkor_data_dir, f"t_{uuid.uuid4().hex[:12]}")
    yield s
    s.clear()
    s.close()


@pytest.fixture(scope="session")
def shared_graphs(falkor_data_dir: Path) -> Iterator[SharedGraphs]:
    g = SharedGraphs(falkor_data_dir)
    yield g
    g.close()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Each backend in turn: a test (or fixture) taking it runs on FalkorDB and on Neo4j."""
    if request.param == "neo4j":
        need_neo4j()
    return str(request.param)


@pytest.fixture
def any_store(backend: str, shared_graphs: SharedGraphs) -> Iterator[Store]:
    """An empty store of each backend."""
    s = shared_graphs.fresh(backend)
    yield s
    if backend != "neo4j":
        s.clear()
        s.close()


def write_ledgers(
    folder: Path, ledgers: dict[str, list[dict[str, str]]], encoding: str = "utf-8-sig"
) -> Path:
    """Write {ledger file stem: [row dicts]} as CSV files (header = keys of the first row)."""
    folder.mkdir(parents=True, exist_ok=True)
    for stem, rows in ledgers.items():
        header = list(dict.fromkeys(k for r in rows for k in r)) if rows else []
        with open(folder / f"{stem}.csv", "w", newline="", encoding=encoding) as f:
            w = csv.writer(f)
            w.writerow(header)
            for r in rows:
                w.writerow([r.get(h, "") for h in header])
    return folder


@pytest.fixture
def load(tmp_path: Path) -> Callable[..., object]:
    """load(store, {ledger: rows}) → ImportReport; fails the test on import errors unless expect_errors."""
    from orggraph.loaders.importer import import_ledgers

    def _load(
        store: Store | None, ledgers: dict[str, list[dict[str, str]]], *, expect_errors: bool = False
    ) -> object:
        folder = write_ledgers(tmp_path / f"ledgers-{uuid.uuid4().hex[:6]}", ledgers)
        report = import_ledgers(folder, store, pid_key=TEST_PID_KEY)
        if not expect_errors:
            assert report.ok, "\n".join(i.format() for i in report.errors)
        return report

    return _load
