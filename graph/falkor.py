"""FalkorDB store: the embedded server orggraph runs itself, or an external `falkordb://host:port`."""

from __future__ import annotations

import contextlib
import math
import secrets
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, LiteralString, TypeVar
from urllib.parse import urlparse

import redis
import redis.exceptions
from falkordb import FalkorDB
from orggraph.graph.cypher import statement
from orggraph.graph.schema import NODES
from orggraph.graph.store import (
    FALKOR_INDEXES,
    QueryError,
    QueryTimeout,
    ReadOnlyError,
    Result,
    Store,
    StoreError,
    StoreUnavailable,
    plain,
)
from redis._parsers.resp2 import _RESP2Parser
from redis._parsers.socket import SocketBuffer
from redis.utils import SENTINEL

__all__ = ["DATA_VERSION_KEY", "FalkorStore"]


T = TypeVar("T")


class _ReplyLimit(redis.exceptions.RedisError):
    """A capped reply grew past its byte cap or deadline (the connection is then dropped, the rest unread).
    `waiting`: no reply had come by the deadline, so the server is most likely still running the query."""

    def __init__(self, too_large: bool, waiting: bool = False) -> None:
        super().__init__("reply too large" if too_large else "reply too slow")
        self.too_large = too_large
        self.waiting = waiting


_reply_cap = threading.local()  # .bytes, .deadline: set around one capped read in this thread


class _CappedBuffer(SocketBuffer):
    def _read_from_socket(
        self, length: int | None = None, timeout: Any = SENTINEL, raise_on_timeout: bool | None = True
    ) -> bool:
        cap, deadline = getattr(_reply_cap, "bytes", None), getattr(_reply_cap, "deadline", None)
        if deadline is not None and timeout is SENTINEL:
            # FalkorDB checks its time limit between operations only: building one huge list or sorting one
            # can run on for a minute past it. The reply is waited for until the deadline, not longer.
            try:
                got = super()._read_from_socket(
                    length, max(0.001, deadline - time.monotonic()), raise_on_timeout
                )
            except redis.exceptions.TimeoutError:
                raise _ReplyLimit(too_large=False, waiting=self._buffer.getbuffer().nbytes == 0) from None
        else:
            got = super()._read_from_socket(length, timeout, raise_on_timeout)
        size = self._buffer.getbuffer().nbytes
        if cap is not None and size > cap:
            raise _ReplyLimit(too_large=True)
        # Only a large reply is cut for time: a short one (an error after a slow query) is read whole.
        if deadline is not None and size > _SLOW_REPLY_BYTES and time.monotonic() > deadline:
            raise _ReplyLimit(too_large=False)
        return got


class _CappedParser(_RESP2Parser):
    """The RESP2 parser reading through a buffer that stops at the byte cap and deadline of the current
    capped read: an analyst's reply is never read whole into memory past the cap."""

    def on_connect(self, connection: Any) -> None:
        super().on_connect(connection)
        assert self._sock is not None  # on_connect: the socket is open
        self._buffer = _CappedBuffer(self._sock, self.socket_read_size, connection.socket_timeout)


_UNAVAILABLE = (
    "无法连接图数据库（FalkorDB）：{}。请确认服务已启动；内置存储请查看数据目录下 falkordb/server.log。"
)


DATA_VERSION_KEY = "orggraph:data-version:{graph}"

# What ensure_schema finds already there (FalkorDB procedures; Neo4j has IF NOT EXISTS instead).
_INDEXES = statement(
    "ddl.falkordb.indexes",
    "CALL db.indexes() YIELD label, properties, entitytype WHERE entitytype = 'NODE' RETURN label, "
    "properties",
    "已有的索引（只创建缺少的）",
    origin=__name__,
    neo4j=False,
)
_CONSTRAINTS = statement(
    "ddl.falkordb.constraints",
    "CALL db.constraints() YIELD type, label, properties, entitytype "
    "WHERE type = 'UNIQUE' AND entitytype = 'NODE' RETURN label, properties",
    "已有的唯一约束（只创建缺少的）",
    origin=__name__,
    neo4j=False,
)
_REPLY_GRACE = 3.0  # seconds to read a capped reply past the query's own time limit
_SLOW_REPLY_BYTES = 1 << 20  # a reply smaller than this is never cut for time


