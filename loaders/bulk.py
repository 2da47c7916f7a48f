"""First loads into an empty FalkorDB graph through the engine's bulk path (GRAPH.BULK).

A load into an empty graph has nothing to MERGE with: every node and relationship is new. FalkorDB's
GRAPH.BULK builds a graph from packed binary rows (the protocol of FalkorDB's own `falkordb-bulk-loader`
package, whose `falkordb-bulk-insert` writes it from CSV files) with no query planning, no index look-ups and
no MERGE, 2 to 3 times faster than the same rows as UNWIND/MERGE batches. This module writes that protocol
straight from the loader's spool, so the rows are validated, transformed, tracked for the change record and
given their 拼音首字母 exactly as for any load (loaders/importer.py); only the last step, the writes,
differs:

- nodes get ids in the order they are sent (0, 1, 2, … in a new graph); relationships name their ends by
  those ids, so the loader keeps a key → id map per label while it sends;
- each GRAPH.BULK command is bounded (`COMMAND_BYTES`) and sent on a connection of its own with a long socket
  timeout (`SOCKET_TIMEOUT`), while the next one is packed;
- once everything is in, the indexes and unique constraints are created (`Store.ensure_schema`), their
  background build waited for, and the embedded server's append-only file rewritten as a snapshot.

Same result as the MERGE path, row for row: the key property from `row.key`, then the row's properties
(a null property is left out, as `SET n += {p: null}` leaves it out), `key` on the relationships that may hold
several times. A row the bulk path cannot take (two rows for one node, the removal of a relationship, a value
GRAPH.BULK cannot carry) makes it clear the graph it started and write everything with MERGE instead: the
graph was empty, so clearing it restores exactly what was there.

Neo4j has no such path for a running server (`neo4j-admin database import` needs it stopped, see `orggraph
export --neo4j-admin`), so loads into Neo4j always use the UNWIND/MERGE batches.
"""

from __future__ import annotations

import contextlib
import struct
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import redis
from orggraph.graph.cypher import statement
from orggraph.graph.schema import NODES
from orggraph.graph.store import Store, StoreError, StoreUnavailable
from orggraph.loaders.writes import _KEYED, NODE_WRITES, REL_WRITES

__all__ = ["BulkUnsuitable", "BulkStats", "bulk_possible", "write_bulk", "COMMAND_BYTES", "SOCKET_TIMEOUT"]

COMMAND_BYTES = 32 << 20  # one GRAPH.BULK command at most (the bulk loader's default is 64 MB)
SOCKET_TIMEOUT = 600.0  # seconds to wait for one command's reply (a 32 MB command takes about a second)

_ANY_NODE = statement(
    "load.bulk.any_node", "MATCH (n) RETURN n LIMIT 1", "库是否为空（整批导入）", origin=__name__
)
_ANY_REL = statement(
    "load.bulk.any_rel", "MATCH ()-[r]->() RETURN r LIMIT 1", "库中是否有关系（整批导入）", origin=__name__
)

_PENDING_CONSTRAINTS = statement(
    "load.bulk.pending_constraints",
    "CALL db.constraints() YIELD status WITH status WHERE status <> 'OPERATIONAL' RETURN count(*)",
    "整批导入后仍在建立的唯一约束",
    origin=__name__,
    neo4j=False,
)
_PENDING_INDEXES = statement(
    "load.bulk.pending_indexes",
    "CALL db.indexes() YIELD status WITH status WHERE status <> 'OPERATIONAL' RETURN count(*)",
    "整批导入后仍在建立的索引",
    origin=__name__,
    neo4j=False,
)
SCHEMA_WAIT = 3600.0  # seconds to wait for the indexes and constraints of a new graph to be built

# GRAPH.BULK value tags (falkordb-bulk-loader's entity_file.Type)
_NULL, _BOOL, _DOUBLE, _STRING, _LONG, _ARRAY = 0, 1, 2, 3, 4, 5
_LONG_S = struct.Struct("=Bq")
_DOUBLE_S = struct.Struct("=Bd")
_ENDS = struct.Struct("=QQ")
_I32 = struct.Struct("=I")
_TRUE, _FALSE, _NONE = bytes((_BOOL, 1)), bytes((_BOOL, 0)), bytes((_NULL,))


class BulkUnsuitable(Exception):
    """A row the bulk path cannot write as the MERGE path would: the load goes the MERGE way instead."""


@dataclass
class BulkStats:
    nodes: int = 0
    rels: int = 0
    commands: int = 0
    skipped_rels: int = 0  # an end not in this load (MATCH finds nothing in the MERGE path either)
    written: dict[str, int] = field(default_factory=dict)  # write name -> rows


