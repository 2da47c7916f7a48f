"""Browser login: a one-time link (`/login?code=`) or a token pasted into a form becomes an HttpOnly,
SameSite=Strict cookie holding the token; `POST /api/login` and `/api/logout` do the same for scripts.

The POSTs and the one-time link refuse cross-site requests (403, `security.cross_site`): otherwise a page on
another site could log the victim's browser in with the attacker's own token (login CSRF) and read what the
victim then enters."""

from __future__ import annotations

import html
from typing import Annotated
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from orggraph.api.auth import User
from orggraph.api.deps import COOKIE_NAME
from orggraph.api.models import ERRORS, LoginRequest, Me
from orggraph.api.routes.tokens import me_of
from orggraph.api.security import CROSS_SITE_MESSAGE, cross_site, refuse_cross_site

router = APIRouter(tags=["login"])

DEFAULT_NEXT = "/pages/overview"


def _safe_next(target: str | None) -> str:
    """Only a path on this server (no scheme, no //host): a login link must not send anyone elsewhere."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return DEFAULT_NEXT


def set_login_cookie(response: Response, request: Request, token: str) -> None:
    # A session cookie: it goes when the browser closes. Strict keeps other sites from riding on it (CSRF).
    response.set_cookie(
        COOKIE_NAME, token, httponly=True, samesite="strict", secure=request.url.scheme == "https", path="/"
    )


def _form(message: str = "", next_: str = DEFAULT_NEXT, status: int = 200) -> HTMLResponse:
    note = f'<p style="color:#b00">{html.escape(message)}</p>' if message else ""
    return HTMLResponse(
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>登录 orggraph</title></head>"
        "<body style=\"font-family:sans-serif;margin:2em;max-width:40em\"><h1>登录</h1>"
        f"{note}<form method=\"post\" action=\"/login\"><p>请粘贴管理员发给您的令牌（orggraph token create 生成）：</p>"
        "<p><input name=\"token\" type=\"password\" size=\"60\" autocomplete=\"off\" required></p>"
        f"<input type=\"hidden\" name=\"next\" value=\"{html.escape(next_)}\"><p><button>登录</button></p></form>"
        "</body></html>",
        status_code=status,
        headers={"Cache-Control": "no-store"},
    )


def _user_of(request: Request, token: str) -> User | None:
    user = request.app.state.orggraph.tokens.lookup(token)
    if user is not None:
        request.state.user = user
    return user


@router.get("/login", include_in_schema=False)
def login_link(
    request: Request,
    code: Annotated[str | None, Query(max_length=200)] = None,
    next: Annotated[str | None, Query(max_length=2000)] = None,  # noqa: A002 - the usual name in login links
) -> Response:
    """With `code`: redeem a one-time login link. Without: the form to paste a token."""
    if code is None:
        return _form(next_=_safe_next(next))
    if cross_site(request):
        # Checked before the code is redeemed: a foreign page must not spend it, nor log anyone in with its own.
        return _form(CROSS_SITE_MESSAGE, status=403)
    token = request.app.state.orggraph.login_codes.redeem(code)
    if token is None or _user_of(request, token) is None:
        return _form("登录链接无效、已用过或已过期。请重新运行 orggraph demo 获取新链接，或粘贴令牌登录。", status=401)
    response = RedirectResponse(_safe_next(next), status_code=303)
    set_login_cookie(response, request, token)
    return response


@router.post("/login", include_in_schema=False)
async def login_form(request: Request) -> Response:
    if cross_site(request):
        return _form(CROSS_SITE_MESSAGE, status=403)
    # Parsed by hand: a form of two fields does not need python-multipart.
    fields = parse_qs((await request.body()).decode("utf-8", "replace"))
    token = (fields.get("token") or [""])[0].strip()
    next_ = _safe_next((fields.get("next") or [None])[0])
    if not token or _user_of(request, token) is None:
        return _form("令牌无效或已被吊销。", next_, status=401)
    response = RedirectResponse(next_, status_code=303)
    set_login_cookie(response, request, token)
    return response


@router.post("/api/login", response_model=Me, summary="用令牌换取登录 Cookie", responses=ERRORS,
             dependencies=[Depends(refuse_cross_site)])
def api_login(body: LoginRequest, request: Request, response: Response) -> Me:
    """Answers the login cookie (HttpOnly, SameSite=Strict) for a valid token, so pages work without a header."""
    user = _user_of(request, body.token.strip())
    if user is None:
        raise HTTPException(401, "令牌无效或已被吊销：请向管理员申请新令牌。")
    set_login_cookie(response, request, body.token.strip())
    return me_of(user)


@router.post("/api/logout", status_code=204, summary="退出登录（清除 Cookie）", dependencies=[Depends(refuse_cross_site)])
def api_logout() -> Response:
    response = Response(status_code=204)
    response.delete_cookie(COOKIE_NAME, path="/", httponly=True, samesite="strict")
    return response
