"""Shared fixtures: one embedded FalkorDB server for the whole session, a fresh graph per test.

`store` is an empty FalkorDB graph of its own (cheap: a new key on the shared server). `any_store` runs a
test on every backend available: embedded FalkorDB always, Neo4j when ORGGRAPH_TEST_NEO4J_URI is set.
`load` writes small ledgers (given as {ledger name: rows}) to CSV files and imports them.
"""

from __future__ import annotations

import csv
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from orggraph.graph.falkor import FalkorStore
from orggraph.graph.store import Store

TEST_PID_KEY = b"orggraph-test-key"


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


def _neo4j_store() -> Store:
    from orggraph.graph.neo4j_store import Neo4jStore

    s = Neo4jStore(
        os.environ["ORGGRAPH_TEST_NEO4J_URI"],
        os.environ.get("ORGGRAPH_TEST_NEO4J_USER", "neo4j"),
        os.environ.get("ORGGRAPH_TEST_NEO4J_PASSWORD", ""),
        os.environ.get("ORGGRAPH_TEST_NEO4J_DATABASE", "neo4j"),
    )
    s.clear()
    return s


@pytest.fixture(params=["falkordb", "neo4j"])
def any_store(request: pytest.FixtureRequest, falkor_data_dir: Path) -> Iterator[Store]:
    if request.param == "neo4j":
        if not os.environ.get("ORGGRAPH_TEST_NEO4J_URI"):
            pytest.skip("ORGGRAPH_TEST_NEO4J_URI 未设置：跳过 Neo4j 集成测试")
        s = _neo4j_store()
    else:
        s = FalkorStore.embedded(falkor_data_dir, f"t_{uuid.uuid4().hex[:12]}")
    yield s
    s.clear()
    s.close()


def write_ledgers(folder: Path, ledgers: dict[str, list[dict[str, str]]], encoding: str = "utf-8-sig") -> Path:
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

    def _load(store: Store | None, ledgers: dict[str, list[dict[str, str]]], *, expect_errors: bool = False) -> object:
        folder = write_ledgers(tmp_path / f"ledgers-{uuid.uuid4().hex[:6]}", ledgers)
        report = import_ledgers(folder, store, pid_key=TEST_PID_KEY)
        if not expect_errors:
            assert report.ok, "\n".join(i.format() for i in report.errors)
        return report

    return _load
