"""The Cypher console's own routes: saved queries (`/api/saved-queries`) and the history of one's own ad-hoc
runs (`/api/cypher/history`). The runs themselves go through `POST /api/cypher` like any other client's."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response
from orggraph.api.audit import note_size
from orggraph.api.console_store import ConsoleError, ConsoleStore
from orggraph.api.deps import CypherUser, SettingsDep
from orggraph.api.models import (
    ERRORS,
    ErrorBody,
    HistoryEntry,
    HistoryList,
    SavedQuery,
    SavedQueryList,
    SavedQueryRequest,
)
from orggraph.queries.policy import Capability

router = APIRouter(prefix="/api", tags=["console"])


def _console(settings: SettingsDep) -> ConsoleStore:
    return ConsoleStore.of(settings.data_dir)


def _refused(e: ConsoleError) -> HTTPException:
    return HTTPException(e.status, str(e))


@router.get("/saved-queries", response_model=SavedQueryList, summary="保存的查询", responses=ERRORS)
def list_saved(request: Request, user: CypherUser, settings: SettingsDep) -> SavedQueryList:
    """The token's own saved queries, by name; admin sees everyone's (by owner, then name). Roles: admin,
    analyst."""
    try:
        items = _console(settings).saved(None if user.can(Capability.admin) else user.name)
    except ConsoleError as e:
        raise _refused(e) from None
    note_size(request, len(items))
    return SavedQueryList(queries=[SavedQuery(**q) for q in items])


@router.post(
    "/saved-queries",
    response_model=SavedQuery,
    status_code=201,
    summary="保存查询",
    responses={
        **ERRORS,
        409: {"model": ErrorBody, "description": "this token already saved a query of that name"},
    },
)
def save_query(body: SavedQueryRequest, user: CypherUser, settings: SettingsDep) -> SavedQuery:
    """Saves a query under the token's name (the owner). The name is unique per owner (409 otherwise). A
    query, parameter or description holding an ID number or a phone number is refused (422): use a `pid` or a
    code. Nothing is run or checked against the store here. Roles: admin, analyst."""
    try:
        entry = _console(settings).save(user.name, body.name, body.query, body.params, body.description)
    except ConsoleError as e:
        raise _refused(e) from None
    return SavedQuery(**entry)


@router.delete(
    "/saved-queries/{name}",
    status_code=204,
    summary="删除保存的查询",
    responses={**ERRORS, 404: {"model": ErrorBody, "description": "no saved query of that name"}},
)
def delete_saved(
    user: CypherUser,
    settings: SettingsDep,
    name: Annotated[str, Path(max_length=100)],
    owner: Annotated[
        str | None, Query(max_length=64, description="admin only: whose query (default: one's own)")
    ] = None,
) -> Response:
    """Deletes the token's own saved query; admin may name another `owner`. Roles: admin, analyst."""
    if owner is not None and owner != user.name and not user.can(Capability.admin):
        raise HTTPException(403, "只有管理员可以删除别人保存的查询：请去掉 owner 参数。")
    try:
        gone = _console(settings).delete(owner or user.name, name)
    except ConsoleError as e:
        raise _refused(e) from None
    if not gone:
        raise HTTPException(404, f"没有名为「{name}」的保存查询：请先用 GET /api/saved-queries 查看名称。")
    return Response(status_code=204)


@router.get("/cypher/history", response_model=HistoryList, summary="我的查询历史", responses=ERRORS)
def history(
    request: Request,
    user: CypherUser,
    settings: SettingsDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> HistoryList:
    """The token's own last runs of `POST /api/cypher`, newest first (each token name keeps its last 100; ID
    and phone numbers masked). Roles: admin, analyst."""
    try:
        runs = _console(settings).history(user.name)[:limit]
    except ConsoleError as e:
        raise _refused(e) from None
    note_size(request, len(runs))
    return HistoryList(
        runs=[HistoryEntry.model_validate({k: r.get(k) for k in HistoryEntry.model_fields}) for r in runs]
    )
