"""`POST /api/cypher`: an analyst's own read-only Cypher, time-limited and row-capped, values as parameters."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from orggraph.api.audit import note_size
from orggraph.api.deps import CypherUser, SettingsDep, StoreDep, json_of
from orggraph.api.limits import CypherSlot
from orggraph.api.models import ERRORS, CypherRequest, CypherResult, ErrorBody
from orggraph.queries.adhoc_guard import MAX_REPLY_BYTES, Token, cap_rows, check_adhoc
from orggraph.queries.policy import present_rows

router = APIRouter(prefix="/api", tags=["cypher"])


async def _checked(body: CypherRequest) -> list[Token]:
    """The query's tokens once it passed the checks: before a slot is taken (a refusal needs none)."""
    return check_adhoc(body.query, body.params)


Checked = Annotated[list[Token], Depends(_checked)]


@router.post(
    "/cypher",
    response_model=CypherResult,
    summary="运行只读 Cypher 查询",
    responses={
        **ERRORS,
        400: {"model": ErrorBody, "description": "the query is too long, too deeply nested or has too many MATCH "
              "parts, or the store cannot run it (syntax, unknown function...)"},
        403: {"model": ErrorBody, "description": "the query writes, loads CSV or calls a procedure that may write, "
              "or the role has no Cypher"},
        408: {"model": ErrorBody, "description": "the query ran past ORGGRAPH_QUERY_TIMEOUT seconds and was stopped"},
        429: {"model": ErrorBody, "description": "the token's or the server's ad-hoc query slots are all taken "
              "(ORGGRAPH_SLOTS_PER_TOKEN, ORGGRAPH_CYPHER_SLOTS); retry after Retry-After seconds"},
    },
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
    answer over 32 MB is refused (400); a query past ORGGRAPH_QUERY_TIMEOUT seconds is stopped (408). Each token runs one ad-hoc query at a time
    and the server a few (429 otherwise). Roles: admin, analyst."""
    # The text is the analyst's own by design: checked here, and the store's read-only entry point refuses
    # whatever writes anyway.
    query = cap_rows(body.query, toks, settings.max_rows + 1, body.params)
    result = store.read(
        query,  # type: ignore[arg-type]
        body.params,
        timeout=settings.query_timeout,
        max_rows=settings.max_rows,
        reply_limit=MAX_REPLY_BYTES,
    )
    note_size(request, len(result.rows))
    rows = present_rows(result.columns, result.rows, user.access)
    return json_of(CypherResult(columns=result.columns, rows=rows, truncated=result.truncated))
