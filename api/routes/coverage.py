"""Coverage measures, their breakdown one level down, the gap lists and the tallies behind them
(graph-model.md), for the whole graph or a district/street/community on any day; a scoped token gets its own
scope by default and nothing outside it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from orggraph.api.audit import note_size
from orggraph.api.deps import AskedDep, PagingDep, StoreDep, json_of
from orggraph.api.models import (
    ERRORS,
    ChildCoverage,
    ContactRuleViolation,
    Coverage,
    CoverageBreakdown,
    DualReporting,
    Gaps,
    GridLoad,
    PartTimeCommittee,
    Rows,
    SoleContact,
)
from orggraph.queries import coverage as cov

router = APIRouter(prefix="/api", tags=["coverage"])


@router.get("/coverage", response_model=Coverage, summary="覆盖率", responses=ERRORS)
def coverage(request: Request, store: StoreDep, asked: AskedDep) -> Response:
    """The coverage measures of graph-model.md for the whole graph or a district/street/community `scope` on
    `as_of`: each `{covered, total, ratio}`. A scoped token measures its own scope unless it names one inside
    it."""
    measures = cov.coverage(store, asked.scope, asked.as_of)
    note_size(request, 1)
    return json_of(Coverage(scope=asked.scope, as_of=asked.as_of, **measures))


@router.get(
    "/coverage/breakdown", response_model=CoverageBreakdown, summary="下一级各区域的覆盖率", responses=ERRORS
)
def coverage_breakdown(request: Request, store: StoreDep, asked: AskedDep, paging: PagingDep) -> Response:
    """The same measures for each region one level down (everything → districts, district → streets,
    street → communities, community → grids), by code. People serving two children count in both."""
    rows = cov.coverage_breakdown(store, asked.scope, asked.as_of)
    shown = paging.of(rows)
    note_size(request, len(shown))
    return json_of(
        CoverageBreakdown(
            scope=asked.scope,
            as_of=asked.as_of,
            children=[ChildCoverage.model_validate(c) for c in shown],
            offset=paging.offset,
            limit=paging.limit,
            total=len(rows),
        )
    )


@router.get("/gaps", response_model=Gaps, summary="短板清单", responses=ERRORS)
def gaps(request: Request, store: StoreDep, asked: AskedDep, paging: PagingDep) -> Response:
    """Six sorted lists of codes (regions) and pids (people), each paged by `offset`/`limit` (`total` gives
    each list's full length). Details: /api/gaps/contact-rule-violations, /api/gaps/sole-contacts,
    /api/coverage/grid-load."""
    lists = cov.gaps(store, asked.scope, asked.as_of)
    shown = {k: paging.of(v) for k, v in lists.items()}
    note_size(request, sum(len(v) for v in shown.values()))
    return json_of(
        Gaps(
            scope=asked.scope,
            as_of=asked.as_of,
            offset=paging.offset,
            limit=paging.limit,
            total={k: len(v) for k, v in lists.items()},
            **shown,
        )
    )


def _listing(fn: Any, path: str, model: Any, summary: str, doc: str) -> None:
    """A paged list route over one of the query layer's per-scope functions."""

    def route(request: Request, store: StoreDep, asked: AskedDep, paging: PagingDep) -> Response:
        rows = fn(store, asked.scope, asked.as_of)
        shown = paging.of(rows)
        note_size(request, len(shown))
        return json_of(
            Rows[model](
                scope=asked.scope,
                as_of=asked.as_of,
                items=shown,
                offset=paging.offset,
                limit=paging.limit,
                total=len(rows),
            )
        )

    route.__name__ = fn.__name__
    route.__doc__ = doc
    router.add_api_route(
        path, route, methods=["GET"], response_model=Rows[model], summary=summary, responses=ERRORS
    )


_listing(
    cov.contact_rule_violations,
    "/gaps/contact-rule-violations",
    ContactRuleViolation,
    "违反联系点规定的领导",
    "Contact leaders whose CONTACTS in force break their category's rule (ledgers.md 联系点), by "
    "pid: what the "
    "rule asks for, what was found, and which levels differ.",
)
_listing(
    cov.sole_contacts,
    "/gaps/sole-contacts",
    SoleContact,
    "网格唯一的直接联系人",
    "People who are the only person with a SERVES or CONTACTS in force on some grid of the scope, "
    "with those grids.",
)
_listing(
    cov.grid_worker_load,
    "/coverage/grid-load",
    GridLoad,
    "各网格的专职网格员负担",
    "Per grid: households, full-time workers in force, households per worker (`load`), overloaded (> 300).",
)
_listing(
    cov.dual_reporting_tally,
    "/coverage/dual-reporting",
    DualReporting,
    "各社区双报到情况",
    "Per community: party members and units that have reported to it (双报到) by the day.",
)
_listing(
    cov.part_time_committee,
    "/coverage/part-time-committee",
    PartTimeCommittee,
    "街道、社区党组织的兼职委员",
    "Per street or community party organization of the scope: part-time members in force and their "
    "source units.",
)
