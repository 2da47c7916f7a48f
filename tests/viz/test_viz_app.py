"""The pages as the API serves them: behind the same login (bearer token or cookie), masked and scoped by the token."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from orggraph.api.app import create_app
from orggraph.api.auth import Role, TokenRegistry, tokens_path
from orggraph.graph.store import Store
from orggraph.loaders.idcodes import mask_phone
from orggraph.viz.render import VIS_FILE
from support.viz_district import (
    C1,
    C2,
    PHONE,
    SECRETARY,
    STREET,
    TEST_PID_KEY,
    pid,
)  # tests/support/viz_district.py

from orggraph.settings import Settings


@pytest.fixture
def app_client(district: Store, tmp_path: Path) -> tuple[TestClient, Any]:
    settings = Settings(data_dir=tmp_path / "data", pid_key=TEST_PID_KEY.decode())
    registry = TokenRegistry(tokens_path(settings.data_dir))

    def token(role: str, scope: str | None = None) -> str:
        t, _ = registry.create(Role(role), scope, f"{role}-{scope or 'all'}")
        return t

    return TestClient(create_app(settings, store=district)), token


def test_pages_need_a_login(app_client: tuple[TestClient, Any]) -> None:
    client, _ = app_client
    r = client.get(f"/pages/ego/{C1}", follow_redirects=False)
    assert r.status_code in (303, 307) and r.headers["location"].startswith("/login")


def test_bearer_token_and_cookie_both_open_a_page(app_client: tuple[TestClient, Any]) -> None:
    client, token = app_client
    t = token("viewer")
    r = client.get(f"/pages/cobuilding?scope={STREET}", headers={"Authorization": f"Bearer {t}"})
    assert r.status_code == 200 and f"Community:{C1}" in r.text
    client.cookies.set("orggraph_session", t)
    r = client.get(f"/pages/ego/{C1}")
    assert r.status_code == 200 and "旺家社区 的关系图" in r.text


def test_phones_follow_the_tokens_role(app_client: tuple[TestClient, Any]) -> None:
    client, token = app_client
    url = f"/pages/ego/{pid(SECRETARY)}"
    analyst = client.get(url, headers={"Authorization": f"Bearer {token('analyst')}"}).text
    admin = client.get(url, headers={"Authorization": f"Bearer {token('admin')}"}).text
    assert PHONE not in analyst and mask_phone(PHONE) in analyst
    assert PHONE in admin  # opened from the sealed form with the server's key
    viewer = client.get(url, headers={"Authorization": f"Bearer {token('viewer')}"})
    assert (
        viewer.status_code == 403 and PHONE not in viewer.text and "许书记" not in viewer.text
    )  # no pid for a viewer


def test_a_community_token_sees_only_its_community(app_client: tuple[TestClient, Any]) -> None:
    client, token = app_client
    h = {"Authorization": f"Bearer {token('community', C2)}"}
    assert client.get(f"/pages/ego/{C1}", headers=h).status_code == 404  # a key outside: as if unknown
    assert client.get(f"/pages/cobuilding?scope={C1}", headers=h).status_code == 403
    own = client.get("/pages/cobuilding", headers=h)
    assert own.status_code == 200 and f"Community:{C2}" in own.text and f"Community:{C1}" not in own.text


def test_vis_network_is_served_without_login_and_cached(app_client: tuple[TestClient, Any]) -> None:
    client, _ = app_client
    r = client.get(f"/pages/static/{VIS_FILE}")
    assert r.status_code == 200 and "immutable" in r.headers["cache-control"]
