"""GET /api/analytics answers what queries.analytics.analyze() computes, with /api/coverage's roles and
jurisdiction rules (a scoped token analyses its own subtree and nothing outside it), the error contract (404,
422, a scope too large for one analysis 422, 503) and the masking every route applies."""

from __future__ import annotations

import json
from typing import Any

import pytest
from api_city import ID_A, ID_B, ID_BR, ID_DL, ID_LA, ID_LB, ID_WA, ID_WB, ID_X2, PHONE_A, PHONE_B
from fixtures.small_district import AS_OF, BEFORE, C11, C12, C21, D1, D2, LATER, S1, S2, S3, pid
from orggraph.api.privacy import ID_RE, PHONE_RE
from orggraph.graph.store import Store
from orggraph.queries import analytics as an
from test_coverage_api import BAD_PARAMETERS
from test_errors import DOWN, DownStore

SECTIONS = ("critical_people", "fulltime_load", "community_bridges")


def expected(store: Store, scope: str | None, as_of: str) -> dict[str, Any]:
    """analyze() on the same store, as the JSON the route answers."""
    return {"scope": scope, "as_of": as_of, **json.loads(json.dumps(an.analyze(store, scope, as_of)))}


@pytest.fixture
def sd(small_district, make_api):
    return make_api(small_district)


@pytest.mark.parametrize("as_of", [AS_OF, BEFORE, LATER])
@pytest.mark.parametrize("scope", [None, D1, D2, S1, S2, S3, C11, C21])
def test_the_answer_is_analyze(sd, small_district, scope: str | None, as_of: str) -> None:
    r = sd.get("/api/analytics", params={"as_of": as_of, **({"scope": scope} if scope else {})})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body == expected(small_district, scope, as_of)
    assert set(body) == {"scope", "as_of", *SECTIONS}
    assert all(body[k]["scope"] == scope and body[k]["as_of"] == as_of for k in SECTIONS)


def test_what_the_small_district_shows(sd) -> None:
    whole = sd.get("/api/analytics", params={"as_of": AS_OF}).json()
    assert [
        (c["pid"], c["households"], c["household_list"]) for c in whole["critical_people"]["critical"]
    ] == [(pid("L8"), 1, ["B3111-101"])]
    d1 = sd.get("/api/analytics", params={"scope": D1, "as_of": AS_OF}).json()
    assert (d1["fulltime_load"]["workers"], d1["fulltime_load"]["mean"]) == (4, 315.0)
    assert d1["fulltime_load"]["gini"] == pytest.approx(1960 / 5040)
    assert [w["pid"] for w in d1["fulltime_load"]["overloaded"]] == [pid("W2"), pid("W5")]
    assert [p["communities"] for p in d1["community_bridges"]["pairs"]] == [[C11, "520603002002"]]


# Who asks (role, token scope), about what, and the answer: the scope analysed, or the status refused with.
ROLE_CASES = [
    *[(role, None, asked, asked) for role in ("admin", "analyst", "viewer") for asked in (None, D1, S2, C11)],
    ("street", S1, None, S1),
    ("street", S1, S1, S1),
    ("street", S1, C11, C11),
    ("street", S1, C12, C12),
    ("street", S1, S2, 403),
    ("street", S1, C21, 403),
    ("street", S1, D1, 403),
    ("street", S1, D2, 403),
    ("street", S2, S1, 403),
    ("community", C11, None, C11),
    ("community", C11, C11, C11),
    ("community", C11, C12, 403),
    ("community", C11, S1, 403),
    ("community", C11, D1, 403),
    ("viewer", D1, None, D1),
    ("viewer", D1, S2, S2),
    ("viewer", D1, D2, 403),
    ("viewer", S2, S1, 403),
    ("viewer", C11, C21, 403),
]


@pytest.mark.parametrize(("role", "token_scope", "asked", "answer"), ROLE_CASES)
def test_each_role_against_each_scope(
    sd, small_district, role: str, token_scope: str | None, asked: str | None, answer: str | int | None
) -> None:
    r = sd.get(
        "/api/analytics",
        params={"as_of": AS_OF, **({"scope": asked} if asked else {})},
        role=role,
        scope=token_scope,
    )
    if answer == 403:
        assert r.status_code == 403, r.text
        assert "管辖范围" in r.json()["detail"]
        return
    assert r.status_code == 200, r.text
    assert r.json() == expected(small_district, answer, AS_OF)  # type: ignore[arg-type]


