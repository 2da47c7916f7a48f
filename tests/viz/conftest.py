"""Fixtures of the page tests: the small district (tests/support/viz_city.py) and the demo district for the
browser tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from orggraph.graph.falkor import FalkorStore
from orggraph.graph.store import Store
from support.viz_city import TEST_PID_KEY, small_district


@pytest.fixture
def district(backend: str, shared_graphs: Any, load: Callable[..., object]) -> Store:
    """The small district on each backend, loaded once and shared (the page builders only read)."""
    return shared_graphs.get(backend, "viz_small_district", lambda s: load(s, small_district()))


@pytest.fixture(scope="session")
def demo_store(falkor_data_dir: Path) -> Iterator[Store]:
    """The demo district as `orggraph demo` builds it (万山区, default size, seed 2026), loaded once for the
    browser tests."""
    from orggraph.loaders.demo import DEFAULT_RESIDENTS, generate
    from orggraph.loaders.importer import import_ledgers

    folder = falkor_data_dir.parent / "viz-demo-ledgers"
    generate(folder, residents=DEFAULT_RESIDENTS, seed=2026)
    s = FalkorStore.embedded(falkor_data_dir, "viz_demo")
    s.ensure_schema()
    report = import_ledgers(folder, s, pid_key=TEST_PID_KEY)
    assert report.ok, [i.format() for i in report.errors[:5]]
    yield s
    s.clear()
    s.close()
