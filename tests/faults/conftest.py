"""Fixtures of the fault tests: the demo city and its reference content, built once per session."""

from __future__ import annotations

import pytest

from .city import City, build_city


@pytest.fixture(scope="session")
def city(tmp_path_factory: pytest.TempPathFactory) -> City:
    return build_city(tmp_path_factory.mktemp("city"))
