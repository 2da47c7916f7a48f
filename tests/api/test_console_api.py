"""The Cypher console's routes on both stores: identities of nodes and relationships in `POST /api/cypher`,
saved queries per token name, the history of one's own runs, EXPLAIN and the export — all behind the same
checks as `POST /api/cypher`."""

from __future__ import annotations

import io
import json

import pytest
from api_city import G111, ID_A, PHONE_A, PID_A, S1
from openpyxl import load_workbook
from orggraph.api.console_store import HISTORY_PER_USER, ConsoleStore

SERVES = "MATCH (g:Grid {code: $code})<-[r:SERVES]-(p:Person) RETURN g, r, p"


def test_nodes_and_relationships_carry_stable_identities(api) -> None:
    r = api.post("/api/cypher", {"query": SERVES, "params": {"code": G111}}, role="analyst")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["columns"] == ["g", "r", "p"] and body["rows"]
    for g, rel, p in body["rows"]:
        # The current shape is kept: labels/type and properties, plus the identities.
        assert g["labels"] == ["Grid"] and g["properties"]["code"] == G111
        assert rel["type"] == "SERVES" and "properties" in rel
        assert all(isinstance(x, str) and x for x in (g["id"], p["id"], rel["id"], rel["start"], rel["end"]))
        assert (rel["start"], rel["end"]) == (p["id"], g["id"])
    assert len({row[0]["id"] for row in body["rows"]}) == 1  # one grid, one id in every row
    # The same ids on the next query, reached another way (a path).
    again = api.post(
        "/api/cypher",
        {
            "query": "MATCH path = (:Person)-[:SERVES]->(g:Grid {code: $code}) RETURN path",
            "params": {"code": G111},
        },
        role="analyst",
    ).json()
    paths = [row[0] for row in again["rows"]]
    assert {p["nodes"][-1]["id"] for p in paths} == {body["rows"][0][0]["id"]}
    assert {p["relationships"][0]["id"] for p in paths} == {row[1]["id"] for row in body["rows"]}
    assert {p["nodes"][0]["id"] for p in paths} == {row[2]["id"] for row in body["rows"]}


def test_other_answers_keep_the_bare_shape(city) -> None:
    # Only POST /api/cypher adds identities: the other answers stay the same on both stores.
    res = city.read("MATCH (g:Grid {code: $code}) RETURN g", {"code": G111})
    assert set(res.rows[0][0]) == {"labels", "properties"}


def test_identities_leave_phone_masking_alone(api) -> None:
    q = "MATCH (p:Person {pid: $pid}) RETURN p"
    analyst = api.post("/api/cypher", {"query": q, "params": {"pid": PID_A}}, role="analyst").json()
    node = analyst["rows"][0][0]
    assert node["id"] and "phone_sealed" not in node["properties"]
    assert PHONE_A not in json.dumps(analyst)
    admin = api.post("/api/cypher", {"query": q, "params": {"pid": PID_A}}, role="admin").json()
    assert admin["rows"][0][0]["properties"]["phone"] == PHONE_A and admin["rows"][0][0]["id"] == node["id"]


def test_saved_queries_belong_to_the_token_name(api) -> None:
    body = {
        "name": "网格服务人员",
        "query": SERVES,
        "params": {"code": G111},
        "description": "谁服务这个网格",
    }
    r = api.post("/api/saved-queries", body, role="analyst")
    assert r.status_code == 201, r.text
    saved = r.json()
    assert saved["name"] == body["name"] and saved["params"] == {"code": G111} and saved["owner"]
    assert api.post("/api/saved-queries", body, role="analyst").status_code == 409
    assert "已有名为" in api.post("/api/saved-queries", body, role="analyst").json()["detail"]
    # Another analyst token: its own list, and the same name is free for it.
    other = api.as_("analyst", None)  # the same token as above
    assert api.client.get("/api/saved-queries", headers=other).json()["queries"][0]["name"] == body["name"]
    second, _ = api.registry.create("analyst", None, "analyst-two")
    h2 = {"Authorization": f"Bearer {second}"}
    assert api.client.get("/api/saved-queries", headers=h2).json() == {"queries": []}
    assert api.client.post("/api/saved-queries", json=body, headers=h2).status_code == 201
    assert api.client.delete(f"/api/saved-queries/{body['name']}", headers=h2).status_code == 204
    assert api.client.delete(f"/api/saved-queries/{body['name']}", headers=h2).status_code == 404
    # Admin sees everyone's.
    api.client.post("/api/saved-queries", json={**body, "name": "b"}, headers=h2)
    owners = {(q["owner"], q["name"]) for q in api.get("/api/saved-queries").json()["queries"]}
    assert owners == {(saved["owner"], body["name"]), ("analyst-two", "b")}
    # An analyst cannot delete another's; admin can.
    assert api.client.delete("/api/saved-queries/b?owner=analyst-two", headers=other).status_code == 403
    assert (
        api.client.delete("/api/saved-queries/b?owner=analyst-two", headers=api.as_("admin")).status_code
        == 204
    )


def test_saved_queries_survive_a_restart_and_refuse_id_numbers(api, city, make_api) -> None:
    body = {"name": "q1", "query": "MATCH (s:Street {code: $s}) RETURN s", "params": {"s": S1}}
    assert api.post("/api/saved-queries", body, role="analyst").status_code == 201
    fresh = make_api(city)  # a new app on the same data dir: what a restart reads
    fresh._tokens = api._tokens
    assert [q["name"] for q in fresh.get("/api/saved-queries", role="analyst").json()["queries"]] == ["q1"]
    r = api.post(
        "/api/saved-queries", {"name": "q2", "query": "RETURN $id", "params": {"id": ID_A}}, role="analyst"
    )
    assert r.status_code == 422 and "身份证号" in r.json()["detail"]
    assert ID_A not in (api.settings.data_dir / "console" / "saved.json").read_text(encoding="utf-8")
    assert (
        api.post("/api/saved-queries", {"name": " ", "query": "RETURN 1"}, role="analyst").status_code == 422
    )


