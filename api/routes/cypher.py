"""`POST /api/cypher`: an analyst's own read-only Cypher, time-limited and row-capped, values as
parameters."""

from __future__ import annotations

import contextlib
import csv
import io
import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from orggraph.api.audit import note_size
from orggraph.api.auth import User
from orggraph.api.console_store import ConsoleError, ConsoleStore
from orggraph.api.deps import CypherUser, SettingsDep, StoreDep, json_of
from orggraph.api.limits import CypherSlot
from orggraph.api.models import ERRORS, CypherRequest, CypherResult, ErrorBody, ExplainResult
from orggraph.graph.cypher import trusted
from orggraph.graph.store import Result, Store, full_scans, identities
from orggraph.queries.adhoc_guard import MAX_REPLY_BYTES, Token, cap_rows, check_adhoc
from orggraph.queries.policy import present_rows

from orggraph.settings import Settings

router = APIRouter(prefix="/api", tags=["cypher"])


async def _checked(body: CypherRequest) -> list[Token]:
    """The query's tokens once it passed the checks: before a slot is taken (a refusal needs none)."""
    return check_adhoc(body.query, body.params)


Checked = Annotated[list[Token], Depends(_checked)]


# What an ad-hoc query may answer besides 200 (POST /api/cypher, its export and its plan).
_RESPONSES: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    400: {
        "model": ErrorBody,
        "description": "the query is too long, too deeply nested or has too many MATCH "
        "parts, or the store cannot run it (syntax, unknown function...)",
    },
    403: {
        "model": ErrorBody,
        "description": "the query writes, loads CSV or calls a procedure that may write, "
        "or the role has no Cypher",
    },
    408: {
        "model": ErrorBody,
        "description": "the query ran past ORGGRAPH_QUERY_TIMEOUT seconds and was stopped",
    },
    429: {
        "model": ErrorBody,
        "description": "the token's or the server's ad-hoc query slots are all taken "
        "(ORGGRAPH_SLOTS_PER_TOKEN, ORGGRAPH_CYPHER_SLOTS); retry after Retry-After seconds",
    },
}


@router.post(
    "/cypher",
    response_model=CypherResult,
    summary="运行只读 Cypher 查询",
    responses=_RESPONSES,
)
def run_cypher(
    body: CypherRequest,
    request: Request,
    store: StoreDep,
    user: CypherUser,
    toks: Checked,
    slot: CypherSlot,
    settings: SettingsDep,
) -> Response:
    """Runs one statement through the store's read-only entry point. Before it is sent, the text is checked
    (queries/adhoc_guard.py): a write clause (CREATE, MERGE, SET, DELETE, REMOVE...), LOAD CSV or a procedure
    that may write is 403; a query longer than 20,000 characters, nested deeper than 12 brackets or with more
    than 16 MATCH parts is 400. Values go in `params` and reach the store as parameters. At most
    ORGGRAPH_MAX_ROWS rows come back (`truncated` says when more existed; the store itself stops there); an
    answer over 32 MB is refused (400); a query past ORGGRAPH_QUERY_TIMEOUT seconds is stopped (408). Each
    token runs one ad-hoc query at a time and the server a few (429 otherwise). Roles: admin, analyst."""
    columns, rows, truncated = _run(body, request, store, user, toks, settings)
    return json_of(CypherResult(columns=columns, rows=rows, truncated=truncated))


def _run(
    body: CypherRequest, request: Request, store: Store, user: User, toks: list[Token], settings: Settings
) -> tuple[list[str], list[list[Any]], bool]:
    """The one way an ad-hoc query reaches the store (the answer, the export): capped, time-limited,
    read-only, with identities on nodes and relationships, presented as the user may see it, and kept in their
    history."""
    # The text is the analyst's own by design: checked here, and the store's read-only entry point refuses
    # whatever writes anyway.
    query = cap_rows(body.query, toks, settings.max_rows + 1, body.params)
    result: Result | None = None
    try:
        with identities():
            result = store.read(
                trusted(query),
                body.params,
                timeout=settings.query_timeout,
                max_rows=settings.max_rows,
                reply_limit=MAX_REPLY_BYTES,
            )
    finally:
        # A history that fails to write (a full disk) must not lose the answer, nor hide the store's error.
        with contextlib.suppress(ConsoleError, OSError):
            ConsoleStore.of(settings.data_dir).record(
                user.name,
                body.query,
                body.params,
                ok=result is not None,
                rows=len(result.rows) if result else None,
            )
    note_size(request, len(result.rows))
    return result.columns, present_rows(result.columns, result.rows, user.access), result.truncated