def bulk_possible(store: Store) -> bool:
    """The store is a FalkorDB graph with nothing in it (GRAPH.BULK builds a new graph only)."""
    from orggraph.graph.falkor import FalkorStore

    if not isinstance(store, FalkorStore):
        return False
    return not store.read(_ANY_NODE).rows and not store.read(_ANY_REL).rows


def _value(v: Any) -> bytes:
    t = type(v)
    if t is str:
        b = v.encode()
        if b"\x00" in b:  # values are NUL-terminated in the protocol
            raise BulkUnsuitable("NUL in a string")
        return b"\x03" + b + b"\x00"
    if v is None:
        return _NONE
    if t is bool:
        return _TRUE if v else _FALSE
    if t is int:
        try:
            return _LONG_S.pack(_LONG, v)
        except struct.error:
            raise BulkUnsuitable("integer beyond 64 bits") from None
    if t is float:
        return _DOUBLE_S.pack(_DOUBLE, v)
    if t is list or t is tuple:
        return _LONG_S.pack(_ARRAY, len(v)) + b"".join(_value(x) for x in v)
    raise BulkUnsuitable(f"value of type {t.__name__}")


def _header(name: str, props: list[str]) -> bytes:
    out = [name.encode(), b"\x00", _I32.pack(len(props))]
    for p in props:
        out += [p.encode(), b"\x00"]
    return b"".join(out)


def _prop_names(lead: tuple[str, ...], rows: list[dict[str, Any]]) -> list[str]:
    """The property columns of one batch: the key first, then every property any row of the batch has."""
    names = dict.fromkeys(lead)
    for row in rows:
        props = row.get("props")
        if props:
            names.update(dict.fromkeys(props))
    return list(names)


class _Command:
    """One GRAPH.BULK command being packed: node tokens (labels) and relationship tokens (types)."""

    def __init__(self) -> None:
        self.labels: list[bytes] = []
        self.types: list[bytes] = []
        self.nodes = self.rels = self.size = 0

    def args(self, first: bool) -> list[Any]:
        head: list[Any] = ["BEGIN"] if first else []
        return [*head, self.nodes, self.rels, len(self.labels), len(self.types), *self.labels, *self.types]


class _Sender:
    """Sends packed commands in order on a connection of its own, one in flight while the next is packed."""

    def __init__(self, store: Any) -> None:
        pool = store.connection.connection_pool
        kwargs = {**pool.connection_kwargs, "socket_timeout": SOCKET_TIMEOUT}
        self._pool = redis.ConnectionPool(connection_class=pool.connection_class, **kwargs)
        self._conn = redis.Redis(connection_pool=self._pool)
        self._graph = store.graph_name
        self._store = store
        self._exec = ThreadPoolExecutor(1, thread_name_prefix="orggraph-bulk")
        self._pending: Future[Any] | None = None
        self.sent = 0

    def send(self, cmd: _Command) -> None:
        self.wait()
        if self.sent == 0:
            self._begin(cmd)
        else:
            self._pending = self._exec.submit(self._run, cmd.args(False))
        self.sent += 1

    def _begin(self, cmd: _Command) -> None:
        """The first command creates the graph (BEGIN). A read by another process (`orggraph serve`) between
        the clearing and here makes an empty graph again: cleared once more while it is still empty."""
        for _ in range(5):
            try:
                self._run(cmd.args(True))
                return
            except StoreError as e:
                if "already exists" not in str(e):
                    raise
            if not bulk_possible(self._store):
                raise BulkUnsuitable("the graph was written by another process meanwhile")
            self._store.clear()
        raise BulkUnsuitable("the graph kept being created by another process")

    def _run(self, args: list[Any]) -> Any:
        try:
            return self._conn.execute_command("GRAPH.BULK", self._graph, *args)
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as e:
            raise StoreUnavailable(f"整批写入时与图数据库的连接中断（{e}）。请重新运行同一命令。") from None
        except redis.exceptions.ResponseError as e:
            raise StoreError(
                f"图数据库拒绝了整批写入（{e}）。请重新运行同一命令，或加 --no-bulk 逐批写入。"
            ) from None

    def wait(self) -> None:
        if self._pending is not None:
            pending, self._pending = self._pending, None
            pending.result()

    def close(self) -> None:
        try:
            self.wait()
        finally:
            self._exec.shutdown(wait=True)
            self._pool.disconnect()


