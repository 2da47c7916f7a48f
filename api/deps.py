"""Shared route dependencies: the app's one store, the current user (bearer token or login cookie), role
checks, and the jurisdiction checks every route applies (a scoped token sees its own subtree and nothing
else).

Pages and other routers mount behind the same login with `UserDep` / `require_user`, e.g.::

    router = APIRouter(prefix="/pages")

    @router.get("/x")
    def x(store: StoreDep, user: UserDep) -> HTMLResponse: ...
"""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, TypeVar

from fastapi import Depends, HTTPException, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from orggraph.api.auth import Capability, LoginCodes, TokenRegistry, User
from orggraph.api.healing import Watchdog
from orggraph.graph.store import Store, StoreUnavailable
from orggraph.loaders.phones import phone_seal
from orggraph.queries import policy
from orggraph.queries.scope import NodeRef, check_as_of
from pydantic import BaseModel

from orggraph.settings import Settings

__all__ = [
    "COOKIE_NAME",
    "AppState",
    "StoreHolder",
    "get_store",
    "get_settings_dep",
    "get_user",
    "require_user",
    "require",
    "StoreDep",
    "UserDep",
    "CurrentUser",
    "SettingsDep",
    "PeopleUser",
    "CypherUser",
    "AdminUser",
    "check_node",
    "effective_scope",
    "ScopeQuery",
    "AsOfQuery",
    "OffsetQuery",
    "LimitQuery",
    "DEFAULT_LIMIT",
    "Asked",
    "AskedDep",
    "DayDep",
    "Paging",
    "PagingDep",
    "json_of",
]

COOKIE_NAME = "orggraph_session"
T = TypeVar("T")


class StoreHolder:
    """One store per app. Opened at startup; when the store cannot be reached then, every request retries
    (and answers 503 until it can), so the API comes up before its database does."""

    def __init__(self, settings: Settings, store: Store | None = None) -> None:
        self.settings = settings
        self._store = store
        self.owned = store is None  # we close only what we opened
        self._lock = threading.Lock()
        self.watchdog: Watchdog | None = None  # restarts the embedded server we opened when it dies or hangs

    def get(self) -> Store:
        if self._store is not None:
            return self._store
        with self._lock:
            if self._store is None:
                from orggraph.graph.store import open_store

                try:
                    self._store = open_store(self.settings)
                except StoreUnavailable:
                    raise
                except Exception as e:  # a driver's own connection errors become a 503
                    raise StoreUnavailable(
                        f"无法连接图数据库：{e}。请确认 ORGGRAPH_URI 指向的服务已启动。"
                    ) from None
                server = getattr(self._store, "server", None)
                if server is not None:
                    self.watchdog = Watchdog(server).start()
            return self._store

    @property
    def ready(self) -> bool:
        return self._store is not None

    def close(self) -> None:
        if self.watchdog is not None:
            self.watchdog.stop()
            self.watchdog = None
        with self._lock:
            if self._store is not None and self.owned:
                self._store.close()
                self._store = None


class AppState:
    """What the app keeps for its lifetime (on `app.state.orggraph`)."""

    def __init__(
        self, settings: Settings, store: StoreHolder, tokens: TokenRegistry, login_codes: LoginCodes
    ) -> None:
        self.settings = settings
        self.store = store
        self.tokens = tokens
        self.login_codes = login_codes


def _state(request: Request) -> AppState:
    state: AppState = request.app.state.orggraph
    return state


async def get_store(request: Request) -> Store:
    # Async on purpose: once open, handing out the store costs nothing and needs no worker thread (one thread
    # hop less per request); only opening it, when startup could not, blocks — that goes to a worker thread.
    holder = _state(request).store
    if holder.ready:
        return holder.get()
    return await run_in_threadpool(holder.get)


async def get_settings_dep(request: Request) -> Settings:
    return _state(request).settings


def _presented_token(request: Request) -> str | None:
    auth = request.headers.get("authorization")
    if auth:
        scheme, _, value = auth.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
        return None
    return request.cookies.get(COOKIE_NAME) or None


