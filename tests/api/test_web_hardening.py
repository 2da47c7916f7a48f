"""Web hardening: security headers (CSP without inline scripts on pages, nosniff, no referrer, no framing),
no-store on /api and personal pages, the login refusing cross-site posts, and the API docs behind a token with
Swagger UI and ReDoc served from this server."""

from __future__ import annotations

import re

import pytest
from api_city import S1
from orggraph.api.deps import COOKIE_NAME
from orggraph.api.security import CROSS_SITE_MESSAGE, OTHER_CSP, PAGE_CSP, STATIC_DIR

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _common(r) -> None:
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"
    assert r.headers["x-frame-options"] == "DENY"


# ------------------------------------------------------------------------------------------------ headers
def test_api_answers_are_never_cached_and_carry_the_headers(api) -> None:
    answers = [
        api.get("/api/health", role=None),
        api.get("/api/coverage"),
        api.get("/api/coverage", role=None),  # 401
        api.get("/api/coverage?as_of=2025-02-30"),  # 422
        api.get("/api/nowhere"),  # 404
        api.post(
            "/api/cypher", {"query": "RETURN 1", "params": {"x": "a" * (2 << 20)}}
        ),  # 413 from the audit layer
    ]
    assert [r.status_code for r in answers] == [200, 200, 401, 422, 404, 413]
    for r in answers:
        _common(r)
        assert r.headers["cache-control"] == "no-store"
        assert r.headers["content-security-policy"] == OTHER_CSP


def test_pages_have_a_strict_csp_and_no_inline_script(api) -> None:
    headers = api.as_("viewer")
    for url in (
        f"/pages/overview?scope={S1}",
        f"/pages/cobuilding?scope={S1}",
        f"/pages/org-tree?scope={S1}",
        "/pages/path",
        "/pages/ego/nope",
        "/login",
        "/docs",
        "/redoc",
    ):
        r = api.client.get(url, headers=headers)
        assert r.status_code in (200, 404), url
        assert r.headers["content-type"].startswith("text/html")
        _common(r)
        csp = r.headers["content-security-policy"]
        assert csp == PAGE_CSP and "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "script-src 'self';" in csp and "unsafe-eval" not in csp
        assert r.headers["cache-control"] == "no-store", url
        # Every script is a file from this server, or JSON data (not run): nothing inline for the CSP to
        # refuse.
        for attrs, body in re.findall(r"<script([^>]*)>(.*?)</script>", r.text, re.S):
            assert 'src="/' in attrs or 'type="application/json"' in attrs, (url, attrs)
            assert 'type="application/json"' in attrs or not body.strip(), url
        assert (
            "https://" not in re.sub(r"<script[^>]*>.*?</script>", "", r.text, flags=re.S) or url == "/docs"
        )


def test_static_files_are_served_from_here_and_cached(api) -> None:
    page = api.client.get(f"/pages/cobuilding?scope={S1}", headers=api.as_("viewer")).text
    src = re.findall(r'<script src="([^"]+)"', page)
    assert [s.split("?")[0] for s in src] == [
        "/pages/static/vis-network.min.js",
        "/pages/static/graph-page.js",
        "/pages/static/graph-tools.js",
        "/pages/static/find.js",
    ]
    docs = api.client.get("/docs", headers=api.as_("viewer")).text
    redoc = api.client.get("/redoc", headers=api.as_("viewer")).text
    assets = re.findall(r'(?:src|href)="([^"]+)"', docs + redoc)
    assert {a.split("?")[0] for a in assets} == {
        "/docs/static/swagger-ui.css",
        "/docs/static/swagger-ui-bundle.js",
        "/docs/static/docs-init.js",
        "/docs/static/redoc.standalone.js",
    }
    for url in src + assets:
        r = api.client.get(url)  # no token: published libraries and code without data
        assert r.status_code == 200 and "max-age=31536000" in r.headers["cache-control"], url
        _common(r)
        assert ("css" if url.endswith("css") or ".css?" in url else "javascript") in r.headers["content-type"]
    assert api.client.get("/docs/static/../../settings.py").status_code == 404
    assert api.client.get("/docs/static/tokens.json").status_code == 404
    for name in ("swagger-ui-bundle.js", "redoc.standalone.js", "swagger-ui.css"):
        assert b"sourceMappingURL" not in (STATIC_DIR / name).read_bytes()[-300:]