class FalkorStore(Store):
    """A graph on a FalkorDB server.

    Every write and clear (and a restore, through `mark_changed`) sets the Redis key DATA_VERSION_KEY beside
    the graph to a new random token: `data_version` is then one GET, and every process on the same server
    (`orggraph serve` while `orggraph load` runs in another) sees the change at once. A token, not a counter:
    a data directory made anew starts no count over that a cache could mistake for its old one.
    """

    def __init__(
        self, db: FalkorDB, graph_name: str, *, backend: str, server: Any = None, location: str = ""
    ) -> None:
        self._db = db
        self._graph = db.select_graph(graph_name)
        self.graph_name = graph_name
        self.backend = backend
        self._server = server  # EmbeddedServer when we share the embedded one
        self._location = location  # the data directory or host:port
        self._version_key = DATA_VERSION_KEY.format(graph=graph_name)
        self._capped: Any = None  # the graph on connections of their own for reads with reply_limit
        self._capped_lock = threading.Lock()

    @classmethod
    def embedded(cls, data_dir: Path, graph_name: str = "orggraph") -> FalkorStore:
        from orggraph.graph.embedded import EmbeddedServer, EmbeddedServerError

        server = EmbeddedServer(Path(data_dir))
        try:
            sock = server.acquire()
        except EmbeddedServerError as e:
            raise StoreUnavailable(str(e)) from None
        try:
            db = FalkorDB(unix_socket_path=sock)
        except Exception:
            server.release()
            raise
        return cls(
            db, graph_name, backend="falkordb-embedded", server=server, location=str(Path(data_dir).resolve())
        )

    @classmethod
    def connect_url(cls, url: str, graph_name: str = "orggraph") -> FalkorStore:
        u = urlparse(url)
        db = FalkorDB(
            host=u.hostname or "localhost", port=u.port or 6379, password=u.password, username=u.username
        )
        return cls(
            db, graph_name, backend="falkordb", location=f"{u.hostname or 'localhost'}:{u.port or 6379}"
        )

    @property
    def server(self) -> Any:
        return self._server

    @property
    def connection(self) -> Any:
        """The raw redis connection (backup, config)."""
        return self._db.connection

    def _capped_graph(self) -> Any:
        """The graph on a connection pool of its own whose replies are read through _CappedParser."""
        with self._capped_lock:
            if self._capped is None:
                pool = self._db.connection.connection_pool
                kwargs = {**pool.connection_kwargs, "parser_class": _CappedParser}
                capped_pool = redis.ConnectionPool(connection_class=pool.connection_class, **kwargs)
                self._capped = FalkorDB(connection_pool=capped_pool).select_graph(self.graph_name)
            return self._capped

    def _query(
        self,
        graph: Any,
        query: str,
        params: Mapping[str, Any] | None,
        *,
        read_only: bool,
        timeout_ms: int | None,
    ) -> Any:
        try:
            return graph._query(query, params=dict(params or {}), timeout=timeout_ms, read_only=read_only)
        except redis.exceptions.ConnectionError as e:
            raise StoreUnavailable(_UNAVAILABLE.format(e)) from None
        except redis.exceptions.TimeoutError as e:
            raise StoreUnavailable(_UNAVAILABLE.format(e)) from None
        except redis.exceptions.ResponseError as e:
            if not (read_only and "empty key" in str(e)):
                raise _translate(e) from None
            # The graph does not exist yet (a new data dir, or after clear()): create it empty and read
            # that, so a read answers as on any empty graph (`count(n)` is 0, not no row at all).
            try:
                self._graph._query("RETURN 0")
                return graph._query(query, params=dict(params or {}), timeout=timeout_ms, read_only=True)
            except redis.exceptions.ResponseError as e2:
                raise _translate(e2) from None

    def _run(
        self,
        query: str,
        params: Mapping[str, Any] | None,
        *,
        read_only: bool,
        timeout_ms: int | None,
        reply_limit: int | None = None,
    ) -> Result:
        if reply_limit is None:
            res = self._query(self._graph, query, params, read_only=read_only, timeout_ms=timeout_ms)
        else:
            _reply_cap.bytes = reply_limit
            # The store stops the query at its time limit; reading a reply it produced in time gets a few
            # seconds more, then it is cut (a 20-million-element list took minutes to parse).
            _reply_cap.deadline = time.monotonic() + (timeout_ms or 30_000) / 1000 + _REPLY_GRACE
            try:
                res = self._query(
                    self._capped_graph(), query, params, read_only=read_only, timeout_ms=timeout_ms
                )
            except _ReplyLimit as e:
                if e.too_large:
                    raise QueryError(
                        f"查询结果太大（超过 {reply_limit / (1 << 20):g} MB），已停止读取。"
                        "请少返回一些列或行（例如不要返回整个节点、不要 collect() 全部结果），或加 "
                        "LIMIT 后重试。"
                    ) from None
                if e.waiting:
                    raise QueryTimeout(
                        "查询超过时间限制，已停止等待。请缩小范围（加 LIMIT、限定编码，避免过大的 "
                        "range()、排序）后重试。",
                        still_running=True,
                    ) from None
                raise QueryTimeout(
                    "查询结果太大，在时间限制内没能读完，已中止。请缩小范围（加 LIMIT、限定编码）后重试。"
                ) from None
            finally:
                _reply_cap.bytes = _reply_cap.deadline = None
        header = [h[1] if isinstance(h, (list, tuple)) else h for h in (res.header or [])]
        columns = [h.decode() if isinstance(h, bytes) else str(h) for h in header]
        return Result(columns, [[plain(v) for v in row] for row in res.result_set or []])

    def read(
        self,
        query: LiteralString,
        params: Mapping[str, Any] | None = None,
        *,
        timeout: float | None = None,
        max_rows: int | None = None,
        reply_limit: int | None = None,
    ) -> Result:
        timeout_ms = max(1, math.ceil(timeout * 1000)) if timeout else None
        r = self._run(query, params, read_only=True, timeout_ms=timeout_ms, reply_limit=reply_limit)
        if max_rows is not None and len(r.rows) > max_rows:
            r.rows = r.rows[:max_rows]
            r.truncated = True
        return r

    def explain(self, query: LiteralString, params: Mapping[str, Any] | None = None) -> list[str]:
        text = self._graph._build_params_header(dict(params or {})) + query
        try:
            plan = self._db.connection.execute_command("GRAPH.EXPLAIN", self.graph_name, text)
        except redis.exceptions.ConnectionError as e:
            raise StoreUnavailable(_UNAVAILABLE.format(e)) from None
        except redis.exceptions.ResponseError as e:
            raise _translate(e) from None
        return [(op.decode() if isinstance(op, bytes) else str(op)).strip() for op in plan]

    def write(self, query: LiteralString, params: Mapping[str, Any] | None = None) -> Result:
        with self._changing():
            return self._run(query, params, read_only=False, timeout_ms=None)

    @contextlib.contextmanager
    def _changing(self) -> Iterator[None]:
        """Around every write: a new data_version once it is done. After a failure too: a refused query
        changed nothing, but one whose connection broke may have run."""
        try:
            yield
        except StoreError:
            with contextlib.suppress(StoreError):
                self.mark_changed()
            raise
        self.mark_changed()

    @property
    def cache_identity(self) -> str:
        return f"{self.backend}:{self._location}/{self.graph_name}"

    def data_version(self) -> str:
        """The token the last change set ("" when nothing was written since this key was introduced)."""
        try:
            v = self._db.connection.get(self._version_key)
        except redis.exceptions.ResponseError as e:
            raise _translate(e) from None
        except redis.exceptions.RedisError as e:
            raise StoreUnavailable(_UNAVAILABLE.format(e)) from None
        return v.decode() if isinstance(v, bytes) else str(v or "")

    def mark_changed(self) -> None:
        try:
            self._db.connection.set(self._version_key, secrets.token_hex(8))
        except redis.exceptions.ResponseError as e:
            raise _translate(e) from None
        except redis.exceptions.RedisError as e:
            raise StoreUnavailable(_UNAVAILABLE.format(e)) from None

    def write_stream(self, writes: Iterable[tuple[LiteralString, Mapping[str, Any], T]]) -> Iterator[T]:
        """Writes in order, each encoded (parameters as the CYPHER header text) by a worker thread while the
        server runs the one before: the client's encoding, a third of a load's write time when done in
        turn, then overlaps the server's work (the socket wait releases the GIL)."""

        def encode(query: str, params: Mapping[str, Any]) -> str:
            return self._graph._build_params_header(dict(params)) + query

        with ThreadPoolExecutor(1, thread_name_prefix="orggraph-encode") as pool:
            pending: tuple[Future[str], T] | None = None
            for query, params, tag in writes:
                ahead = (pool.submit(encode, query, params), tag)
                if pending is not None:
                    self._send(pending[0].result())
                    yield pending[1]
                pending = ahead
            if pending is not None:
                self._send(pending[0].result())
                yield pending[1]

    def _send(self, text: str) -> None:
        with self._changing():
            try:
                reply = self._db.connection.execute_command("GRAPH.QUERY", self.graph_name, text, "--compact")
                if isinstance(reply, list) and reply:  # a runtime error can come inside the reply, not raised
                    for part in (reply[0], reply[-1]):
                        if isinstance(part, redis.exceptions.ResponseError):
                            raise part
            except redis.exceptions.ConnectionError as e:
                raise StoreUnavailable(_UNAVAILABLE.format(e)) from None
            except redis.exceptions.TimeoutError as e:
                raise StoreUnavailable(_UNAVAILABLE.format(e)) from None
            except redis.exceptions.ResponseError as e:
                raise _translate(e) from None

    def ensure_schema(self) -> None:
        """Create the indexes and unique constraints the graph lacks, and only those.

        FalkorDB 4.16 writes every successful GRAPH.CONSTRAINT CREATE to the AOF twice (a restart replays
        the second copy, refused: "Constraint already exists"); so once anything was created, the AOF is
        rewritten as a snapshot (`checkpoint`), which holds the schema once and gives the next start (or a
        crash recovery) its indexes from the base. A graph that has its schema costs two reads, no write.
        """
        indexed = {(row[0], p) for row in self.read(_INDEXES).rows for p in row[1] or ()}
        constrained = {(row[0], tuple(row[1] or ())) for row in self.read(_CONSTRAINTS).rows}
        created = False
        for label, prop, ddl in FALKOR_INDEXES:
            if (label, prop) in indexed:
                continue
            try:
                self._graph.query(ddl)
                created = True
            except redis.exceptions.ResponseError as e:
                if "already indexed" not in str(e):
                    raise _translate(e) from None
            except redis.exceptions.ConnectionError as e:
                raise StoreUnavailable(_UNAVAILABLE.format(e)) from None
        for n in NODES.values():
            if (n.label, (n.key,)) in constrained:
                continue
            try:
                self._db.connection.execute_command(
                    "GRAPH.CONSTRAINT",
                    "CREATE",
                    self.graph_name,
                    "UNIQUE",
                    "NODE",
                    n.label,
                    "PROPERTIES",
                    1,
                    n.key,
                )
                created = True
            except redis.exceptions.ResponseError as e:
                if "already exists" not in str(e).lower():
                    raise _translate(e) from None
            except redis.exceptions.ConnectionError as e:
                raise StoreUnavailable(_UNAVAILABLE.format(e)) from None
        if created:
            self.checkpoint()

    def clear(self) -> None:
        try:
            self._graph.delete()
        except redis.exceptions.ResponseError as e:
            if "empty key" not in str(e).lower() and "invalid graph" not in str(e).lower():
                raise _translate(e) from None
        self.mark_changed()

    def ping(self) -> None:
        try:
            self._db.connection.ping()
        except redis.exceptions.RedisError as e:
            raise StoreUnavailable(_UNAVAILABLE.format(e)) from None

    def checkpoint(self, *, timeout: float = 3600.0) -> None:
        """Rewrite the embedded server's append-only file as an RDB snapshot and wait for it.

        Redis replays the AOF on every start; FalkorDB replays a load's GRAPH.QUERY batches there far more
        slowly than it ran them live (a 20,000-resident load: minutes), whereas an RDB-based AOF loads in
        seconds. Only the embedded server (whose files are ours); a failed rewrite is logged, not raised:
        the data is safe in the old AOF either way.
        """
        if self._server is None:
            return
        from orggraph.graph.embedded import rewrite_aof

        rewrite_aof(self._db.connection, timeout)

    def close(self) -> None:
        if self._capped is not None:
            with contextlib.suppress(Exception):
                self._capped.client.connection.close()
        try:
            self._db.connection.close()
        except Exception:  # closing must never fail the caller
            pass
        if self._server is not None:
            self._server.release()
            self._server = None


