"""`POST /api/what-if` and `POST /api/what-if/export`: effect of hypothetical changes (issue 16).

Roles: admin, analyst, street and community tokens (the `people` capability: the answer names people by pid);
a viewer is refused (403). A scoped token measures its own scope unless it names one inside it, and may only
change what lies in its jurisdiction (403 naming the change). A bad change is 422 naming it (第N项) and
the fix.
Heavy: each scenario copies the graph, so it takes one of the analysis slots (ORGGRAPH_HEAVY_SLOTS, 429).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request, Response
from orggraph.api.audit import note_size
from orggraph.api.deps import SettingsDep, StoreDep, effective_scope, json_of
from orggraph.api.limits import HeavySlot
from orggraph.api.models import ERRORS, ErrorBody
from orggraph.queries.coverage import open_scope
from orggraph.queries.policy import Capability
from orggraph.queries.scope import ScopeError
from orggraph.queries.whatif import MAX_CHANGES, what_if
from orggraph.queries.whatif_report import whatif_xlsx
from pydantic import BaseModel, Field

router = APIRouter(prefix="/api", tags=["what-if"])


class WhatIfBody(BaseModel):
    scope: str | None = Field(None, max_length=64, description="district, street or community code")
    as_of: str | None = Field(
        None, max_length=10, pattern=r"^\d{4}-\d{2}-\d{2}$", description="the day, YYYY-MM-DD; default today"
    )
    changes: list[dict[str, Any]] = Field(
        description=f"at most {MAX_CHANGES} changes, each {{op: end|add|move|remove, person|unit, target | "
        "from, to, role?|category?|kind?, date?|since?}} (api.md)",
        max_length=MAX_CHANGES,
    )


class Measure(BaseModel):
    covered: int
    total: int
    ratio: float


class CoverageChange(BaseModel):
    measure: str = Field(description="a measure of /api/coverage (contact_points.Grid …) or fulltime_worker")
    label: str
    before: Measure
    after: Measure
    delta: Measure


class Item(BaseModel):
    kind: str = Field(description="street, community, grid, building, household or person")
    key: str = Field(description="code, or pid for a person")
    name: str
    where: str = Field(description="街道 / 社区")
    why: str


class GapChange(BaseModel):
    name: str = Field(alias="list", description="a gap list of /api/gaps, or uncovered.<measure>")
    label: str
    appeared: list[Item]
    disappeared: list[Item]


class Term(BaseModel):
    relationship: str = Field(
        description="SERVES, CONTACTS, PART_TIME_MEMBER_OF, LINKS_HOUSEHOLD or CO_BUILDS"
    )
    role: str | None = Field(description="岗位 (SERVES), 联系人类别 (CONTACTS), 共建项目 (CO_BUILDS)")
    label: str = Field(description="what the target is, in Chinese (网格 …)")
    code: str
    name: str


class PersonChange(BaseModel):
    kind: str = Field(description="person or unit")
    key: str
    name: str
    before: list[Term]
    after: list[Term]


class SoleContact(BaseModel):
    pid: str
    name: str
    grid: str
    grid_name: str


class SoleChanges(BaseModel):
    appeared: list[SoleContact]
    disappeared: list[SoleContact]


class ChangeDone(BaseModel):
    index: int
    op: str
    label: str = Field(description="the change in Chinese")
    terms: int = Field(description="terms (relationships) it ended or added")


class WhatIf(BaseModel):
    scope: str | None
    as_of: str
    changes: list[ChangeDone]
    coverage: list[CoverageChange]
    gaps: list[GapChange]
    people: list[PersonChange]
    sole_contacts: SoleChanges


RESPONSES = {
    **ERRORS,
    422: {"model": ErrorBody, "description": "a change that cannot be run (第N项 and the fix) or a bad body"},
    408: {
        "model": ErrorBody,
        "description": "the scenario ran past ORGGRAPH_QUERY_TIMEOUT; nothing was changed",
    },
    429: {
        "model": ErrorBody,
        "description": "the analysis slots are all taken; retry after Retry-After seconds",
    },
}


def _run(store: Any, user: Any, settings: Any, body: WhatIfBody) -> dict[str, Any]:
    if not user.can(Capability.people):
        raise ScopeError(
            f"您的角色（{user.role.value}，{user.role_zh}）不能做模拟调整：调整和结果都按人员标识列出人员。",
            403,
        )
    scope = effective_scope(store, user, body.scope)
    return what_if(
        store, body.changes, scope, body.as_of, within=user.access.scope, timeout=settings.query_timeout
    )


@router.post(
    "/what-if", response_model=WhatIf, summary="模拟调整：调整前后的覆盖率和短板", responses=RESPONSES
)
def whatif(
    request: Request, store: StoreDep, user: HeavySlot, settings: SettingsDep, body: WhatIfBody
) -> Response:
    """Hypothetical changes (end, add, move, remove a term; api.md) on a copy of the graph as of `as_of`:
    every coverage measure before and after, the gap items that appear and disappear, and what each person or
    unit named would then cover. The store is never written."""
    answer = _run(store, user, settings, body)
    note_size(request, len(answer["changes"]))
    return json_of(WhatIf(**answer), user)


@router.post(
    "/what-if/export",
    summary="模拟调整结果导出为 .xlsx",
    responses={
        **RESPONSES,
        200: {"content": {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}}},
    },
)
def whatif_export(
    request: Request, store: StoreDep, user: HeavySlot, settings: SettingsDep, body: WhatIfBody
) -> Response:
    """The same scenario as `POST /api/what-if`, as a workbook: 调整项, 覆盖率, one sheet per gap list,
    唯一联系人变化, and one sheet per person or unit named."""
    answer = WhatIf(**_run(store, user, settings, body)).model_dump(by_alias=True)
    sc = open_scope(store, answer["scope"], answer["as_of"])
    data = whatif_xlsx(answer, sc.ref.name or sc.ref.key if sc.ref else "全部")
    note_size(request, len(answer["changes"]))
    name = quote("模拟调整.xlsx")
    return Response(
        data,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={
            "Content-Disposition": f"attachment; filename=what-if.xlsx; filename*=UTF-8''{name}",
            "Cache-Control": "no-store",
        },
    )