def test_the_favicon_is_served_without_a_token(api) -> None:
    """Browsers ask for /favicon.ico on every page: an icon from this server, not a 404 in each page's log."""
    r = api.client.get("/favicon.ico")
    assert r.status_code == 200 and r.headers["content-type"] == "image/x-icon"
    assert r.content[:4] == b"\x00\x00\x01\x00" and b"\x89PNG" in r.content  # an ICO holding a PNG
    _common(r)


# ---------------------------------------------------------------------------------------------- the docs
def test_docs_and_openapi_need_a_token(api) -> None:
    assert api.client.get("/openapi.json").status_code == 401
    assert api.client.get("/redoc", follow_redirects=False).headers["location"] == "/login?next=%2Fredoc"
    r = api.client.get("/docs", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=%2Fdocs"
    for role in ("viewer", "admin"):
        doc = api.client.get("/openapi.json", headers=api.as_(role))
        assert doc.status_code == 200 and "/api/coverage" in doc.json()["paths"]
        assert "/openapi.json" not in doc.json()["paths"] and "/docs" not in doc.json()["paths"]
    assert (
        api.client.get(
            "/docs", headers={"Authorization": "Bearer og_not_a_real_token_at_all"}, follow_redirects=False
        ).status_code
        == 303
    )
    # The login cookie opens them too (a browser after /login).
    api.client.post("/api/login", json={"token": api.token("viewer")})
    assert api.client.get("/docs").status_code == 200 and api.client.get("/openapi.json").status_code == 200


# ------------------------------------------------------------------------------------------- login CSRF
@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://evil.example"},
        {"Origin": "null"},
        {"Origin": "http://testserver.evil.example"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site", "Origin": "http://testserver"},  # a neighbour app on the same domain
        {"Sec-Fetch-Site": "cross-site", "Origin": "http://testserver"},  # the browser's word wins
    ],
)
def test_cross_site_login_is_refused(api, headers: dict[str, str]) -> None:
    token = api.token("viewer")
    form = api.client.post(
        "/login", content=f"token={token}", headers={**FORM, **headers}, follow_redirects=False
    )
    assert form.status_code == 403 and CROSS_SITE_MESSAGE in form.text and "set-cookie" not in form.headers
    js = api.client.post("/api/login", json={"token": token}, headers=headers)
    assert (
        js.status_code == 403 and js.json()["detail"] == CROSS_SITE_MESSAGE and "set-cookie" not in js.headers
    )
    assert api.client.post("/api/logout", headers=headers).status_code == 403
    assert [x["status"] for x in api.audit()][-3:] == [403, 403, 403]


@pytest.mark.parametrize(
    "headers",
    [
        {},  # curl, scripts: no browser sends a foreign page's request without these headers
        {"Origin": "http://testserver"},
        {"Origin": "http://TestServer/"},
        {"Sec-Fetch-Site": "same-origin", "Origin": "http://testserver"},
        {"Sec-Fetch-Site": "none"},  # typed by the user
    ],
)
def test_same_origin_and_non_browser_login_works(api, headers: dict[str, str]) -> None:
    token = api.token("viewer")
    form = api.client.post(
        "/login", content=f"token={token}", headers={**FORM, **headers}, follow_redirects=False
    )
    assert form.status_code == 303 and COOKIE_NAME in form.headers["set-cookie"]
    api.client.cookies.clear()
    js = api.client.post("/api/login", json={"token": token}, headers=headers)
    assert js.status_code == 200 and COOKIE_NAME in js.headers["set-cookie"]
    assert api.client.post("/api/logout", headers=headers).status_code == 204


def test_a_login_link_opened_from_another_site_is_refused_and_not_spent(city, make_api) -> None:
    from orggraph.api.auth import LoginCodes

    codes = LoginCodes()
    api = make_api(city, login_codes=codes)
    code = codes.issue(api.token("viewer"))
    r = api.client.get(
        "/login", params={"code": code}, headers={"Sec-Fetch-Site": "cross-site"}, follow_redirects=False
    )
    assert r.status_code == 403 and CROSS_SITE_MESSAGE in r.text and "set-cookie" not in r.headers
    r = api.client.get(
        "/login", params={"code": code}, headers={"Sec-Fetch-Site": "none"}, follow_redirects=False
    )
    assert r.status_code == 303 and COOKIE_NAME in r.headers["set-cookie"]  # typed or pasted: still works
