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


_LOGIN_STYLE = """
* { box-sizing: border-box; }
body { margin: 0; min-height: 100vh; display: flex; flex-direction: column; background: #f6f7f9;
       color: #1d2733; font-family: 'Noto Sans CJK SC','Source Han Sans SC','WenQuanYi Zen Hei',
       'Microsoft YaHei','PingFang SC',sans-serif; }
header { background: #fff; border-bottom: 3px solid #c1121f; padding: 10px 24px; }
header .brand { color: #c1121f; font-weight: bold; font-size: 16px; }
main { flex: 1; display: flex; align-items: flex-start; justify-content: center; padding: 8vh 16px; }
.card { background: #fff; border: 1px solid #dfe3e8; border-radius: 8px;
        box-shadow: 0 2px 12px rgba(0,0,0,.06); width: 100%; max-width: 460px; padding: 26px 30px; }
h1 { font-size: 20px; margin: 0 0 4px; }
.lead { color: #5f6b78; margin: 0 0 18px; font-size: 14px; line-height: 1.6; }
label { display: block; font-size: 14px; margin-bottom: 6px; }
input[type=password] { width: 100%; padding: 9px 10px; font-size: 15px; border: 1px solid #b8c2cc;
                       border-radius: 4px; }
input[type=password]:focus { outline: 2px solid #f4a6a6; border-color: #c1121f; }
button { margin-top: 14px; width: 100%; padding: 9px; font-size: 16px; color: #fff; background: #c1121f;
         border: 0; border-radius: 4px; cursor: pointer; }
button:hover { background: #a4161a; }
.error { background: #fde8e8; border-left: 4px solid #d62828; color: #8a1c1c; padding: 8px 12px;
         margin: 0 0 14px; border-radius: 3px; font-size: 14px; }
.help { color: #5f6b78; font-size: 13px; line-height: 1.7; margin: 18px 0 0; border-top: 1px solid #eceff2;
        padding-top: 12px; }
footer { color: #5f6b78; font-size: 12px; text-align: center; padding: 10px; }
"""


def _form(message: str = "", next_: str = DEFAULT_NEXT, status: int = 200) -> HTMLResponse:
    note = f'<p class="error" role="alert">{html.escape(message)}</p>' if message else ""
    return HTMLResponse(
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>登录 · 党建引领基层治理关系图谱</title><style>{_LOGIN_STYLE}</style></head><body>"
        '<header><span class="brand">党建引领基层治理关系图谱</span></header><main><div class="card">'
        '<h1>登录</h1><p class="lead">请输入系统管理员发给您的登录令牌。令牌以 og_ 开头，'
        "相当于密码，请勿转发他人。</p>"
        f'{note}<form method="post" action="/login">'
        '<label for="token">登录令牌</label>'
        '<input id="token" name="token" type="password" autocomplete="off" required autofocus'
        ' placeholder="og_…">'
        f'<input type="hidden" name="next" value="{html.escape(next_)}"><button>登录</button></form>'
        '<p class="help">还没有令牌？请联系本单位的系统管理员：管理员在本系统的「令牌管理」页面为您创建令牌，'
        "按您的岗位（街道、社区、只读查看等）确定能看到的范围。收到一次性登录链接的，直接打开该链接即可登录。"
        "登录状态在关闭浏览器后失效。</p>"
        "</div></main><footer>本页所需的全部文件都来自本系统</footer></body></html>",
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
    next: Annotated[str | None, Query(max_length=2000)] = None,  # the usual name in login links
) -> Response:
    """With `code`: redeem a one-time login link. Without: the form to paste a token."""
    if code is None:
        return _form(next_=_safe_next(next))
    if cross_site(request):
        # Checked before the code is redeemed: a foreign page must not spend it, nor log anyone in with its
        # own.
        return _form(CROSS_SITE_MESSAGE, status=403)
    token = request.app.state.orggraph.login_codes.redeem(code)
    if token is None or _user_of(request, token) is None:
        return _form(
            "登录链接无效、已用过或已过期：请向系统管理员索取新的登录链接，或在下面粘贴令牌登录。", status=401
        )
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
    next_ = _safe_next((fields.get("next") or [""])[0] or None)
    if not token or _user_of(request, token) is None:
        return _form("令牌无效或已被吊销：请检查是否完整复制，或向系统管理员申请新令牌。", next_, status=401)
    response = RedirectResponse(next_, status_code=303)
    set_login_cookie(response, request, token)
    return response


@router.post(
    "/api/login",
    response_model=Me,
    summary="用令牌换取登录 Cookie",
    responses=ERRORS,
    dependencies=[Depends(refuse_cross_site)],
)
def api_login(body: LoginRequest, request: Request, response: Response) -> Me:
    """Answers the login cookie (HttpOnly, SameSite=Strict) for a valid token, so pages work without a
    header."""
    user = _user_of(request, body.token.strip())
    if user is None:
        raise HTTPException(401, "令牌无效或已被吊销：请向管理员申请新令牌。")
    set_login_cookie(response, request, body.token.strip())
    return me_of(user)


@router.post(
    "/api/logout",
    status_code=204,
    summary="退出登录（清除 Cookie）",
    dependencies=[Depends(refuse_cross_site)],
)
def api_logout() -> Response:
    response = Response(status_code=204)
    response.delete_cookie(COOKIE_NAME, path="/", httponly=True, samesite="strict")
    return response
