"""Contacts, reach and path through the API, and the jurisdiction escapes: a scoped token asks only about its
own nodes (404 otherwise, exactly as for a key that names nothing) and sees nothing outside them — not through
a person who lives elsewhere, a unit that sits elsewhere, a leader who also contacts another street, or a path
that passes outside."""

from __future__ import annotations

import pytest
from api_city import (
    B1,
    C11,
    C12,
    C21,
    DISTRICT,
    G111,
    G121,
    G211,
    H_SHARED,
    ORG_S2,
    PID_A,
    PID_B,
    PID_BR,
    PID_DL,
    PID_LA,
    PID_LB,
    PID_WA,
    PID_X2,
    S1,
    S2,
    U1,
    U2,
)


def _entries(body: dict) -> set[tuple]:
    return {(c["key"], c["role"], c["direct"], c["at"]) for c in body["contacts"]}


# ------------------------------------------------------------------------------------------ everything
def test_contacts_of_a_grid(api) -> None:
    r = api.get(f"/api/contacts/{G111}", role="analyst")
    assert r.status_code == 200
    body = r.json()
    assert body["target"] == {"label": "Grid", "key": G111, "name": "旺家第1网格"}
    assert {
        (PID_WA, "专职网格员", True, G111),
        (PID_BR, "兼职网格员", True, G111),
        (PID_LA, "联系点:街道党工委班子", True, G111),
        (U1, "联建共建", False, C11),
        (PID_DL, "联系点:区委区政府班子", False, C11),
        (PID_A, "党组织书记", False, C11),
    } <= _entries(body)
    assert body["contacts"][0]["direct"] and body["total"] == body["listed"] == len(body["contacts"])
    assert sum(body["by_role"].values()) == body["total"]
    inherited = next(c for c in body["contacts"] if c["key"] == U1)
    assert inherited["via"] == [G111, C11] and inherited["kind"] == "unit"


def test_contacts_page(api) -> None:
    full = api.get(f"/api/contacts/{G111}").json()
    part = api.get(f"/api/contacts/{G111}", params={"offset": 1, "limit": 2}).json()
    assert part["contacts"] == full["contacts"][1:3]
    assert (part["listed"], part["total"], part["offset"], part["limit"]) == (
        full["listed"],
        full["total"],
        1,
        2,
    )


def test_reach_of_a_leader_and_a_unit(api) -> None:
    body = api.get(f"/api/reach/{PID_DL}", role="analyst").json()
    assert body["source"]["key"] == PID_DL
    assert [(d["label"], d["key"]) for d in body["direct"]] == [
        ("Street", S2),
        ("Community", C11),
        ("Grid", G211),
    ]
    assert body["covers"]["grids"] == {"count": 2, "items": [G111, G211]}  # G211 lies under S2: counted once
    unit = api.get(f"/api/reach/{U2}").json()
    assert {d["key"] for d in unit["direct"]} == {C12, C21}
    assert unit["covers"]["grids"]["items"] == [G121, G211]


def test_path_and_its_parameters(api) -> None:
    body = api.get("/api/path", params={"from": PID_BR, "to": PID_X2}).json()
    assert body["found"] and body["length"] == 2
    assert [n["key"] for n in body["nodes"]] == [PID_BR, H_SHARED, PID_X2]
    assert [e["type"] for e in body["edges"]] == ["LIVES_IN", "LIVES_IN"]
    assert body["edges"][0]["from"] == PID_BR and not any(n["hidden"] for n in body["nodes"])
    short = api.get("/api/path", params={"from": G111, "to": G211, "max_len": 2}).json()
    assert short["found"] is False and short["max_len"] == 2
    assert api.get("/api/path", params={"from": G111}).status_code == 422
    assert api.get("/api/path", params={"from": G111, "to": G211, "max_len": 0}).status_code == 422
    assert api.get("/api/path", params={"from": G111, "to": "nope"}).status_code == 404
    assert api.get(f"/api/reach/{G111}").status_code == 422  # a grid contacts nobody
    assert api.get("/api/contacts/nope").status_code == 404
    assert api.get(f"/api/contacts/{G111}", params={"as_of": "2025-13-01"}).status_code == 422


def test_as_of_changes_the_answer(api) -> None:
    before = api.get(f"/api/contacts/{G111}", params={"as_of": "2020-01-01"}).json()
    assert PID_WA not in {c["key"] for c in before["contacts"]}  # serves from 2022
    assert before["as_of"] == "2020-01-01"


# ------------------------------------------------------------------------------------------- escapes
@pytest.mark.parametrize(
    ("role", "scope", "key"),
    [
        ("street", S1, G211),
        ("street", S1, S2),
        ("street", S1, C21),
        ("street", S1, DISTRICT),  # the district is above the street, not inside it
        ("street", S1, PID_B),
        ("street", S1, PID_LB),
        ("street", S1, ORG_S2),
        ("community", C11, G121),
        ("community", C11, C12),
        ("community", C11, S1),
        ("viewer", S2, G111),
    ],
)
def test_contacts_outside_the_jurisdiction_are_404_like_unknown(api, role: str, scope: str, key: str) -> None:
    r = api.get(f"/api/contacts/{key}", role=role, scope=scope)
    unknown = api.get("/api/contacts/NOSUCHKEY", role=role, scope=scope)
    assert r.status_code == unknown.status_code == 404
    assert r.json()["detail"] == unknown.json()["detail"].replace(
        "NOSUCHKEY", key
    )  # nothing but the key asked
    # A leader who contacts C11 lies in C11 (and in the street), wherever else they contact.
    assert api.get(f"/api/contacts/{PID_DL}", role="community", scope=C11).status_code == 200