def _translate(e: redis.exceptions.ResponseError) -> Exception:
    msg = str(e)
    low = msg.lower()
    if low.startswith("misconf") or "no space left" in low:
        return StoreUnavailable(
            f"图数据库无法写入磁盘（{msg}）：数据目录所在的磁盘空间可能已满。"
            "已写入的数据完好；请释放磁盘空间后重新运行同一命令（导入可重复执行，不会重复写入）。"
        )
    if "mem" in low and "capacity" in low:
        return QueryError(
            "查询占用的内存超过上限（每个查询 1 GB），已被中止。请缩小范围：加 LIMIT、限定编码，"
            "避免对全部节点 collect() 或过大的 UNWIND。"
        )
    if "max pending queries" in low:
        return StoreUnavailable("图数据库正在排队的查询太多，暂时不接受新查询。请稍后重试。")
    if "read-only" in low or "ro_query" in low:
        return ReadOnlyError(
            "只读查询中不允许写入（CREATE/MERGE/SET/DELETE 等）。请只使用 MATCH … RETURN 读取数据。"
        )
    if "timed out" in low or "timeout" in low:
        return QueryTimeout("查询超过时间限制，已被中止。请缩小范围（加 LIMIT、限定编码）后重试。")
    return QueryError(f"查询有误：{msg}")
