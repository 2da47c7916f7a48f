"""`GET /api/audit`: the audit log for admins, newest first."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from orggraph.api.audit import note_size, read_entries
from orggraph.api.deps import AdminUser, SettingsDep
from orggraph.api.models import ERRORS, AuditEntry, AuditPage

router = APIRouter(prefix="/api", tags=["audit"])


@router.get("/audit", response_model=AuditPage, summary="审计日志（管理员）", responses=ERRORS)
def audit(
    request: Request,
    user: AdminUser,
    settings: SettingsDep,
    limit: Annotated[int, Query(ge=1, le=1000, description="most lines")] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000, description="lines to skip from the newest")] = 0,
) -> AuditPage:
    """One entry per request: time, token name, role, method, route, parameters (personal data masked),
    result size, status and time taken. This request itself is logged after it is answered."""
    entries, more = read_entries(settings.audit_path, limit=limit, offset=offset)
    note_size(request, len(entries))
    return AuditPage(entries=[AuditEntry(**e) for e in entries], offset=offset, limit=limit, more=more)
