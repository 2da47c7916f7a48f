"""`GET /api/gaps/uncovered`: what one coverage measure does not cover, paged, adding up to the measure."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from orggraph.api.audit import note_size
from orggraph.api.deps import AskedDep, PagingDep, StoreDep, json_of
from orggraph.api.models import ERRORS
from orggraph.queries.uncovered import uncovered as find_uncovered
from pydantic import BaseModel, Field

router = APIRouter(prefix="/api", tags=["coverage"])


class UncoveredItem(BaseModel):
    kind: str = Field(description="street, community, grid, building or household")
    key: str = Field(description="the code")
    name: str = Field(description="the name (a household: 户 and its code)")
    where: str = Field(description="街道 / 社区 it lies in")
    why: str = Field(description="what is missing, in Chinese")


class Uncovered(BaseModel):
    measure: str = Field(description="the measure, as in /api/coverage (contact_points.Grid …)")
    zh: str = Field(description="the measure in Chinese")
    scope: str | None
    as_of: str
    total: int = Field(description="how many are not covered: the measure's total − covered")
    offset: int
    limit: int
    items: list[UncoveredItem]


@router.get("/gaps/uncovered", response_model=Uncovered, summary="某项覆盖率未覆盖的清单", responses=ERRORS)
def uncovered(
    request: Request,
    store: StoreDep,
    asked: AskedDep,
    paging: PagingDep,
    measure: Annotated[
        str, Query(max_length=40, description="a measure of /api/coverage other than fulltime_share")
    ],
) -> Response:
    """The streets, communities, grids, buildings or households one measure of /api/coverage does not cover,
    by code, paged; `total` equals that measure's `total − covered` for the same scope and day. Measures:
    cobuilding, contact_points.Street, contact_points.Community, contact_points.Grid, grid_party_org,
    building_heads, household_links."""
    got = find_uncovered(store, measure, asked.scope, asked.as_of, offset=paging.offset, limit=paging.limit)
    note_size(request, len(got["items"]))
    return json_of(
        Uncovered(scope=asked.scope, as_of=asked.as_of, **{k: v for k, v in got.items() if k != "level"})
    )