async def get_user(request: Request) -> User:
    """The caller: a valid bearer token or login cookie, else 401. Recorded on the request for the audit
    log."""
    token = _presented_token(request)
    if token is None:
        raise HTTPException(
            401,
            "需要令牌：请在请求头加 Authorization: Bearer <令牌>（管理员用 orggraph token create "
            "生成），或先登录。",
            headers={"WWW-Authenticate": "Bearer"},
        )
    user = _state(request).tokens.lookup(token)
    if user is None:
        raise HTTPException(
            401,
            "令牌无效或已被吊销：请向管理员申请新令牌。",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
    if user.sees_phones:  # only a role that may see full numbers gets what opens the sealed ones
        user = dataclasses.replace(user, seal=phone_seal(_state(request).settings.pid_key_bytes))
    request.state.user = user
    return user


require_user = get_user  # what pages and other routers depend on


def require(capability: Capability) -> Callable[[User], Awaitable[User]]:
    """A dependency: the current user, if their role has `capability` (403 with a Chinese message
    otherwise)."""

    async def dep(user: Annotated[User, Depends(get_user)]) -> User:
        if not user.can(capability):
            raise HTTPException(
                403, f"您的角色（{user.role.value}，{user.role_zh}）无权{User.capability_zh(capability)}。"
            )
        return user

    dep.__name__ = f"require_{capability.value}"
    return dep


StoreDep = Annotated[Store, Depends(get_store)]
UserDep = Annotated[User, Depends(get_user)]
CurrentUser = UserDep
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
PeopleUser = Annotated[User, Depends(require(Capability.people))]
CypherUser = Annotated[User, Depends(require(Capability.cypher))]
AdminUser = Annotated[User, Depends(require(Capability.admin))]


def json_of(model: BaseModel, user: User | None = None) -> Response:
    """A model as the answer, serialized here (in the route's worker thread) by pydantic: FastAPI then sends
    it as is instead of validating it again in a second worker-thread hop. With `user`, phones are masked
    unless the role may see them (`policy.present`; only answers that mention a phone at all are walked).
    Models that carry a person's properties get them through `policy.present` before they are built (phones
    opened for admin)."""
    text = model.model_dump_json(by_alias=True)
    if user is not None and not user.sees_phones and ("phone" in text or "手机" in text):
        answer = policy.present(model.model_dump(mode="json", by_alias=True), user.access)
        text = json.dumps(answer, ensure_ascii=False)
    return Response(text, media_type="application/json")


# ------------------------------------------------------------------------------------ common parameters
ScopeQuery = Annotated[
    str | None,
    Query(
        max_length=64,
        description="district, street or community code; default: everything (or the token's own scope)",
    ),
]
AsOfQuery = Annotated[
    str | None,
    Query(
        max_length=10,
        pattern=r"^\d{4}-\d{2}-\d{2}$",
        description="the day asked about, YYYY-MM-DD; default today",
    ),
]
OffsetQuery = Annotated[int, Query(ge=0, le=10_000_000, description="items to skip")]
LimitQuery = Annotated[int, Query(ge=1, le=10_000, description="most items returned")]
DEFAULT_LIMIT = 1000  # long enough that a district's lists come whole, as api.md shows them


# ------------------------------------------------------------------------------------------ jurisdiction
# What a user may ask about is decided by orggraph.queries.policy, for the routes and the pages alike.
def check_node(store: Store, user: User, key: str) -> NodeRef | None:
    """`policy.node_for`: the node a key names if the user may ask about it (a scoped user: 404 for a key
    unknown *or* outside the jurisdiction, alike); None for an unscoped user (the query layer resolves it)."""
    return policy.node_for(store, user.access, key)


def effective_scope(store: Store, user: User, scope: str | None) -> str | None:
    """`policy.scope_for`: the scope asked for, inside the user's own (403 otherwise); by default their
    own."""
    return policy.scope_for(store, user.access, scope)


@dataclass(frozen=True)
class Asked:
    """What a scoped question is about: the scope the user may ask about (None = everything) and the day."""

    scope: str | None
    as_of: str


def asked(store: StoreDep, user: UserDep, scope: ScopeQuery = None, as_of: AsOfQuery = None) -> Asked:
    """The checked day (422 when impossible, e.g. 2025-02-30) and the scope: the one asked for, inside the
    user's own (403 otherwise), by default the user's own."""
    day = check_as_of(as_of)
    return Asked(effective_scope(store, user, scope), day)


async def day_asked(as_of: AsOfQuery = None) -> str:
    return check_as_of(as_of)


@dataclass(frozen=True)
class Paging:
    offset: int
    limit: int

    def of(self, items: list[T]) -> list[T]:
        return items[self.offset : self.offset + self.limit]


async def paging(offset: OffsetQuery = 0, limit: LimitQuery = DEFAULT_LIMIT) -> Paging:
    return Paging(offset, limit)


AskedDep = Annotated[Asked, Depends(asked)]
DayDep = Annotated[str, Depends(day_asked)]
PagingDep = Annotated[Paging, Depends(paging)]
