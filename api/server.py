"""Serving the API and the pages with uvicorn: `serve` for deployments, `serve_demo` for `orggraph demo`
(loopback only, an admin token made for the demo, and a one-time login link that sets the cookie)."""

from __future__ import annotations

import io
import ipaddress
import logging
import logging.handlers
import os
import socket
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from orggraph.api.auth import LoginCodes, Role, TokenRegistry, tokens_path
from orggraph.api.privacy import mask_log_text

from orggraph.settings import DEV_PID_KEY, Settings

if TYPE_CHECKING:
    from fastapi import FastAPI

__all__ = [
    "serve",
    "serve_demo",
    "configure_logging",
    "mask_logs",
    "MaskingFilter",
    "PrivateRotatingFileHandler",
    "DEMO_TOKEN_NAME",
    "LOOPBACK",
]

# Loggers that may carry a request's data: ours, and uvicorn's (its error log prints tracebacks of the app).
MASKED_LOGGERS = ("orggraph", "uvicorn", "uvicorn.error", "uvicorn.access")


class MaskingFilter(logging.Filter):
    """Masks ID numbers, phones, tokens, login codes and cookies in a record before any handler writes it:
    the message with its arguments, the traceback and the stack. The record is changed in place (handlers
    share it), so every handler after this filter sees the masked text."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_orggraph_masked", False):
            return True
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: keep what there is
            message = str(record.msg)
        record.msg, record.args = mask_log_text(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_log_text(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_log_text(record.stack_info)
        record._orggraph_masked = True
        return True


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating log whose file (and so each rotation, renamed from it) is created 0600: the server log
    holds request details that only the service's own user should read."""

    def _open(self) -> io.TextIOWrapper:
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.fchmod(fd, 0o600)  # tighten a file made earlier with a looser mode
        except OSError:
            pass
        return open(fd, "a", encoding=self.encoding, errors=self.errors)  # the handler closes it


def mask_logs(*names: str) -> None:
    """Put the masking filter on these loggers (records logged on them) and on their handlers (records that
    reach the handlers from child loggers). Safe to call again."""
    for name in names or MASKED_LOGGERS:
        logger = logging.getLogger(name)
        for target in (logger, *logger.handlers):
            if not any(isinstance(f, MaskingFilter) for f in target.filters):
                target.addFilter(MaskingFilter())


DEMO_TOKEN_NAME = "demo"
LOOPBACK = "127.0.0.1"


def configure_logging(settings: Settings) -> Path:
    """Server log (warnings, tracebacks of unexpected errors) to `ORGGRAPH_DATA_DIR/api.log` (mode 0600, also
    for its rotations) and stderr, with personal data and secrets masked (`MaskingFilter`)."""
    path = settings.data_dir / "api.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    logger = logging.getLogger("orggraph")
    if not any(getattr(h, "baseFilename", None) == str(path.resolve()) for h in logger.handlers):
        fh = PrivateRotatingFileHandler(path, maxBytes=20 << 20, backupCount=5, encoding="utf-8")
        fh.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(fh)
        sh = logging.StreamHandler(sys.stderr)
        sh.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        sh.setLevel(logging.WARNING)
        logger.addHandler(sh)
    logger.setLevel(logging.INFO)
    mask_logs("orggraph")
    return path


def _port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def _run(app: FastAPI, host: str, port: int, on_ready: Callable[[], None] | None = None) -> int:
    """Serve until interrupted; `on_ready` runs once the socket listens (a link printed earlier could
    fail)."""
    import uvicorn

    class Server(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets)
            if self.started and on_ready is not None:
                on_ready()

    # No access log: the audit log records every request, with personal data masked (URLs would not be).
    config = uvicorn.Config(
        app, host=host, port=port, access_log=False, log_level="warning", server_header=False
    )
    # uvicorn's own logging is set up by Config: mask it now, and keep its errors in api.log too.
    for handler in logging.getLogger("orggraph").handlers:
        if (
            isinstance(handler, PrivateRotatingFileHandler)
            and handler not in logging.getLogger("uvicorn").handlers
        ):
            logging.getLogger("uvicorn").addHandler(handler)
    mask_logs()
    try:
        Server(config).run()
    except KeyboardInterrupt:  # Ctrl+C is how a server is stopped: a clean exit (as uvicorn.run does)
        pass
    return 0


