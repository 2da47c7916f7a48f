"""Coverage and gaps through the API answer exactly what was worked out by hand
(tests/fixtures/small_district.py), for every scope and day, and scoped tokens get their own scope and nothing
outside it."""

from __future__ import annotations

import pytest
from fixtures.small_district import (
    AS_OF,
    BEFORE,
    C11,
    C12,
    D1,
    D2,
    EXPECTED_COVERAGE,
    EXPECTED_GAPS,
    G111,
    S1,
    S2,
    pid,
)
from orggraph.queries.catalog import CATALOG
from orggraph.queries.coverage import MEASURES

MEASURE_KEYS = [
    "cobuilding",
    "contact_points",
    "grid_party_org",
    "fulltime_share",
    "building_heads",
    "household_links",
]


@pytest.fixture
def sd(small_district, make_api):
    return make_api(small_district)


@pytest.mark.parametrize(("scope", "as_of"), sorted(EXPECTED_COVERAGE, key=str))
def test_coverage_is_exact(sd, scope: str | None, as_of: str) -> None:
    r = sd.get("/api/coverage", params={"as_of": as_of, **({"scope": scope} if scope else {})})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["scope"], body["as_of"]) == (scope, as_of)
    assert {k: body[k] for k in MEASURE_KEYS} == EXPECTED_COVERAGE[(scope, as_of)]


@pytest.mark.parametrize(("scope", "as_of"), sorted(EXPECTED_COVERAGE, key=str))
def test_named_measures_are_exact_and_integers(sd, scope: str | None, as_of: str) -> None:
    """POST /api/queries/coverage.* runs the statement of the scope's level: the same figures as
    /api/coverage, counts as integers (FalkorDB's sum() had made them 3.0)."""
    want = EXPECTED_COVERAGE[(scope, as_of)]
    for m in MEASURES:
        q = CATALOG[f"coverage.{m.id}"]
        params = {
            k: v for k, v in {"scope": scope, "as_of": as_of}.items() if k in {p.name for p in q.params}
        }
        r = sd.post(f"/api/queries/{q.name}", {"params": params}, role="analyst")
        assert r.status_code == 200, r.text
        head, _, sub = m.id.partition(".")
        expected = want[head][sub] if sub else want[head]  # type: ignore[index]
        [[total, covered]] = r.json()["rows"]
        assert (covered, total) == (expected["covered"], expected["total"]), (m.id, scope, as_of)
        assert type(covered) is int and type(total) is int, (m.id, scope, as_of)


def test_named_queries_of_a_scoped_token_run_its_own_level(sd) -> None:
    want = EXPECTED_COVERAGE[(S1, AS_OF)]["household_links"]
    r = sd.post(
        "/api/queries/coverage.household_links", {"params": {"as_of": AS_OF}}, role="street", scope=S1
    ).json()
    assert r["params"]["scope"] == S1 and r["rows"] == [[want["total"], want["covered"]]]  # type: ignore[index]
    inside = EXPECTED_COVERAGE[(C11, AS_OF)]["household_links"]
    r = sd.post(
        "/api/queries/coverage.household_links",
        {"params": {"scope": C11, "as_of": AS_OF}},
        role="street",
        scope=S1,
    ).json()
    assert r["rows"] == [[inside["total"], inside["covered"]]]  # type: ignore[index]
    rows = sd.post(
        "/api/queries/gaps.communities_without_cobuilding",
        {"params": {"as_of": AS_OF}},
        role="street",
        scope=S1,
    ).json()["rows"]
    assert [row[0] for row in rows] == [C12]
    listed = {q["name"]: q for q in sd.get("/api/queries", role="analyst").json()["queries"]}
    assert set(listed["coverage.household_links"]["variants"]) == {"all", "District", "Street", "Community"}
    assert "$scope" in listed["gaps.sole_contacts"]["variants"]["Street"]


@pytest.mark.parametrize(("scope", "as_of"), sorted(EXPECTED_GAPS, key=str))
def test_gaps_are_exact(sd, scope: str, as_of: str) -> None:
    body = sd.get("/api/gaps", params={"scope": scope, "as_of": as_of}).json()
    people = {"contact_rule_violations", "sole_contacts"}
    expected = {
        k: sorted(pid(h) for h in v) if k in people else v for k, v in EXPECTED_GAPS[(scope, as_of)].items()
    }
    assert {k: body[k] for k in expected} == expected
    assert body["total"] == {k: len(v) for k, v in expected.items()}


def test_gap_lists_page(sd) -> None:
    full = sd.get("/api/gaps", params={"scope": D1, "as_of": AS_OF}).json()
    first = sd.get("/api/gaps", params={"scope": D1, "as_of": AS_OF, "limit": 1}).json()
    rest = sd.get("/api/gaps", params={"scope": D1, "as_of": AS_OF, "offset": 1, "limit": 100}).json()
    for k, n in full["total"].items():
        assert first[k] + rest[k] == full[k] and len(first[k]) == min(n, 1)
        assert first["total"][k] == n


