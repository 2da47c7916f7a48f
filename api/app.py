"""The FastAPI app: one store per app (opened at startup, closed at shutdown), the topic routers, the pages
behind the same login, the audit middleware and the error contract."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from orggraph.api.audit import AuditLog, AuditMiddleware
from orggraph.api.auth import LoginCodes, TokenRegistry, tokens_path
from orggraph.api.deps import AppState, StoreHolder, get_store, get_user
from orggraph.api.errors import install_error_handlers
from orggraph.api.security import SecurityHeadersMiddleware, docs_router
from orggraph.graph.store import Store, StoreError

from orggraph import __version__
from orggraph.settings import Settings, get_settings

__all__ = ["create_app"]

log = logging.getLogger("orggraph.api")

DESCRIPTION = """党建引领基层治理关系图谱的查询接口。

Every route but `GET /api/health` needs `Authorization: Bearer <token>` (made with
`orggraph token create`) or the login cookie; so do this page, `/redoc` and `/openapi.json`.
Routes that answer about the present take `as_of=YYYY-MM-DD`
(default today); `scope` is a district, street or community code (default: the whole graph, or the token's own
jurisdiction). Errors are JSON `{"detail": "<Chinese message>"}`: 401 no/invalid token, 403 not allowed or
outside the token's jurisdiction, 404 unknown code, 408 query time limit, 422 bad parameter, 503 store
unreachable. Nothing answers 500. Every request is written to the audit log.
"""


def _routers() -> list[Any]:
    from orggraph.api.routes import (
        analytics,
        audit,
        changes,
        console,
        contacts,
        coverage,
        cypher,
        gaps,
        graph,
        health,
        login,
        people,
        queries,
        scenarios,
        search,
        tokens,
        whatif,
    )

    return [
        health.router,
        gaps.router,
        coverage.router,
        analytics.router,
        contacts.router,
        changes.router,
        changes.pages,
        graph.router,
        cypher.router,
        console.router,
        queries.router,
        scenarios.router,
        people.router,
        search.router,
        tokens.router,
        audit.router,
        login.router,
        whatif.router,
    ]


def _mount_pages(app: FastAPI) -> bool:
    """The pages (viz) behind the same login; the app works without them."""
    try:
        from orggraph.viz.routes import pages_router, static_router
    except ImportError as e:
        log.warning("pages not available: %s", e)
        return False
    app.include_router(static_router())
    app.include_router(pages_router(get_store, get_user))
    return True


def create_app(
    settings: Settings | None = None, store: Store | None = None, *, login_codes: LoginCodes | None = None
) -> FastAPI:
    """The API app. `store` given: used as is and left open (the caller owns it); otherwise the configured
    store is opened at startup and closed at shutdown. `login_codes` lets `serve_demo` issue login links."""
    settings = settings or get_settings()
    holder = StoreHolder(settings, store)
    audit = AuditLog(settings.audit_path)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            holder.get()
        except StoreError as e:
            # Keep serving: health says so, and every route answers 503 until the store can be reached.
            log.warning("store not reachable at startup: %s", e)
        try:
            yield
        finally:
            holder.close()
            audit.close()

    app = FastAPI(
        title="orggraph",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        # Served by docs_router instead: behind a token, with Swagger UI and ReDoc from this server (no CDN).
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.orggraph = AppState(
        settings, holder, TokenRegistry(tokens_path(settings.data_dir)), login_codes or LoginCodes()
    )
    install_error_handlers(app)
    for router in _routers():
        app.include_router(router)
    app.include_router(docs_router(app, get_user))
    pages = _mount_pages(app)

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/pages/overview" if pages else "/docs", status_code=307)

    app.add_middleware(AuditMiddleware, audit=audit)
    app.add_middleware(
        SecurityHeadersMiddleware
    )  # outermost: the audit middleware's own 413/503 get the headers too
    return app
