"""`GET /api/changes?since=`: every load's change report; `GET /api/diff?scope&from&to`: what began or ended
between two dates in a scope (loaders/diff.py). Admins and analysts only: the reports name every file loaded
and every changed item of the whole graph."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response
from orggraph.api.audit import note_size
from orggraph.api.auth import User
from orggraph.api.deps import ScopeQuery, SettingsDep, StoreDep, UserDep, effective_scope, get_user
from orggraph.api.models import ERRORS
from orggraph.loaders.changes import History, HistoryError, parse_since
from orggraph.loaders.diff import changes_between
from orggraph.queries.policy import Role
from orggraph.queries.scope import ScopeError
from orggraph.viz.changes_page import build_changes_page, changes_xlsx
from orggraph.viz.routes import error_page

router = APIRouter(prefix="/api", tags=["changes"])

READERS = (Role.admin, Role.analyst)


def _refusal(user: User) -> str | None:
    if user.role in READERS:
        return None
    return f"您的角色（{user.role.value}，{user.role_zh}）无权查看数据变更记录：仅管理员和分析员可以查看。"


async def change_reader(user: Annotated[User, Depends(get_user)]) -> User:
    why = _refusal(user)
    if why:
        raise HTTPException(403, why)
    return user


ChangeReader = Annotated[User, Depends(change_reader)]
DateQuery = Annotated[str | None, Query(max_length=10, description="YYYY-MM-DD")]


def load_reports(data_dir: Any, since: str | None) -> list[dict[str, Any]]:
    """Past loads, newest first, since a date or time (ScopeError 422 when malformed)."""
    try:
        start = parse_since(since)
    except ValueError as e:
        raise ScopeError(str(e), 422) from None
    try:
        history = History(data_dir)
        try:
            return history.reports(start)
        finally:
            history.close()
    except HistoryError as e:
        raise HTTPException(503, f"{e}。请管理员检查数据文件夹。") from None


@router.get("/changes", summary="历次导入的变更记录（管理员、分析员）", responses=ERRORS)
def changes(
    request: Request,
    user: ChangeReader,
    settings: SettingsDep,
    since: Annotated[
        str | None, Query(max_length=32, description="YYYY-MM-DD or an ISO time: loads from then on")
    ] = None,
) -> dict[str, Any]:
    """Each load, newest first: when it started and finished, its status (`done`, `running` — interrupted or
    still going —, `refused`), files, rows per ledger, content hashes, and its changes
    (`added`, `updated`, `removed`, `by_kind`)."""
    loads = load_reports(settings.data_dir, since)
    note_size(request, len(loads))
    return {"loads": loads}


@router.get(
    "/diff",
    summary="两个日期之间开始或结束的任期、联系点、共建协议和网格力量（管理员、分析员）",
    responses=ERRORS,
)
def diff(
    request: Request,
    store: StoreDep,
    user: ChangeReader,
    settings: SettingsDep,
    scope: ScopeQuery = None,
    from_: Annotated[
        str | None, Query(alias="from", max_length=10, description="first day, YYYY-MM-DD")
    ] = None,
    to: DateQuery = None,
) -> dict[str, Any]:
    """Terms (grid staff, contact points, co-building agreements, part-time members, household links) that
    began or ended between `from` and `to` (both included) in the scope, from their `since`/`until`; and the
    loads of that period with the items they changed in the scope."""
    try:
        answer = changes_between(store, settings.data_dir, effective_scope(store, user, scope), from_, to)
    except HistoryError as e:
        raise HTTPException(503, f"{e}。请管理员检查数据文件夹。") from None
    note_size(request, len(answer["terms"]) + len(answer["changes"]))
    return answer


# ----------------------------------------------------------------------------------------------- the page
pages = APIRouter(prefix="/pages", tags=["pages"])


def _page_loads(
    request: Request, user: User, since: str | None
) -> tuple[list[dict[str, Any]], str | None] | Response:
    """The loads for the page, or the error page to answer instead (as the other pages do: HTML, not JSON)."""
    why = _refusal(user)
    if why:
        return error_page(403, why)
    settings = request.app.state.orggraph.settings
    try:
        return load_reports(settings.data_dir, since), since or None
    except ScopeError as e:
        return error_page(e.status, str(e))
    except HTTPException as e:
        return error_page(e.status_code, str(e.detail))


@pages.get("/changes", response_class=HTMLResponse, summary="数据变更（管理员、分析员）")
def changes_page(
    request: Request, user: UserDep, since: Annotated[str | None, Query(max_length=32)] = None
) -> Response:
    got = _page_loads(request, user, since)
    if isinstance(got, Response):
        return got
    return HTMLResponse(build_changes_page(*got), headers={"Cache-Control": "no-store"})


@pages.get("/changes.xlsx", summary="数据变更导出为 .xlsx（管理员、分析员）")
def changes_export(
    request: Request, user: UserDep, since: Annotated[str | None, Query(max_length=32)] = None
) -> Response:
    got = _page_loads(request, user, since)
    if isinstance(got, Response):
        return got
    return Response(
        changes_xlsx(got[0]),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": "attachment; filename=changes.xlsx", "Cache-Control": "no-store"},
    )
