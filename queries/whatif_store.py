"""Scratch graphs for what-if scenarios: a writable copy of the store that is thrown away afterwards.

A scenario's changes are written to a scratch graph and the product's own coverage and gap statements are run
against it, so "after" is computed exactly as a real load of the changed ledgers would be reported:

- **FalkorDB**: `GRAPH.COPY` of the graph (with its indexes and constraints) to a temporary key named
  `<graph>~whatif~<unix time>~<random>`, deleted in `finally`. A copy left behind by a crash is deleted by the
  next scenario on the same server once it is older than `STALE_SECONDS` (older than any scenario can run).
  The copy forks the server, so it waits for no other fork (AOF rewrite, save, copy) to be running (`_copy`).
- **Neo4j**: one explicit transaction holding the changes and every read of the scenario, always rolled back;
  the transaction carries the scenario's time limit, so the server stops it (and drops its changes) however
  the client ends.

Either way the real graph is never written. Every read of a scenario is bounded by one deadline
(`Bounded`): each read gets the time that is left, and a read asked for after the deadline is refused with
`QueryTimeout`.
"""

from __future__ import annotations

import contextlib
import secrets
import threading
import time
from collections.abc import Iterator, Mapping
from typing import Any, LiteralString

from orggraph.graph.store import QueryTimeout, Result, Store, StoreUnavailable, plain

__all__ = ["Bounded", "STALE_SECONDS", "scratch_copy", "stale_copies"]

STALE_SECONDS = 900.0
_MARK = "~whatif~"
_TIMEOUT_TEXT = (
    "模拟调整超过时间限制（{:g} 秒），已中止，真实数据未作任何改动。请减少调整项或缩小范围后重试。"
)


class Bounded(Store):
    """A store whose reads (and writes) share one deadline: each read gets the time that is left."""

    def __init__(self, inner: Store, timeout: float) -> None:
        self._inner = inner
        self.backend = inner.backend
        self.timeout = timeout
        self._deadline = time.monotonic() + timeout

    def left(self) -> float:
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise QueryTimeout(_TIMEOUT_TEXT.format(self.timeout))
        return left

    def read(
        self,
        query: LiteralString,
        params: Mapping[str, Any] | None = None,
        *,
        timeout: float | None = None,
        max_rows: int | None = None,
        reply_limit: int | None = None,
    ) -> Result:
        left = self.left()
        return self._inner.read(
            query,
            params,
            timeout=min(left, timeout) if timeout else left,
            max_rows=max_rows,
            reply_limit=reply_limit,
        )

    def write(self, query: LiteralString, params: Mapping[str, Any] | None = None) -> Result:
        self.left()
        return self._inner.write(query, params)

    def ensure_schema(self) -> None:  # pragma: no cover - scratch graphs have their schema already
        self._inner.ensure_schema()

    def clear(self) -> None:  # pragma: no cover - never cleared: scratch graphs are dropped whole
        raise StoreUnavailable("模拟调整的临时图不能清空。")

    def ping(self) -> None:
        self._inner.ping()


class _Transaction(Store):
    """Reads and writes inside one open Neo4j transaction (never committed)."""

    backend = "neo4j"

    def __init__(self, tx: Any) -> None:
        self._tx = tx

    def _run(self, query: str, params: Mapping[str, Any] | None) -> Result:
        from neo4j.exceptions import DriverError, Neo4jError, ServiceUnavailable, SessionExpired
        from orggraph.graph.neo4j_store import _translate

        try:
            res = self._tx.run(query, dict(params or {}))
            rows = [[plain(v) for v in rec.values()] for rec in res]
            return Result(list(res.keys()), rows)
        except Neo4jError as e:
            raise _translate(e) from None
        except (ServiceUnavailable, SessionExpired, DriverError, OSError) as e:
            raise StoreUnavailable(f"无法连接 Neo4j：{e}") from None

    def read(
        self,
        query: LiteralString,
        params: Mapping[str, Any] | None = None,
        *,
        timeout: float | None = None,
        max_rows: int | None = None,
        reply_limit: int | None = None,
    ) -> Result:
        r = self._run(query, params)
        if max_rows is not None and len(r.rows) > max_rows:
            r.rows, r.truncated = r.rows[:max_rows], True
        return r

    def write(self, query: LiteralString, params: Mapping[str, Any] | None = None) -> Result:
        return self._run(query, params)

    def ensure_schema(self) -> None:  # pragma: no cover
        pass

    def clear(self) -> None:  # pragma: no cover
        raise StoreUnavailable("模拟调整的事务不能清空数据库。")

    def ping(self) -> None:
        pass


def _falkor_parts(store: Store) -> tuple[Any, str, str, str]:
    """(FalkorDB client, graph name, backend, location) of a FalkorDB store (or a test double's)."""
    inner: Any = getattr(store, "_inner", store)
    return inner._db, inner.graph_name, inner.backend, inner._location


def stale_copies(names: list[str], graph: str, now: float, older_than: float = STALE_SECONDS) -> list[str]:
    """The scratch copies of `graph` among `names` (a GRAPH.LIST) made more than `older_than` seconds ago."""
    out = []
    for n in names:
        if not n.startswith(graph + _MARK):
            continue
        stamp = n[len(graph + _MARK) :].split("~", 1)[0]
        if stamp.isdigit() and now - int(stamp) > older_than:
            out.append(n)
    return out


