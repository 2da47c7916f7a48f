"""The watchdog of the embedded store under `orggraph serve`: notices a dead or hung embedded server, restarts
it (bounded retries) and keeps what `GET /api/health` answers meanwhile.

Every second it PINGs the server over a connection of its own (2 s timeout):

- answered: `ok`;
- refused / no socket (the server died or was killed): `recovering`, and it restarts the server at once
  (EmbeddedServer.revive: the same socket, so the store's connection pool reconnects by itself);
- no answer for HANG_AFTER seconds while the server had answered before (frozen, or SIGSTOPped): it is
  killed (SIGKILL; the AOF keeps all but its last second) and restarted the same way;
- a server replaying its data after a start says LOADING: `recovering` until it is done.

A restart is tried up to MAX_ATTEMPTS times, waiting 1, 2, 4… s between tries; if all fail the status is
`unavailable` and a new round of tries starts every RETRY_AFTER_GIVING_UP seconds (the server log says why).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

__all__ = ["Watchdog", "OK", "RECOVERING", "UNAVAILABLE"]

log = logging.getLogger("orggraph.api")

OK, RECOVERING, UNAVAILABLE = "ok", "recovering", "unavailable"


class Watchdog:
    INTERVAL = 1.0  # seconds between pings
    PING_TIMEOUT = 2.0
    HANG_AFTER = 15.0  # seconds without an answer from a server that had answered: hung
    MAX_ATTEMPTS = 5
    RETRY_AFTER_GIVING_UP = 60.0

    def __init__(self, server: Any) -> None:
        self.server = server  # graph.embedded.EmbeddedServer
        self.status = OK
        self.restarts = 0  # servers started by this watchdog
        self.last_ok = time.monotonic()
        self._socket: str = server.socket_path
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="orggraph-watchdog", daemon=True)

    def start(self) -> Watchdog:
        self._thread.start()
        return self

    @property
    def current(self) -> str:
        """What health answers: the status, `recovering` also while the server has not answered for a
        while."""
        if self.status == OK and time.monotonic() - self.last_ok > 2 * self.INTERVAL + self.PING_TIMEOUT:
            return RECOVERING
        return self.status

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            # A restart under way is waited for (bounded by the server's start timeout), so the caller's
            # release of the server that follows cannot leave a just-started one behind.
            busy = self.status != OK
            self._thread.join(timeout=self.server.start_timeout + 10 if busy else self.PING_TIMEOUT + 5)

    # -- the loop --

    def _run(self) -> None:
        unanswered_since: float | None = None
        while not self._stop.wait(self.INTERVAL):
            try:
                outcome = self._ping()
            except Exception:  # the watchdog must outlive anything it meets
                log.exception("watchdog: ping failed unexpectedly")
                outcome = "dead"
            now = time.monotonic()
            if outcome == "ok":
                unanswered_since = None
                self.last_ok = now
                if self.status != OK:
                    log.warning("embedded store answers again")
                self.status = OK
            elif outcome == "loading":
                unanswered_since = None
                self.status = RECOVERING
            elif outcome == "silent":
                unanswered_since = unanswered_since or now
                if now - unanswered_since >= self.HANG_AFTER:
                    self.status = RECOVERING
                    pid = self.server.server_pid()
                    if pid is not None:
                        self.server.kill_unresponsive(pid)
                    self._recover()
                    unanswered_since = None
            else:  # dead
                unanswered_since = None
                self._recover()

    def _ping(self) -> str:
        conn = redis.Redis(
            unix_socket_path=self._socket,
            socket_timeout=self.PING_TIMEOUT,
            socket_connect_timeout=self.PING_TIMEOUT,
            retry=Retry(NoBackoff(), 0),  # one try: the loop is the retry
        )
        try:
            conn.ping()
            return "ok"
        except redis.BusyLoadingError:
            return "loading"
        except redis.TimeoutError:
            return "silent"
        except (redis.RedisError, OSError):
            return "dead"
        finally:
            conn.close()

    def _recover(self) -> None:
        """Restart the server with bounded retries; the status says how it went."""
        self.status = RECOVERING
        t0 = time.monotonic()
        for attempt in range(1, self.MAX_ATTEMPTS + 1):
            if self._stop.is_set():
                return
            try:
                self._socket = self.server.revive()
            except Exception as e:  # EmbeddedServerError, or the disk, or the lock
                log.error(
                    "watchdog: restarting the embedded store failed (try %d of %d): %s",
                    attempt,
                    self.MAX_ATTEMPTS,
                    e,
                )
                if self._stop.wait(min(2 ** (attempt - 1), 16)):
                    return
                continue
            self.restarts += 1
            log.warning(
                "watchdog: embedded store running again after %.1f s (try %d)", time.monotonic() - t0, attempt
            )
            return  # the next ping says ok (or loading)
        self.status = UNAVAILABLE
        log.error(
            "watchdog: the embedded store did not restart after %d tries; trying again in %.0f s",
            self.MAX_ATTEMPTS,
            self.RETRY_AFTER_GIVING_UP,
        )
        self._stop.wait(self.RETRY_AFTER_GIVING_UP)
