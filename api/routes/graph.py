"""`GET /api/graph/neighbourhood`: what the network pages add to their canvas when a node or a counted group
node is expanded in place (vis-network nodes and edges, styled and masked as the pages draw them).

Who may ask about what is `orggraph.queries.policy`'s, as for `/api/contacts`: a key outside a scoped token's
jurisdiction is a 404 like an unknown one, a viewer names no person by pid (403); what lies outside the
jurisdiction, and people for a viewer, come back as anonymous steps; phones as the role allows.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from orggraph.api.audit import note_size
from orggraph.api.deps import DayDep, StoreDep, UserDep, check_node, json_of
from orggraph.api.models import ERRORS
from orggraph.viz.expand import NEIGHBOURHOOD_MAX, neighbourhood
from orggraph.viz.render import Links
from pydantic import BaseModel, Field

router = APIRouter(prefix="/api/graph", tags=["graph"])


class Neighbourhood(BaseModel):
    anchor: str | None = Field(description="id of the node expanded (as on the page)")
    key: str
    kind: str | None = Field(
        description="the group expanded (REL:in|out:Label), or null for a node's neighbours"
    )
    nodes: list[dict[str, Any]] = Field(description="vis-network nodes, with `info` for the click panel")
    edges: list[dict[str, Any]]
    total: int = Field(description="the group's size (kind), or the neighbours answered (no kind)")
    offset: int
    limit: int
    returned: int
    more: bool = Field(description="more members of the group after this page")
    noun: str = Field(description="what the group's members are called (居民, 报到党员 …)")
    notes: list[str]
    as_of: str


@router.get(
    "/neighbourhood",
    response_model=Neighbourhood,
    summary="节点的邻居或合并节点的成员（在图上就地展开）",
    responses=ERRORS,
)
def get_neighbourhood(
    request: Request,
    store: StoreDep,
    user: UserDep,
    day: DayDep,
    key: Annotated[str, Query(min_length=1, max_length=64, description="the node: a code or pid")],
    kind: Annotated[
        str | None, Query(max_length=80, description="a group node's kind, REL:in|out:Label")
    ] = None,
    depth: Annotated[int, Query(ge=1, le=2)] = 1,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=NEIGHBOURHOOD_MAX)] = 50,
) -> Response:
    """A node's neighbours (`depth` 1 or 2, at most `limit` nodes, the rest in counted group nodes,
    households, office colleagues and 双报到 members folded at the second step), or with `kind` the members of
    one counted group, `limit` at a time from `offset` in name order. Nodes and edges are vis-network items
    styled as on the pages."""
    check_node(store, user, key)
    answer = neighbourhood(
        store,
        key,
        kind=kind or None,
        depth=depth,
        offset=offset,
        limit=limit,
        as_of=day,
        viewer=user.access,
        links=Links(base="", as_of=day),
    )
    note_size(request, len(answer["nodes"]))
    return json_of(Neighbourhood(**answer), user)
