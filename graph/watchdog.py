"""The embedded server's watchdog: stops the server once no registered orggraph process uses it any more.

The server is shared by every orggraph process of a data dir and stopped by the last one to release it
(graph/embedded.py). A process killed with SIGKILL (or by the OOM killer) releases nothing, so without this
its server would run on as an orphan. `EmbeddedServer._start` starts one watchdog per server, in its own
session:

    python -m orggraph.graph.watchdog DATA_DIR SERVER_PID

Every second it reads clients/ (the registered processes); after five checks in a row with none alive it
takes server.lock, checks once more, and stops the server as the last user's release would (a clean
SHUTDOWN, after compacting a long AOF). It exits when its server is gone or replaced, or the data dir is.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import time
from pathlib import Path

from orggraph.graph.embedded import EmbeddedServer, EmbeddedServerError, _same_process

__all__ = ["watch"]

log = logging.getLogger("orggraph.watchdog")

INTERVAL = 1.0  # seconds between checks
IDLE_CHECKS = (
    5  # checks in a row with no live user before the server is stopped (a new user has time to come)
)


def watch(data_dir: Path, pid: int, *, interval: float = INTERVAL, idle_checks: int = IDLE_CHECKS) -> str:
    """Watch the server `pid` of `data_dir` until it is stopped or gone; returns why the watch ended."""
    server = EmbeddedServer(data_dir)
    state = server._read_state()
    identity = state.identity if state is not None and state.pid == pid else None
    idle = 0
    while True:
        time.sleep(interval)
        if not server.home.is_dir():
            return "data dir removed"
        state = server._read_state()
        if state is None or state.pid != pid or not _same_process(pid, identity):
            return "server gone"
        if server._live_clients(prune=False):
            idle = 0
            continue
        idle += 1
        if idle < idle_checks:
            continue
        try:
            with server._locked():
                if server._live_clients(prune=True):  # one registered while we waited for the lock
                    idle = 0
                    continue
                state = server._find_running()
                if state is None or state.pid != pid:
                    return "server gone"
                server._shutdown(state)
                return "stopped: no process uses it"
        except (
            EmbeddedServerError
        ) as e:  # the lock stayed busy, or the server would not stop: try again later
            log.warning("watchdog: %s", e)
            idle = 0


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s orggraph watchdog %(process)d: %(message)s")
    try:
        data_dir, pid = Path(argv[0]), int(argv[1])
    except (IndexError, ValueError):
        print("用法：python -m orggraph.graph.watchdog 数据目录 服务器进程号", file=sys.stderr)
        return 2
    with contextlib.suppress(KeyboardInterrupt):
        log.info("watching server pid %d: %s", pid, watch(data_dir, pid))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