def _node_token(name: str, rows: list[dict[str, Any]], ids: dict[str, dict[str, int]], next_id: int) -> bytes:
    w = NODE_WRITES[name]
    label = w.label + (":PartyMember" if name.endswith(".member") else "")
    key = NODES[w.label].key
    known = ids.setdefault(w.label, {})
    cols = _prop_names((key,), rows)
    parts = [_header(label, cols)]
    value = _value
    for row in rows:
        k = row["key"]
        if k in known:
            raise BulkUnsuitable(f"two rows for {w.label} {k}")
        known[k] = next_id
        next_id += 1
        props = row.get("props") or {}
        vals = {key: k, **props}  # MERGE (n {key: row.key}) SET n += row.props
        parts.append(b"".join(value(vals.get(c)) for c in cols))
    return b"".join(parts)


def _rel_token(
    name: str, rows: list[dict[str, Any]], ids: dict[str, dict[str, int]], stats: BulkStats
) -> tuple[bytes, int]:
    w = REL_WRITES.get(name)
    if w is None:  # an unlink: there is nothing to remove in a new graph but what this load wrote
        raise BulkUnsuitable(f"{name} in a first load")
    keyed = w.type in _KEYED
    starts, ends = ids.get(w.start, {}), ids.get(w.end, {})
    cols = _prop_names(("key",) if keyed else (), rows)
    parts = [_header(w.type, cols)]
    value, n = _value, 0
    for row in rows:
        a, b = starts.get(row["a"]), ends.get(row["b"])
        if a is None or b is None:
            stats.skipped_rels += 1
            continue
        props = row.get("props") or {}
        vals = {"key": row.get("key"), **props} if keyed else props
        parts.append(_ENDS.pack(a, b) + b"".join(value(vals.get(c)) for c in cols))
        n += 1
    return b"".join(parts), n


def _split(rows: list[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    for i in range(0, len(rows), size):
        yield rows[i : i + size]


def write_bulk(
    store: Any,
    batches: Iterable[tuple[str, list[dict[str, Any]]]],
    total: int,
    progress: Callable[[int, int], None] | None = None,
    *,
    command_rows: int = 100_000,
) -> BulkStats:
    """Build the empty graph of `store` (a FalkorStore, `bulk_possible`) from the spooled batches, nodes
    first, then create its indexes and constraints. BulkUnsuitable when a row needs the MERGE path: the graph
    is then cleared again (it was empty) and the caller writes with MERGE. A command holds at most
    `command_rows` rows and `COMMAND_BYTES` bytes."""
    stats = BulkStats()
    ids: dict[str, dict[str, int]] = {}
    store.clear()  # reads made an empty graph key; GRAPH.BULK BEGIN builds a new one
    sender = _Sender(store)
    cmd, done = _Command(), 0
    try:
        try:
            for name, rows in batches:
                is_node = name in NODE_WRITES
                for part in _split(rows, min(2_000, command_rows)):
                    if is_node:
                        token = _node_token(name, part, ids, stats.nodes)
                        n = len(part)
                    else:
                        token, n = _rel_token(name, part, ids, stats)
                    full = cmd.size + len(token) > COMMAND_BYTES or cmd.nodes + cmd.rels + n > command_rows
                    if n and full and (cmd.nodes or cmd.rels):
                        sender.send(cmd)
                        stats.commands += 1
                        cmd = _Command()
                    if is_node:
                        cmd.labels.append(token)
                        cmd.nodes += n
                        stats.nodes += n
                    elif n:
                        cmd.types.append(token)
                        cmd.rels += n
                        stats.rels += n
                    if n:
                        cmd.size += len(token)
                    stats.written[name] = stats.written.get(name, 0) + len(part)
                    done += len(part)
                    if progress:
                        progress(done, total)
            if cmd.nodes or cmd.rels:
                sender.send(cmd)
                stats.commands += 1
        finally:
            sender.close()
    except BaseException:
        if sender.sent:
            with contextlib.suppress(StoreError):  # unreachable: the next load writes every row again
                store.clear()  # what this load started: the graph was empty before it
        raise
    finally:
        store.mark_changed()
    store.ensure_schema()  # indexes and constraints on the full graph
    _schema_built(store)
    return stats


def _schema_built(store: Any) -> None:
    """Wait until the indexes and constraints made on the full graph are built (FalkorDB builds them in the
    background), then rewrite the AOF as a snapshot: a constraint's build writes its command to the AOF again
    when it completes, and a restart must replay none (tests/faults/test_crash_recovery.py)."""
    deadline = time.monotonic() + SCHEMA_WAIT
    while time.monotonic() < deadline:
        if not store.read(_PENDING_CONSTRAINTS).scalar() and not store.read(_PENDING_INDEXES).scalar():
            break
        time.sleep(0.2)
    store.checkpoint()
