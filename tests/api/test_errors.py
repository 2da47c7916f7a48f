"""The error contract: 404 unknown code, 422 bad parameter, 503 store unreachable, never a 500 — and an
unexpected failure is a 503 with a message for the client and the traceback in the server log only."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import pytest
from api_city import S1
from orggraph.api.audit import UNEXPECTED_MESSAGE
from orggraph.graph.store import Result, Store, StoreUnavailable

from orggraph.settings import Settings

DOWN = "无法连接图数据库（测试）：请确认服务已启动。"


class DownStore(Store):
    """A store whose server has gone away."""

    backend = "falkordb"

    def read(
        self,
        query: Any,
        params: Mapping[str, Any] | None = None,
        *,
        timeout: float | None = None,
        max_rows: int | None = None,
        reply_limit: int | None = None,
    ) -> Result:
        raise StoreUnavailable(DOWN)

    def write(self, query: Any, params: Mapping[str, Any] | None = None) -> Result:
        raise StoreUnavailable(DOWN)

    def ensure_schema(self) -> None:
        raise StoreUnavailable(DOWN)

    def clear(self) -> None:
        raise StoreUnavailable(DOWN)

    def ping(self) -> None:
        raise StoreUnavailable(DOWN)


STORE_ROUTES = [
    ("GET", "/api/coverage", None),
    ("GET", "/api/gaps", None),
    ("GET", "/api/coverage/breakdown", None),
    ("POST", "/api/cypher", {"query": "RETURN 1"}),
    ("GET", "/api/people?name=x", None),
    ("POST", "/api/people/lookup", {"id_number": "11010519491231002X"}),
]


def test_store_down_is_503_with_a_message(make_api) -> None:
    api = make_api(DownStore())
    health = api.get("/api/health", role=None)
    assert health.status_code == 503 and health.json()["status"] == "unavailable"
    for method, url, body in STORE_ROUTES:
        r = api.client.request(method, url, json=body, headers=api.as_("admin"))
        assert r.status_code == 503, (url, r.text)
        assert r.json() == {"detail": DOWN}
    # What needs no store still works: the token is checked, the audit log read.
    assert api.get("/api/me").status_code == 200 and api.get("/api/audit").status_code == 200
    assert [x["status"] for x in api.audit()][:7] == [503] * 7


def test_unreachable_server_at_startup_is_503_not_a_crash(tmp_path, make_api) -> None:
    from fastapi.testclient import TestClient
    from orggraph.api.app import create_app

    settings = Settings(uri="falkordb://127.0.0.1:1", data_dir=tmp_path / "d")  # nothing listens on port 1
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        assert client.get("/api/health").status_code == 503
        from orggraph.api.auth import Role, TokenRegistry, tokens_path

        token, _ = TokenRegistry(tokens_path(settings.data_dir)).create(Role.admin, None, "a")
        r = client.get("/api/coverage", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 503 and "无法连接" in r.json()["detail"]


def test_unexpected_failure_is_503_and_logged_not_shown(
    api, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def boom(*a: Any, **k: Any) -> Any:
        raise RuntimeError("secret internals 42")

    monkeypatch.setattr("orggraph.queries.coverage.coverage", boom)
    with caplog.at_level(logging.ERROR, logger="orggraph.api"):
        r = api.get("/api/coverage")
    assert r.status_code == 503 and r.json() == {"detail": UNEXPECTED_MESSAGE}
    assert "secret" not in r.text
    assert any("secret internals 42" in (rec.exc_text or "") or rec.exc_info for rec in caplog.records)
    line = api.audit()[-1]
    assert (line["route"], line["status"]) == ("/api/coverage", 503) and "RuntimeError" in line["error"]


def test_unknown_codes_are_404_with_a_chinese_message(api) -> None:
    for url in ("/api/coverage?scope=000000", "/api/gaps?scope=000000", "/api/nowhere"):
        r = api.get(url)
        assert r.status_code == 404 and not r.json()["detail"].isascii()
    r = api.client.put("/api/coverage", headers=api.as_("admin"))
    assert r.status_code == 405 and not r.json()["detail"].isascii()


def test_oversized_body_is_413(api) -> None:
    r = api.post("/api/cypher", {"query": "RETURN 1", "params": {"x": "a" * (2 << 20)}}, role="analyst")
    assert r.status_code == 413 and "请求体" in r.json()["detail"]
    assert api.audit()[-1]["status"] == 413


def test_pages_without_login_go_to_the_login_form(api) -> None:
    r = api.client.get(f"/pages/overview?scope={S1}", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=%2Fpages%2Foverview")
    form = api.client.get(r.headers["location"])
    assert form.status_code == 200 and "令牌" in form.text


def test_a_broken_contact_rule_file_is_503_with_its_message(
    api, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = tmp_path / "rules.json"
    bad.write_text("{broken", encoding="utf-8")
    monkeypatch.setenv("ORGGRAPH_CONTACT_RULES", str(bad))
    r = api.get("/api/gaps")
    assert r.status_code == 503 and "联系点规则文件" in r.json()["detail"]
