"""Fixtures of the query tests: the small district of tests/fixtures loaded once per module (queries only read)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fixtures.small_district import PID_KEY, load_small_district, write_ledgers
from orggraph.graph.falkor import FalkorStore

# Modules that `from conftest import …` after this file was imported get this module under that name:
# keep what tests/conftest.py offers them.
TEST_PID_KEY = PID_KEY
__all__ = ["TEST_PID_KEY", "district", "write_ledgers"]


@pytest.fixture(scope="module")
def district(falkor_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FalkorStore]:
    """A FalkorDB graph holding tests/fixtures/small_district.py, shared by the tests of one module."""
    s = FalkorStore.embedded(falkor_data_dir, f"q_{uuid.uuid4().hex[:12]}")
    load_small_district(s, tmp_path_factory.mktemp("small-district"))
    yield s
    s.clear()
    s.close()
