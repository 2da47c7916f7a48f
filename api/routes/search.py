"""`GET /api/search`: people, grids, communities, streets, buildings, units and party organizations by name,
拼音首字母 or code — for the header search box of every page and the path page's pickers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from orggraph.api.audit import note_size
from orggraph.api.deps import StoreDep, UserDep, json_of
from orggraph.api.models import ERRORS
from orggraph.queries.search import MAX_LIMIT
from orggraph.queries.search import search as find
from pydantic import BaseModel, Field

router = APIRouter(prefix="/api", tags=["search"])


class SearchHit(BaseModel):
    kind: str = Field(description="person, grid, community, street, building, unit or party_org")
    key: str = Field(description="the code (a person: the pid)")
    name: str = Field(description="the name")
    where: str = Field(description="街道 / 社区 the node lies in (a person: home, else where they serve)")


class SearchAnswer(BaseModel):
    results: list[SearchHit]


@router.get("/search", response_model=SearchAnswer, summary="按名称、拼音首字母或编码搜索", responses=ERRORS)
def search(
    request: Request,
    store: StoreDep,
    user: UserDep,
    q: Annotated[
        str, Query(max_length=50, description="the name, its 拼音首字母 or the code, or their beginning")
    ] = "",
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="most results")] = 10,
) -> Response:
    """Nodes whose name, 拼音首字母 (e.g. `dl` for 邓璐) or code starts with `q`: exact names first, then
    regions, organizations, people. Every role; a viewer finds no people, a scoped token only what lies in
    its jurisdiction (and the regions above it). Index-backed and bounded: the same cost for any city size."""
    hits = find(store, q, user.access, limit=limit)
    note_size(request, len(hits))
    return json_of(SearchAnswer(results=[SearchHit(**h) for h in hits]))
