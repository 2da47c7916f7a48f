"""Saved what-if scenarios of the page 模拟调整: `GET/POST /api/scenarios`,
`GET/DELETE /api/scenarios/{name}`. Saving runs nothing: a scenario is run through `POST /api/what-if`, with
the runner's own role and jurisdiction."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response
from orggraph.api.audit import note_size
from orggraph.api.deps import PeopleUser, SettingsDep, StoreDep, effective_scope
from orggraph.api.models import ERRORS, ErrorBody
from orggraph.api.scenario_store import MAX_CHANGES, Scenario, ScenarioError, ScenarioStore
from orggraph.queries.policy import Capability
from orggraph.queries.scope import check_as_of
from pydantic import BaseModel, ConfigDict, Field

router = APIRouter(prefix="/api/scenarios", tags=["what-if"])

Name = Annotated[str, Path(min_length=1, max_length=100, description="the scenario's name")]
Owner = Annotated[
    str | None, Query(max_length=64, description="admin only: whose scenario (default: one's own)")
]


class ScenarioRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100, description="the scenario's name, unique per token name")
    description: str = Field(default="", max_length=2000, description="what it is for (free text)")
    scope: str | None = Field(default=None, max_length=64, description="district, street or community code")
    as_of: str | None = Field(default=None, max_length=10, description="the day it applies to (YYYY-MM-DD)")
    changes: list[dict[str, Any]] = Field(
        min_length=1, max_length=MAX_CHANGES, description="the changes, as `POST /api/what-if` takes them"
    )
    names: dict[str, Annotated[str, Field(max_length=200)]] = Field(
        default_factory=dict, max_length=2000, description="names of the keys in the changes, for display"
    )


class SavedScenario(ScenarioRequest):
    model_config = ConfigDict(extra="ignore")
    owner: str = Field(description="the token name that saved it")
    created: str = Field(description="when it was saved (UTC, ISO 8601)")


class ScenarioList(BaseModel):
    scenarios: list[SavedScenario]


def _store(settings: SettingsDep) -> ScenarioStore:
    return ScenarioStore.of(settings.data_dir)


def _whose(user: PeopleUser, owner: str | None) -> str:
    if owner is not None and owner != user.name and not user.can(Capability.admin):
        raise HTTPException(403, "只有管理员可以查看或删除别人保存的方案：请去掉 owner 参数。")
    return owner or user.name


def _answer(s: Scenario) -> SavedScenario:
    return SavedScenario.model_validate(vars(s))


@router.get("", response_model=ScenarioList, summary="保存的模拟调整方案", responses=ERRORS)
def list_scenarios(request: Request, user: PeopleUser, settings: SettingsDep) -> ScenarioList:
    """The token's own saved scenarios, by name; admin sees everyone's (by owner, then name). Roles: admin,
    analyst, street, community."""
    try:
        items = _store(settings).list(None if user.can(Capability.admin) else user.name)
    except ScenarioError as e:
        raise HTTPException(e.status, str(e)) from None
    note_size(request, len(items))
    return ScenarioList(scenarios=[_answer(s) for s in items])


@router.post(
    "",
    response_model=SavedScenario,
    status_code=201,
    summary="保存模拟调整方案",
    responses={
        **ERRORS,
        409: {"model": ErrorBody, "description": "this token already saved a scenario of that name"},
    },
)
def save_scenario(
    body: ScenarioRequest, store: StoreDep, user: PeopleUser, settings: SettingsDep
) -> SavedScenario:
    """Saves a scenario under the token's name (the owner); the name is unique per owner (409 otherwise). A
    scope must lie inside the token's jurisdiction (403). Texts holding an ID number or a phone number are
    refused (422). The changes are not run here. Roles: admin, analyst, street, community."""
    scope = effective_scope(store, user, body.scope) if body.scope else None
    as_of = check_as_of(body.as_of) if body.as_of else None
    s = Scenario(
        owner=user.name,
        name=body.name,
        changes=body.changes,
        description=body.description,
        scope=scope,
        as_of=as_of,
        names=dict(body.names),
    )
    try:
        return _answer(_store(settings).save(s))
    except ScenarioError as e:
        raise HTTPException(e.status, str(e)) from None


@router.get(
    "/{name}",
    response_model=SavedScenario,
    summary="读取一个保存的方案",
    responses={**ERRORS, 404: {"model": ErrorBody, "description": "no saved scenario of that name"}},
)
def get_scenario(name: Name, user: PeopleUser, settings: SettingsDep, owner: Owner = None) -> SavedScenario:
    """One of the token's own scenarios; admin may name another `owner`. Roles: admin, analyst, street,
    community."""
    try:
        s = _store(settings).get(_whose(user, owner), name)
    except ScenarioError as e:
        raise HTTPException(e.status, str(e)) from None
    if s is None:
        raise HTTPException(404, f"没有名为「{name}」的方案：请先用 GET /api/scenarios 查看名称。")
    return _answer(s)


@router.delete(
    "/{name}",
    status_code=204,
    summary="删除保存的方案",
    responses={**ERRORS, 404: {"model": ErrorBody, "description": "no saved scenario of that name"}},
)
def delete_scenario(name: Name, user: PeopleUser, settings: SettingsDep, owner: Owner = None) -> Response:
    """Deletes one of the token's own scenarios; admin may name another `owner`. Roles: admin, analyst,
    street, community."""
    try:
        gone = _store(settings).delete(_whose(user, owner), name)
    except ScenarioError as e:
        raise HTTPException(e.status, str(e)) from None
    if not gone:
        raise HTTPException(404, f"没有名为「{name}」的方案：请先用 GET /api/scenarios 查看名称。")
    return Response(status_code=204)
