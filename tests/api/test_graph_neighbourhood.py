"""`GET /api/graph/neighbourhood`: a node's neighbours and a counted group's members, as the pages add them to
their canvas when expanded in place — bounded, paged, and masked by role and jurisdiction as `policy`
decides."""

from __future__ import annotations

import json
from typing import Any

from api_city import B1, C11, G111, G211, H1, PHONE_A, PID_A, PID_DL, PID_WA, S1, S2

URL = "/api/graph/neighbourhood"


def _ids(body: dict[str, Any]) -> set[str]:
    return {n["id"] for n in body["nodes"]}


def test_a_grid_brings_its_neighbours_and_the_leaders_of_its_community(api: Any) -> None:
    r = api.get(f"{URL}?key={G111}&as_of=2026-06-30")
    assert r.status_code == 200, r.text
    body = r.json()
    ids = _ids(body)
    assert body["anchor"] == f"Grid:{G111}"
    assert {f"Grid:{G111}", f"Building:{B1}", f"Community:{C11}", f"Person:{PID_WA}"} <= ids
    # 区领导 contacts the grid's community, not the grid: shown, linked to the community (inherited coverage).
    assert f"Person:{PID_DL}" in ids
    assert any(
        e["from"] == f"Person:{PID_DL}" and e["to"] == f"Community:{C11}" and e["kind_key"] == "edge:CONTACTS"
        for e in body["edges"]
    )
    # Every edge joins two nodes of the answer or the node expanded; edge ids are unique (the canvas dedupes
    # by them).
    assert len({e["id"] for e in body["edges"]}) == len(body["edges"])
    for e in body["edges"]:
        assert e["from"] in ids and e["to"] in ids


def test_a_group_opens_page_by_page_in_name_order(api: Any) -> None:
    kind = "PART_OF:in:Household"
    whole = api.get(f"{URL}?key={B1}&kind={kind}").json()
    assert whole["total"] == 2 and whole["returned"] == 2 and whole["more"] is False
    assert whole["noun"] == "户"
    first = api.get(f"{URL}?key={B1}&kind={kind}&offset=0&limit=1").json()
    second = api.get(f"{URL}?key={B1}&kind={kind}&offset=1&limit=1").json()
    assert first["more"] is True and second["more"] is False
    members = lambda b: _ids(b) - {f"Building:{B1}"}  # noqa: E731
    assert len(members(first)) == 1 and len(members(second)) == 1
    assert members(first) | members(second) == members(whole)
    assert f"Household:{H1}" in members(whole)


def test_phones_as_the_role_allows(api: Any) -> None:
    kind = "LIVES_IN:in:Person"
    admin = api.get(f"{URL}?key={H1}&kind={kind}").text
    analyst = api.get(f"{URL}?key={H1}&kind={kind}", role="analyst").text
    assert PHONE_A in admin
    assert PHONE_A not in analyst and "138****5678" in analyst
    assert PID_A in analyst


def test_a_viewer_sees_people_only_as_anonymous_steps(api: Any) -> None:
    r = api.get(f"{URL}?key={H1}&kind=LIVES_IN:in:Person", role="viewer")
    assert r.status_code == 200, r.text
    assert "许书记" not in r.text and PID_A not in r.text and "138" not in r.text
    people = [n for n in r.json()["nodes"] if n["kind_key"] == "node:hidden" or "person:" in n["id"]]
    assert people, r.json()["nodes"]
    # Anonymous ids carry what was expanded: two answers never merge two people into one node.
    assert all(n["id"].startswith(f"{H1}|") for n in people)
    assert api.get(f"{URL}?key={PID_A}", role="viewer").status_code == 403


def test_a_scoped_token_asks_only_inside_its_jurisdiction(api: Any) -> None:
    inside = api.get(f"{URL}?key={G211}", role="street", scope=S2)
    assert inside.status_code == 200, inside.text
    outside = api.get(f"{URL}?key={G111}", role="street", scope=S2)
    unknown = api.get(f"{URL}?key=520603999999999", role="street", scope=S2)
    assert outside.status_code == unknown.status_code == 404
    assert outside.json()["detail"] == unknown.json()["detail"].replace("520603999999999", G111)
    assert G111 not in json.dumps(inside.json()) or f"Grid:{G111}" not in _ids(inside.json())
    ok = api.get(f"{URL}?key={G111}", role="street", scope=S1)
    assert ok.status_code == 200


def test_bad_requests_are_answered_in_chinese_never_500(api: Any) -> None:
    for q, status in (
        (f"key={B1}&kind=nonsense", 422),
        (f"key={B1}&kind=PART_OF:sideways:Household", 422),
        (f"key={B1}&kind=DROP:in:Household", 422),
        (f"key={B1}&limit=201", 422),
        (f"key={B1}&depth=3", 422),
        ("key=nothing-here", 404),
        ("", 422),
    ):
        r = api.get(f"{URL}?{q}")
        assert r.status_code == status, (q, r.text)
        detail = r.json()["detail"]
        assert isinstance(detail, str) and any("\u4e00" <= ch <= "\u9fff" for ch in detail), (q, detail)


def test_one_audit_line_per_request_with_the_size(api: Any) -> None:
    api.get(f"{URL}?key={B1}&kind=PART_OF:in:Household")
    lines = [a for a in api.audit() if a["route"] == URL]
    assert len(lines) == 1 and lines[0]["status"] == 200 and lines[0]["size"] == 3
