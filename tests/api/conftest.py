"""Two streets the API tests know by heart, loaded once; an app per test with its own tokens and audit log."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from api_city import TEST_PID_KEY, two_streets  # tests/api is on sys.path (pytest's rootdir-relative import)
from fastapi.testclient import TestClient
from orggraph.api.app import create_app
from orggraph.api.auth import Role, TokenRegistry, tokens_path
from orggraph.graph.store import Store

from orggraph.settings import Settings


@pytest.fixture
def city(backend: str, shared_graphs: Any, load: Callable[..., object]) -> Store:
    """The two streets on each backend, loaded by the first test that asks and shared by the rest (the API
    only reads)."""
    return shared_graphs.get(backend, "api_city", lambda s: load(s, two_streets()))


@pytest.fixture
def small_district(backend: str, shared_graphs: Any, load: Callable[..., object]) -> Store:
    """tests/fixtures/small_district.py (with its hand-computed answers) on each backend, loaded once and
    shared."""
    from fixtures.small_district import ledgers  # tests/ is on sys.path

    return shared_graphs.get(backend, "small_district", lambda s: load(s, ledgers()))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data", pid_key=TEST_PID_KEY.decode(), query_timeout=5.0, max_rows=100
    )


class Api:
    """A TestClient on a fresh app, with a token per (role, scope) made on demand."""

    def __init__(self, client: TestClient, settings: Settings) -> None:
        self.client = client
        self.settings = settings
        self.registry = TokenRegistry(tokens_path(settings.data_dir))
        self._tokens: dict[tuple[str, str | None], str] = {}

    def token(self, role: str, scope: str | None = None) -> str:
        key = (role, scope)
        if key not in self._tokens:
            self._tokens[key], _ = self.registry.create(
                Role(role), scope, f"{role}-{scope or 'all'}-{uuid.uuid4().hex[:4]}"
            )
        return self._tokens[key]

    def as_(self, role: str, scope: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(role, scope)}"}

    def get(self, url: str, role: str | None = "admin", scope: str | None = None, **kw: Any) -> Any:
        headers = self.as_(role, scope) if role else {}
        return self.client.get(url, headers=headers, **kw)

    def post(
        self, url: str, json_body: Any = None, role: str | None = "admin", scope: str | None = None, **kw: Any
    ) -> Any:
        headers = self.as_(role, scope) if role else {}
        return self.client.post(url, json=json_body, headers=headers, **kw)

    def audit(self) -> list[dict[str, Any]]:
        path = self.settings.audit_path
        return (
            [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
            if path.exists()
            else []
        )


@pytest.fixture
def make_api(settings: Settings) -> Iterator[Callable[..., Api]]:
    clients: list[TestClient] = []

    def make(store: Store, **kw: Any) -> Api:
        client = TestClient(create_app(settings, store, **kw), raise_server_exceptions=False)
        client.__enter__()
        clients.append(client)
        return Api(client, settings)

    yield make
    for c in clients:
        c.__exit__(None, None, None)


@pytest.fixture
def api(city: Store, make_api: Callable[..., Api]) -> Api:
    return make_api(city)
