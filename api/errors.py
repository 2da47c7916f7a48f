"""The error contract: each known failure becomes a 4xx or 503 with a Chinese message; bad parameters are 422
without echoing the value (it could be an ID number). Anything unexpected is turned into a 503 by the audit
middleware, so nothing answers 500."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from orggraph.api.auth import TokenError
from orggraph.api.privacy import mask_log_text
from orggraph.graph.store import QueryError, QueryTimeout, ReadOnlyError, StoreError, StoreUnavailable
from orggraph.queries.adhoc_guard import AdhocRefused
from orggraph.queries.scope import ScopeError
from starlette.exceptions import HTTPException as StarletteHTTPException

__all__ = ["install_error_handlers", "STATUS_OF", "status_of"]

log = logging.getLogger("orggraph.api")

# How store errors answer. A write through a read-only entry point is not allowed (403); a query past its time
# limit is 408 (the client may retry with a narrower query); a query the store cannot run is the client's
# (400).
STATUS_OF: tuple[tuple[type[Exception], int], ...] = (
    (StoreUnavailable, 503),
    (ReadOnlyError, 403),
    (QueryTimeout, 408),
    (QueryError, 400),
    (StoreError, 503),
)

_DEFAULT_MESSAGES = {
    400: "请求有误。",
    401: "需要令牌。",
    403: "无权访问。",
    404: "没有这个地址：请查看 /docs 中的接口列表。",
    405: "该地址不支持这种请求方法：请查看 /docs。",
    406: "无法提供所要求的格式。",
    413: "请求体太大。",
    415: "请求体应为 JSON（Content-Type: application/json）。",
}


def status_of(e: StoreError) -> int:
    for cls, status in STATUS_OF:
        if isinstance(e, cls):
            return status
    return 503


def _json(status: int, detail: str, headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    return JSONResponse({"detail": detail, **extra}, status_code=status, headers=headers)


def _loc_text(loc: Sequence[Any]) -> str:
    where = {
        "query": "查询参数",
        "path": "路径参数",
        "body": "请求体",
        "header": "请求头",
        "cookie": "Cookie",
    }
    parts = [mask_log_text(str(x)) for x in loc]  # a key the client sent may be an ID number
    if parts and parts[0] in where:
        return where[parts[0]] + ("「" + ".".join(parts[1:]) + "」" if len(parts) > 1 else "")
    return ".".join(parts)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ScopeError)
    async def scope_error(request: Request, e: ScopeError) -> JSONResponse:
        return _json(e.status, str(e))

    @app.exception_handler(TokenError)
    async def token_error(request: Request, e: TokenError) -> JSONResponse:
        return _json(e.status, str(e))

    @app.exception_handler(AdhocRefused)
    async def adhoc_refused(request: Request, e: AdhocRefused) -> JSONResponse:
        return _json(e.status, str(e))

    @app.exception_handler(StoreError)
    async def store_error(request: Request, e: StoreError) -> JSONResponse:
        status = status_of(e)
        if status == 503:
            log.warning("store error on %s: %s", request.url.path, e)
        return _json(status, str(e))

    try:
        from orggraph.queries.coverage import RulesError
    except ImportError:
        pass
    else:

        @app.exception_handler(RulesError)
        async def rules_error(request: Request, e: RulesError) -> JSONResponse:
            # The deployment's contact-rule file is broken: the service cannot answer until an admin fixes it.
            log.error("contact rules: %s", e)
            return _json(503, f"服务配置有误，暂时无法回答：{e}")

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, e: RequestValidationError) -> JSONResponse:
        # pydantic puts the offending value in `input` and `ctx`: leave both out, it may be personal data.
        errors = [
            {
                "loc": [mask_log_text(x) if isinstance(x, str) else x for x in err.get("loc", ())],
                # Our validators speak Chinese already; pydantic's English prefix adds nothing.
                "msg": str(err.get("msg", "")).removeprefix("Value error, "),
                "type": str(err.get("type", "")),
            }
            for err in e.errors()
        ]
        summary = "；".join(f"{_loc_text(err['loc'])}：{err['msg']}" for err in errors[:5])
        return _json(422, f"参数有误：{summary}。请按 /docs 中的说明改正后重试。", errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, e: StarletteHTTPException) -> Response:
        if e.status_code == 401 and request.url.path.startswith(("/pages", "/docs", "/redoc")):
            # A page (or the API docs) opened without the cookie: the login form, which comes back here
            # afterwards.
            here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={quote(here, safe='')}", status_code=303)
        detail = e.detail if isinstance(e.detail, str) and not e.detail.isascii() else None
        message = detail or _DEFAULT_MESSAGES.get(e.status_code, str(e.detail))
        return _json(e.status_code, message, headers=getattr(e, "headers", None))
