"""Personal data: lookup by ID number only in a POST body, phones by role, never a raw ID number in an answer
or a log; and the audit log: one masked JSON line per request, whatever its outcome."""

from __future__ import annotations

import json

import pytest
from api_city import C11, ID_A, ID_B, PHONE_A, PHONE_B, PID_A, PID_B, S1, S2, UNKNOWN_ID
from orggraph.api.audit import AuditLog, read_entries
from orggraph.api.privacy import mask_for_log
from orggraph.queries.policy import Access, present_rows


# ---------------------------------------------------------------------------------------------- lookup
def test_lookup_by_id_number(api) -> None:
    r = api.post("/api/people/lookup", {"id_number": ID_A}, role="analyst")
    assert r.status_code == 200
    p = r.json()
    assert (p["pid"], p["name"], p["phone"], p["party_member"]) == (PID_A, "许书记", "138****5678", True)
    assert p["id_masked"] == ID_A[:4] + "*" * 10 + ID_A[-4:]
    assert p["households"] == ["52060300100100101-101"] and "source" not in p
    assert ID_A not in r.text
    full = api.post("/api/people/lookup", {"id_number": ID_A.lower()}, role="admin").json()
    assert full["phone"] == PHONE_A


def test_lookup_unknown_invalid_and_out_of_scope(api) -> None:
    r = api.post("/api/people/lookup", {"id_number": UNKNOWN_ID}, role="analyst")
    assert r.status_code == 404 and UNKNOWN_ID not in r.text
    bad = ID_A[:-1] + ("0" if ID_A[-1] != "0" else "1")
    r = api.post("/api/people/lookup", {"id_number": bad}, role="analyst")
    assert r.status_code == 422 and bad not in r.text and bad[6:14] not in r.text
    # Someone of another street is "not found" for a street token: the lookup does not reveal who lives where.
    outside = api.post("/api/people/lookup", {"id_number": ID_B}, role="street", scope=S1)
    assert outside.status_code == 404 and outside.json() == r.json() | {"detail": outside.json()["detail"]}
    assert api.post("/api/people/lookup", {"id_number": ID_A}, role="street", scope=S1).status_code == 200
    assert api.post("/api/people/lookup", {"id_number": ID_A}, role="community", scope=C11).status_code == 200
    assert api.post("/api/people/lookup", {"id_number": ID_A}, role="viewer").status_code == 403


def test_id_number_never_travels_in_a_url(api) -> None:
    assert api.get(f"/api/people/lookup?id_number={ID_A}").status_code == 405
    r = api.post(f"/api/people/lookup?id_number={ID_A}", None)
    assert r.status_code == 422 and ID_A not in r.text


def test_validation_errors_do_not_echo_values(api) -> None:
    r = api.post("/api/people/lookup", {"id_number": ID_A, "extra": PHONE_A}, role="analyst")
    assert r.status_code == 422
    assert PHONE_A not in r.text and ID_A not in r.text
    body = r.json()
    assert "参数有误" in body["detail"] and all(set(e) == {"loc", "msg", "type"} for e in body["errors"])
    r = api.post("/api/people/lookup", {"id_number": [ID_A]}, role="analyst")
    assert r.status_code == 422 and ID_A not in r.text


def test_search_by_name_within_scope(api) -> None:
    both = api.get("/api/people", params={"name": "许"}, role="analyst").json()
    assert [p["pid"] for p in both["people"]] == [PID_A, PID_B]  # same length: by name (许书记 < 许谢桥)
    assert both["total"] == 2 and both["capped"] is False
    assert all(p["phone"] in (None, "138****5678", "139****1111") for p in both["people"])
    mine = api.get("/api/people", params={"name": "许"}, role="street", scope=S1).json()
    assert [p["pid"] for p in mine["people"]] == [PID_A]
    theirs = api.get("/api/people", params={"name": "许谢"}, role="street", scope=S1).json()
    assert theirs["people"] == [] and theirs["total"] == 0
    exact_first = api.get("/api/people", params={"name": "许书记"}, role="admin").json()["people"]
    assert exact_first[0]["phone"] == PHONE_A
    page = api.get("/api/people", params={"name": "许", "limit": 1, "offset": 1}, role="analyst").json()
    assert len(page["people"]) == 1 and page["total"] == 2
    assert api.get("/api/people", params={"name": ""}, role="analyst").status_code == 422
    assert api.get("/api/people", params={"name": "  "}, role="analyst").status_code == 422


# --------------------------------------------------------------------------------------------- masking
def test_present_rows_and_mask_for_log() -> None:
    rows = [[PHONE_A, "13812", {"phone": PHONE_B}, 13812345678, "520603001001001"]]
    analyst, admin = Access.of("analyst"), Access.of("admin")
    assert present_rows(["a", "b", "c", "d", "e"], rows, analyst) == [
        ["138****5678", "13812", {"phone": "139****1111"}, 13812345678, "520603001001001"]
    ]
    assert present_rows(["a"], [[PHONE_A]], admin) == [[PHONE_A]]
    assert present_rows(["mobile_phone"], [["12345"]], analyst) == [["*****"]]
    logged = mask_for_log(
        {
            "q": f"id {ID_A} tel {PHONE_A}",
            "id_number": "garbage",
            "token": "og_x",
            "params": {"code": "520603001001001", "phone": "123", "n": 5},
        }
    )
    assert logged == {
        "q": f"id {ID_A[:4]}{'*' * 10}{ID_A[-4:]} tel 138****5678",
        "id_number": "*******",
        "token": "***",
        "params": {"code": "520603001001001", "phone": "***", "n": 5},
    }


