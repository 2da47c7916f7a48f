"""Fixtures of the query tests: the small district of tests/fixtures loaded once per module (queries only
read)."""

from __future__ import annotations

from typing import Any

import pytest
from fixtures.small_district import PID_KEY, load_small_district, write_ledgers
from orggraph.graph.store import Store

# Modules that `from conftest import …` after this file was imported get this module under that name:
# keep what tests/conftest.py offers them.
TEST_PID_KEY = PID_KEY
__all__ = ["TEST_PID_KEY", "district", "write_ledgers"]


@pytest.fixture
def district(backend: str, shared_graphs: Any, tmp_path_factory: pytest.TempPathFactory) -> Store:
    """A store of each backend holding tests/fixtures/small_district.py, loaded once and shared (queries only
    read)."""
    return shared_graphs.get(
        backend, "small_district", lambda s: load_small_district(s, tmp_path_factory.mktemp("small-district"))
    )
