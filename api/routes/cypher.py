"""`POST /api/cypher`: an analyst's own read-only Cypher, time-limited and row-capped, values as parameters."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from orggraph.api.audit import note_size
from orggraph.api.deps import CypherUser, SettingsDep, StoreDep, json_of
from orggraph.api.models import ERRORS, CypherRequest, CypherResult, ErrorBody
from orggraph.queries.adhoc_guard import check_adhoc
from orggraph.queries.policy import present_rows

router = APIRouter(prefix="/api", tags=["cypher"])


@router.post(
    "/cypher",
    response_model=CypherResult,
    summary="运行只读 Cypher 查询",
    responses={
        **ERRORS,
        400: {"model": ErrorBody, "description": "the store cannot run the query (syntax, unknown function...), "
              "or it is refused before it runs (LOAD CSV)"},
        403: {"model": ErrorBody, "description": "the query writes (refused by the store), or the role has no Cypher"},
        408: {"model": ErrorBody, "description": "the query ran past ORGGRAPH_QUERY_TIMEOUT seconds and was stopped"},
    },
)
def run_cypher(body: CypherRequest, request: Request, store: StoreDep, user: CypherUser, settings: SettingsDep) -> Response:
    """Runs one statement through the store's read-only entry point: any write (CREATE, MERGE, SET, DELETE...)
    is refused by the store itself with 403. Values go in `params` and reach the store as parameters. At most
    ORGGRAPH_MAX_ROWS rows come back (`truncated` says when more existed); a query past
    ORGGRAPH_QUERY_TIMEOUT seconds is stopped (408). `LOAD CSV` (reading files or URLs on the database server)
    is refused before the query runs (400). Roles: admin, analyst."""
    check_adhoc(body.query)
    # The text is the analyst's own by design: the store, not this route, guarantees it cannot write.
    result = store.read(body.query, body.params, timeout=settings.query_timeout, max_rows=settings.max_rows)  # type: ignore[arg-type]
    note_size(request, len(result.rows))
    rows = present_rows(result.columns, result.rows, user.access)
    return json_of(CypherResult(columns=result.columns, rows=rows, truncated=result.truncated))
