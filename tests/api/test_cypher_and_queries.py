"""Ad-hoc Cypher (read-only by the store, time limit, row cap, parameters) and named queries (typed
parameters, scope forced for scoped tokens)."""

from __future__ import annotations

import pytest
from api_city import C11, G111, G211, PHONE_A, PID_A, PID_B, S1, S2
from orggraph.queries.catalog import CATALOG, NamedQuery, Param

COUNT_ALL = "MATCH (n) RETURN count(n) AS n"


def test_cypher_answers_columns_rows_truncated(api) -> None:
    r = api.post(
        "/api/cypher",
        {"query": "MATCH (s:Street) RETURN s.code AS code, s.name AS name ORDER BY code"},
        role="analyst",
    )
    assert r.status_code == 200
    assert r.json() == {
        "columns": ["code", "name"],
        "rows": [[S1, "仁山街道"], [S2, "谢桥街道"]],
        "truncated": False,
    }


@pytest.mark.parametrize(
    "query",
    [
        "CREATE (:Street {code: 'x', name: 'x'})",
        "MATCH (s:Street) SET s.name = 'hacked'",
        "MATCH (p:Person) DETACH DELETE p",
        "MERGE (:Unit {code: 'x'})",
        "MATCH (s:Street) WITH s LIMIT 1 CREATE (s)-[:PART_OF]->(:District {code: 'y'})",
    ],
)
def test_cypher_cannot_write(api, city, query: str) -> None:
    before = city.read(COUNT_ALL).scalar()
    names = city.read("MATCH (s:Street) RETURN collect(s.name)").scalar()
    r = api.post("/api/cypher", {"query": query}, role="admin")
    assert r.status_code == 403 and "只读" in r.json()["detail"]
    assert city.read(COUNT_ALL).scalar() == before
    assert city.read("MATCH (s:Street) RETURN collect(s.name)").scalar() == names


def test_cypher_errors_are_clear_4xx(api) -> None:
    r = api.post("/api/cypher", {"query": "MATCH (n RETURN n"}, role="analyst")
    assert r.status_code == 400 and r.json()["detail"].startswith("查询有误")
    assert api.post("/api/cypher", {"query": ""}, role="analyst").status_code == 422
    assert api.post("/api/cypher", {"query": "RETURN 1", "extra": 1}, role="analyst").status_code == 422
    assert api.post("/api/cypher", {"params": {}}, role="analyst").status_code == 422
    r = api.client.post(
        "/api/cypher", content=b"not json", headers={**api.as_("analyst"), "Content-Type": "application/json"}
    )
    assert r.status_code == 422


def test_cypher_time_limit_is_408(city, make_api, settings) -> None:
    settings.query_timeout = 0.001
    api = make_api(city)
    r = api.post("/api/cypher", {"query": "UNWIND range(1, 9000000) AS x RETURN sum(x) AS s"}, role="analyst")
    assert r.status_code == 408 and "时间限制" in r.json()["detail"]


def test_cypher_row_cap(city, make_api, settings) -> None:
    settings.max_rows = 3
    api = make_api(city)
    r = api.post("/api/cypher", {"query": "UNWIND range(1, 10) AS x RETURN x"}, role="analyst").json()
    assert r["rows"] == [[1], [2], [3]] and r["truncated"] is True
    exact = api.post("/api/cypher", {"query": "UNWIND range(1, 3) AS x RETURN x"}, role="analyst").json()
    assert exact["truncated"] is False


def test_cypher_values_are_parameters_never_text(api, city) -> None:
    evil = "x'}) DETACH DELETE n //"
    r = api.post(
        "/api/cypher",
        {"query": "MATCH (s:Street {code: $code}) RETURN s.name", "params": {"code": evil}},
        role="analyst",
    )
    assert r.status_code == 200 and r.json()["rows"] == []
    ok = api.post(
        "/api/cypher",
        {"query": "MATCH (s:Street {code: $code}) RETURN s.name", "params": {"code": S1}},
        role="analyst",
    )
    assert ok.json()["rows"] == [["仁山街道"]]


def test_cypher_masks_phones_except_for_admin(api) -> None:
    q = {
        "query": "MATCH (p:Person {pid: $pid}) RETURN p, p.phone, p.phone AS x, {tel: p.phone} AS m, "
        "[p.phone] AS l, "
        "{pid: p.pid, phone_sealed: p.phone_sealed} AS s, p.phone_sealed AS bare",
        "params": {"pid": PID_A},
    }
    masked = api.post("/api/cypher", q, role="analyst").json()["rows"][0]
    assert masked[0]["properties"]["phone"] == "138****5678" and "phone_sealed" not in masked[0]["properties"]
    assert masked[1:4] == ["138****5678", "138****5678", {"tel": "138****5678"}]
    assert masked[4] == ["138****5678"]
    assert masked[5] == {"pid": PID_A} and masked[6].startswith(
        "og1:"
    )  # sealed: opaque without the server's key
    assert PHONE_A not in str(masked)
    full = api.post("/api/cypher", q, role="admin").json()["rows"][0]
    # The graph holds the masked number only: admin reads the full one where the server opens the seal, i.e.
    # in
    # a person's properties (a node, or a map with pid and phone_sealed).
    assert full[0]["properties"]["phone"] == PHONE_A and full[5] == {"pid": PID_A, "phone": PHONE_A}
    assert full[1] == "138****5678" and "phone_sealed" not in full[0]["properties"]


