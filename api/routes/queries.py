"""`GET /api/queries` and `POST /api/queries/{name}`: the named queries the project ships, and running one
with checked parameters (a scoped token's own scope is forced on it)."""

from __future__ import annotations

import datetime as _dt
from typing import Any

from fastapi import APIRouter, HTTPException, Path, Request, Response
from orggraph.api.audit import note_size
from orggraph.api.auth import User
from orggraph.api.deps import PeopleUser, SettingsDep, StoreDep, check_node, effective_scope, json_of
from orggraph.api.models import (
    ERRORS,
    ErrorBody,
    NamedQueryRequest,
    NamedQueryResult,
    ParamInfo,
    QueryCatalog,
    QueryInfo,
)
from orggraph.graph.store import Store
from orggraph.queries.catalog import CATALOG, NamedQuery, Param
from orggraph.queries.policy import present_rows
from orggraph.queries.scope import resolve_scope, today

router = APIRouter(prefix="/api/queries", tags=["queries"])

_TYPE_ZH = {
    "string": "文本",
    "date": "日期（YYYY-MM-DD）",
    "integer": "整数",
    "number": "数字",
    "boolean": "true 或 false",
}
# Parameters that are not node keys, so are not looked up for the jurisdiction check.
_NOT_KEYS = frozenset({"scope", "as_of", "name", "role", "category", "kind", "tag"})


def _visible(user: User) -> list[NamedQuery]:
    """A scoped token runs only the queries that take a scope (it is forced to the token's own)."""
    return [q for q in CATALOG.values() if q.scoped or user.scope is None]


@router.get("", response_model=QueryCatalog, summary="命名查询目录", responses=ERRORS)
def list_queries(request: Request, user: PeopleUser) -> QueryCatalog:
    """The named queries this token may run, with their parameters. Roles: admin, analyst, street, community
    (street and community tokens see only the queries that take a scope)."""
    out = [
        QueryInfo(
            name=q.name,
            purpose=q.purpose,
            scoped=q.scoped,
            text=q.text,
            variants=dict(q.variants),
            params=[
                ParamInfo(
                    name=p.name,
                    type=p.type,
                    description=p.description,
                    required=p.required,
                    default=p.default,
                )
                for p in q.params
            ],
        )
        for q in _visible(user)
    ]
    note_size(request, len(out))
    return QueryCatalog(queries=out)


def _coerce(p: Param, value: Any) -> Any:
    """The value as the query wants it; ValueError with a Chinese reason."""
    base = p.type.rstrip("?")
    want = _TYPE_ZH.get(base, base)
    if base in ("string", "code", "key"):
        if not isinstance(value, str):
            raise ValueError(f"应为{want}")
        return value
    if base == "date":
        if not isinstance(value, str):
            raise ValueError(f"应为{want}")
        try:
            return _dt.date.fromisoformat(value).isoformat()
        except ValueError:
            raise ValueError(f"应为{want}，例如 2025-06-30") from None
    if base == "integer":
        if isinstance(value, bool):
            raise ValueError(f"应为{want}")
        if isinstance(value, int):
            return value
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return int(value)
        raise ValueError(f"应为{want}")
    if base in ("number", "float"):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return value
        raise ValueError(f"应为{want}")
    if base == "boolean":
        if isinstance(value, bool):
            return value
        raise ValueError(f"应为{want}")
    return value  # a type the catalog adds later: passed through as a parameter, never into the text


def check_params(q: NamedQuery, given: dict[str, Any]) -> dict[str, Any]:
    """Declared parameters only, typed, defaults filled in (`as_of` defaults to today); 422 otherwise."""
    declared = {p.name: p for p in q.params}
    problems = [f"未知参数「{k}」" for k in given if k not in declared]
    out: dict[str, Any] = {}
    for p in q.params:
        value = given.get(p.name)
        if value is None or value == "":
            if p.default is not None:
                value = p.default
            elif p.name == "as_of":
                value = today()
            elif p.required:
                problems.append(f"缺少参数「{p.name}」（{p.description}）")
                continue
            else:
                out[p.name] = None
                continue
        try:
            out[p.name] = _coerce(p, value)
        except ValueError as e:
            problems.append(f"参数「{p.name}」{e}")
    if problems:
        allowed = "、".join(declared) or "无"
        raise HTTPException(
            422, f"命名查询「{q.name}」的参数有误：{'；'.join(problems)}。可用参数：{allowed}。"
        )
    return out


def _check_jurisdiction(store: Store, user: User, q: NamedQuery, params: dict[str, Any]) -> str:
    """For a scoped token: the scope is forced (or checked to lie inside its own), and any parameter naming a
    node (a code or pid) must name one inside its jurisdiction. Returns the scope's level ("all" for none),
    which picks the statement of a query declared per level."""
    if user.scope is None:
        if not q.scoped:
            return "all"
        # The Cypher would quietly find nothing for a bad code: say so instead (404/422).
        ref = resolve_scope(store, params.get("scope"))
        params["scope"] = ref.key if ref else None
        return ref.label if ref else "all"
    if not q.scoped:
        raise HTTPException(403, f"命名查询「{q.name}」不按范围限定，{user.role.value} 令牌不能运行。")
    params["scope"] = effective_scope(store, user, params.get("scope"))
    level = "all"
    if q.variants:
        ref = resolve_scope(store, params["scope"])
        level = ref.label if ref else "all"
    text_params = {p.name for p in q.params if p.type.rstrip("?") in ("string", "code", "key")}
    for k, v in params.items():
        if k in _NOT_KEYS or k not in text_params or not isinstance(v, str) or not v:
            continue
        # 404 alike for a value that names nothing and one outside the jurisdiction (policy.node_for): letting
        # the first through would make the difference between them visible again.
        check_node(store, user, v)
    return level


@router.post(
    "/{name}",
    response_model=NamedQueryResult,
    summary="运行一个命名查询",
    responses={**ERRORS, 408: {"model": ErrorBody, "description": "the query ran past its time limit"}},
)
def run_query(
    request: Request,
    store: StoreDep,
    user: PeopleUser,
    settings: SettingsDep,
    name: str = Path(description="a name from GET /api/queries"),
    body: NamedQueryRequest | None = None,
) -> Response:
    """Runs a named query with its parameters checked against their declared types (422 otherwise). For
    street and community tokens the `scope` parameter is their own (or a region inside it) and every code
    parameter must name a node inside it (404 otherwise, as for a code that names nothing). Rows are capped at
    ORGGRAPH_MAX_ROWS; phones masked unless the role is admin."""
    q = CATALOG.get(name)
    if q is None or q not in _visible(user):
        if q is None:
            raise HTTPException(404, f"没有名为「{name}」的命名查询：请用 GET /api/queries 查看可用的查询。")
        raise HTTPException(403, f"命名查询「{name}」不按范围限定，{user.role.value} 令牌不能运行。")
    params = check_params(q, (body.params if body else {}))
    level = _check_jurisdiction(store, user, q, params)
    result = store.read(q.text_for(level), params, timeout=settings.query_timeout, max_rows=settings.max_rows)
    note_size(request, len(result.rows))
    rows = present_rows(result.columns, result.rows, user.access)
    return json_of(
        NamedQueryResult(
            name=q.name, params=params, columns=result.columns, rows=rows, truncated=result.truncated
        )
    )
