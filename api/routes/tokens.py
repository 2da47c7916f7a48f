"""Token management for admins: `GET/POST /api/tokens`, `DELETE /api/tokens/{name}`; and `GET /api/me`."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response
from orggraph.api.audit import note_size
from orggraph.api.auth import ROLE_CAPABILITIES, Role, TokenError, User, check_token_scope, describe
from orggraph.api.deps import AdminUser, StoreDep, UserDep
from orggraph.api.models import ERRORS, ErrorBody, Me, TokenCreate, TokenCreated, TokenInfo, TokenList

router = APIRouter(prefix="/api", tags=["tokens"])


def me_of(user: User) -> Me:
    return Me(
        name=user.name,
        role=user.role.value,
        scope=user.scope,
        capabilities=sorted(c.value for c in ROLE_CAPABILITIES[user.role]),
    )


@router.get("/me", response_model=Me, summary="当前令牌的身份与权限", responses=ERRORS)
async def me(user: UserDep) -> Me:
    """The name, role, jurisdiction and capabilities of the token (or login cookie) used."""
    return me_of(user)


@router.get("/tokens", response_model=TokenList, summary="令牌列表（管理员）", responses=ERRORS)
def list_tokens(request: Request, user: AdminUser) -> TokenList:
    """Every token's name, role, scope and creation time (the tokens themselves are not kept)."""
    recs = request.app.state.orggraph.tokens.records()
    note_size(request, len(recs))
    return TokenList(tokens=[TokenInfo(**describe(r)) for r in recs])


@router.post(
    "/tokens",
    response_model=TokenCreated,
    status_code=201,
    summary="创建令牌（管理员）",
    responses={**ERRORS, 409: {"model": ErrorBody, "description": "a token with this name exists"}},
)
def create_token(body: TokenCreate, request: Request, store: StoreDep, user: AdminUser) -> TokenCreated:
    """Makes a token and answers it once. street needs a street code as scope, community a community code;
    viewer takes an optional district/street/community code; admin and analyst take none."""
    try:
        role = Role(body.role)
    except ValueError:
        raise TokenError(f"角色「{body.role}」不存在，应为 {', '.join(r.value for r in Role)} 之一") from None
    scope = check_token_scope(store, role, body.scope)
    token, rec = request.app.state.orggraph.tokens.create(role, scope, body.name)
    return TokenCreated(token=token, **describe(rec))


@router.delete("/tokens/{name}", status_code=204, summary="吊销令牌（管理员）", responses=ERRORS)
def revoke_token(name: str, request: Request, user: AdminUser) -> Response:
    """Revokes a token by name; it stops working at once."""
    if not request.app.state.orggraph.tokens.revoke(name):
        raise HTTPException(404, f"没有名为「{name}」的令牌。")
    return Response(status_code=204)
