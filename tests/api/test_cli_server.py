"""`orggraph token|audit|serve` and `serve_demo`: tokens printed once, the audit tail, a real server on
loopback."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_city import C11, S1
from fastapi.testclient import TestClient
from orggraph.api import server
from orggraph.api.audit import AuditLog
from orggraph.api.cli import main
from orggraph.api.deps import COOKIE_NAME
from orggraph.graph.store import Store

from orggraph.settings import get_settings


class _Borrowed:
    """The shared test graph, lent to a command that closes what it opens."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def close(self) -> None:
        pass


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, city: Store) -> Path:
    data = tmp_path / "data"
    monkeypatch.setenv("ORGGRAPH_DATA_DIR", str(data))
    monkeypatch.setattr("orggraph.graph.store.open_store", lambda settings=None: _Borrowed(city))
    get_settings.cache_clear()
    yield data
    get_settings.cache_clear()


def test_token_create_list_revoke(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["token", "create", "--role", "street", "--scope", S1, "--name", "renshan", "--json"]) == 0
    made = json.loads(capsys.readouterr().out)
    assert made["token"].startswith("og_") and (made["name"], made["role"], made["scope"]) == (
        "renshan",
        "street",
        S1,
    )
    assert made["token"] not in (env / "tokens.json").read_text(encoding="utf-8")

    assert main(["token", "create", "--role", "analyst"]) == 0
    out = capsys.readouterr()
    token = out.out.strip()
    assert token.startswith("og_") and "只显示这一次" in out.err

    assert main(["token", "list"]) == 0
    listing = capsys.readouterr().out
    assert (
        "renshan\tstreet\t520603001" in listing and "analyst\tanalyst\t-" in listing and token not in listing
    )

    assert main(["token", "revoke", "renshan"]) == 0
    assert main(["token", "revoke", "renshan"]) == 1
    assert "没有名为" in capsys.readouterr().err
    assert main(["token", "list", "--json"]) == 0
    assert [t["name"] for t in json.loads(capsys.readouterr().out)] == ["analyst"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "street"], "必须用 --scope"),
        (["--role", "street", "--scope", C11], "街道编码"),
        (["--role", "analyst", "--scope", S1], "不能指定 --scope"),
        (["--role", "community", "--scope", "123"], "找不到"),
    ],
)
def test_token_create_refuses_wrong_scopes(
    env: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert main(["token", "create", *args]) == 2
    captured = capsys.readouterr()
    assert message in captured.err and captured.out == ""
    assert not (env / "tokens.json").exists()


def test_audit_tail(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit"]) == 0
    assert "还没有审计日志" in capsys.readouterr().err
    log = AuditLog(get_settings().audit_path)
    for i in range(5):
        log.write(
            {
                "time": f"t{i}",
                "token": "ana",
                "role": "analyst",
                "method": "GET",
                "route": f"/r{i}",
                "status": 200,
            }
        )
    log.close()
    assert main(["audit", "--tail", "2", "--json"]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [x["route"] for x in lines] == ["/r3", "/r4"]  # oldest first, like tail
    assert main(["audit", "--tail", "1"]) == 0
    assert "GET /r4" in capsys.readouterr().out


def test_serve_refuses_a_port_in_use(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        assert server.serve(get_settings(), "127.0.0.1", port) == 1
        assert server.serve_demo(get_settings(), port=port) == 1
    assert "已被占用" in capsys.readouterr().err


def test_serve_demo_prints_a_one_time_login_link(
    env: Path, city: Store, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    served: dict[str, Any] = {}

    def fake_run(app: Any, host: str, port: int, on_ready: Any = None) -> int:
        served.update(app=app, host=host, port=port)
        on_ready()  # the link is printed only once the server listens
        return 0

    monkeypatch.setattr(server, "_run", fake_run)
    monkeypatch.setattr("orggraph.api.deps.StoreHolder.get", lambda self: city)
    assert server.serve_demo(get_settings(), host="0.0.0.0", port=0) == 0
    assert served["host"] == "127.0.0.1"  # the demo is never served beyond this machine
    out = capsys.readouterr().out
    link = re.search(r"http://127\.0\.0\.1:0(/login\?code=\S+)", out)
    assert link, out
    with TestClient(served["app"]) as client:
        r = client.get(link.group(1), follow_redirects=False)
        assert r.status_code == 303 and COOKIE_NAME in r.headers["set-cookie"]
        me = client.get("/api/me").json()
        assert (me["name"], me["role"]) == ("demo", "admin")
        client.cookies.clear()
        assert client.get(link.group(1), follow_redirects=False).status_code == 401  # one time only
    # Running the demo again replaces the demo token: the old one stops working.
    old = re.search(r"Bearer (og_\S+)'", out).group(1)
    assert server.serve_demo(get_settings(), port=0) == 0
    with TestClient(served["app"]) as client:
        assert client.get("/api/me", headers={"Authorization": f"Bearer {old}"}).status_code == 401


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_orggraph_serve_answers_on_loopback_and_stops_cleanly(tmp_path: Path) -> None:
    """The real thing: `orggraph serve` in a process of its own, with its own embedded store."""
    port = _free_port()
    env = {**os.environ, "ORGGRAPH_DATA_DIR": str(tmp_path / "data"), "ORGGRAPH_PID_KEY": "test"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "orggraph", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        health = None
        for _ in range(300):  # the embedded store starts with it: allow it a while
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2)
                break
            except httpx.TransportError:
                if proc.poll() is not None:
                    break
                time.sleep(0.1)
        assert health is not None, proc.communicate(timeout=10)
        assert health.status_code == 200 and health.json()["status"] == "ok"
        assert httpx.get(f"http://127.0.0.1:{port}/api/coverage", timeout=5).status_code == 401
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert f"http://127.0.0.1:{port}/docs" in out
    lines = (tmp_path / "data" / "audit.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(x)["status"] for x in lines] == [200, 401]
