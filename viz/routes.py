"""The `/pages/...` routes: the page builders behind the API's login, and vis-network as a cached static file.

The API decides who the viewer is; `pages_router` takes its dependencies (the store, the current user)
so this module does not need to know how login works. A user is anything with `role` and `scope`
(attributes or keys).
"""

from __future__ import annotations

import functools
import gzip
import html
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from orggraph.graph.store import QueryError, QueryTimeout, Store, StoreError, StoreUnavailable
from orggraph.queries.policy import Access, Capability
from orggraph.queries.scope import ScopeError, check_as_of
from orggraph.viz import console, lists, pages, whatif_page
from orggraph.viz.access import check_node_access, page_setup, scope_title
from orggraph.viz.contact_tables import CONTACT_LABELS, contact_tables
from orggraph.viz.lists import gap_tables
from orggraph.viz.members import build_members
from orggraph.viz.render import FIND_JS, PAGE_JS, STATIC_DIR, TOKENS_JS, TOOLS_JS, TREE_JS, VIS_FILE, Links

__all__ = ["pages_router", "static_router", "viewer_of", "error_page"]

_STATIC_TYPES = {".js": "text/javascript; charset=utf-8"}
FAVICON = "favicon.ico"  # 32×32, drawn by tools/make_favicon.py


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
    title = {
        400: "查询有误",
        403: "无权查看",
        404: "找不到",
        408: "查询超时",
        422: "参数有误",
        503: "数据库暂不可用",
    }.get(status, "出错了")
    body = (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>'
        f'{title}</title></head><body style="font-family:sans-serif;margin:2em"><h1>{title}</h1>'
        f'<p>{html.escape(message)}</p><p><a href="/pages/overview">回到概览</a></p></body></html>'
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


@functools.lru_cache(maxsize=8)
def _gzipped(name: str) -> bytes:
    return gzip.compress((STATIC_DIR / name).read_bytes(), compresslevel=6, mtime=0)


def _xlsx(build: Callable[[], tuple[list[Any], str]], stem: str) -> Response:
    """A page's tables as an .xlsx download; what can go wrong becomes the same error page as the HTML's."""
    holder: dict[str, Any] = {}

    def html() -> str:
        holder["tables"], holder["heading"] = build()
        return ""

    failed = _run(html)
    if "tables" not in holder:
        return failed
    data = lists.xlsx_of(holder["tables"], holder["heading"])
    name = quote(f"{holder['heading']}.xlsx")
    return Response(
        data,
        media_type=lists.XLSX_TYPE,
        headers={
            "Content-Disposition": f"attachment; filename={stem}.xlsx; filename*=UTF-8''{name}",
            "Cache-Control": "no-store",
        },
    )


def static_router() -> APIRouter:
    """vis-network and the pages' own script for served pages: public (a published library; code with no data)
    and cached for a year (versioned URLs)."""
    r = APIRouter()

    def serve(name: str) -> Callable[[Request], Response]:
        def static_js(request: Request) -> Response:
            headers = {"Cache-Control": "public, max-age=31536000, immutable", "Vary": "Accept-Encoding"}
            # The console's editor and linter are megabytes of JavaScript: sent compressed when the browser
            # can.
            if "gzip" in request.headers.get("accept-encoding", ""):
                headers["Content-Encoding"] = "gzip"
                return Response(_gzipped(name), media_type=_STATIC_TYPES[".js"], headers=headers)
            return Response(
                (STATIC_DIR / name).read_bytes(), media_type=_STATIC_TYPES[".js"], headers=headers
            )

        return static_js

    for name in (
        VIS_FILE,
        PAGE_JS,
        FIND_JS,
        TOOLS_JS,
        TREE_JS,
        TOKENS_JS,
        *console.STATIC_FILES,
        whatif_page.WHATIF_JS,
    ):
        r.add_api_route(f"/pages/static/{name}", serve(name), methods=["GET"], include_in_schema=False)

    # Every browser asks for /favicon.ico on every page; without it each page logged a 404.
    @r.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return Response(
            (STATIC_DIR / FAVICON).read_bytes(),
            media_type="image/x-icon",
            headers={"Cache-Control": "public, max-age=86400"},
        )

    return r


def pages_router(get_store: Callable[..., Any], current_user: Callable[..., Any]) -> APIRouter:
    """The page routes of api.md, each behind `current_user` (bearer token or login cookie)."""
    r = APIRouter(prefix="/pages", tags=["pages"])
    StoreDep = Depends(get_store)
    UserDep = Depends(current_user)

    def ctx(user: Any, as_of: str | None) -> dict[str, Any]:
        viewer = viewer_of(user)
        links = Links(
            base="",
            as_of=as_of or None,
            console=viewer.can(Capability.cypher),
            admin=viewer.can(Capability.admin),
            whatif=viewer.can(Capability.people),
        )
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
    def gaps(
        store: Store = StoreDep, user: Any = UserDep, scope: str | None = None, as_of: str | None = None
    ) -> Response:
        return _run(lambda: pages.build_gaps(store, scope, **ctx(user, as_of)))

    @r.get("/gaps.xlsx", summary="短板清单（Excel）")
    def gaps_xlsx(
        store: Store = StoreDep, user: Any = UserDep, scope: str | None = None, as_of: str | None = None
    ) -> Response:
        def build() -> tuple[list[Any], str]:
            day, links, sref = page_setup(
                store, scope, as_of, viewer_of(user), Links(base="", as_of=as_of or None)
            )
            return gap_tables(
                store, sref.key if sref else None, day, links, viewer_of(user)
            ), f"短板清单 {scope_title(sref)} {day}"

        return _xlsx(build, "gaps")

    @r.get("/uncovered", response_class=HTMLResponse, summary="某项覆盖率未覆盖的清单")
    def uncovered(
        store: Store = StoreDep,
        user: Any = UserDep,
        measure: str = Query("contact_points.Grid", max_length=40),
        scope: str | None = None,
        offset: int = Query(0, ge=0, le=100_000_000),
        as_of: str | None = None,
    ) -> Response:
        return _run(lambda: lists.build_uncovered(store, measure, scope, offset=offset, **ctx(user, as_of)))

    @r.get("/uncovered.xlsx", summary="某项覆盖率未覆盖的清单（Excel）")
    def uncovered_xlsx(
        store: Store = StoreDep,
        user: Any = UserDep,
        measure: str = Query("contact_points.Grid", max_length=40),
        scope: str | None = None,
        as_of: str | None = None,
    ) -> Response:
        def build() -> tuple[list[Any], str]:
            day, links, sref = page_setup(
                store, scope, as_of, viewer_of(user), Links(base="", as_of=as_of or None)
            )
            table, got = lists.uncovered_table(
                store, measure, sref.key if sref else None, day, links, limit=lists.XLSX_CAP
            )
            return [table], f"未覆盖清单 {scope_title(sref)} {day}"

        return _xlsx(build, measure.replace(".", "-"))

    @r.get("/contacts/{key}.xlsx", summary="谁联系这里 / 联系的对象（Excel）")
    def contacts_xlsx(
        key: str, store: Store = StoreDep, user: Any = UserDep, as_of: str | None = None
    ) -> Response:
        def build() -> tuple[list[Any], str]:
            viewer = viewer_of(user)
            day = check_as_of(as_of)
            ref = check_node_access(store, key, viewer)
            tables = contact_tables(store, ref, day, viewer, Links(base="", as_of=as_of or None))
            what = "谁联系这里" if ref.label in CONTACT_LABELS else "联系的对象"
            return tables, f"{ref.name or key} {what} {day}"

        return _xlsx(build, "contacts")

    @r.get("/members", response_class=HTMLResponse, summary="合并节点的完整名单（分页）")
    def members(
        store: Store = StoreDep,
        user: Any = UserDep,
        of: str = Query(..., max_length=64),
        rel: str = Query(..., max_length=40),
        dir: str = Query("in", pattern="^(in|out)$"),
        label: str = Query(..., max_length=20),
        offset: int = Query(0, ge=0, le=10_000_000),
        as_of: str | None = None,
    ) -> Response:
        return _run(lambda: build_members(store, of, rel, dir, label, offset=offset, **ctx(user, as_of)))

    @r.get("/find", response_class=HTMLResponse, summary="搜索结果")
    def find(
        store: Store = StoreDep,
        user: Any = UserDep,
        q: str = Query("", max_length=50),
        as_of: str | None = None,
    ) -> Response:
        return _run(lambda: lists.build_find(store, q.strip() or None, **ctx(user, as_of)))

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
        from_: str | None = Query(None, alias="from", max_length=64),
        to: str | None = Query(None, max_length=64),
        from_key: str | None = Query(None, max_length=64),
        to_key: str | None = Query(None, max_length=64),
        as_of: str | None = None,
    ) -> Response:
        # A suggestion chosen in the picker sends its key beside the name shown; a typed name alone is
        # resolved.
        return _run(
            lambda: pages.build_path(
                store, from_key or from_ or None, to_key or to or None, **ctx(user, as_of)
            )
        )

    @r.get("/cypher", response_class=HTMLResponse, summary="查询控制台（只读 Cypher）")
    def cypher_console(user: Any = UserDep) -> Response:
        viewer = viewer_of(user)
        if not viewer.can(Capability.cypher):
            return error_page(
                403,
                f"您的角色（{viewer.role_zh}）不能使用查询控制台：只有管理员和分析员可以。"
                "请使用概览和关系图页面，或向管理员申请分析员令牌。",
            )
        return _run(lambda: console.build_console(viewer, getattr(user, "name", "")))

    @r.post("/cypher/graph", summary="查询结果的关系图数据", include_in_schema=False)
    def cypher_graph(body: console.GraphRequest, user: Any = UserDep) -> Response:
        viewer = viewer_of(user)
        if not viewer.can(Capability.cypher):
            return JSONResponse(
                {"detail": f"您的角色（{viewer.role_zh}）不能使用查询控制台。"}, status_code=403
            )
        return JSONResponse(
            console.console_graph(body.rows, viewer, Links(base="", console=True)),
            headers={"Cache-Control": "no-store"},
        )

    @r.get("/what-if", response_class=HTMLResponse, summary="模拟调整")
    def what_if(store: Store = StoreDep, user: Any = UserDep) -> Response:
        viewer = viewer_of(user)
        if not viewer.can(Capability.people):
            return error_page(
                403,
                f"您的角色（{viewer.role_zh}）不能使用模拟调整：只有管理员、分析员和街道、社区令牌可以。"
                "请使用概览和短板清单页面，或向管理员申请相应的令牌。",
            )
        links = ctx(user, None)["links"]
        return _run(lambda: whatif_page.build_whatif(store, viewer, getattr(user, "name", ""), links))

    @r.post("/what-if/graph", summary="模拟结果的关系图数据", include_in_schema=False)
    def what_if_graph(body: whatif_page.GraphRequest, user: Any = UserDep) -> Response:
        viewer = viewer_of(user)
        if not viewer.can(Capability.people):
            return JSONResponse(
                {"detail": f"您的角色（{viewer.role_zh}）不能使用模拟调整。"}, status_code=403
            )
        return JSONResponse(
            whatif_page.whatif_graph(body, viewer, ctx(user, None)["links"]),
            headers={"Cache-Control": "no-store"},
        )

    @r.get("/tokens", response_class=HTMLResponse, summary="令牌管理（管理员）")
    def tokens(user: Any = UserDep) -> Response:
        viewer = viewer_of(user)
        if not viewer.can(Capability.admin):
            return error_page(
                403, f"令牌管理只对管理员开放；您的角色是{viewer.role_zh}。需要新令牌请联系系统管理员。"
            )
        return _run(
            lambda: pages.build_tokens(Links(base="", admin=True, console=True), getattr(user, "name", None))
        )

    return r