def test_a_scoped_answer_stays_inside_the_jurisdiction(sd) -> None:
    body = sd.get("/api/analytics", params={"as_of": BEFORE}, role="street", scope=S2).json()
    assert [c["pid"] for c in body["critical_people"]["critical"]] == [pid("L2")]
    households = [h for c in body["critical_people"]["critical"] for h in c["household_list"]]
    households += body["critical_people"]["unlinked_list"]
    assert households and all(h.startswith("B2") for h in households)  # 谢桥's buildings
    assert all(c.startswith(S2) for p in body["community_bridges"]["pairs"] for c in p["communities"])
    assert all(g.startswith(S2) for w in body["fulltime_load"]["top"] for g in w["grids"])


@pytest.mark.parametrize(
    ("params", "status"),
    [
        *((p, s) for p, s in BAD_PARAMETERS if "limit" not in p and "offset" not in p),
        ({"scope": "x" * 65}, 422),
    ],
)
def test_bad_parameters(sd, params: dict[str, str], status: int) -> None:
    for role, scope in (("admin", None), ("street", S1)):
        r = sd.get("/api/analytics", params=params, role=role, scope=scope)
        assert r.status_code == status, (role, params, r.text)  # an unknown code is unknown to everyone
        assert isinstance(r.json()["detail"], str) and not r.json()["detail"].isascii()


def test_a_scope_too_large_is_refused_with_advice(sd, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(an, "MAX_HOUSEHOLDS", 8)  # 万山区 has 10 households, 仁山街道 7
    for params in ({}, {"scope": D1}):
        r = sd.get("/api/analytics", params={"as_of": AS_OF, **params})
        assert r.status_code == 422, r.text
        assert "请按区县或街道分别分析" in r.json()["detail"]
    assert sd.get("/api/analytics", params={"as_of": AS_OF, "scope": S1}).status_code == 200
    assert sd.get("/api/analytics", params={"as_of": AS_OF}, role="street", scope=S1).status_code == 200


def test_needs_a_token_and_answers_503_when_the_store_is_down(sd, make_api) -> None:
    assert sd.get("/api/analytics", role=None).status_code == 401
    down = make_api(DownStore())
    for role, scope in (("admin", None), ("viewer", None)):
        r = down.get("/api/analytics", role=role, scope=scope)
        assert r.status_code == 503 and r.json() == {"detail": DOWN}


RAW = (ID_A, ID_WA, ID_LA, ID_B, ID_WB, ID_LB, ID_BR, ID_X2, ID_DL)


@pytest.mark.parametrize(
    ("role", "scope"),
    [
        ("admin", None),
        ("analyst", None),
        ("viewer", None),
        ("street", "520603001"),
        ("community", "520603001001"),
    ],
)
def test_masking_names_shown_no_id_number_no_phone(api, city, role: str, scope: str | None) -> None:
    r = api.get("/api/analytics", role=role, scope=scope)
    assert r.status_code == 200, r.text
    assert r.json() == expected(city, scope, r.json()["as_of"])
    text = r.text
    assert not any(i in text or i.lower() in text for i in RAW)  # the raw ID number never appears
    assert PHONE_A not in text and PHONE_B not in text and "****" not in text  # no phone, whole or masked
    people = [
        p
        for section, key in (("critical_people", "critical"), ("fulltime_load", "top"))
        for p in r.json()[section][key]
    ]
    assert "网格员甲" in {p["name"] for p in people}  # names are shown to every role, as on every route


@pytest.mark.parametrize("role", ["admin", "analyst", "viewer"])
def test_no_phone_or_id_number_of_a_critical_person(sd, role: str) -> None:
    text = sd.get("/api/analytics", params={"as_of": AS_OF}, role=role).text
    assert (
        pid("L8") in text and "许静" in text
    )  # L8 is listed (by pid and name), the only link of a household
    assert not PHONE_RE.search(text) and "****" not in text and not ID_RE.search(text)


def test_the_route_is_documented(sd) -> None:
    doc = sd.get("/openapi.json", role="viewer").json()  # the document needs a token, any role
    op = doc["paths"]["/api/analytics"]["get"]
    assert {p["name"] for p in op["parameters"]} == {"scope", "as_of"}
    assert {"401", "403", "404", "422", "503"} <= set(op["responses"])
    schemas = doc["components"]["schemas"]
    for name in ("Analytics", "CriticalPeople", "FulltimeLoad", "CommunityBridges"):
        assert all(p.get("description") for p in schemas[name]["properties"].values()), name
