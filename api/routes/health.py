"""`GET /api/health`: whether the API and its store answer (the one route without a token)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from orggraph import __version__
from orggraph.api.models import Health
from orggraph.graph.store import StoreError

router = APIRouter(prefix="/api", tags=["health"])


@router.get(
    "/health",
    response_model=Health,
    summary="服务与图数据库是否正常",
    responses={503: {"model": Health, "description": "the store cannot be reached"}},
)
def health(request: Request) -> JSONResponse:
    """`status` is `ok` when the store answers a ping; otherwise the answer is 503 with `unavailable`."""
    state = request.app.state.orggraph
    holder, backend = state.store, state.settings.backend
    try:
        store = holder.get()
        store.ping()
        backend = store.backend or backend
        status, code = "ok", 200
    except StoreError:
        status, code = "unavailable", 503
    return JSONResponse(Health(status=status, backend=backend, version=__version__).model_dump(), status_code=code)