def _drop_stale(conn: Any, graph: str) -> None:
    with contextlib.suppress(Exception):
        listed = [n.decode() if isinstance(n, bytes) else str(n) for n in conn.execute_command("GRAPH.LIST")]
        for n in stale_copies(listed, graph, time.time()):
            with contextlib.suppress(Exception):
                conn.execute_command("GRAPH.DELETE", n)


_FORKS = ("aof_rewrite_in_progress", "rdb_bgsave_in_progress", "module_fork_in_progress")
_COPY_LOCK = threading.Lock()  # one GRAPH.COPY at a time from this process: each forks the server


def _copy(db: Any, graph: str, name: str, timeout: float) -> None:
    """`GRAPH.COPY graph name`, within `timeout` seconds (QueryTimeout past it).

    GRAPH.COPY forks the server to dump the graph, and Redis runs one fork at a time: on FalkorDB 4.16 a copy
    whose fork is refused because an AOF rewrite (or another copy) is running never answers. So the copy waits
    until the server has no fork running, one copy at a time from this process, and is sent on a connection of
    its own whose reads time out with the scenario, so a copy that hangs regardless is cut, not waited for.
    """
    import redis
    import redis.exceptions

    deadline = time.monotonic() + timeout
    conn = db.connection
    if not _COPY_LOCK.acquire(timeout=timeout):
        raise QueryTimeout(_TIMEOUT_TEXT.format(timeout))
    try:
        while any(int(conn.info("persistence").get(k) or 0) for k in _FORKS):
            if time.monotonic() > deadline:
                raise QueryTimeout(_TIMEOUT_TEXT.format(timeout))
            time.sleep(0.05)
        pool = conn.connection_pool
        kwargs = {**pool.connection_kwargs, "socket_timeout": max(0.05, deadline - time.monotonic())}
        own = redis.Redis(
            connection_pool=redis.ConnectionPool(connection_class=pool.connection_class, **kwargs)
        )
        try:
            own.execute_command("GRAPH.COPY", graph, name)
        except redis.exceptions.TimeoutError:
            raise QueryTimeout(_TIMEOUT_TEXT.format(timeout)) from None
        finally:
            with contextlib.suppress(Exception):
                own.close()
                own.connection_pool.disconnect()
    finally:
        _COPY_LOCK.release()


def _forget(conn: Any, name: str) -> None:
    """Drop a copy that may have been made after all (a cut copy can still finish on the server)."""
    with contextlib.suppress(Exception):
        conn.execute_command("GRAPH.DELETE", name)


def _reap_later(conn: Any, name: str, seconds: float = 120.0) -> None:
    """A copy cut for time may still be made by the server: watch for it a while and drop it when it comes."""

    def reap() -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            with contextlib.suppress(Exception):
                if conn.exists(name):
                    conn.execute_command("GRAPH.DELETE", name)
                    return
            time.sleep(0.2)

    threading.Thread(target=reap, name="orggraph-whatif-reaper", daemon=True).start()


@contextlib.contextmanager
def scratch_copy(store: Store, timeout: float) -> Iterator[Bounded]:
    """A writable copy of `store`'s graph for one scenario (`timeout` seconds), then dropped."""
    if store.backend == "neo4j":
        inner: Any = getattr(store, "_inner", store)
        import neo4j

        try:
            session = inner._driver.session(database=inner.database, default_access_mode=neo4j.WRITE_ACCESS)
            tx = session.begin_transaction(timeout=timeout)
        except Exception as e:
            raise StoreUnavailable(f"无法连接 Neo4j：{e}") from None
        try:
            yield Bounded(_Transaction(tx), timeout)
        finally:
            with contextlib.suppress(Exception):
                tx.rollback()
            with contextlib.suppress(Exception):
                session.close()
        return
    import redis.exceptions
    from orggraph.graph.falkor import DATA_VERSION_KEY, FalkorStore

    db, graph, backend, location = _falkor_parts(store)
    conn = db.connection
    _drop_stale(conn, graph)
    name = f"{graph}{_MARK}{int(time.time())}~{secrets.token_hex(6)}"
    bounded_start = time.monotonic()
    try:
        _copy(db, graph, name, timeout)
    except redis.exceptions.ResponseError as e:
        if "empty key" not in str(e).lower() and "not exist" not in str(e).lower():
            _forget(conn, name)
            raise StoreUnavailable(f"无法复制图用于模拟调整：{e}") from None
    except QueryTimeout:
        _forget(conn, name)
        _reap_later(conn, name)
        raise
    except redis.exceptions.RedisError as e:
        _forget(conn, name)
        raise StoreUnavailable(f"无法复制图用于模拟调整：{e}") from None
    copy = FalkorStore(db, name, backend=backend, location=location + "#whatif")
    try:
        yield Bounded(copy, max(0.001, timeout - (time.monotonic() - bounded_start)))
    finally:
        with contextlib.suppress(Exception):
            conn.execute_command("GRAPH.DELETE", name)
        with contextlib.suppress(Exception):
            conn.delete(DATA_VERSION_KEY.format(graph=name))