def test_breakdown_children_match_their_own_coverage(sd) -> None:
    body = sd.get("/api/coverage/breakdown", params={"scope": S1, "as_of": AS_OF}).json()
    assert [c["code"] for c in body["children"]] == [C11, C12] and body["total"] == 2
    for child in body["children"]:
        assert child["label"] == "Community"
        assert child["coverage"] == EXPECTED_COVERAGE[(child["code"], AS_OF)]


def test_detail_lists_agree_with_gaps(sd) -> None:
    q = {"scope": D1, "as_of": AS_OF}
    gaps = sd.get("/api/gaps", params=q).json()
    violations = sd.get("/api/gaps/contact-rule-violations", params=q).json()
    assert sorted({v["pid"] for v in violations["items"]}) == gaps["contact_rule_violations"]
    assert all(v["broken"] and v["rule"] for v in violations["items"])
    sole = sd.get("/api/gaps/sole-contacts", params=q).json()
    assert [s["pid"] for s in sole["items"]] == gaps["sole_contacts"]
    load = sd.get("/api/coverage/grid-load", params=q).json()
    assert sorted(g["code"] for g in load["items"] if g["overloaded"]) == gaps["overloaded_grids"]
    assert sorted(g["code"] for g in load["items"] if g["fulltime"] == 0) == gaps["grids_without_fulltime"]
    paged = sd.get("/api/coverage/grid-load", params={**q, "offset": 1, "limit": 2}).json()
    assert paged["items"] == load["items"][1:3] and paged["total"] == load["total"]
    for url in ("/api/coverage/dual-reporting", "/api/coverage/part-time-committee"):
        body = sd.get(url, params=q).json()
        assert body["total"] == len(body["items"]) > 0


def test_scoped_token_defaults_to_its_scope_and_stays_inside(sd) -> None:
    own = sd.get("/api/coverage", params={"as_of": AS_OF}, role="street", scope=S1).json()
    assert own["scope"] == S1 and own["cobuilding"] == EXPECTED_COVERAGE[(S1, AS_OF)]["cobuilding"]
    inside = sd.get("/api/coverage", params={"as_of": AS_OF, "scope": C11}, role="street", scope=S1)
    assert inside.status_code == 200 and inside.json()["scope"] == C11
    for role, scope, asked in [
        ("street", S1, S2),
        ("street", S1, D1),
        ("community", C11, C12),
        ("community", C11, S1),
        ("viewer", S2, D2),
    ]:
        for url in (
            "/api/coverage",
            "/api/gaps",
            "/api/coverage/breakdown",
            "/api/gaps/sole-contacts",
            "/api/coverage/grid-load",
            "/api/gaps/contact-rule-violations",
        ):
            r = sd.get(url, params={"scope": asked}, role=role, scope=scope)
            assert r.status_code == 403, (role, scope, asked, url, r.text)
            assert "管辖范围" in r.json()["detail"]
    gaps = sd.get("/api/gaps", params={"as_of": AS_OF}, role="community", scope=C11).json()
    assert (
        gaps["scope"] == C11 and gaps["overloaded_grids"] == EXPECTED_GAPS[(C11, AS_OF)]["overloaded_grids"]
    )


def test_viewer_and_district_viewer(sd) -> None:
    assert sd.get("/api/coverage", role="viewer").json()["scope"] is None
    body = sd.get("/api/coverage", params={"as_of": BEFORE}, role="viewer", scope=D1).json()
    assert body["scope"] == D1 and body["cobuilding"] == EXPECTED_COVERAGE[(D1, BEFORE)]["cobuilding"]
    assert sd.get("/api/coverage", params={"scope": S2}, role="viewer", scope=D1).status_code == 200


BAD_PARAMETERS = [
    ({"scope": "999999"}, 404),
    ({"scope": G111}, 422),  # a grid is not a scope
    ({"as_of": "2025-02-30"}, 422),
    ({"as_of": "30/06/2025"}, 422),
    ({"limit": 0}, 422),
    ({"offset": -1}, 422),
]


@pytest.mark.parametrize(("params", "status"), BAD_PARAMETERS)
def test_bad_parameters(sd, params: dict[str, object], status: int) -> None:
    paging = "limit" in params or "offset" in params
    for url in ("/api/gaps",) if paging else ("/api/coverage", "/api/gaps"):
        r = sd.get(url, params=params)
        assert r.status_code == status, (url, params, r.text)
        assert isinstance(r.json()["detail"], str) and not r.json()["detail"].isascii()