@pytest.mark.parametrize(
    ("role", "scope", "key", "status"),
    [
        ("street", S1, PID_LB, 404),
        ("street", S1, PID_B, 404),
        ("community", C11, U2, 404),  # co-builds C12 and C21, not C11
        ("viewer", S2, PID_A, 403),  # a viewer names nobody by pid, inside or not (test_policy.py)
        ("street", S1, "0" * 20, 404),
    ],
)
def test_reach_outside_is_404(api, role: str, scope: str, key: str, status: int) -> None:
    assert api.get(f"/api/reach/{key}", role=role, scope=scope).status_code == status


@pytest.mark.parametrize(
    ("role", "scope", "ends"),
    [
        ("street", S1, (G111, G211)),
        ("street", S1, (G211, G111)),
        ("street", S1, (PID_A, PID_B)),
        ("community", C11, (G111, G121)),
        ("viewer", S1, (C11, C21)),
    ],
)
def test_path_with_an_end_outside_is_404(api, role: str, scope: str, ends: tuple[str, str]) -> None:
    r = api.get("/api/path", params={"from": ends[0], "to": ends[1]}, role=role, scope=scope)
    assert r.status_code == 404 and "管辖" not in r.json()["detail"]


def test_path_hides_the_steps_outside(api) -> None:
    body = api.get("/api/path", params={"from": PID_BR, "to": PID_X2}, role="street", scope=S1).json()
    assert body["found"] and body["length"] == 2
    assert body["nodes"][1] == {"label": "Household", "key": None, "name": None, "hidden": True}
    assert body["edges"][0]["to"] is None and body["edges"][1]["to"] is None
    assert body["edges"][0]["from"] == PID_BR
    assert H_SHARED not in str(body)
    inside = api.get("/api/path", params={"from": G111, "to": G121}, role="street", scope=S1).json()
    assert inside["found"] and not any(n["hidden"] for n in inside["nodes"])


def test_contacts_of_someone_who_lives_outside(api) -> None:
    everything = api.get(f"/api/contacts/{PID_BR}").json()
    assert everything["target"]["household"] == H_SHARED
    assert {c["at"] for c in everything["contacts"]} >= {G211, C21}
    mine = api.get(f"/api/contacts/{PID_BR}", role="street", scope=S1).json()
    assert mine["target"]["household"] is None
    assert mine["contacts"] == [] and mine["total"] == 0 and mine["by_role"] == {}
    assert PID_LB not in str(mine) and H_SHARED not in str(mine)


def test_contacts_of_a_unit_that_sits_in_another_street(api) -> None:
    everything = api.get(f"/api/contacts/{U2}").json()
    assert everything["target"]["street"] == S2 and PID_LB in {c["key"] for c in everything["contacts"]}
    mine = api.get(f"/api/contacts/{U2}", role="street", scope=S1).json()
    assert mine["target"]["street"] is None and mine["contacts"] == []


def test_reach_keeps_only_what_lies_inside(api) -> None:
    mine = api.get(f"/api/reach/{PID_DL}", role="street", scope=S1).json()
    assert [d["key"] for d in mine["direct"]] == [C11]
    assert mine["covers"]["grids"] == {"count": 1, "items": [G111]}
    assert mine["covers"]["buildings"] == {"count": 1, "items": [B1]}
    residents = {r["pid"] for r in mine["covers"]["residents"]["items"]}
    assert PID_A in residents and PID_B not in residents and PID_BR not in residents
    assert G211 not in str(mine) and S2 not in str(mine)
    unit = api.get(f"/api/reach/{U2}", role="street", scope=S1).json()
    assert [d["key"] for d in unit["direct"]] == [C12] and unit["covers"]["grids"]["items"] == [G121]


def test_community_token_sees_contacts_landing_above_it(api) -> None:
    body = api.get(f"/api/contacts/{G111}", role="community", scope=C11).json()
    full = api.get(f"/api/contacts/{G111}").json()
    assert _entries(body) == _entries(full)  # the street's contacts cover the community too


def test_every_escape_is_audited(api) -> None:
    api.get(f"/api/contacts/{G211}", role="street", scope=S1)
    api.get("/api/path", params={"from": G111, "to": G211}, role="street", scope=S1)
    last = api.audit()[-2:]
    assert [(x["route"], x["status"], x["role"]) for x in last] == [
        ("/api/contacts/{code}", 404, "street"),
        ("/api/path", 404, "street"),
    ]
    assert last[0]["params"] == {"code": G211} and last[1]["params"] == {"from": G111, "to": G211}
