"""Tokens (hashed, atomic, revocable), roles and what each may do, the login cookie."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from api_city import C11, G111, S1, S2
from orggraph.api.auth import LoginCodes, Role, TokenError, TokenRegistry, check_token_scope, hash_token
from orggraph.api.deps import COOKIE_NAME
from orggraph.queries.scope import ScopeError


# ------------------------------------------------------------------------------------------------ tokens
def test_tokens_are_stored_hashed_in_a_private_file(tmp_path: Path) -> None:
    reg = TokenRegistry(tmp_path / "tokens.json")
    token, rec = reg.create(Role.analyst, None, "ana")
    text = (tmp_path / "tokens.json").read_text(encoding="utf-8")
    assert token not in text
    assert hash_token(token) in text and rec.hash == hash_token(token)
    assert stat.S_IMODE(os.stat(tmp_path / "tokens.json").st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["tokens.json"]  # no temporary file left behind
    user = reg.lookup(token)
    assert user is not None and (user.name, user.role, user.scope) == ("ana", Role.analyst, None)
    assert reg.lookup(token + "x") is None and reg.lookup("") is None


def test_names_are_unique_and_made_up_when_absent(tmp_path: Path) -> None:
    reg = TokenRegistry(tmp_path / "tokens.json")
    _, a = reg.create(Role.street, S1)
    _, b = reg.create(Role.street, S1)
    assert (a.name, b.name) == (f"street-{S1}", f"street-{S1}-2")
    with pytest.raises(TokenError) as e:
        reg.create(Role.viewer, None, a.name)
    assert e.value.status == 409
    with pytest.raises(TokenError):
        reg.create(Role.viewer, None, "has space")


def test_revoke_and_changes_by_another_process_take_effect(tmp_path: Path) -> None:
    server_side = TokenRegistry(tmp_path / "tokens.json")
    cli_side = TokenRegistry(tmp_path / "tokens.json")  # `orggraph token ...` while the server runs
    token, _ = cli_side.create(Role.viewer, None, "v")
    assert server_side.lookup(token) is not None
    assert cli_side.revoke("v") and not cli_side.revoke("v")
    assert server_side.lookup(token) is None
    token2, _ = cli_side.create(Role.viewer, None, "v")
    assert server_side.lookup(token2) is not None


def test_a_corrupt_token_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "tokens.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(TokenError) as e:
        TokenRegistry(tmp_path / "tokens.json").lookup("og_x")
    assert e.value.status == 503 and "令牌文件" in str(e.value)


def test_login_codes_work_once() -> None:
    codes = LoginCodes()
    code = codes.issue("og_secret")
    assert codes.redeem("wrong") is None
    assert codes.redeem(code) == "og_secret"
    assert codes.redeem(code) is None
    expired = LoginCodes(ttl_seconds=-1)
    assert expired.redeem(expired.issue("og_secret")) is None


# ---------------------------------------------------------------------------------------- token scopes
@pytest.mark.parametrize(
    ("role", "scope", "ok"),
    [
        (Role.street, S1, True),
        (Role.street, C11, False),  # a community is not a street
        (Role.street, None, False),  # a street token needs its street
        (Role.community, C11, True),
        (Role.community, S1, False),
        (Role.community, G111, False),  # a grid is no scope at all
        (Role.viewer, None, True),
        (Role.viewer, "520603", True),  # the district
        (Role.viewer, C11, True),
        (Role.analyst, S1, False),  # analysts read everything (ad-hoc Cypher): no scope to enforce
        (Role.admin, S1, False),
        (Role.admin, None, True),
    ],
)
def test_token_scope_must_fit_the_role(city, role: Role, scope: str | None, ok: bool) -> None:
    if ok:
        assert check_token_scope(city, role, scope) == scope
    else:
        with pytest.raises((TokenError, ScopeError)):
            check_token_scope(city, role, scope)


def test_unknown_scope_code_is_404(city) -> None:
    with pytest.raises(ScopeError) as e:
        check_token_scope(city, Role.street, "999999999")
    assert e.value.status == 404


# ------------------------------------------------------------------------------------------- over HTTP
def test_every_route_but_health_needs_a_token(api) -> None:
    assert api.get("/api/health", role=None).status_code == 200
    for method, url in [
        ("GET", "/api/me"),
        ("GET", "/api/queries"),
        ("GET", "/api/tokens"),
        ("GET", "/api/audit"),
        ("POST", "/api/cypher"),
        ("GET", "/api/people?name=许"),
        ("POST", "/api/people/lookup"),
    ]:
        r = api.client.request(method, url, json={"query": "RETURN 1"} if method == "POST" else None)
        assert r.status_code == 401, (method, url)
        assert r.headers["www-authenticate"].startswith("Bearer")
        assert "令牌" in r.json()["detail"]
    bad = api.client.get("/api/me", headers={"Authorization": "Bearer og_nonsense"})
    assert bad.status_code == 401 and "无效" in bad.json()["detail"]
    basic = api.client.get("/api/me", headers={"Authorization": "Basic dXNlcjpwdw=="})
    assert basic.status_code == 401


def test_revoked_token_stops_at_once(api) -> None:
    headers = api.as_("analyst")
    assert api.client.get("/api/me", headers=headers).status_code == 200
    name = api.client.get("/api/me", headers=headers).json()["name"]
    assert api.client.delete(f"/api/tokens/{name}", headers=api.as_("admin")).status_code == 204
    assert api.client.get("/api/me", headers=headers).status_code == 401


def test_me_tells_role_scope_and_capabilities(api) -> None:
    me = api.get("/api/me", role="street", scope=S1).json()
    assert (me["role"], me["scope"]) == ("street", S1)
    assert me["capabilities"] == ["aggregates", "people"]
    assert api.get("/api/me", role="admin").json()["capabilities"] == [
        "admin",
        "aggregates",
        "cypher",
        "people",
        "phones",
    ]


@pytest.mark.parametrize(
    ("role", "scope", "allowed"),
    [
        ("admin", None, {"cypher", "queries", "people", "tokens", "audit"}),
        ("analyst", None, {"cypher", "queries", "people"}),
        ("street", S1, {"queries", "people"}),
        ("community", C11, {"queries", "people"}),
        ("viewer", None, set()),
        ("viewer", S2, set()),
    ],
)
def test_what_each_role_may_do(api, role: str, scope: str | None, allowed: set[str]) -> None:
    calls = {
        "cypher": lambda: api.post("/api/cypher", {"query": "RETURN 1 AS one"}, role=role, scope=scope),
        "queries": lambda: api.get("/api/queries", role=role, scope=scope),
        "people": lambda: api.get("/api/people?name=许", role=role, scope=scope),
        "tokens": lambda: api.get("/api/tokens", role=role, scope=scope),
        "audit": lambda: api.get("/api/audit", role=role, scope=scope),
    }
    for what, call in calls.items():
        r = call()
        if what in allowed:
            assert r.status_code == 200, (what, r.text)
        else:
            assert r.status_code == 403, (what, r.text)
            assert role in r.json()["detail"]


def test_admin_manages_tokens_over_http(api) -> None:
    r = api.post("/api/tokens", {"role": "street", "scope": S2, "name": "xieqiao"})
    assert r.status_code == 201
    made = r.json()
    assert (made["name"], made["role"], made["scope"]) == ("xieqiao", "street", S2)
    me = api.client.get("/api/me", headers={"Authorization": f"Bearer {made['token']}"}).json()
    assert me["name"] == "xieqiao"
    listed = api.get("/api/tokens").json()["tokens"]
    assert "xieqiao" in [t["name"] for t in listed]
    assert all("hash" not in t and "token" not in t for t in listed)
    assert api.post("/api/tokens", {"role": "street", "scope": C11}).status_code == 422  # not a street
    assert api.post("/api/tokens", {"role": "street", "scope": "000000000"}).status_code == 404
    assert api.post("/api/tokens", {"role": "boss"}).status_code == 422
    assert api.post("/api/tokens", {"role": "viewer", "name": "xieqiao"}).status_code == 409
    assert api.client.delete("/api/tokens/nobody", headers=api.as_("admin")).status_code == 404


# ---------------------------------------------------------------------------------------------- cookie
def test_one_time_login_link_sets_a_strict_httponly_cookie(city, make_api) -> None:
    codes = LoginCodes()
    api = make_api(city, login_codes=codes)
    token = api.token("analyst")
    code = codes.issue(token)
    r = api.client.get(f"/login?code={code}&next=/api/me", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/api/me"
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE_NAME}=") and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert token not in r.headers["location"]
    assert api.client.get("/api/me").json()["role"] == "analyst"  # the client keeps the cookie
    api.client.cookies.clear()
    again = api.client.get(f"/login?code={code}", follow_redirects=False)
    assert again.status_code == 401 and COOKIE_NAME not in again.headers.get("set-cookie", "")


def test_login_link_never_redirects_off_site(city, make_api) -> None:
    codes = LoginCodes()
    api = make_api(city, login_codes=codes)
    for evil in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        code = codes.issue(api.token("viewer"))
        r = api.client.get("/login", params={"code": code, "next": evil}, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/pages/overview"


def test_login_form_and_api_login_and_logout(api) -> None:
    token = api.token("viewer")
    form = api.client.post(
        "/login",
        content=f"token={token}&next=/api/me",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        follow_redirects=False,
    )
    assert form.status_code == 303 and COOKIE_NAME in form.headers["set-cookie"]
    api.client.cookies.clear()
    assert (
        api.client.post(
            "/login", content="token=og_bad", headers={"Content-Type": "application/x-www-form-urlencoded"}
        ).status_code
        == 401
    )
    assert api.client.post("/api/login", json={"token": "og_bad"}).status_code == 401
    r = api.client.post("/api/login", json={"token": token})
    assert r.status_code == 200 and r.json()["role"] == "viewer"
    assert api.client.get("/api/me").status_code == 200
    out = api.client.post("/api/logout")
    assert out.status_code == 204
    assert api.client.get("/api/me").status_code == 401


def test_tokens_never_reach_the_audit_log(api) -> None:
    token = api.token("viewer")
    api.client.post("/api/login", json={"token": token})
    api.client.post(
        "/login", content=f"token={token}", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    api.get("/api/me", role="viewer")
    text = api.settings.audit_path.read_text(encoding="utf-8")
    assert token not in text
    assert json.loads(text.splitlines()[0])["params"] == {"body": "***"}
