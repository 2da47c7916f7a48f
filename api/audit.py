"""The audit log: one JSON line per request (who, role, route, masked parameters, result size, status, time).

`AuditMiddleware` wraps the whole app, so refused requests (401, 403, 404, 405, 413, 422, 503) and failures
are logged too: every request leaves exactly one line, whatever its body (unparseable, nested 100,000 deep,
huge, of any content type). What a line keeps of the parameters is masked (`privacy.mask_for_log`) and bounded
(MAX_LOGGED_BODY_BYTES of body parsed, MAX_LOGGED_PARAMS_CHARS kept). It also turns anything unexpected into a
503 with a message (the traceback goes to the server log, never to the client): nothing ever answers 500.
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from orggraph.api.privacy import mask_for_log, mask_log_text
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "AuditLog",
    "AuditMiddleware",
    "note_size",
    "read_entries",
    "MAX_BODY_BYTES",
    "MAX_LOGGED_BODY_BYTES",
    "MAX_LOGGED_PARAMS_CHARS",
    "UNEXPECTED_MESSAGE",
]

log = logging.getLogger("orggraph.api")

MAX_BODY_BYTES = 1 << 20  # a request body is a query and its parameters: 1 MiB is far more than enough
MAX_LOGGED_BODY_BYTES = 64 << 10  # bodies up to this are parsed and kept (masked); larger ones only counted
MAX_LOGGED_PARAMS_CHARS = 8 << 10  # the masked parameters of one line, as JSON, cut to this
MAX_LOGGED_QUERY_CHARS = 16 << 10  # the part of a query string parsed for the line
UNEXPECTED_MESSAGE = "服务器处理请求时出错，已记录在服务器日志中。请稍后重试；如果反复出现，请联系管理员。"
# Routes whose parameters are credentials as a whole (the login code, the token in a login form).
_SECRET_ROUTES = ("/login", "/api/login")


class AuditLog:
    """Appends JSON lines to one file; safe across threads (a lock) and processes (one O_APPEND write per
    line)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._fd: int | None = None

    def _open(self) -> int:
        if self._fd is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.fchmod(
                    fd, 0o600
                )  # a file made earlier with a looser mode (by hand, a restore) is tightened
            except OSError:
                pass  # not the owner: writing still works, and the mode is the owner's business
            self._fd = fd
        return self._fd

    def write(self, entry: dict[str, Any]) -> None:
        line = (json.dumps(entry, ensure_ascii=False, separators=(",", ":"), default=str) + "\n").encode(
            "utf-8"
        )
        with self._lock:
            os.write(
                self._open(), line
            )  # unbuffered: each line is on disk (in the page cache) when this returns

    def close(self) -> None:
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None


def _reverse_lines(path: Path, block: int = 1 << 16) -> Iterator[bytes]:
    """The file's lines from the last to the first, reading blocks from the end (the log can be large)."""
    with open(path, "rb") as f:
        f.seek(0, os.SEEK_END)
        pos = f.tell()
        rest = b""
        while pos > 0:
            step = min(block, pos)
            pos -= step
            f.seek(pos)
            chunk = f.read(step) + rest
            lines = chunk.split(b"\n")
            rest = lines[0]
            for line in reversed(lines[1:]):
                if line.strip():
                    yield line
        if rest.strip():
            yield rest


def read_entries(path: Path, *, limit: int = 100, offset: int = 0) -> tuple[list[dict[str, Any]], bool]:
    """Entries newest first, skipping `offset`; (entries, whether older ones remain)."""
    out: list[dict[str, Any]] = []
    if not Path(path).exists():
        return out, False
    for i, line in enumerate(_reverse_lines(Path(path))):
        if i < offset:
            continue
        if len(out) == limit:
            return out, True
        try:
            entry = json.loads(line)
        except (UnicodeDecodeError, json.JSONDecodeError):
            entry = None
        out.append(
            entry if isinstance(entry, dict) else {"unreadable": line[:200].decode("utf-8", "replace")}
        )
    return out, False


def note_size(request: Any, n: int) -> None:
    """Record the result size (rows or items) of the answer for the audit line."""
    request.state.result_size = n


def _route_path(scope: Scope) -> str:
    """The route template (`/api/contacts/{code}`); for a path no route matched, the path with personal data
    masked (someone may have put an ID number into it)."""
    route = scope.get("route")
    template = getattr(route, "path", None)
    return str(template) if template else mask_log_text(str(scope.get("path", "")))[:2000]  # masked, then cut


def _body_param(body: bytes) -> Any:
    """What the line keeps of a body: the parsed JSON when small enough to parse, else a description."""
    if len(body) > MAX_LOGGED_BODY_BYTES:
        return f"<{len(body)} bytes, not kept>"
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return f"<{len(body)} bytes, not JSON>"
    except RecursionError:  # json.loads of a body nested deeper than Python's stack
        return f"<{len(body)} bytes, JSON nested too deeply>"


