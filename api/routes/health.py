"""`GET /api/health`: whether the API and its store answer (the one route without a token)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from orggraph.api.deps import StoreHolder
from orggraph.api.healing import OK, RECOVERING
from orggraph.api.models import Health
from orggraph.graph.store import StoreError

from orggraph import __version__

router = APIRouter(prefix="/api", tags=["health"])

RETRY_AFTER = "5"  # seconds: a restarted demo-district store answers within a few


@router.get(
    "/health",
    response_model=Health,
    summary="服务与图数据库是否正常",
    responses={
        503: {
            "model": Health,
            "description": "the store cannot be reached (`unavailable`), or the embedded store is being "
            "restarted (`recovering`, with Retry-After)",
        }
    },
)
async def health(request: Request) -> JSONResponse:
    """`status` is `ok` when the store answers a ping. Under `orggraph serve` with the embedded store a
    watchdog pings it every second and restarts it when it dies or hangs: meanwhile the answer is 503 with
    `recovering` and `Retry-After`; if it cannot be restarted, 503 with `unavailable`. Answered on the event
    loop from the watchdog's last ping, so it stays quick however busy the worker threads are."""
    state = request.app.state.orggraph
    holder, backend = state.store, state.settings.backend
    watchdog = holder.watchdog
    headers: dict[str, str] = {}
    if watchdog is not None:
        status = watchdog.current
        backend = holder.get().backend or backend
    else:
        status = await run_in_threadpool(_ping, holder)
        if holder.ready:
            backend = holder.get().backend or backend
    if status == RECOVERING:
        headers["Retry-After"] = RETRY_AFTER
    code = 200 if status == OK else 503
    body = Health(status=status, backend=backend, version=__version__).model_dump()
    return JSONResponse(body, status_code=code, headers=headers)


def _ping(holder: StoreHolder) -> str:
    try:
        store = holder.get()
        store.ping()
        return OK
    except StoreError:
        return "unavailable"
