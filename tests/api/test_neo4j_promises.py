"""What the README promises about Neo4j, on a real server (the test Neo4j of `./dev test`).

Writes through `orggraph cypher` and `POST /api/cypher` are refused by the database itself (READ access mode),
not by a filter of ours: exit 1 / 403, in Chinese, and nothing is written. ORGGRAPH_QUERY_TIMEOUT stops a
long query on the server (408 / a message on the CLI); ORGGRAPH_MAX_ROWS (API) and --limit (CLI) cap rows and
say so. After a load the constraints and indexes are exactly those of graph/schema.py. An unreachable Neo4j
is a 503 (exit 1 on the CLI) with a Chinese message and no traceback; `backup` / `restore` name neo4j-admin's
dump / load. A Neo4j that stops and comes back is tests/loaders/test_export_neo4j.py's last test (it owns a
second server it can stop).
"""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from api_city import TEST_PID_KEY, two_streets
from orggraph.api.cli import main as cli_main
from orggraph.graph.cypher import trusted
from orggraph.graph.neo4j_store import Neo4jStore
from orggraph.graph.schema import NODES
from orggraph.graph.store import ReadOnlyError, Store, StoreError
from support.stores import SharedGraphs, need_neo4j, point_env_at

from orggraph.settings import Settings, get_settings

CHINESE = re.compile(r"[\u4e00-\u9fff]")
WRITES = [
    "CREATE (n:Grid {code: 'zz-new'}) RETURN n",
    "MERGE (g:Grid {code: 'zz-merged'}) RETURN g",
    "MATCH (g:Grid) SET g.name = 'renamed' RETURN count(g)",
    "MATCH (n) DETACH DELETE n",
    "CREATE INDEX zz_index IF NOT EXISTS FOR (n:Grid) ON (n.kind)",
]
# CPU-bound for minutes unless the server stops it (each range() within what the ad-hoc checks allow).
LONG = "UNWIND range(1, 9000000) AS x UNWIND range(1, 1000) AS y WITH x, y WHERE x * y = -1 RETURN count(x)"
COUNT = "MATCH (n) RETURN count(n)"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """The API's settings for these tests: a 2-second time limit and a 7-row cap."""
    return Settings(data_dir=tmp_path / "data", pid_key=TEST_PID_KEY.decode(), query_timeout=2.0, max_rows=7)


@pytest.fixture
def neo4j_city(shared_graphs: SharedGraphs, load: Callable[..., object]) -> Store:
    need_neo4j()
    return shared_graphs.get("neo4j", "api-city", lambda s: load(s, two_streets()))


@pytest.fixture
def cli_env(neo4j_city: Store, monkeypatch: pytest.MonkeyPatch, falkor_data_dir: Path) -> Store:
    point_env_at(neo4j_city, monkeypatch, falkor_data_dir)
    monkeypatch.setenv("ORGGRAPH_PID_KEY", TEST_PID_KEY.decode())
    return neo4j_city


def _chinese_error(text: str) -> None:
    assert CHINESE.search(text), text
    assert "Traceback" not in text


def test_api_writes_are_refused_by_the_database(neo4j_city: Store, make_api: Callable[..., Any]) -> None:
    api = make_api(neo4j_city)
    before = neo4j_city.read(COUNT).scalar()
    for q in WRITES:
        r = api.post("/api/cypher", {"query": q})
        assert r.status_code == 403, (q, r.text)
        assert "只读" in r.json()["detail"], r.text
    assert neo4j_city.read(COUNT).scalar() == before > 0
    assert (
        neo4j_city.read(
            "MATCH (g:Grid) WHERE g.code STARTS WITH 'zz' OR g.name = 'renamed' RETURN count(g)"
        ).scalar()
        == 0
    )
    assert not [r for r in neo4j_city.read("SHOW INDEXES YIELD name RETURN name").rows if r[0] == "zz_index"]


def test_cli_writes_are_refused_by_the_database(cli_env: Store, capsys: Any) -> None:
    """The CLI refuses a write before it opens the store (exit 2, as the API's 403), and the database itself
    refuses it too when it gets there: the read-only entry point runs in READ access mode."""
    before = cli_env.read(COUNT).scalar()
    for q in WRITES:
        assert cli_main(["cypher", q]) == 2, q
        err = capsys.readouterr().err
        assert "只读" in err, err
        _chinese_error(err)
        with pytest.raises(StoreError) as e:
            cli_env.read(trusted(q))
        assert isinstance(e.value, ReadOnlyError) or "只读" in str(e.value) or "权限" in str(e.value), (
            q,
            e.value,
        )
    assert cli_env.read(COUNT).scalar() == before


def test_api_timeout_stops_a_long_query(neo4j_city: Store, make_api: Callable[..., Any]) -> None:
    api = make_api(neo4j_city)
    t = time.monotonic()
    r = api.post("/api/cypher", {"query": LONG})
    assert r.status_code == 408, r.text
    assert "时间限制" in r.json()["detail"]
    assert time.monotonic() - t < 60  # the server stopped it: unbounded it runs for minutes