def _params(scope: Scope, body: bytes, route: str) -> dict[str, Any]:
    params: dict[str, Any] = {}
    raw: bytes = scope.get("query_string", b"")
    if len(raw) > MAX_LOGGED_QUERY_CHARS:
        # Only whole parameters: a pair cut in the middle could leave part of an ID number the masking misses.
        raw = raw[: raw.rfind(b"&", 0, MAX_LOGGED_QUERY_CHARS) + 1]
    query = raw.decode("utf-8", "replace")
    for k, v in parse_qsl(query, keep_blank_values=True):
        old = params.get(k)
        params[k] = v if old is None else [*(old if isinstance(old, list) else [old]), v]
    if path_params := scope.get("path_params"):
        params.update({k: v for k, v in path_params.items() if k not in params})
    if body:
        params["body"] = _body_param(body)
    if route in _SECRET_ROUTES:
        return dict.fromkeys(params, "***")
    masked: dict[str, Any] = mask_for_log(params)
    if not body and len(raw) + len(scope.get("path", "")) < MAX_LOGGED_PARAMS_CHARS // 2:
        return (
            masked  # a query string and a path this short cannot make the line too long: no need to measure
        )
    text = json.dumps(masked, ensure_ascii=False, separators=(",", ":"), default=str)
    if len(text) > MAX_LOGGED_PARAMS_CHARS:
        # Cut after masking, so the cut cannot leave part of an ID number unmasked.
        return {"truncated": text[:MAX_LOGGED_PARAMS_CHARS], "chars": len(text)}
    return masked


def _entry(
    scope: Scope, when: str, started: float, status: int, body: bytes, error: str | None
) -> dict[str, Any]:
    state = scope.get("state") or {}
    user = state.get("user")
    route = _route_path(scope)
    entry: dict[str, Any] = {
        "time": when,
        "token": getattr(user, "name", None),
        "role": getattr(getattr(user, "role", None), "value", None),
        "method": scope.get("method"),
        "route": route,
        "params": _params(scope, body, route),
        "size": state.get("result_size"),
        "status": status or None,  # None: the client went away before an answer
        "ms": round((time.perf_counter() - started) * 1000, 1),
    }
    if error:
        entry["error"] = mask_log_text(error)[:300]  # masked first: a cut must not leave half an ID number
    return entry


def _fallback_entry(scope: Scope, when: str, status: int, failure: BaseException) -> dict[str, Any]:
    """The line written when the full one could not be made: still one line per request."""
    return {
        "time": when,
        "method": scope.get("method"),
        "route": mask_log_text(str(scope.get("path", "")))[:2000],
        "params": "<not recorded>",
        "status": status or None,
        "audit_error": type(failure).__name__,
    }


class AuditMiddleware:
    """Pure ASGI middleware: reads the (bounded) body once, replays it to the app, logs after the answer."""

    def __init__(self, app: ASGIApp, audit: AuditLog) -> None:
        self.app = app
        self.audit = audit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        when = _dt.datetime.now(_dt.UTC).isoformat(timespec="milliseconds")
        body, too_big = b"", False
        status = {"code": 0}
        sent_start = False
        body_sent = False

        async def replay() -> Message:
            nonlocal body_sent
            if not body_sent:
                body_sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # waits for http.disconnect

        async def send_wrapper(message: Message) -> None:
            nonlocal sent_start
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                sent_start = True
            await send(message)

        error: str | None = None
        try:
            body, too_big = await _read_body(receive)
            if too_big:
                await _send_json(
                    send_wrapper, 413, {"detail": f"请求体超过 {MAX_BODY_BYTES // 1024} KB，请缩小参数。"}
                )
            else:
                await self.app(scope, replay, send_wrapper)
        except Exception as e:  # the contract: never a 500, always a message
            error = f"{type(e).__name__}: {e}"
            log.exception("unexpected error on %s %s", scope.get("method"), _route_path(scope))
            if not sent_start:
                await _send_json(send_wrapper, 503, {"detail": UNEXPECTED_MESSAGE})
        finally:
            try:
                entry = _entry(scope, when, started, status["code"], body if not too_big else b"", error)
            except Exception as e:  # whatever the request held, it leaves its one line
                log.exception(
                    "cannot describe %s %s for the audit log", scope.get("method"), _route_path(scope)
                )
                entry = _fallback_entry(scope, when, status["code"], e)
            try:
                self.audit.write(entry)
            except (OSError, TypeError, ValueError):
                log.exception("cannot write the audit log %s", self.audit.path)


async def _read_body(receive: Receive) -> tuple[bytes, bool]:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), False
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return b"", True
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks), False


async def _send_json(send: Send, status: int, payload: dict[str, Any]) -> None:
    data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": data})