@pytest.mark.parametrize("role,scope", [("viewer", None), ("street", S1)])
def test_roles_without_cypher_have_no_console_routes(api, role: str, scope: str | None) -> None:
    assert api.get("/api/saved-queries", role=role, scope=scope).status_code == 403
    assert (
        api.post("/api/saved-queries", {"name": "x", "query": "RETURN 1"}, role=role, scope=scope).status_code
        == 403
    )
    assert api.client.delete("/api/saved-queries/x", headers=api.as_(role, scope)).status_code == 403
    assert api.get("/api/cypher/history", role=role, scope=scope).status_code == 403
    assert api.post("/api/cypher/explain", {"query": "RETURN 1"}, role=role, scope=scope).status_code == 403
    assert api.post("/api/cypher/export", {"query": "RETURN 1"}, role=role, scope=scope).status_code == 403
    assert api.get("/api/saved-queries", role=None).status_code == 401


def test_history_keeps_ones_own_runs_masked(api) -> None:
    api.post("/api/cypher", {"query": SERVES, "params": {"code": G111}}, role="analyst")
    api.post("/api/cypher", {"query": "RETURN $x AS x", "params": {"x": ID_A}}, role="analyst")
    api.post("/api/cypher", {"query": "RETURN nosuchfunction(1)"}, role="analyst")
    api.post("/api/cypher", {"query": "RETURN 1 AS one"}, role="admin")
    runs = api.get("/api/cypher/history", role="analyst").json()["runs"]
    assert [r["query"] for r in runs] == ["RETURN nosuchfunction(1)", "RETURN $x AS x", SERVES]
    assert runs[0]["ok"] is False and runs[2]["ok"] is True and runs[2]["rows"] >= 1
    assert runs[1]["params"]["x"] != ID_A
    assert ID_A not in (api.settings.data_dir / "console" / "history.json").read_text(encoding="utf-8")
    assert [r["query"] for r in api.get("/api/cypher/history", role="admin").json()["runs"]] == [
        "RETURN 1 AS one"
    ]


def test_history_is_capped_per_user(tmp_path) -> None:
    console = ConsoleStore(tmp_path)
    for i in range(HISTORY_PER_USER + 5):
        console.record("a", f"RETURN {i}", {}, ok=True, rows=1)
    console.record("b", "RETURN 'b'", {}, ok=True, rows=1)
    mine = console.history("a")
    assert len(mine) == HISTORY_PER_USER and mine[0]["query"] == f"RETURN {HISTORY_PER_USER + 4}"
    assert [r["query"] for r in console.history("b")] == ["RETURN 'b'"]
    console.record("b", "RETURN $xs", {"xs": list(range(10_000))}, ok=True, rows=1)
    assert "太长" in json.dumps(console.history("b")[0]["params"], ensure_ascii=False)
    assert not list(tmp_path.joinpath("console").glob(".*"))  # no temporary files left behind


def test_explain_warns_about_a_whole_label_scan(api) -> None:
    scan = api.post(
        "/api/cypher/explain",
        {"query": "MATCH (b:Building) WHERE b.households > $n RETURN b", "params": {"n": 1}},
        role="analyst",
    )
    assert scan.status_code == 200, scan.text
    assert scan.json()["full_scans"] and "编码" in scan.json()["warning"]
    seek = api.post(
        "/api/cypher/explain",
        {"query": "MATCH (g:Grid {code: $code}) RETURN g", "params": {"code": G111}},
        role="analyst",
    ).json()
    assert seek["plan"] and seek["full_scans"] == [] and seek["warning"] is None
    # The same checks as POST /api/cypher: no plan of a write.
    assert (
        api.post("/api/cypher/explain", {"query": "CREATE (:Street {code: 'x'})"}, role="analyst").status_code
        == 403
    )


def test_export_xlsx_and_csv_run_like_post_cypher(api) -> None:
    r = api.post(
        "/api/cypher/export?format=xlsx", {"query": SERVES, "params": {"code": G111}}, role="analyst"
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.openxml")
    ws = load_workbook(io.BytesIO(r.content)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == ("g", "r", "p") and len(rows) > 1 and rows[1][0].startswith("Grid ")
    assert PHONE_A not in json.dumps(rows, ensure_ascii=False, default=str)
    c = api.post("/api/cypher/export?format=csv", {"query": "RETURN '=1+1' AS f, 2 AS n"}, role="analyst")
    assert (
        c.status_code == 200
        and c.content.startswith("\ufeff".encode())
        and c.text.splitlines()[0].endswith("f,n")
    )
    assert api.post("/api/cypher/export", {"query": "MATCH (n) DELETE n"}, role="analyst").status_code == 403
    assert api.post("/api/cypher/export?format=pdf", {"query": "RETURN 1"}, role="analyst").status_code == 422
    audited = [e for e in api.audit() if e.get("route", "").startswith("/api/cypher/export")]
    assert len(audited) >= 2


def test_export_says_when_capped(city, make_api, settings) -> None:
    api = make_api(city)
    api.settings.max_rows = 100
    r = api.post(
        "/api/cypher/export?format=xlsx", {"query": "UNWIND range(1, 500) AS i RETURN i"}, role="analyst"
    )
    assert r.headers["x-orggraph-truncated"] == "true"
    last = list(load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True))[-1]
    assert "前 100 行" in last[0]
