"""The console page as the app serves it (who may open it, the menu item, its assets) and its graph view: the
nodes and relationships of a `POST /api/cypher` answer drawn with the pages' styles, capped and folded."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from orggraph.api.app import create_app
from orggraph.api.auth import Role, TokenRegistry, tokens_path
from orggraph.graph.schema import linter_schema
from orggraph.graph.store import Store
from orggraph.viz.console import STATIC_FILES, result_graph
from orggraph.viz.render import LABEL_COLORS
from support.viz_district import C1, G1, PHONE, STREET, TEST_PID_KEY  # tests/support/viz_district.py

from orggraph.settings import Settings


@pytest.fixture
def client(district: Store, tmp_path: Path) -> tuple[TestClient, Any]:
    settings = Settings(data_dir=tmp_path / "data", pid_key=TEST_PID_KEY.decode())
    registry = TokenRegistry(tokens_path(settings.data_dir))

    def auth(role: str, scope: str | None = None) -> dict[str, str]:
        t, _ = registry.create(Role(role), scope, f"{role}-{scope or 'all'}")
        return {"Authorization": f"Bearer {t}"}

    return TestClient(create_app(settings, store=district)), auth


@pytest.mark.parametrize("role", ["analyst", "admin"])
def test_cypher_roles_get_the_console_and_the_menu_item(client: tuple[TestClient, Any], role: str) -> None:
    c, auth = client
    h = auth(role)
    page = c.get("/pages/cypher", headers=h)
    assert page.status_code == 200 and 'id="editor"' in page.text and ">查询控制台</a>" in page.text
    # The editor's vocabulary is the schema's, as the Cypher linter has it.
    for label in linter_schema()["labels"]:  # type: ignore[union-attr]
        assert f'"{label}"' in page.text
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert "https://" not in page.text and "http://" not in page.text  # nothing from another host
    overview = c.get(f"/pages/overview?scope={STREET}", headers=h)
    assert 'href="/pages/cypher"' in overview.text


@pytest.mark.parametrize("role,scope", [("viewer", None), ("street", STREET), ("community", C1)])
def test_other_roles_get_the_pages_403_and_no_menu_item(
    client: tuple[TestClient, Any], role: str, scope: str
) -> None:
    c, auth = client
    h = auth(role, scope)
    page = c.get("/pages/cypher", headers=h)
    assert page.status_code == 403 and "查询控制台" in page.text and "分析员" in page.text
    assert 'href="/pages/cypher"' not in c.get(f"/pages/overview?scope={scope or STREET}", headers=h).text
    assert c.post("/pages/cypher/graph", json={"rows": []}, headers=h).status_code == 403


def test_editor_assets_are_served_compressed_and_cached(client: tuple[TestClient, Any]) -> None:
    c, _ = client
    for name in STATIC_FILES:
        r = c.get(f"/pages/static/{name}", headers={"Accept-Encoding": "gzip"})
        assert (
            r.status_code == 200
            and r.headers["content-encoding"] == "gzip"
            and "immutable" in r.headers["cache-control"]
        )
        assert (
            r.content == (Path(__file__).parents[2] / "viz" / "static" / name).read_bytes()
        )  # httpx decodes
    plain = c.get(f"/pages/static/{STATIC_FILES[0]}", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.content.startswith(b"(")
    raw = c.get(f"/pages/static/{STATIC_FILES[1]}", headers={"Accept-Encoding": "gzip"}, extensions={})
    assert len(gzip.compress(raw.content)) < len(raw.content) / 2  # what the browser gets is much smaller


def _node(i: int, label: str = "Person", **props: Any) -> dict[str, Any]:
    key = {"Person": "pid"}.get(label, "code")
    return {"labels": [label], "properties": {key: f"k{i}", "name": f"n{i}", **props}, "id": f"n{i}"}


def _rel(i: int, a: int, b: int, t: str = "SERVES") -> dict[str, Any]:
    return {"type": t, "properties": {"role": "网格员"}, "id": f"r{i}", "start": f"n{a}", "end": f"n{b}"}


def test_result_graph_joins_rows_on_identities() -> None:
    grid = _node(0, "Grid")
    rows = [
        [grid, _rel(1, 1, 0), _node(1)],
        [grid, _rel(2, 2, 0), _node(2)],
        [{"nodes": [_node(1), grid], "relationships": [_rel(1, 1, 0)]}],
    ]  # a path repeating the first row
    g = result_graph(rows)
    assert sorted(g.nodes) == ["Grid:k0", "Person:k1", "Person:k2"]
    assert sorted((e.source, e.target, e.type) for e in g.edges) == [
        ("Person:k1", "Grid:k0", "SERVES"),
        ("Person:k2", "Grid:k0", "SERVES"),
    ]
    assert g.notes == []


def test_result_graph_caps_and_folds_like_the_pages() -> None:
    grid = _node(0, "Grid")
    rows = [[grid, _rel(i, i, 0), _node(i)] for i in range(1, 31)]
    g = result_graph(rows, cap=11)
    drawn = [n for n in g.nodes.values() if n.label != "Group"]
    groups = [n for n in g.nodes.values() if n.label == "Group"]
    assert len(drawn) == 11 and len(groups) == 1 and groups[0].count == 20 and groups[0].parent == "Grid:k0"
    assert any("只画前 11 个" in n for n in g.notes)
    # A relationship whose ends were not returned is said, not drawn.
    g2 = result_graph([[_rel(1, 1, 0)]])
    assert not g2.nodes and any("RETURN 关系两端" in n for n in g2.notes)


def test_graph_view_uses_the_pages_styles_and_masks(client: tuple[TestClient, Any]) -> None:
    c, auth = client
    h = auth("analyst")
    ans = c.post(
        "/api/cypher",
        json={
            "query": "MATCH (g:Grid {code: $code})<-[r:SERVES]-(p:Person) RETURN g, r, p",
            "params": {"code": G1},
        },
        headers=h,
    ).json()
    view = c.post("/pages/cypher/graph", json={"rows": ans["rows"]}, headers=h)
    assert view.status_code == 200
    body = view.json()
    nodes = {n["id"]: n for n in body["data"]["nodes"]}
    assert set(nodes) == {f"Grid:{G1}", *(f"Person:{row[2]['properties']['pid']}" for row in ans["rows"])}
    assert nodes[f"Grid:{G1}"]["color"]["background"] == LABEL_COLORS["Grid"]
    assert {x["text"] for x in body["legend"]} >= {"网格", "人员"}
    assert body["counts"] == {"nodes": len(nodes), "edges": len(ans["rows"])}
    assert PHONE not in view.text
    assert c.post("/pages/cypher/graph", json={"rows": "x"}, headers=h).status_code == 422


def test_graph_view_takes_any_json_without_failing(client: tuple[TestClient, Any]) -> None:
    c, auth = client
    deep: Any = [1]
    for _ in range(200):
        deep = [deep]
    junk = [
        [
            deep,
            {"labels": "x", "properties": [], "id": 1},
            {"type": 3, "properties": {}, "id": "r"},
            {"labels": ["Nope"], "properties": {"a": {"b": [1]}}, "id": ["x"]},
            {"type": "SERVES", "properties": {}, "id": "r1", "start": None, "end": {"x": 1}},
        ]
    ]
    r = c.post("/pages/cypher/graph", json={"rows": junk}, headers=auth("analyst"))
    assert r.status_code == 200 and r.json()["counts"]["nodes"] == 0