# ----------------------------------------------------------------------------------------------- audit
def test_every_request_is_one_audit_line_with_masked_personal_data(api) -> None:
    api.get("/api/health", role=None)  # 200, no token
    api.get("/api/coverage", role=None)  # 401
    api.post("/api/cypher", {"query": "RETURN 1"}, role="street", scope=S1)  # 403
    api.get("/api/coverage", params={"scope": "000"}, role="viewer")  # 404
    api.get("/api/coverage", params={"as_of": "2025-02-30"})  # 422
    api.post("/api/people/lookup", {"id_number": ID_A}, role="analyst")  # 200, ID in the body
    api.post(
        "/api/cypher",
        {"query": "MATCH (p:Person {phone: $t}) RETURN p.name", "params": {"t": PHONE_B}},
        role="analyst",
    )
    lines = api.audit()
    assert [(x["route"], x["status"]) for x in lines] == [
        ("/api/health", 200),
        ("/api/coverage", 401),
        ("/api/cypher", 403),
        ("/api/coverage", 404),
        ("/api/coverage", 422),
        ("/api/people/lookup", 200),
        ("/api/cypher", 200),
    ]
    assert [x["role"] for x in lines] == [None, None, "street", "viewer", "admin", "analyst", "analyst"]
    assert lines[2]["token"].startswith("street-") and lines[0]["token"] is None
    assert all(isinstance(x["ms"], float) and x["time"] and x["method"] in ("GET", "POST") for x in lines)
    assert (
        lines[5]["params"] == {"body": {"id_number": ID_A[:4] + "*" * 10 + ID_A[-4:]}}
        and lines[5]["size"] == 1
    )
    assert lines[6]["params"]["body"]["query"] == "MATCH (p:Person {phone: $t}) RETURN p.name"  # kept
    # The graph holds no full number to match (only the masked one and the sealed form): nothing is found.
    assert lines[6]["params"]["body"]["params"] == {"t": "139****1111"} and lines[6]["size"] == 0
    assert lines[3]["params"] == {"scope": "000"}
    text = api.settings.audit_path.read_text(encoding="utf-8")
    assert ID_A not in text and PHONE_B not in text and PHONE_A not in text


def test_audit_records_route_templates_and_sizes(api) -> None:
    api.get("/api/gaps", params={"scope": S2, "limit": 1})
    api.get("/api/nowhere")
    api.get(f"/api/people/{ID_A}")  # an ID number typed into a URL that names no route
    lines = api.audit()[:-1]
    assert api.audit()[-1]["route"] == f"/api/people/{ID_A[:4]}{'*' * 10}{ID_A[-4:]}"
    assert ID_A not in api.settings.audit_path.read_text(encoding="utf-8")
    assert lines[-2]["route"] == "/api/gaps" and lines[-2]["params"] == {"scope": S2, "limit": "1"}
    assert isinstance(lines[-2]["size"], int)
    assert (lines[-1]["route"], lines[-1]["status"]) == ("/api/nowhere", 404)


def test_audit_route_for_admins_newest_first(api) -> None:
    for _ in range(3):
        api.get("/api/me", role="viewer")
    r = api.get("/api/audit", params={"limit": 2})
    assert r.status_code == 200
    body = r.json()
    assert len(body["entries"]) == 2 and body["more"] is True
    assert all(e["route"] == "/api/me" for e in body["entries"])
    older = api.get("/api/audit", params={"limit": 10, "offset": 2}).json()
    assert older["more"] is False and len(older["entries"]) == 2  # the third /api/me and the first /api/audit
    assert api.get("/api/audit", role="analyst").status_code == 403


def test_audit_log_survives_many_threads_and_reads_backwards(tmp_path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    log = AuditLog(tmp_path / "a" / "audit.jsonl")
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda i: log.write({"i": i, "pad": "x" * (i % 700)}), range(2000)))
    log.close()
    lines = (tmp_path / "a" / "audit.jsonl").read_text(encoding="utf-8").splitlines()
    assert sorted(json.loads(x)["i"] for x in lines) == list(range(2000))  # none lost, none torn
    entries, more = read_entries(tmp_path / "a" / "audit.jsonl", limit=1500, offset=100)
    assert (
        more is True and [e["i"] for e in entries] == [json.loads(x)["i"] for x in reversed(lines)][100:1600]
    )
    assert (tmp_path / "a" / "audit.jsonl").stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("role", ["admin", "analyst"])
def test_phones_follow_the_role_in_people_answers(api, role: str) -> None:
    p = api.get("/api/people", params={"name": "许书记"}, role=role).json()["people"][0]
    assert p["phone"] == (PHONE_A if role == "admin" else "138****5678")
