"""Coverage measures, their breakdown one level down, the gap lists and the tallies behind them (graph-model.md),
for the whole graph or a district/street/community on any day; a scoped token gets its own scope by default
and nothing outside it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from orggraph.api.audit import note_size
from orggraph.api.deps import (
    DEFAULT_LIMIT,
    AsOfQuery,
    LimitQuery,
    OffsetQuery,
    ScopeQuery,
    StoreDep,
    UserDep,
    page,
    scope_and_day,
)
from orggraph.api.models import (
    ERRORS,
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
def coverage(request: Request, store: StoreDep, user: UserDep, scope: ScopeQuery = None, as_of: AsOfQuery = None) -> Coverage:
    """The coverage measures of graph-model.md for the whole graph or a district/street/community `scope` on
    `as_of`: each `{covered, total, ratio}`. A scoped token measures its own scope unless it names one inside it."""
    code, day = scope_and_day(store, user, scope, as_of)
    measures = cov.coverage(store, code, day)
    note_size(request, 1)
    return Coverage(scope=code, as_of=day, **measures)


@router.get("/coverage/breakdown", response_model=CoverageBreakdown, summary="下一级各区域的覆盖率", responses=ERRORS)
def coverage_breakdown(
    request: Request,
    store: StoreDep,
    user: UserDep,
    scope: ScopeQuery = None,
    as_of: AsOfQuery = None,
    offset: OffsetQuery = 0,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> CoverageBreakdown:
    """The same measures for each region one level down (everything → districts, district → streets,
    street → communities, community → grids), by code. People serving two children count in both."""
    code, day = scope_and_day(store, user, scope, as_of)
    rows = cov.coverage_breakdown(store, code, day)
    shown = page(rows, offset, limit)
    note_size(request, len(shown))
    return CoverageBreakdown(scope=code, as_of=day, children=shown, offset=offset, limit=limit, total=len(rows))


@router.get("/gaps", response_model=Gaps, summary="短板清单", responses=ERRORS)
def gaps(
    request: Request,
    store: StoreDep,
    user: UserDep,
    scope: ScopeQuery = None,
    as_of: AsOfQuery = None,
    offset: OffsetQuery = 0,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> Gaps:
    """Six sorted lists of codes (regions) and pids (people), each paged by `offset`/`limit` (`total` gives each
    list's full length). Details: /api/gaps/contact-rule-violations, /api/gaps/sole-contacts,
    /api/coverage/grid-load."""
    code, day = scope_and_day(store, user, scope, as_of)
    lists = cov.gaps(store, code, day)
    shown = {k: page(v, offset, limit) for k, v in lists.items()}
    note_size(request, sum(len(v) for v in shown.values()))
    return Gaps(scope=code, as_of=day, offset=offset, limit=limit, total={k: len(v) for k, v in lists.items()}, **shown)


def _rows(
    request: Request, rows: list[dict[str, Any]], code: str | None, day: str, offset: int, limit: int
) -> dict[str, Any]:
    shown = page(rows, offset, limit)
    note_size(request, len(shown))
    return {"scope": code, "as_of": day, "items": shown, "offset": offset, "limit": limit, "total": len(rows)}


def _listing(fn: Any, path: str, model: Any, summary: str, doc: str) -> None:
    """A paged list route over one of the query layer's per-scope functions."""

    def route(
        request: Request,
        store: StoreDep,
        user: UserDep,
        scope: ScopeQuery = None,
        as_of: AsOfQuery = None,
        offset: OffsetQuery = 0,
        limit: LimitQuery = DEFAULT_LIMIT,
    ) -> Any:
        code, day = scope_and_day(store, user, scope, as_of)
        return _rows(request, fn(store, code, day), code, day, offset, limit)

    route.__name__ = fn.__name__
    route.__doc__ = doc
    router.add_api_route(path, route, methods=["GET"], response_model=Rows[model], summary=summary, responses=ERRORS)


_listing(
    cov.contact_rule_violations,
    "/gaps/contact-rule-violations",
    ContactRuleViolation,
    "违反联系点规定的领导",
    "Contact leaders whose CONTACTS in force break their category's rule (ledgers.md 联系点), by pid: what the "
    "rule asks for, what was found, and which levels differ.",
)
_listing(
    cov.sole_contacts,
    "/gaps/sole-contacts",
    SoleContact,
    "网格唯一的直接联系人",
    "People who are the only person with a SERVES or CONTACTS in force on some grid of the scope, with those grids.",
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
    "Per street or community party organization of the scope: part-time members in force and their source units.",
)
