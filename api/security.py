"""Web hardening: security headers on every answer, the login's cross-site check, and the API docs (Swagger
UI, ReDoc, the OpenAPI document) behind a token, with their scripts served from this server (no CDN).

Headers (`SecurityHeadersMiddleware`, outermost, so the audit middleware's own 413/503 get them too):

- every answer: `X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer`, `X-Frame-Options: DENY`;
- HTML: `Content-Security-Policy` (PAGE_CSP): scripts from this server only (no inline script: the pages load
  vis-network and their own code from /pages/static, the docs from /docs/static); inline *styles* are allowed
  because vis-network and ReDoc inject their CSS at run time and the pages size bars with style attributes;
  no framing (`frame-ancestors 'none'`), forms post only here, no plugins, no `<base>`;
- anything else: `default-src 'none'; frame-ancestors 'none'` (JSON is never a document);
- `Cache-Control: no-store` on every /api answer and on every page, login form and docs page (they show
  personal data or tokens); the versioned static files keep their own year-long caching.
"""

from __future__ import annotations

import hashlib
import html
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "SecurityHeadersMiddleware",
    "PAGE_CSP",
    "OTHER_CSP",
    "CROSS_SITE_MESSAGE",
    "cross_site",
    "refuse_cross_site",
    "docs_router",
    "STATIC_DIR",
]

PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
OTHER_CSP = "default-src 'none'; frame-ancestors 'none'"
_COMMON = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]
# Paths whose answers are versioned published files: cached by the browser, as their routes say.
_STATIC_PREFIXES = ("/pages/static/", "/docs/static/")


class SecurityHeadersMiddleware:
    """Pure ASGI: adds the headers above to each answer's start message."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        static = path.startswith(_STATIC_PREFIXES)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in _REPLACED]
                kept = {k.lower(): v for k, v in message.get("headers", [])}
                content_type = kept.get(b"content-type", b"")
                headers += _COMMON
                csp = PAGE_CSP if content_type.startswith(b"text/html") else OTHER_CSP
                headers.append((b"content-security-policy", csp.encode()))
                cache = kept.get(b"cache-control")
                if path.startswith("/api") or cache is None and not static:
                    cache = b"no-store"
                if cache is not None:
                    headers.append((b"cache-control", cache))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


_REPLACED = frozenset(
    {
        b"x-content-type-options",
        b"referrer-policy",
        b"x-frame-options",
        b"content-security-policy",
        b"cache-control",
    }
)


# -------------------------------------------------------------------------------------- login CSRF check
CROSS_SITE_MESSAGE = (
    "拒绝来自其他网站的登录请求（可能是跨站请求伪造）。请直接在浏览器地址栏打开本系统的 /login 页面登录；"
    "脚本调用请不要带其他网站的 Origin 请求头。"
)


def cross_site(request: Request) -> bool:
    """Whether a browser sent this request from another site's page.

    A browser says where a request comes from: `Sec-Fetch-Site` (modern browsers; `same-origin`, or `none` for
    what the user typed, are fine; `same-site` and `cross-site` are not: another application on the same
    intranet domain is another origin). Without it, `Origin` must name this server (the Host the request was
    sent to; `null`, sent by sandboxed pages and some redirects, is refused). Without either header the caller
    is not a browser page (curl, scripts, the test client): nothing a foreign page can make a browser send.
    """
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site.strip().lower() not in ("same-origin", "none")
    origin = request.headers.get("origin")
    if origin is None:
        return False
    host = request.headers.get("host", "")
    scheme, _, rest = origin.strip().partition("://")
    return not (scheme in ("http", "https") and rest.rstrip("/").lower() == host.lower() and host)


def refuse_cross_site(request: Request) -> None:
    """A dependency for the login routes: 403 with a Chinese message for a cross-site request."""
    if cross_site(request):
        raise HTTPException(403, CROSS_SITE_MESSAGE)


# ----------------------------------------------------------------------------------------- docs behind a
# token
STATIC_DIR = Path(__file__).resolve().parent / "static"
_DOCS_STATIC = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "redoc.standalone.js": "text/javascript; charset=utf-8",
    "docs-init.js": "text/javascript; charset=utf-8",
}


def _version(name: str) -> str:
    return hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest()[:12]


def _page(title: str, head: str, body: str) -> HTMLResponse:
    return HTMLResponse(
        f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        '<meta name="viewport" content="width=device-width, '
        f'initial-scale=1">{head}</head><body>{body}</body></html>'
    )


def docs_router(app: FastAPI, current_user: Any) -> APIRouter:
    """`/openapi.json`, `/docs` (Swagger UI) and `/redoc` behind `current_user` (a token or the login cookie,
    any role); their scripts under /docs/static (public: published libraries, versioned URLs, cached a
    year)."""
    r = APIRouter(include_in_schema=False)
    versions = {name: _version(name) for name in _DOCS_STATIC}

    def src(name: str) -> str:
        return f"/docs/static/{name}?v={versions[name]}"

    @r.get("/openapi.json", dependencies=[Depends(current_user)])
    def openapi() -> JSONResponse:
        return JSONResponse(app.openapi())

    @r.get("/docs", dependencies=[Depends(current_user)])
    def swagger_ui() -> HTMLResponse:
        return _page(
            f"{app.title} - 接口文档",
            f'<link rel="stylesheet" href="{src("swagger-ui.css")}">',
            '<div id="swagger-ui" data-openapi-url="/openapi.json"></div>'
            f'<script src="{src("swagger-ui-bundle.js")}"></script><script '
            f'src="{src("docs-init.js")}"></script>',
        )

    @r.get("/redoc", dependencies=[Depends(current_user)])
    def redoc() -> HTMLResponse:
        return _page(
            f"{app.title} - 接口文档（ReDoc）",
            "<style>body { margin: 0; padding: 0; }</style>",
            f'<redoc spec-url="/openapi.json"></redoc><script src="{src("redoc.standalone.js")}"></script>',
        )

    @r.get("/docs/static/{name}")
    def docs_static(name: str) -> Response:
        if name not in _DOCS_STATIC:
            raise HTTPException(404, "没有这个文件。")
        return Response(
            (STATIC_DIR / name).read_bytes(),
            media_type=_DOCS_STATIC[name],
            headers={"Cache-Control": "public, max-age=31536000, immutable"},
        )

    return r
