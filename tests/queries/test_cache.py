"""The answer cache: kept while the store's data_version reads the same, dropped by any write, clear or
restore — also one made by another process — and only kept a short while for a store that has no
data_version."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from fixtures import small_district as fx
from orggraph.graph.backup import backup, restore
from orggraph.graph.falkor import FalkorStore
from orggraph.graph.store import Result, Store
from orggraph.queries import cache
from orggraph.queries.coverage import coverage

AS_OF = fx.AS_OF


class Counter:
    """compute() for cached(): counts its calls."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> int:
        self.calls += 1
        return self.calls


@pytest.fixture
def loaded(store: FalkorStore, load: Any) -> FalkorStore:
    load(store, fx.ledgers())
    return store


def test_kept_while_the_data_is_the_same_and_dropped_by_a_write(loaded: FalkorStore) -> None:
    count = Counter()
    first = cache.cached(loaded, ("t", fx.D1), count)
    again = cache.cached(loaded, ("t", fx.D1), count)
    assert (first.value, first.hit, again.value, again.hit) == (1, False, 1, True)
    assert again.computed_at == first.computed_at
    assert cache.cached(loaded, ("t", fx.S1), count).value == 2  # another key
    loaded.write("MATCH (g:Grid {code: $code}) SET g.name = 'renamed'", {"code": fx.G111})
    assert cache.cached(loaded, ("t", fx.D1), count).value == 3


def test_a_cached_answer_is_the_fresh_one_after_a_change(loaded: FalkorStore) -> None:
    def households() -> dict[str, Any]:
        return cache.cached(loaded, ("coverage", fx.D1, AS_OF), lambda: coverage(loaded, fx.D1, AS_OF)).value

    before = households()["household_links"]
    loaded.write("MATCH (:Person)-[r:LINKS_HOUSEHOLD]->() DELETE r")
    assert households()["household_links"] == {"covered": 0, "total": before["total"], "ratio": 0.0}


def test_clear_and_restore_change_the_data_version(loaded: FalkorStore, tmp_path: Path) -> None:
    path = tmp_path / "b.orggraph-backup"
    backup(loaded, path)
    v = loaded.data_version()
    assert v and loaded.data_version() == v  # reading it changes nothing
    restore(loaded, path)
    assert loaded.data_version() != v
    v = loaded.data_version()
    loaded.clear()
    assert loaded.data_version() != v


def test_a_write_from_another_process_drops_the_answer(loaded: FalkorStore, falkor_data_dir: Path) -> None:
    """`orggraph serve` and `orggraph load` are separate processes on one embedded server."""
    count = Counter()
    assert cache.cached(loaded, ("t",), count).value == 1
    other = (
        "import sys; from pathlib import Path; from orggraph.graph.falkor import FalkorStore\n"
        "s = FalkorStore.embedded(Path(sys.argv[1]), sys.argv[2])\n"
        "s.write(\"MATCH (g:Grid {code: $c}) SET g.name = 'elsewhere'\", {'c': sys.argv[3]})\n"
        "s.close()\n"
    )
    subprocess.run(
        [sys.executable, "-c", other, str(falkor_data_dir), loaded.graph_name, fx.G111],
        check=True,
        timeout=120,
        env={**os.environ},
    )
    assert cache.cached(loaded, ("t",), count).value == 2
    assert cache.cached(loaded, ("t",), count).value == 2


class VersionlessStore(Store):
    """A store that names its graph but keeps no data_version (as Neo4j)."""

    backend = "neo4j"

    def __init__(self, identity: str | None) -> None:
        self._identity = identity

    @property
    def cache_identity(self) -> str | None:
        return self._identity

    def read(
        self,
        query: Any,
        params: Mapping[str, Any] | None = None,
        *,
        timeout: float | None = None,
        max_rows: int | None = None,
    ) -> Result:
        raise AssertionError("not read")

    def write(self, query: Any, params: Mapping[str, Any] | None = None) -> Result:
        raise AssertionError("not written")

    def ensure_schema(self) -> None: ...

    def clear(self) -> None: ...

    def ping(self) -> None: ...


def test_without_a_data_version_answers_are_kept_a_short_time(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [1000.0]
    monkeypatch.setattr(cache.time, "monotonic", lambda: clock[0])
    s, count = VersionlessStore("neo4j:bolt://test/one"), Counter()
    assert cache.cached(s, ("t",), count).value == 1
    clock[0] += cache.TTL_NO_VERSION - 1
    assert cache.cached(s, ("t",), count).value == 1
    clock[0] += 2
    assert cache.cached(s, ("t",), count).value == 2


def test_versioned_only_answers_are_not_kept_without_a_data_version(loaded: FalkorStore) -> None:
    """Answers other fresh answers must agree with (an uncovered list's total) are never kept by age alone."""
    s, count = VersionlessStore("neo4j:bolt://test/two"), Counter()
    assert [cache.cached(s, ("v",), count, versioned_only=True).value for _ in range(3)] == [1, 2, 3]
    count = Counter()
    assert [cache.cached(loaded, ("v",), count, versioned_only=True).value for _ in range(3)] == [1, 1, 1]


def test_a_store_without_identity_is_not_cached() -> None:
    s, count = VersionlessStore(None), Counter()
    assert [cache.cached(s, ("t",), count).value for _ in range(3)] == [1, 2, 3]


def test_every_answer_expires_and_the_cache_is_bounded(
    loaded: FalkorStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = [1000.0]
    monkeypatch.setattr(cache.time, "monotonic", lambda: clock[0])
    count = Counter()
    assert cache.cached(loaded, ("t",), count).value == 1
    clock[0] += cache.MAX_AGE + 1
    assert cache.cached(loaded, ("t",), count).value == 2
    monkeypatch.setattr(cache, "MAX_ENTRIES", 3)
    for i in range(5):
        cache.cached(loaded, ("many", i), count)
    assert cache.cached(loaded, ("many", 0), count).hit is False  # the oldest went first
    assert cache.cached(loaded, ("many", 4), count).hit is True
