"""The one small interface every graph store implements, and `open_store` which picks one from the
settings."""

from __future__ import annotations

import contextlib
import contextvars
import datetime as _dt
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import islice
from typing import TYPE_CHECKING, Any, LiteralString, TypeVar

from orggraph.graph.cypher import statement, trusted
from orggraph.graph.schema import NODES

if TYPE_CHECKING:
    from orggraph.settings import Settings

__all__ = [
    "Result",
    "Store",
    "StoreError",
    "StoreUnavailable",
    "ReadOnlyError",
    "QueryTimeout",
    "QueryError",
    "open_store",
    "chunked",
    "full_scans",
    "FULL_SCAN_OPERATORS",
    "INDEX_SEEK_OPERATORS",
    "plain",
    "identities",
    "NEO4J_DDL",
    "FALKOR_INDEXES",
]


T = TypeVar("T")

try:
    from neo4j.graph import Entity as _Neo4jEntity
    from neo4j.graph import Node as _Neo4jNode
    from neo4j.graph import Path as _Neo4jPath
    from neo4j.graph import Relationship as _Neo4jRel
except ImportError:  # pragma: no cover - the driver is a dependency; without it there are no Neo4j values
    _Neo4jEntity = _Neo4jNode = _Neo4jPath = _Neo4jRel = None  # type: ignore[assignment,misc]


class StoreError(Exception):
    """A store problem; `str(e)` is a Chinese message for the user."""


class StoreUnavailable(StoreError):
    """The store cannot be reached (services answer 503)."""


class ReadOnlyError(StoreError):
    """A write was attempted through a read-only entry point."""


class QueryTimeout(StoreError):
    """The query ran past its time limit and was cut. `still_running`: the store did not stop it in time and
    may still be working on it (only the wait for its answer was cut)."""

    def __init__(self, message: str = "", *, still_running: bool = False) -> None:
        super().__init__(message)
        self.still_running = still_running


class QueryError(StoreError):
    """The store refused the query (syntax, types, unknown function...)."""


@dataclass
class Result:
    columns: list[str]
    rows: list[list[Any]]
    truncated: bool = False  # more rows existed than the cap allowed

    def records(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, r, strict=False)) for r in self.rows]

    def scalar(self) -> Any:
        return self.rows[0][0] if self.rows else None


# Plan operators that read every node of a label (or every node): a query starting there grows with the graph.
FULL_SCAN_OPERATORS = ("Node By Label Scan", "All Node Scan", "NodeByLabelScan", "AllNodesScan")
# Plan operators that start from an index (a code, a pid): what a point query should do.
INDEX_SEEK_OPERATORS = ("Node By Index Scan", "NodeIndexSeek", "NodeUniqueIndexSeek", "NodeIndexContainsScan")


def full_scans(plan: list[str]) -> list[str]:
    """The lines of a plan (Store.explain) that scan a whole label or the whole graph."""
    return [op for op in plan if op.strip().startswith(FULL_SCAN_OPERATORS)]


def chunked(rows: Iterable[Any], size: int) -> Iterator[list[Any]]:
    it = iter(rows)
    while chunk := list(islice(it, size)):
        yield chunk


_IDENTITIES: contextvars.ContextVar[bool] = contextvars.ContextVar("orggraph_identities", default=False)


@contextlib.contextmanager
def identities() -> Iterator[None]:
    """Within this block `plain` also gives each node an `"id"` and each relationship an `"id"`, `"start"` and
    `"end"` (its nodes' ids): the store's own identity as a string, the same for the same node or relationship
    in every row and every query while it exists (FalkorDB's internal ids as `n12`/`r7`, Neo4j's element ids).
    Used by `POST /api/cypher`, whose graph view joins rows on them; other answers keep the bare shape, which
    is the same on both stores."""
    token = _IDENTITIES.set(True)
    try:
        yield
    finally:
        _IDENTITIES.reset(token)


def _node(labels: Iterable[str], props: Any, ident: Any) -> dict[str, Any]:
    out = {"labels": sorted(labels), "properties": plain(props)}
    if _IDENTITIES.get():
        out["id"] = ident
    return out