@pytest.mark.parametrize(("role", "scope"), [("street", S1), ("community", C11), ("viewer", None)])
def test_scoped_and_viewer_tokens_have_no_cypher(api, role: str, scope: str | None) -> None:
    r = api.post(
        "/api/cypher",
        {"query": "MATCH (g:Grid {code: $c}) RETURN g", "params": {"c": G211}},
        role=role,
        scope=scope,
    )
    assert r.status_code == 403 and "Cypher" in r.json()["detail"]


# --------------------------------------------------------------------------------------------- named
@pytest.fixture
def test_queries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two queries of our own in the catalog (not registered as shipped statements)."""
    monkeypatch.setitem(
        CATALOG,
        "test.grids",
        NamedQuery(
            "test.grids",
            "范围内的网格",
            "MATCH (g:Grid)-[:PART_OF*1..2]->(a) WHERE a.code = $scope OR $scope IS NULL "
            "RETURN DISTINCT g.code AS code ORDER BY code LIMIT $n",
            (
                Param("scope", "string?", "范围"),
                Param("n", "integer", "行数", 10),
                Param("as_of", "date?", "日期"),
            ),
            scoped=True,
        ),
    )
    monkeypatch.setitem(
        CATALOG,
        "test.person",
        NamedQuery(
            "test.person",
            "按 pid 取人",
            "MATCH (p:Person {pid: $pid}) RETURN p.name AS name, {pid: p.pid, phone_sealed: "
            "p.phone_sealed} AS contact",
            (Param("pid", "string", "人员标识"),),
        ),
    )


def test_catalog_lists_what_the_token_may_run(api, test_queries) -> None:
    everything = {q["name"]: q for q in api.get("/api/queries", role="analyst").json()["queries"]}
    assert {"test.grids", "test.person"} <= set(everything)
    grids = everything["test.grids"]
    assert grids["scoped"] is True and grids["purpose"] == "范围内的网格" and "$scope" in grids["text"]
    assert [(p["name"], p["type"], p["required"], p["default"]) for p in grids["params"]] == [
        ("scope", "string?", False, None),
        ("n", "integer", False, 10),
        ("as_of", "date?", False, None),
    ]
    scoped = {q["name"] for q in api.get("/api/queries", role="street", scope=S1).json()["queries"]}
    assert "test.grids" in scoped and "test.person" not in scoped
    assert all(CATALOG[n].scoped for n in scoped)


def test_named_query_runs_with_defaults_and_types(api, test_queries) -> None:
    r = api.post("/api/queries/test.grids", {"params": {}}, role="analyst").json()
    assert r["rows"] == [[G111], ["520603001002001"], [G211]] and r["params"]["n"] == 10
    assert r["params"]["scope"] is None and len(r["params"]["as_of"]) == 10
    r = api.post("/api/queries/test.grids", {"params": {"scope": S2, "n": "5"}}, role="analyst").json()
    assert r["rows"] == [[G211]] and r["params"] == {"scope": S2, "n": 5, "as_of": r["params"]["as_of"]}
    person = api.post("/api/queries/test.person", {"params": {"pid": PID_A}}, role="analyst").json()
    assert person["rows"] == [["许书记", {"pid": PID_A}]]
    admin = api.post("/api/queries/test.person", {"params": {"pid": PID_A}}, role="admin").json()["rows"][0][
        1
    ]
    assert admin == {"pid": PID_A, "phone": PHONE_A}


@pytest.mark.parametrize(
    ("params", "status", "words"),
    [
        ({"n": "many"}, 422, "整数"),
        ({"n": True}, 422, "整数"),
        ({"as_of": "2025-13-01"}, 422, "日期"),
        ({"nope": 1}, 422, "未知参数"),
        ({"scope": G111}, 422, "范围"),
        ({"scope": "000"}, 404, "找不到"),
    ],
)
def test_named_query_parameters_are_checked(api, test_queries, params: dict, status: int, words: str) -> None:
    r = api.post("/api/queries/test.grids", {"params": params}, role="analyst")
    assert r.status_code == status and words in r.json()["detail"]


def test_named_query_missing_required_and_unknown_name(api, test_queries) -> None:
    r = api.post("/api/queries/test.person", {"params": {}}, role="analyst")
    assert r.status_code == 422 and "缺少参数「pid」" in r.json()["detail"]
    assert api.post("/api/queries/no.such", {"params": {}}, role="analyst").status_code == 404
    assert api.post("/api/queries/test.grids", None, role="analyst").status_code == 200  # body optional


def test_scoped_token_gets_its_scope_forced(api, test_queries) -> None:
    r = api.post("/api/queries/test.grids", {"params": {}}, role="street", scope=S1).json()
    assert r["params"]["scope"] == S1 and r["rows"] == [[G111], ["520603001002001"]]
    inside = api.post("/api/queries/test.grids", {"params": {"scope": C11}}, role="street", scope=S1).json()
    assert inside["rows"] == [[G111]]


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("test.grids", {"scope": S2}),  # another street
        ("test.grids", {"scope": "520603"}),  # the district above
        ("test.person", {"pid": PID_B}),  # not a scoped query at all
        ("test.person", {"pid": PID_A}),  # not even for someone inside
    ],
)
def test_scoped_token_cannot_escape_through_named_queries(api, test_queries, name: str, params: dict) -> None:
    r = api.post(f"/api/queries/{name}", {"params": params}, role="street", scope=S1)
    assert r.status_code == 403, r.text


def test_viewer_has_no_named_queries(api, test_queries) -> None:
    assert api.get("/api/queries", role="viewer").status_code == 403
    assert api.post("/api/queries/test.grids", {"params": {}}, role="viewer").status_code == 403