def is_loopback(host: str) -> bool:
    """Whether `host` (an address or name as given to --host) only listens on this machine."""
    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a name other than localhost may resolve to anything: treat it as open


def serve(settings: Settings, host: str = LOOPBACK, port: int = 8000) -> int:
    """Serve the API and the pages until interrupted; exit status (2 when the settings do not allow it)."""
    from orggraph.api.app import create_app

    if not is_loopback(host) and (not settings.pid_key or settings.pid_key == DEV_PID_KEY):
        # Off this machine the development key would make every pid computable by anyone who reads the source,
        # and it is also the key that seals the phone numbers.
        print(
            f"拒绝在 {host} 上提供服务：未设置 ORGGRAPH_PID_KEY（或使用的是开发用的固定密钥）。"
            "对本机以外开放前，"
            "请设置一个保密的随机密钥（例如 export ORGGRAPH_PID_KEY=$(openssl rand -hex 32)），"
            "且之后不要更改；"
            "只在本机试用时请用 --host 127.0.0.1。",
            file=sys.stderr,
        )
        return 2
    settings.warn_dev_key()
    if not _port_free(host, port):
        print(f"端口 {host}:{port} 已被占用：请用 --port 换一个端口，或先停止占用它的程序。", file=sys.stderr)
        return 1
    log_path = configure_logging(settings)
    app = create_app(settings)

    def ready() -> None:
        print(
            f"orggraph 服务已启动：http://{_url_host(host)}:{port}/docs （接口文档），页面：/pages/overview"
        )
        print(
            f"需要令牌（orggraph token create --role ...）；审计日志：{settings.audit_path}；"
            f"服务日志：{log_path}"
        )
        if not is_loopback(host):
            print(
                "注意：服务对本机以外开放。请在前面加 HTTPS 反向代理，令牌只通过 HTTPS 传输。",
                file=sys.stderr,
            )
        sys.stdout.flush()

    return _run(app, host, port, ready)


def _url_host(host: str) -> str:
    if host in ("0.0.0.0", "::"):
        return LOOPBACK
    return f"[{host}]" if ":" in host else host


def demo_login(settings: Settings, login_codes: LoginCodes) -> tuple[str, str]:
    """A fresh admin token named `demo` (the previous one revoked) and a one-time login code for it."""
    registry = TokenRegistry(tokens_path(settings.data_dir))
    registry.revoke(DEMO_TOKEN_NAME)
    token, _ = registry.create(Role.admin, None, DEMO_TOKEN_NAME)
    return token, login_codes.issue(token)


def serve_demo(settings: Settings, host: str = LOOPBACK, port: int = 8765) -> int:
    """Serve the demo on loopback only, printing a one-time login link (it sets an HttpOnly cookie)."""
    from orggraph.api.app import create_app

    if host != LOOPBACK:
        print(f"演示服务只在本机（{LOOPBACK}）上提供，忽略 {host}。", file=sys.stderr)
        host = LOOPBACK
    if not _port_free(host, port):
        print(
            f"端口 {port} 已被占用：请用 orggraph demo --port 换一个端口，或先停止占用它的程序。",
            file=sys.stderr,
        )
        return 1
    configure_logging(settings)
    codes = LoginCodes(ttl_seconds=24 * 3600)
    token, code = demo_login(settings, codes)
    app = create_app(settings, login_codes=codes)
    base = f"http://{host}:{port}"

    def ready() -> None:
        print()
        print("演示已就绪。在浏览器中打开下面的链接（一次性登录链接，只能用一次）：")
        print(f"\n    {base}/login?code={code}\n")
        print(f"接口文档：{base}/docs    审计日志：{settings.audit_path}")
        print(f"用 curl 调用接口：curl -H 'Authorization: Bearer {token}' {base}/api/coverage")
        print("按 Ctrl+C 停止。")
        sys.stdout.flush()

    return _run(app, host, port, ready)