def _rel(rtype: str, props: Any, ident: Any, start: Any, end: Any) -> dict[str, Any]:
    out = {"type": rtype, "properties": plain(props)}
    if _IDENTITIES.get():
        out.update(id=ident, start=start, end=end)
    return out


def plain(value: Any) -> Any:
    """Turn a driver value (node, relationship, path, temporal) into plain JSON-able Python, the same on
    every backend: nodes `{"labels", "properties"}`, relationships `{"type", "properties"}`, paths
    `{"nodes", "relationships"}` (plus identities inside `identities()`)."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    # Neo4j's nodes and relationships are Mappings (of their properties), and a relationship's class is made
    # per type at run time (module "abc"): they are told by class before the Mapping case, which would answer
    # only their properties where FalkorDB answers {"labels"/"type", "properties"}.
    if _Neo4jEntity is not None and isinstance(value, (_Neo4jEntity, _Neo4jPath)):
        if isinstance(value, _Neo4jNode):
            return _node(value.labels, dict(value.items()), value.element_id)
        if isinstance(value, _Neo4jRel):
            start, end = value.start_node, value.end_node
            return _rel(
                str(value.type),
                dict(value.items()),
                value.element_id,
                start.element_id if start is not None else None,
                end.element_id if end is not None else None,
            )
        assert isinstance(value, _Neo4jPath)
        return {
            "nodes": [plain(n) for n in value.nodes],
            "relationships": [plain(r) for r in value.relationships],
        }
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (_dt.date, _dt.datetime, _dt.time)):
        return value.isoformat()
    # FalkorDB client objects
    mod = type(value).__module__
    if mod.startswith("falkordb"):
        name = type(value).__name__
        if name == "Node":
            return _node(value.labels or [], value.properties, f"n{value.id}")
        if name == "Edge":
            # src_node/dest_node are the nodes' ids here (a Node only when the client built the edge itself).
            src, dst = (getattr(e, "id", e) for e in (value.src_node, value.dest_node))
            return _rel(value.relation, value.properties, f"r{value.id}", f"n{src}", f"n{dst}")
        if name == "Path":
            return {
                "nodes": [plain(n) for n in value.nodes()],
                "relationships": [plain(e) for e in value.edges()],
            }
    if mod.startswith("neo4j") and hasattr(value, "iso_format"):  # neo4j.time values
        return value.iso_format()
    return str(value)


def _neo4j_ddl() -> tuple[LiteralString, ...]:
    out: list[LiteralString] = []
    for n in NODES.values():
        # Labels and property names come from the schema above, never from input.
        out.append(
            statement(
                f"ddl.neo4j.{n.label}.{n.key}.unique",
                trusted(
                    f"CREATE CONSTRAINT {n.label.lower()}_{n.key}_unique IF NOT EXISTS "
                    f"FOR (n:{n.label}) REQUIRE n.{n.key} IS UNIQUE"
                ),
                f"{n.zh}的 {n.key} 唯一",
                origin=__name__,
            )
        )
        for p in n.indexed:
            out.append(
                statement(
                    f"ddl.neo4j.{n.label}.{p}.index",
                    trusted(f"CREATE INDEX {n.label.lower()}_{p} IF NOT EXISTS FOR (n:{n.label}) ON (n.{p})"),
                    f"按{n.zh}的 {p} 查找",
                    origin=__name__,
                )
            )
    return tuple(out)


def _falkor_indexes() -> tuple[tuple[str, str, LiteralString], ...]:
    out: list[tuple[str, str, LiteralString]] = []
    for n in NODES.values():
        for p in (n.key, *n.indexed):
            out.append(
                (
                    n.label,
                    p,
                    statement(
                        f"ddl.falkordb.{n.label}.{p}.index",
                        trusted(f"CREATE INDEX FOR (n:{n.label}) ON (n.{p})"),
                        f"按{n.zh}的 {p} 查找",
                        origin=__name__,
                    ),
                )
            )
    return tuple(out)


NEO4J_DDL = _neo4j_ddl()
FALKOR_INDEXES = _falkor_indexes()


class Store(ABC):
    """A graph store. Reads are read-only as enforced by the store itself; writes are atomic per call."""

    backend: str = ""

    @abstractmethod
    def read(
        self,
        query: LiteralString,
        params: Mapping[str, Any] | None = None,
        *,
        timeout: float | None = None,
        max_rows: int | None = None,
        reply_limit: int | None = None,
    ) -> Result:
        """Run a read-only query; the store refuses writes (ReadOnlyError). `timeout` in seconds.
        `reply_limit` (bytes, for analysts' own queries): a larger answer is refused with QueryError, and
        reading it stops a few seconds past `timeout` (QueryTimeout), before it is all in memory; a backend
        that streams rows (Neo4j) needs no such cap and may ignore it."""

    @abstractmethod
    def write(self, query: LiteralString, params: Mapping[str, Any] | None = None) -> Result:
        """Run one write query in one transaction."""

    def write_batches(
        self, query: LiteralString, rows: Iterable[Mapping[str, Any]], batch_size: int = 10_000
    ) -> int:
        """Run `query` (which reads `$rows`) once per batch of rows; returns how many rows were written."""
        n = 0
        for chunk in chunked(rows, batch_size):
            self.write(query, {"rows": chunk})
            n += len(chunk)
        return n

    def write_stream(self, writes: Iterable[tuple[LiteralString, Mapping[str, Any], T]]) -> Iterator[T]:
        """Run many writes in order, one transaction each; yields each write's tag once it is done.

        A backend may prepare the next write while the store runs the current one (FalkorDB does)."""
        for query, params, tag in writes:
            self.write(query, params)
            yield tag

    def explain(self, query: LiteralString, params: Mapping[str, Any] | None = None) -> list[str]:
        """The store's plan for a query, without running it: one line per operator, top first, as
        "Operator | details" in the backend's own words (FalkorDB `GRAPH.EXPLAIN`, Neo4j `EXPLAIN`)."""
        raise QueryError("此存储不提供执行计划。")

    @abstractmethod
    def ensure_schema(self) -> None:
        """Create the constraints and indexes of the schema (idempotent)."""

    @abstractmethod
    def clear(self) -> None:
        """Delete every node and relationship (demo, tests, restore)."""

    @abstractmethod
    def ping(self) -> None:
        """Raise StoreUnavailable unless the store answers."""

    @property
    def cache_identity(self) -> str | None:
        """Which graph this is (backend, server, graph name), for a cache of its answers; None: not cached."""
        return None

    def data_version(self) -> str | None:
        """A token that changes whenever the graph's data changes, the same for every process reading it (a
        load, restore or demo in another process shows here); None when the backend keeps none, so answers
        cached from it may only be kept for a short time."""
        return None

    def commit_token(self) -> str | None:
        """A token that moves with every committed write, by any client (the loader's change record checks
        that the store is as its last load left it); None when the backend keeps none. Default:
        data_version."""
        return self.data_version()

    def mark_changed(self) -> None:  # noqa: B027 - only stores with a data_version keep anything
        """Record that the data changed other than through `write`/`clear` (a restore): a new data_version."""

    def checkpoint(self) -> None:  # noqa: B027 - only stores that replay a log on restart need it
        """After a bulk write (a load, a restore): make what was written quick to recover on the next
        start."""

    def close(self) -> None:  # noqa: B027 - optional for backends without resources
        pass

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_store(settings: Settings | None = None) -> Store:
    """The store chosen by ORGGRAPH_URI: unset → embedded FalkorDB, bolt/neo4j → Neo4j, falkordb:// →
    FalkorDB."""
    from orggraph.settings import get_settings

    s = settings or get_settings()
    if s.backend == "neo4j":
        from orggraph.graph.neo4j_store import Neo4jStore

        return Neo4jStore(s.uri or "", s.neo4j_user, s.neo4j_password, s.neo4j_database)
    from orggraph.graph.falkor import FalkorStore

    if s.backend == "falkordb":
        return FalkorStore.connect_url(s.uri or "", s.graph_name)
    return FalkorStore.embedded(s.data_dir, s.graph_name)