def _cell(v: Any) -> Any:
    """A value as one spreadsheet cell: scalars as they are, a node by its labels and properties, a
    relationship by its type and properties, anything else as JSON."""
    if v is None or isinstance(v, (str, int, float, bool)):
        return v
    if isinstance(v, dict) and "properties" in v and ("labels" in v or "type" in v):
        head = ":".join(v.get("labels") or []) if "labels" in v else f"[{v.get('type')}]"
        return f"{head} {json.dumps(v['properties'], ensure_ascii=False, sort_keys=True)}"
    return json.dumps(v, ensure_ascii=False, sort_keys=True)


def _xlsx(columns: list[str], rows: list[list[Any]], truncated: bool, max_rows: int) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = "查询结果"
    ws.append(columns)
    for r in rows:
        # A leading "=" would make a text a formula in the spreadsheet: kept as text.
        ws.append([f"'{c}" if isinstance(c, str) and c[:1] in "=+-@" else c for c in map(_cell, r)])
    for j, name in enumerate(columns, start=1):
        ws.cell(row=1, column=j).font = Font(bold=True)
        width = max(
            [len(str(name))]
            + [len(str(ws.cell(row=i, column=j).value or "")) for i in range(2, min(len(rows), 200) + 2)]
        )
        ws.column_dimensions[get_column_letter(j)].width = min(60, max(8, width * 1.2))
    ws.freeze_panes = "A2"
    if truncated:
        ws.append([])
        ws.append(
            [f"只导出了前 {max_rows} 行：结果超过行数上限（ORGGRAPH_MAX_ROWS），请加条件或 LIMIT 缩小范围。"]
        )
    wb.properties.creator = "orggraph"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _csv(columns: list[str], rows: list[list[Any]]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(columns)
    w.writerows([("" if c is None else c) for c in map(_cell, r)] for r in rows)
    return buf.getvalue().encode("utf-8-sig")  # the BOM: Excel then reads the Chinese as UTF-8


_EXPORT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


@router.post(
    "/cypher/export",
    summary="运行只读 Cypher 查询并导出为表格文件",
    response_class=Response,
    responses={
        **_RESPONSES,
        200: {
            "content": {v.split(";")[0]: {} for v in _EXPORT_TYPES.values()},
            "description": "the workbook or CSV",
        },
    },
)
def export_cypher(
    body: CypherRequest,
    request: Request,
    store: StoreDep,
    user: CypherUser,
    toks: Checked,
    slot: CypherSlot,
    settings: SettingsDep,
    format: Annotated[Literal["xlsx", "csv"], Query(description="xlsx or csv")] = "xlsx",
) -> Response:
    """Runs the query exactly as `POST /api/cypher` does (the same checks, caps, time limit, masking, audit
    and history) and answers its rows as an `.xlsx` workbook or a UTF-8 `.csv` (with a BOM for Excel): one
    column per returned column, a node as its labels and properties, a relationship as its type and
    properties. A capped answer says so in the workbook's last row and in the `X-Orggraph-Truncated: true`
    header. Roles: admin, analyst."""
    columns, rows, truncated = _run(body, request, store, user, toks, settings)
    data = _xlsx(columns, rows, truncated, settings.max_rows) if format == "xlsx" else _csv(columns, rows)
    return Response(
        data,
        media_type=_EXPORT_TYPES[format],
        headers={
            "Content-Disposition": f'attachment; filename="cypher-result.{format}"',
            "X-Orggraph-Truncated": "true" if truncated else "false",
        },
    )


FULL_SCAN_WARNING = (
    "执行计划从整个标签扫描开始（{ops}）：图越大越慢。请从有索引的编码或人员标识开始匹配，"
    "例如 MATCH (g:Grid {{code: $code}}) 而不是 MATCH (g:Grid) WHERE ...。"
)


@router.post(
    "/cypher/explain",
    response_model=ExplainResult,
    summary="查看只读 Cypher 查询的执行计划",
    responses=_RESPONSES,
)
def explain_cypher(
    body: CypherRequest, store: StoreDep, user: CypherUser, toks: Checked, slot: CypherSlot
) -> ExplainResult:
    """The store's plan for the query without running it (FalkorDB `GRAPH.EXPLAIN`, Neo4j `EXPLAIN`), after
    the same checks as `POST /api/cypher`. `full_scans` lists the operators that read a whole label or the
    whole graph, and `warning` then says to start from an indexed code. Roles: admin, analyst."""
    plan = store.explain(trusted(body.query), body.params)  # checked like POST /api/cypher
    scans = full_scans(plan)
    ops = "、".join(sorted({s.split("|")[0].strip() for s in scans}))
    return ExplainResult(
        plan=plan, full_scans=scans, warning=FULL_SCAN_WARNING.format(ops=ops) if scans else None
    )
