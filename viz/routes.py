"""The `/pages/...` routes: the page builders behind the API's login, and vis-network as a cached static file.

The API decides who the viewer is; `pages_router` takes its dependencies (the store, the current user)
so this module does not need to know how login works. A user is anything with `role` and `scope`
(attributes or keys).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from orggraph.graph.store import QueryError, QueryTimeout, Store, StoreError, StoreUnavailable
from orggraph.queries.policy import Access, Capability
from orggraph.queries.scope import ScopeError
from orggraph.viz import pages
from orggraph.viz.render import PAGE_JS, STATIC_DIR, TOKENS_JS, TOOLS_JS, TREE_JS, VIS_FILE, Links

__all__ = ["pages_router", "static_router", "viewer_of", "error_page"]

_STATIC_TYPES = {".js": "text/javascript; charset=utf-8"}


def viewer_of(user: Any) -> Access:
    """What the viewer may see (`orggraph.queries.policy.Access`), from whatever the API's user dependency
    returns: its `User` (which carries its `access`, with what opens sealed phones for admin), or a dict with
    `role` and `scope` in tests."""
    if user is None:
        return Access.of(None)
    if isinstance(user, dict):
        return Access.of(user.get("role"), user.get("scope"))
    access = getattr(user, "access", None)
    if isinstance(access, Access):
        return access
    return Access.of(getattr(user, "role", None), getattr(user, "scope", None))


def error_page(status: int, message: str) -> HTMLResponse:
    title = {400: "查询有误", 403: "无权查看", 404: "找不到", 408: "查询超时", 422: "参数有误", 503: "数据库暂不可用"}.get(
        status, "出错了"
    )
    body = (
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>"
        f"{title}</title></head><body style=\"font-family:sans-serif;margin:2em\"><h1>{title}</h1>"
        f"<p>{html.escape(message)}</p><p><a href=\"/pages/overview\">回到概览</a></p></body></html>"
    )
    return HTMLResponse(body, status_code=status)


def _run(build: Callable[[], str]) -> Response:
    """Build a page; what can go wrong becomes an error page with the API's status for it, never a 500."""
    try:
        return HTMLResponse(build(), headers={"Cache-Control": "no-store"})
    except ScopeError as e:
        return error_page(e.status, str(e))
    except StoreUnavailable as e:
        return error_page(503, str(e))
    except QueryTimeout as e:
        return error_page(408, str(e))  # the API's status for a query past its time limit
    except QueryError as e:
        return error_page(400, str(e))
    except StoreError as e:
        return error_page(503, str(e))


def static_router() -> APIRouter:
    """vis-network and the pages' own script for served pages: public (a published library; code with no data)
    and cached for a year (versioned URLs)."""
    r = APIRouter()

    def serve(name: str) -> Callable[[], Response]:
        def static_js() -> Response:
            return Response(
                (STATIC_DIR / name).read_bytes(),
                media_type=_STATIC_TYPES[".js"],
                headers={"Cache-Control": "public, max-age=31536000, immutable"},
            )

        return static_js

    for name in (VIS_FILE, PAGE_JS, TOOLS_JS, TREE_JS, TOKENS_JS):
        r.add_api_route(f"/pages/static/{name}", serve(name), methods=["GET"], include_in_schema=False)
    return r


def pages_router(get_store: Callable[..., Any], current_user: Callable[..., Any]) -> APIRouter:
    """The page routes of api.md, each behind `current_user` (bearer token or login cookie)."""
    r = APIRouter(prefix="/pages", tags=["pages"])
    StoreDep = Depends(get_store)
    UserDep = Depends(current_user)

    def ctx(user: Any, as_of: str | None) -> dict[str, Any]:
        viewer = viewer_of(user)
        links = Links(base="", as_of=as_of or None, admin=viewer.can(Capability.admin))
        return {"viewer": viewer, "links": links, "as_of": as_of or None}

    @r.get("", include_in_schema=False)
    def index(request: Request) -> Response:
        return RedirectResponse(str(request.url_for("page_overview")), status_code=307)

    @r.get("/overview", response_class=HTMLResponse, name="page_overview", summary="范围的覆盖率概览")
    def overview(
        store: Store = StoreDep, user: Any = UserDep, scope: str | None = None, as_of: str | None = None
    ) -> Response:
        return _run(lambda: pages.build_overview(store, scope, **ctx(user, as_of)))

    @r.get("/gaps", response_class=HTMLResponse, summary="范围的短板清单")
    def gaps(store: Store = StoreDep, user: Any = UserDep, scope: str | None = None, as_of: str | None = None) -> Response:
        return _run(lambda: pages.build_gaps(store, scope, **ctx(user, as_of)))

    @r.get("/cobuilding", response_class=HTMLResponse, summary="联建共建网络")
    def cobuilding(
        store: Store = StoreDep, user: Any = UserDep, scope: str | None = None, as_of: str | None = None
    ) -> Response:
        return _run(lambda: pages.build_cobuilding(store, scope, **ctx(user, as_of)))

    @r.get("/org-tree", response_class=HTMLResponse, summary="党组织架构")
    def org_tree(
        store: Store = StoreDep, user: Any = UserDep, scope: str | None = None, as_of: str | None = None
    ) -> Response:
        return _run(lambda: pages.build_org_tree(store, scope, **ctx(user, as_of)))

    @r.get("/ego/{key}", response_class=HTMLResponse, summary="节点的关系图")
    def ego(
        key: str,
        store: Store = StoreDep,
        user: Any = UserDep,
        depth: int = Query(1, ge=1, le=2),
        as_of: str | None = None,
    ) -> Response:
        return _run(lambda: pages.build_ego(store, key, depth=depth, **ctx(user, as_of)))

    @r.get("/path", response_class=HTMLResponse, summary="两个节点之间的联系路径")
    def path(
        store: Store = StoreDep,
        user: Any = UserDep,
        from_: str | None = Query(None, alias="from"),
        to: str | None = None,
        as_of: str | None = None,
    ) -> Response:
        return _run(lambda: pages.build_path(store, from_ or None, to or None, **ctx(user, as_of)))

    @r.get("/tokens", response_class=HTMLResponse, summary="令牌管理（管理员）")
    def tokens(user: Any = UserDep) -> Response:
        viewer = viewer_of(user)
        if not viewer.can(Capability.admin):
            return error_page(403, f"令牌管理只对管理员开放；您的角色是{viewer.role_zh}。需要新令牌请联系系统管理员。")
        return _run(lambda: pages.build_tokens(Links(base="", admin=True), getattr(user, "name", None)))

    return r
