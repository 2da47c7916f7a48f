"""Neo4j store through the official driver: reads routed to followers in READ mode, writes in managed
transactions."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, LiteralString

import neo4j
from neo4j import GraphDatabase, RoutingControl
from neo4j.exceptions import ClientError, DriverError, Neo4jError, ServiceUnavailable, SessionExpired
from orggraph.graph.cypher import statement
from orggraph.graph.store import (
    NEO4J_DDL,
    QueryError,
    QueryTimeout,
    ReadOnlyError,
    Result,
    Store,
    StoreUnavailable,
    plain,
)

__all__ = ["Neo4jStore"]

_CLEAR = statement(
    "neo4j.clear",
    "MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS",
    "清空数据库（演示、测试、恢复）",
    origin=__name__,
)


RETRY_SECONDS = 5.0
CONNECT_SECONDS = 5.0


class Neo4jStore(Store):
    backend = "neo4j"

    def __init__(self, uri: str, user: str, password: str, database: str = "neo4j") -> None:
        self.database = database
        self.uri = uri
        try:
            # Server notifications (deprecations, "this query builds a cartesian product") are advice for a
            # person typing a query; orggraph's statements are fixed, so they would only fill the logs.
            self._driver = GraphDatabase.driver(
                uri,
                auth=(user, password),
                notifications_min_severity="OFF",
                # The driver retries a failed transaction for 30 s by default (and waits 30 s for a
                # connection):
                # with the server down, every request then hangs half a minute before its 503. A few seconds
                # still ride out a dropped connection or a cluster's leader switch.
                max_transaction_retry_time=RETRY_SECONDS,
                connection_timeout=CONNECT_SECONDS,
            )
        except (ValueError, DriverError) as e:
            raise StoreUnavailable(f"无法连接 Neo4j（{uri}）：{e}") from None

    def read(
        self,
        query: LiteralString,
        params: Mapping[str, Any] | None = None,
        *,
        timeout: float | None = None,
        max_rows: int | None = None,
        reply_limit: int | None = None,
    ) -> Result:
        # Rows stream and stop at max_rows; the server bounds a transaction's memory
        # (db.memory.transaction.max);
        # reply_limit bounds what this process keeps: the rows' size as JSON, counted as they arrive.
        try:
            # READ access mode: a cluster sends it to a follower, and the server itself refuses writes.
            with self._driver.session(
                database=self.database, default_access_mode=neo4j.READ_ACCESS
            ) as session:
                # The time limit travels with the transaction: the server stops it
                # (Neo.ClientError.Transaction.
                # TransactionTimedOut...), whatever the client does meanwhile.
                @neo4j.unit_of_work(timeout=timeout)
                def work(tx: neo4j.ManagedTransaction) -> Result:
                    res = tx.run(query, dict(params or {}))
                    rows: list[list[Any]] = []
                    truncated = False
                    size = 0
                    for rec in res:
                        if max_rows is not None and len(rows) >= max_rows:
                            truncated = True
                            break
                        row = [plain(v) for v in rec.values()]
                        if reply_limit is not None:
                            size += len(json.dumps(row, ensure_ascii=False, default=str))
                            if size > reply_limit:
                                raise QueryError(
                                    f"查询结果太大（超过 {reply_limit / (1 << 20):g} MB），已停止读取。"
                                    "请少返回一些列或行（例如不要返回整个节点、不要 collect() "
                                    "全部结果），或加 LIMIT 后重试。"
                                )
                        rows.append(row)
                    return Result(list(res.keys()), rows, truncated)

                return session.execute_read(work)
        except Neo4jError as e:
            raise _translate(e) from None
        except (ServiceUnavailable, SessionExpired, DriverError, OSError) as e:
            raise StoreUnavailable(f"无法连接 Neo4j：{e}") from None

    def explain(self, query: LiteralString, params: Mapping[str, Any] | None = None) -> list[str]:
        try:
            with self._driver.session(
                database=self.database, default_access_mode=neo4j.READ_ACCESS
            ) as session:
                summary = session.run(_explained(query), dict(params or {})).consume()
        except Neo4jError as e:
            raise _translate(e) from None
        except (ServiceUnavailable, SessionExpired, DriverError, OSError) as e:
            raise StoreUnavailable(f"无法连接 Neo4j：{e}") from None
        lines: list[str] = []

        def walk(op: Mapping[str, Any]) -> None:
            name = str(op.get("operatorType", "")).split("@")[0]
            details = (op.get("args") or {}).get("Details", "")
            lines.append(f"{name} | {details}" if details else name)
            for child in op.get("children") or []:
                walk(child)

        if summary.plan:
            walk(summary.plan)
        return lines

    def write(self, query: LiteralString, params: Mapping[str, Any] | None = None) -> Result:
        try:
            records, summary, keys = self._driver.execute_query(
                query, dict(params or {}), database_=self.database, routing_=RoutingControl.WRITE
            )
        except Neo4jError as e:
            raise _translate(e) from None
        except (ServiceUnavailable, SessionExpired, DriverError, OSError) as e:
            raise StoreUnavailable(f"无法连接 Neo4j：{e}") from None
        return Result(list(keys), [[plain(v) for v in r.values()] for r in records])

    def ensure_schema(self) -> None:
        for ddl in NEO4J_DDL:
            self.write(ddl)

    def clear(self) -> None:
        try:
            with self._driver.session(database=self.database) as session:
                session.run(_CLEAR).consume()
        except Neo4jError as e:
            raise _translate(e) from None

    @property
    def cache_identity(self) -> str:
        # No data_version: Neo4j keeps no cheap change token that a write from any client moves (answers
        # cached from here are kept only for a short time).
        return f"neo4j:{self.uri}/{self.database}"

    def commit_token(self) -> str | None:
        """The bookmark a read session ends with: it names the last transaction committed to the database, so
        it moves with every write by any client (not used for caching: it costs a round trip)."""
        try:
            with self._driver.session(
                database=self.database, default_access_mode=neo4j.READ_ACCESS
            ) as session:
                session.run(_COMMIT_PROBE).consume()
                return ",".join(sorted(session.last_bookmarks().raw_values))
        except Neo4jError as e:
            raise _translate(e) from None
        except (ServiceUnavailable, SessionExpired, DriverError, OSError) as e:
            raise StoreUnavailable(f"无法连接 Neo4j：{e}") from None

    def ping(self) -> None:
        try:
            self._driver.verify_connectivity()
        except Exception as e:  # any failure means "not reachable"
            raise StoreUnavailable(f"无法连接 Neo4j：{e}") from None

    def close(self) -> None:
        self._driver.close()


_COMMIT_PROBE = statement(
    "neo4j.commit_probe", "RETURN 1", "读取最后提交的事务标记（导入的变更记录用）", origin=__name__
)


def _explained(query: LiteralString) -> LiteralString:
    return "EXPLAIN " + query


def _translate(e: Neo4jError) -> Exception:
    code = e.code or ""
    if (
        "AccessMode" in code
        or "ForbiddenOnReadOnlyDatabase" in code
        or "WriteOnReadOnlyAccessDbException" in code
    ):
        return ReadOnlyError(
            "只读查询中不允许写入（CREATE/MERGE/SET/DELETE 等）。请只使用 MATCH … RETURN 读取数据。"
        )
    if "MemoryPoolOutOfMemory" in code:  # db.memory.transaction.max (README, "Containment")
        return QueryError(
            "查询占用的内存超过数据库的上限，已被中止。请缩小范围：加 LIMIT、限定编码，"
            "避免对全部节点 collect()。"
        )
    if "TransactionTimedOut" in code or "Timeout" in code:
        return QueryTimeout("查询超过时间限制，已被中止。请缩小范围（加 LIMIT、限定编码）后重试。")
    if isinstance(e, ClientError):
        return QueryError(f"查询有误：{e.message}")
    return StoreUnavailable(f"Neo4j 出错：{e.message}")