def test_cli_timeout_stops_a_long_query(cli_env: Store, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    monkeypatch.setenv("ORGGRAPH_QUERY_TIMEOUT", "2")
    get_settings.cache_clear()
    assert cli_main(["cypher", LONG]) == 1
    err = capsys.readouterr().err
    assert "时间限制" in err and "LIMIT" in err, err
    _chinese_error(err)


def test_max_rows_caps_and_says_truncated(
    neo4j_city: Store, make_api: Callable[..., Any], capsys: Any, cli_env: Store
) -> None:
    api = make_api(neo4j_city)
    r = api.post("/api/cypher", {"query": "UNWIND range(1, 100) AS x RETURN x"})
    assert r.status_code == 200, r.text
    assert r.json()["rows"] == [[i] for i in range(1, 8)] and r.json()["truncated"] is True
    r = api.post("/api/cypher", {"query": "UNWIND range(1, 7) AS x RETURN x"})
    assert r.json()["truncated"] is False and len(r.json()["rows"]) == 7
    assert cli_main(["cypher", "UNWIND range(1, 100) AS x RETURN x", "--limit", "5", "--json"]) == 0
    out = capsys.readouterr()
    assert [row["x"] for row in __import__("json").loads(out.out)] == [1, 2, 3, 4, 5]
    assert "只显示前 5 行" in out.err


def test_constraints_and_indexes_after_a_load_are_the_schemas(neo4j_city: Store) -> None:
    rows = neo4j_city.read("SHOW CONSTRAINTS YIELD name, type, labelsOrTypes, properties RETURN *").records()
    got = {(r["name"], r["type"], tuple(r["labelsOrTypes"]), tuple(r["properties"])) for r in rows}
    want = {(f"{n.label.lower()}_{n.key}_unique", "UNIQUENESS", (n.label,), (n.key,)) for n in NODES.values()}
    assert got == want
    rows = neo4j_city.read(
        "SHOW INDEXES YIELD name, type, labelsOrTypes, properties, owningConstraint, state RETURN *"
    ).records()
    mine = {
        (r["name"], r["type"], tuple(r["labelsOrTypes"] or ()), tuple(r["properties"] or ()))
        for r in rows
        if r["owningConstraint"] is None and r["type"] != "LOOKUP"
    }
    assert mine == {
        (f"{n.label.lower()}_{p}", "RANGE", (n.label,), (p,)) for n in NODES.values() for p in n.indexed
    }
    backing = {r["owningConstraint"] for r in rows if r["owningConstraint"]}
    assert backing == {name for name, *_ in want}  # each constraint's own index: the MERGE lookups use them
    assert all(r["state"] == "ONLINE" for r in rows)


def _dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed again: nothing listens there


def test_unreachable_neo4j_is_503_in_chinese(make_api: Callable[..., Any]) -> None:
    cfg = need_neo4j()
    store = Neo4jStore(f"bolt://127.0.0.1:{_dead_port()}", cfg["user"], cfg["password"])
    try:
        api = make_api(store)
        for r in (api.get("/api/coverage"), api.post("/api/cypher", {"query": "RETURN 1"})):
            assert r.status_code == 503, r.text
            assert "Neo4j" in r.json()["detail"]
            _chinese_error(r.text)
        health = api.get("/api/health", role=None)
        assert health.status_code == 503 and health.json()["status"] == "unavailable"
    finally:
        store.close()


def test_cli_on_unreachable_neo4j_says_so(
    monkeypatch: pytest.MonkeyPatch, capsys: Any, tmp_path: Path
) -> None:
    cfg = need_neo4j()
    monkeypatch.setenv("ORGGRAPH_URI", f"bolt://127.0.0.1:{_dead_port()}")
    monkeypatch.setenv("ORGGRAPH_NEO4J_USER", cfg["user"])
    monkeypatch.setenv("ORGGRAPH_NEO4J_PASSWORD", cfg["password"])
    monkeypatch.setenv("ORGGRAPH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ORGGRAPH_PID_KEY", TEST_PID_KEY.decode())
    get_settings.cache_clear()
    assert cli_main(["cypher", "RETURN 1"]) == 1
    err = capsys.readouterr().err
    assert "Neo4j" in err
    _chinese_error(err)


def test_backup_and_restore_name_neo4j_admin(cli_env: Store, tmp_path: Path, capsys: Any) -> None:
    before = cli_env.read(COUNT).scalar()
    assert cli_main(["backup", str(tmp_path / "b")]) == 1
    assert "neo4j-admin database dump neo4j" in capsys.readouterr().err
    assert cli_main(["restore", str(tmp_path / "b")]) == 1
    assert "neo4j-admin database load neo4j" in capsys.readouterr().err
    assert not (tmp_path / "b").exists() and cli_env.read(COUNT).scalar() == before
