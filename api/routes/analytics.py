"""Network analytics of one bounded scope (queries/analytics.py): whom the households' tie to the Party hangs
on, how evenly full-time grid workers are loaded, and which units bridge communities. The roles and
jurisdiction rules of /api/coverage: a scoped token analyses its own scope unless it names one inside it
(403 outside)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from orggraph.api.audit import note_size
from orggraph.api.deps import AskedDep, StoreDep, UserDep, json_of
from orggraph.api.limits import HeavySlot
from orggraph.api.models import ERRORS, Analytics, ErrorBody
from orggraph.queries import analytics as an

router = APIRouter(prefix="/api", tags=["analytics"])

RESPONSES = {
    **ERRORS,
    422: {
        "model": ErrorBody,
        "description": "a malformed parameter, or a scope with more households than one analysis handles "
        f"({an.MAX_HOUSEHOLDS:,}): analyse it district by district or street by street",
    },
    429: {
        "model": ErrorBody,
        "description": "the token's or the server's analysis slots are all taken (ORGGRAPH_SLOTS_PER_TOKEN, "
        "ORGGRAPH_HEAVY_SLOTS); retry after Retry-After seconds",
    },
}


@router.get(
    "/analytics",
    response_model=Analytics,
    summary="网络分析（关键人员、网格员负担均衡、社区联结）",
    responses=RESPONSES,
)
def analytics(request: Request, store: StoreDep, user: UserDep, slot: HeavySlot, asked: AskedDep) -> Response:
    """The three analyses of a district/street/community `scope` on `as_of` (the whole graph only while it
    holds at most 200,000 households; a larger scope is refused with 422): `critical_people` (people who are
    some households' only link to any party organization), `fulltime_load` (households per 专职网格员, its
    spread and Gini coefficient), `community_bridges` (communities joined through shared co-building or
    reported units). Names are shown as on every route; no phone or ID number is part of the answer. A few
    analyses run at once on the server, one per token (429 with Retry-After otherwise)."""
    result = an.analyze(store, asked.scope, asked.as_of, max_households=an.MAX_HOUSEHOLDS)
    note_size(
        request,
        len(result["critical_people"]["critical"])
        + len(result["fulltime_load"]["top"])
        + len(result["community_bridges"]["pairs"]),
    )
    return json_of(Analytics(scope=asked.scope, as_of=asked.as_of, **result), user)
