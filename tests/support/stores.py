"""Stores for the tests on both backends: the test Neo4j's settings, datasets shared between read-only tests,
and pointing the CLI's settings at a store (see tests/conftest.py for the fixtures built on them)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from orggraph.graph.falkor import FalkorStore
from orggraph.graph.store import Store

BACKENDS = ("falkordb", "neo4j")


def neo4j_test_settings() -> dict[str, str] | None:
    """The test Neo4j's uri, user, password and database, or None when none is configured."""
    uri = os.environ.get("ORGGRAPH_TEST_NEO4J_URI")
    if not uri:
        return None
    return {
        "uri": uri,
        "user": os.environ.get("ORGGRAPH_TEST_NEO4J_USER", "neo4j"),
        "password": os.environ.get("ORGGRAPH_TEST_NEO4J_PASSWORD", ""),
        "database": os.environ.get("ORGGRAPH_TEST_NEO4J_DATABASE", "neo4j"),
    }


def need_neo4j() -> dict[str, str]:
    """The test Neo4j's settings; skips the test without one (fails it under CI, where nothing may skip)."""
    cfg = neo4j_test_settings()
    if cfg is None:
        msg = "ORGGRAPH_TEST_NEO4J_URI 未设置：跳过 Neo4j 集成测试（./dev test 会自动启动 Neo4j）"
        if os.environ.get("CI") == "true":
            pytest.fail(msg + "；CI 中不允许跳过")
        pytest.skip(msg)
    return cfg


class _Unclosable(Store):
    """The session's one Neo4j store handed to a test: closing it is the session's business."""

    def __init__(self, inner: Store) -> None:
        self._inner = inner
        self.backend = inner.backend

    def __getattr__(self, name: str) -> object:
        return getattr(self._inner, name)

    def read(self, *a, **kw):  # type: ignore[no-untyped-def]
        return self._inner.read(*a, **kw)

    def write(self, *a, **kw):  # type: ignore[no-untyped-def]
        return self._inner.write(*a, **kw)

    def write_batches(self, *a, **kw):  # type: ignore[no-untyped-def]
        return self._inner.write_batches(*a, **kw)

    def write_stream(self, *a, **kw):  # type: ignore[no-untyped-def]
        return self._inner.write_stream(*a, **kw)

    def explain(self, *a, **kw):  # type: ignore[no-untyped-def]
        return self._inner.explain(*a, **kw)

    def ensure_schema(self) -> None:
        self._inner.ensure_schema()

    def clear(self) -> None:
        self._inner.clear()

    def ping(self) -> None:
        self._inner.ping()

    @property
    def cache_identity(self) -> str | None:
        return self._inner.cache_identity

    def data_version(self) -> str | None:
        return self._inner.data_version()

    def commit_token(self) -> str | None:
        return self._inner.commit_token()

    def mark_changed(self) -> None:
        self._inner.mark_changed()

    def checkpoint(self) -> None:
        self._inner.checkpoint()

    def close(self) -> None:
        pass


class SharedGraphs:
    """Named datasets loaded once per backend and shared by the read-only tests that ask for them.

    FalkorDB keeps one graph per dataset on the session's server. Neo4j has one database: it holds one dataset
    at a time, and `fresh()` (an empty store for a test that writes) forgets which one."""

    def __init__(self, falkor_data_dir: Path) -> None:
        self._dir = falkor_data_dir
        self._falkor: dict[str, FalkorStore] = {}
        self._neo4j: Store | None = None
        self._neo4j_holds: str | None = None

    def neo4j(self) -> Store:
        if self._neo4j is None:
            from orggraph.graph.neo4j_store import Neo4jStore

            cfg = need_neo4j()
            self._neo4j = Neo4jStore(cfg["uri"], cfg["user"], cfg["password"], cfg["database"])
        return _Unclosable(self._neo4j)

    def fresh(self, backend: str) -> Store:
        if backend == "neo4j":
            s = self.neo4j()
            s.clear()
            self._neo4j_holds = None
            return s
        return FalkorStore.embedded(self._dir, f"t_{uuid.uuid4().hex[:12]}")

    def get(self, backend: str, name: str, fill: Callable[[Store], object]) -> Store:
        if backend == "neo4j":
            s = self.neo4j()
            if self._neo4j_holds != name:
                s.clear()
                self._neo4j_holds = None
                s.ensure_schema()
                fill(s)
                self._neo4j_holds = name
            return s
        if name not in self._falkor:
            s = FalkorStore.embedded(self._dir, f"shared_{name}_{uuid.uuid4().hex[:8]}")
            s.ensure_schema()  # a graph that exists, even before the first write
            fill(s)
            self._falkor[name] = s
        return self._falkor[name]

    def close(self) -> None:
        for s in self._falkor.values():
            s.clear()
            s.close()
        if self._neo4j is not None:
            self._neo4j.clear()
            self._neo4j.close()


def point_env_at(store: Store, monkeypatch: pytest.MonkeyPatch, falkor_data_dir: Path) -> None:
    """Set ORGGRAPH_* so that the CLI and the settings open `store` (either backend); clears cached
    settings."""
    from orggraph.settings import get_settings

    if store.backend == "neo4j":
        cfg = need_neo4j()
        monkeypatch.setenv("ORGGRAPH_URI", cfg["uri"])
        monkeypatch.setenv("ORGGRAPH_NEO4J_USER", cfg["user"])
        monkeypatch.setenv("ORGGRAPH_NEO4J_PASSWORD", cfg["password"])
        monkeypatch.setenv("ORGGRAPH_NEO4J_DATABASE", cfg["database"])
    else:
        monkeypatch.delenv("ORGGRAPH_URI", raising=False)
        monkeypatch.setenv("ORGGRAPH_GRAPH_NAME", store.graph_name)  # type: ignore[attr-defined]
    monkeypatch.setenv("ORGGRAPH_DATA_DIR", str(falkor_data_dir))
    get_settings.cache_clear()
