"""Finding people: `POST /api/people/lookup` by ID number (in the body, never in a URL or a log) and
`GET /api/people?name=` by name, both inside the token's jurisdiction and masked by role."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, Response
from orggraph.api.audit import note_size
from orggraph.api.deps import PeopleUser, SettingsDep, StoreDep, json_of
from orggraph.api.models import ERRORS, PeoplePage, Person, PersonLookup
from orggraph.loaders.idcodes import normalize_resident_id, pid_of, validate_resident_id
from orggraph.queries.people import search_people
from orggraph.queries.policy import person_for, present

router = APIRouter(prefix="/api/people", tags=["people"])

_NOT_FOUND = "没有找到这个人：请核对身份证号，或确认人员台账已导入（范围受限的令牌只能查到本辖区的人）。"


@router.post("/lookup", response_model=Person, summary="按身份证号查找人员", responses=ERRORS)
def lookup(
    body: PersonLookup, request: Request, store: StoreDep, user: PeopleUser, settings: SettingsDep
) -> Response:
    """The person with this ID number. The number travels in the JSON body only; it is hashed with the
    deployment's key (ORGGRAPH_PID_KEY) into the pid the graph knows, and it is never answered or logged. A
    person outside a scoped token's jurisdiction is answered 404 like an unknown one, after the same work, so
    neither the answer nor its time reveals whether someone is registered elsewhere. Roles: admin, analyst,
    street, community."""
    id_number = normalize_resident_id(body.id_number)
    if validate_resident_id(id_number) is not None:
        # The reason would quote digits of the number: say only what to check.
        raise HTTPException(422, "身份证号无效：应为 18 位，出生日期有效，且校验位正确。请核对后重试。")
    found = person_for(store, user.access, pid_of(id_number, settings.pid_key_bytes))
    if found is None:
        note_size(request, 0)
        raise HTTPException(404, _NOT_FOUND)
    note_size(request, 1)
    return json_of(Person(**found), user)


@router.get("", response_model=PeoplePage, summary="按姓名查找人员", responses=ERRORS)
def search(
    request: Request,
    store: StoreDep,
    user: PeopleUser,
    name: Annotated[str, Query(min_length=1, max_length=50, description="the name, or its beginning")],
    offset: Annotated[int, Query(ge=0, le=100_000, description="people to skip")] = 0,
    limit: Annotated[int, Query(ge=1, le=200, description="most people returned")] = 50,
) -> Response:
    """People whose name starts with `name` (exact matches first), inside the token's jurisdiction. At most
    500 bearers of a name are looked at (`capped`). Roles: admin, analyst, street, community."""
    name = name.strip()
    if not name:
        raise HTTPException(422, "姓名不能为空。")
    found, capped = search_people(store, name, scope=user.scope)
    page = found[offset : offset + limit]
    note_size(request, len(page))
    people = [Person(**present(p, user.access)) for p in page]  # phones opened for admin
    return json_of(
        PeoplePage(people=people, offset=offset, limit=limit, total=len(found), capped=capped), user
    )
