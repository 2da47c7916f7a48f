"""Bulk path to Neo4j: the graph (read from the store in bounded pages) or ledgers (validated, not loaded) as
CSV files for `neo4j-admin database import full`, with the exact import command.

Layout written under the output folder::

    nodes/<Label>.header.csv, nodes/<Label>.csv                      one group per label, ID space = label
    relationships/<Start>.<TYPE>.<End>.header.csv, ....csv           one group per pattern of the schema
    import.sh                                                        the neo4j-admin command (also printed)
    schema.cypher                                                    Neo4j constraints and indexes, to run
    after

Format (Neo4j Operations Manual, "Import header format"): node headers `code:ID(Grid)` (the key is the node
ID in the label's ID space and is kept as the property `code`), typed properties (`households:long`,
`tags:string[]`), `:LABEL` (`Person;PartyMember`); relationship headers `:START_ID(Person)`, `:END_ID(Grid)`,
`:TYPE`, then properties. Every string is quoted (RFC 4180, `"` doubled), so an empty string ("") stays an
empty string and a missing property is an empty, unquoted field; leading and trailing blanks survive.
Arrays and labels use `;` (ASCII, so it can never be part of a UTF-8 encoded Chinese character; the loaders
split tags on `;`, so no tag contains one — an element that does is refused rather than silently split).
The CSV importer reads an empty array (quoted or not) as no property, so every list property has a marker
column beside it (`orggraph_empty_tags:boolean`, true where the list is `[]`), and schema.cypher ends with
the statements that turn the marked ones back into `[]` and remove the marker: after it, `tags: []` is `[]`
in Neo4j as in the store (checked against a real Neo4j by tests/loaders/test_export_neo4j.py).

Reading the store: a city is millions of nodes, so each label is read in pages. On FalkorDB a page is a
window of internal node ids (`Node By Label and ID Scan`: the cost of a page is the page, where keyset
pagination `WHERE n.key > $after ORDER BY n.key` would sort everything after the cursor on every page). On
Neo4j, whose range index returns keys in order, it is keyset pagination on the key. Internal ids are only
a cursor; nothing written contains one, and no raw ID number exists in the store to export.

Length (about 700 lines): the CSV layout, the reader of the store and the reader of ledgers must agree column
for column, so they stay in one module.
"""

from __future__ import annotations

import contextlib
import math
import shlex
import shutil
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, LiteralString

from orggraph.graph.cypher import statement, trusted
from orggraph.graph.schema import NODES, RELS, Prop
from orggraph.graph.store import NEO4J_DDL, QueryError, Store

from orggraph.oserrors import disk_full

__all__ = [
    "ARRAY_DELIMITER",
    "EMPTY_LIST_MARKER",
    "EMPTY_LIST_STATEMENTS",
    "AdminCsvWriter",
    "ExportError",
    "ExportResult",
    "GraphNode",
    "GraphRel",
    "export_ledgers",
    "export_store",
    "iter_graph",
    "store_counts",
]

ARRAY_DELIMITER = ";"
DELIMITER = ","
QUOTE = '"'

# Neo4j import field types for the schema's property types. INTEGER is `long`: FalkorDB integers are
# 64-bit, and `int` would overflow above 2^31 (with --normalize-types both become Cypher INTEGER anyway).
_FIELD_TYPE = {
    "STRING": "string",
    "INTEGER": "long",
    "FLOAT": "double",
    "BOOLEAN": "boolean",
    "LIST<STRING>": "string[]",
}

# The marker column of a list property: true where the list is empty (the CSV importer drops empty arrays).
EMPTY_LIST_MARKER = "orggraph_empty_{}"

# Written into the output folder; its presence means "an earlier export, safe to replace".
_MARKER = "import.sh"


class ExportError(Exception):
    """The export cannot be written; `str(e)` is a Chinese message saying what to do."""


@dataclass(frozen=True)
class GraphRel:
    type: str
    end_label: str
    end_key: Any
    props: dict[str, Any]


@dataclass(frozen=True)
class GraphNode:
    label: str  # the node's main label (its ID space)
    key: Any
    labels: tuple[str, ...]
    props: dict[str, Any]
    out: tuple[GraphRel, ...]  # outgoing relationships


@dataclass
class ExportResult:
    out_dir: Path
    database: str = "neo4j"  # the database the printed command imports into
    nodes: dict[str, int] = field(default_factory=dict)  # label -> rows
    relationships: dict[str, int] = field(default_factory=dict)  # "Start.TYPE.End" -> rows
    node_files: list[tuple[Path, Path]] = field(default_factory=list)  # (header, data)
    relationship_files: list[tuple[Path, Path]] = field(default_factory=list)
    multiline: bool = False  # some value holds a line break: the importer needs --multiline-fields=true
    dropped: dict[str, int] = field(default_factory=dict)  # "what" -> how many, not exportable (warnings)
    empty_arrays: int = 0  # `[]` values: marked, and restored by schema.cypher after the import

    def command(self, database: str | None = None, neo4j_admin: str = "neo4j-admin") -> str:
        """The `neo4j-admin database import full` command for these files (database name first: 5.19+)."""
        args = [neo4j_admin, "database", "import", "full", database or self.database]
        args += [f"--nodes={h},{d}" for h, d in self.node_files]
        args += [f"--relationships={h},{d}" for h, d in self.relationship_files]
        args += [
            f"--delimiter={DELIMITER}",
            f"--array-delimiter={ARRAY_DELIMITER}",
            f"--quote={QUOTE}",
            "--id-type=string",
            "--input-encoding=UTF-8",
            "--trim-strings=false",
            "--ignore-empty-strings=false",
        ]
        if self.multiline:
            args.append("--multiline-fields=true")
        head, options = args[:5], args[5:]
        return " \\\n    ".join([" ".join(shlex.quote(a) for a in head), *(shlex.quote(a) for a in options)])

    def script(self) -> str:
        """import.sh: the command, with the neo4j-admin to run taken from $NEO4J_ADMIN and extra options
        (such as --overwrite-destination=true) passed on."""
        command = self.command(neo4j_admin="neo4j-admin")
        assert command.startswith("neo4j-admin ")
        return (
            "#!/bin/sh\n"
            "# orggraph export --neo4j-admin：在停止的 Neo4j 上运行（目标数据库须不存在或为空）。\n"
            "# NEO4J_ADMIN 指定 neo4j-admin（默认为 PATH 中的 neo4j-admin）；用本仓库的工具：\n"
            "#   NEO4J_ADMIN='./dev neo4j admin --data <Neo4j 数据目录>' sh import.sh\n"
            "# 其余参数原样传给 neo4j-admin，例如目标数据库已存在（启动过一次的 Neo4j 已有空的 "
            "neo4j 库）时：\n"
            "#   sh import.sh --overwrite-destination=true     （替换整个目标数据库）\n"
            "set -e\n"
            "exec ${NEO4J_ADMIN:-neo4j-admin} " + command.removeprefix("neo4j-admin ") + ' \\\n    "$@"\n'
        )

    @property
    def total_nodes(self) -> int:
        return sum(self.nodes.values())

    @property
    def total_relationships(self) -> int:
        return sum(self.relationships.values())


# ------------------------------------------------------------------------------------------- CSV fields
def _quote(text: str) -> str:
    return QUOTE + text.replace(QUOTE, QUOTE + QUOTE) + QUOTE


class _Field:
    """How one column is written: its header and a value encoder that checks the schema's type."""

    __slots__ = ("name", "header", "kind")

    def __init__(self, name: str, header: str, kind: str) -> None:
        self.name, self.header, self.kind = name, header, kind


def _prop_fields(props: tuple[Prop, ...]) -> list[_Field]:
    """The property columns; a list property also gets its empty-list marker column (see the module doc)."""
    fields = []
    for p in props:
        fields.append(_Field(p.name, f"{p.name}:{_FIELD_TYPE[p.type]}", p.type))
        if p.type == "LIST<STRING>":
            fields.append(_Field(p.name, f"{EMPTY_LIST_MARKER.format(p.name)}:boolean", "empty-marker"))
    return fields


def _node_fields(label: str) -> list[_Field]:
    n = NODES[label]
    fields = [_Field(n.key, f"{n.key}:ID({label})", "id")]
    fields += _prop_fields(tuple(p for p in n.props if p.name != n.key))
    fields.append(_Field("", ":LABEL", "labels"))
    return fields


def _rel_fields(start: str, type_: str, end: str) -> list[_Field]:
    r = RELS[type_]
    fields = [
        _Field("", f":START_ID({start})", "id"),
        _Field("", f":END_ID({end})", "id"),
        _Field("", ":TYPE", "type"),
    ]
    fields += _prop_fields(r.props)
    return fields


def _empty_list_statements() -> tuple[LiteralString, ...]:
    """After the import: the marked list properties back to `[]`, the markers removed (in batches)."""
    owners = [(label, f"(x:{label})", n.zh, n.props) for label, n in NODES.items()]
    owners += [(type_, f"()-[x:{type_}]->()", type_, r.props) for type_, r in RELS.items()]
    out: list[LiteralString] = []
    for name, pattern, zh, props in owners:
        for p in props:
            if p.type == "LIST<STRING>":
                marker = EMPTY_LIST_MARKER.format(p.name)
                out.append(
                    statement(
                        f"export.empty_lists.{name}.{p.name}",
                        trusted(
                            f"MATCH {pattern} WHERE x.{marker} IS NOT NULL "
                            f"CALL (x) {{ SET x.{p.name} = [] REMOVE x.{marker} }} IN TRANSACTIONS "
                            "OF 10000 ROWS"
                        ),
                        f"导入后：把标记为空列表的{zh}.{p.name}恢复为 []（CSV 导入会丢掉空列表）",
                        origin=__name__,
                    )
                )
    return tuple(out)


class _Group:
    """One data source: a header file and a data file, written row by row."""

    def __init__(self, header: Path, data: Path, fields: list[_Field]) -> None:
        self.header, self.data, self.fields = header, data, fields
        self.names = {f.name for f in fields if f.name}
        header.parent.mkdir(parents=True, exist_ok=True)
        header.write_text(DELIMITER.join(f.header for f in fields) + "\n", encoding="utf-8")
        # No BOM: it would become part of the first header field.
        self.out: IO[str] = open(data, "w", encoding="utf-8", newline="")  # closed in close()
        self.rows = 0

    def write(self, cells: list[str]) -> None:
        self.out.write(DELIMITER.join(cells))
        self.out.write("\n")
        self.rows += 1

    def close(self) -> None:
        self.out.close()


class AdminCsvWriter:
    """Streams nodes and relationships into neo4j-admin CSV groups under `out_dir`; `finish()` writes the
    rest."""

    def __init__(self, out_dir: Path, database: str = "neo4j") -> None:
        self.out_dir = Path(out_dir).expanduser().resolve()
        _prepare(self.out_dir)
        self._nodes: dict[str, _Group] = {}
        self._rels: dict[tuple[str, str, str], _Group] = {}
        self.result = ExportResult(self.out_dir, database)

    # -- values --
    def _cell(self, f: _Field, value: Any, where: str) -> str:
        if value is None:
            return ""
        kind = f.kind
        if kind in ("id", "type"):
            if not isinstance(value, str):
                value = str(value)
            self._note_lines(value)
            return _quote(value)
        if kind == "STRING":
            if not isinstance(value, str):
                raise ExportError(
                    f"{where} 的属性 {f.name} 应为文字，实为 {value!r}。请先改正库中的数据再导出。"
                )
            self._note_lines(value)
            return _quote(value)
        if kind == "INTEGER":
            if isinstance(value, bool) or not isinstance(value, int) or not -(2**63) <= value < 2**63:
                raise ExportError(
                    f"{where} 的属性 {f.name} 应为整数，实为 {value!r}。请先改正库中的数据再导出。"
                )
            return str(value)
        if kind == "FLOAT":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ExportError(
                    f"{where} 的属性 {f.name} 应为数值，实为 {value!r}。请先改正库中的数据再导出。"
                )
            v = float(value)
            if math.isnan(v):
                return "NaN"
            if math.isinf(v):
                return "Infinity" if v > 0 else "-Infinity"
            return repr(v)
        if kind == "BOOLEAN":
            if not isinstance(value, bool):
                raise ExportError(
                    f"{where} 的属性 {f.name} 应为是/否，实为 {value!r}。请先改正库中的数据再导出。"
                )
            return "true" if value else "false"
        if kind in ("LIST<STRING>", "labels"):
            if not isinstance(value, (list, tuple)) or not all(isinstance(x, str) for x in value):
                raise ExportError(
                    f"{where} 的属性 {f.name} 应为文字列表，实为 {value!r}。请先改正库中的数据再导出。"
                )
            if not value:
                self.result.empty_arrays += 1
                return ""
            for x in value:
                if ARRAY_DELIMITER in x or x == "":
                    raise ExportError(
                        f"{where} 的 {f.name or '标签'} 含有元素 {x!r}：数组元素不能为空，"
                        f"也不能含分隔符「{ARRAY_DELIMITER}」。"
                        "请先改正库中的数据再导出。"
                    )
                self._note_lines(x)
            return _quote(ARRAY_DELIMITER.join(value))
        if kind == "empty-marker":
            return "true" if isinstance(value, (list, tuple)) and not value else ""
        raise AssertionError(kind)

    def _note_lines(self, text: str) -> None:
        if "\n" in text or "\r" in text:
            self.result.multiline = True

    def _drop(self, what: str) -> None:
        self.result.dropped[what] = self.result.dropped.get(what, 0) + 1

    # -- rows --
    def node(
        self, label: str, key: Any, labels: tuple[str, ...] | list[str], props: Mapping[str, Any]
    ) -> None:
        g = self._nodes.get(label)
        if g is None:
            g = self._nodes[label] = _Group(
                self.out_dir / "nodes" / f"{label}.header.csv",
                self.out_dir / "nodes" / f"{label}.csv",
                _node_fields(label),
            )
        where = f"{NODES[label].zh} {key}"
        for name in props:
            if name not in g.names and props[name] is not None:
                self._drop(f"{label}.{name}（不在图模型中的属性）")
        cells = []
        for f in g.fields:
            if f.kind == "labels":
                cells.append(self._cell(f, sorted(set(labels), key=_label_order), where))
            elif f.kind == "id":
                cells.append(self._cell(f, key, where))
            else:
                cells.append(self._cell(f, props.get(f.name), where))
        g.write(cells)

    def rel(self, start: str, type_: str, end: str, a: Any, b: Any, props: Mapping[str, Any]) -> None:
        k = (start, type_, end)
        g = self._rels.get(k)
        if g is None:
            stem = f"{start}.{type_}.{end}"
            g = self._rels[k] = _Group(
                self.out_dir / "relationships" / f"{stem}.header.csv",
                self.out_dir / "relationships" / f"{stem}.csv",
                _rel_fields(start, type_, end),
            )
        where = f"{start} {a} -[{type_}]-> {end} {b}"
        for name in props:
            if name not in g.names and props[name] is not None:
                self._drop(f"{type_}.{name}（不在图模型中的属性）")
        ids = iter((a, b))
        cells = []
        for f in g.fields:
            if f.kind == "id":
                cells.append(self._cell(f, next(ids), where))
            elif f.kind == "type":
                cells.append(self._cell(f, type_, where))
            else:
                cells.append(self._cell(f, props.get(f.name), where))
        g.write(cells)

    # -- end --
    def finish(self) -> ExportResult:
        r = self.result
        for label in sorted(self._nodes, key=_label_order):
            g = self._nodes[label]
            g.close()
            r.nodes[label] = g.rows
            r.node_files.append((g.header, g.data))
        for k in sorted(self._rels):
            g = self._rels[k]
            g.close()
            r.relationships[".".join(k)] = g.rows
            r.relationship_files.append((g.header, g.data))
        (self.out_dir / "schema.cypher").write_text(
            "// 导入后在 Neo4j 中运行（cypher-shell -d neo4j -f schema.cypher），建立 orggraph "
            "的唯一约束和索引。\n"
            + "".join(ddl + ";\n" for ddl in NEO4J_DDL)
            + "// 恢复空列表（如没有标签的人员的 tags: []）：CSV 导入读不出空列表，"
            "导出时用标记列记下了它们。\n" + "".join(q + ";\n" for q in EMPTY_LIST_STATEMENTS),
            encoding="utf-8",
        )
        (self.out_dir / _MARKER).write_text(r.script(), encoding="utf-8")
        return r

    def abort(self) -> None:
        """Close and remove what was written (a failed export must not look like a finished one)."""
        for g in [*self._nodes.values(), *self._rels.values()]:
            with contextlib.suppress(OSError):
                g.close()
        _clear_previous(self.out_dir)


def schema_cypher_statements(text: str) -> list[str]:
    """The statements of a schema.cypher, in order, as cypher-shell -f runs them (each in an implicit,
    auto-commit transaction: the empty-list statements use CALL … IN TRANSACTIONS, which needs one)."""
    body = "\n".join(ln for ln in text.splitlines() if not ln.lstrip().startswith("//"))
    return [
        s.strip().removesuffix(";").strip() for s in body.split(";\n") if s.strip().removesuffix(";").strip()
    ]


def _label_order(label: str) -> tuple[int, str]:
    order = list(NODES)
    return (order.index(label) if label in NODES else len(order), label)


def _prepare(out_dir: Path) -> None:
    if out_dir.exists():
        if not out_dir.is_dir():
            raise ExportError(f"{out_dir} 已存在且不是文件夹。请换一个输出文件夹。")
        if any(out_dir.iterdir()):
            if not (out_dir / _MARKER).is_file():
                raise ExportError(f"输出文件夹 {out_dir} 不是空的。请换一个新文件夹，或先清空它。")
            _clear_previous(out_dir)  # an earlier export: replaced
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ExportError(f"无法创建输出文件夹 {out_dir}：{e.strerror}。请检查路径和权限。") from None


def _clear_previous(out_dir: Path) -> None:
    for sub in ("nodes", "relationships"):
        shutil.rmtree(out_dir / sub, ignore_errors=True)
    for name in (_MARKER, "schema.cypher"):
        with contextlib.suppress(FileNotFoundError):
            (out_dir / name).unlink()


# ------------------------------------------------------------------------------------ reading the store
def _main_label(labels: list[str] | tuple[str, ...]) -> str | None:
    main = [lb for lb in labels if lb in NODES]
    return min(main, key=_label_order) if main else None


def _page_statements() -> dict[str, dict[str, LiteralString]]:
    falkor: dict[str, LiteralString] = {}
    neo4j: dict[str, LiteralString] = {}
    bounds: dict[str, LiteralString] = {}
    # Outgoing relationships come with their node, so each label is read in one pass.
    with_out = (
        "OPTIONAL MATCH (n)-[r]->(m) "
        "RETURN n.{key} AS key, labels(n) AS labels, properties(n) AS props, "
        "collect(CASE WHEN r IS NULL THEN NULL ELSE [type(r), labels(m), m.code, m.pid, "
        "properties(r)] END) AS out"
    )
    # A label the model gives no outgoing relationship (District) reads none: the pattern would be against the
    # model. Relationships the data has anyway show up in export_store's count check.
    without_out = "RETURN n.{key} AS key, labels(n) AS labels, properties(n) AS props, [] AS out"
    for label, n in NODES.items():
        # Labels and keys come from the schema, never from input.
        tail = with_out if any(label in r.start for r in RELS.values()) else without_out
        falkor[label] = statement(
            f"export.page.falkordb.{label}",
            (trusted(f"MATCH (n:{label}) WHERE id(n) >= $lo AND id(n) < $hi " + tail.format(key=n.key))),
            f"导出：按内部编号窗口分页读取{n.zh}及其出边（FalkorDB）",
            origin=__name__,
            neo4j=False,  # id() is deprecated in Neo4j, which pages by key below instead
        )
        neo4j[label] = statement(
            f"export.page.neo4j.{label}",
            (
                trusted(
                    f"MATCH (n:{label}) WHERE n.{n.key} > $after WITH n ORDER BY n.{n.key} LIMIT $limit "
                    + tail.format(key=n.key)
                )
            ),
            f"导出：按{n.key}键集分页读取{n.zh}及其出边（Neo4j，索引有序）",
            origin=__name__,
        )
        bounds[label] = statement(
            f"export.bounds.falkordb.{label}",
            trusted(f"MATCH (n:{label}) RETURN min(id(n)) AS lo, max(id(n)) AS hi, count(n) AS n"),
            f"导出：{n.zh}的内部编号范围（FalkorDB 分页用）",
            origin=__name__,
            neo4j=False,
        )
    return {"falkordb": falkor, "neo4j": neo4j, "bounds": bounds}


_STATEMENTS = _page_statements()
EMPTY_LIST_STATEMENTS = _empty_list_statements()
_COUNT_NODES = statement("export.count.nodes", "MATCH (n) RETURN count(n) AS n", "节点总数", origin=__name__)
_COUNT_RELS = statement(
    "export.count.relationships", "MATCH ()-[r]->() RETURN count(r) AS n", "关系总数", origin=__name__
)


def store_counts(store: Store) -> tuple[int, int]:
    """(nodes, relationships) in the store."""
    try:
        return int(store.read(_COUNT_NODES).scalar() or 0), int(store.read(_COUNT_RELS).scalar() or 0)
    except QueryError as e:
        # FalkorDB: a graph nothing was ever written to does not exist yet, and reading it is an error.
        if "empty key" in str(e):
            return 0, 0
        raise


def _to_node(label: str, row: list[Any]) -> GraphNode | None:
    key, labels, props, out = row
    if _main_label(labels) != label:
        return None  # a node with two schema labels is read once, under the first in schema order
    rels = []
    for type_, end_labels, code, pid, rprops in out:
        end = _main_label(end_labels) or (end_labels[0] if end_labels else "")
        end_key = pid if end in NODES and NODES[end].key == "pid" else code
        rels.append(GraphRel(type_, end, end_key, rprops or {}))
    return GraphNode(label, key, tuple(labels), props or {}, tuple(rels))


def iter_graph(
    store: Store, *, page: int = 10_000, labels: tuple[str, ...] | None = None
) -> Iterator[GraphNode]:
    """Every node of the schema's labels with its outgoing relationships, read in bounded pages.

    Memory is one page; the order is by label (schema order), then by internal id (FalkorDB) or key (Neo4j).
    """
    for label in labels or tuple(NODES):
        if store.backend.startswith("falkordb"):
            yield from _iter_falkor(store, label, page)
        else:
            yield from _iter_keyset(store, label, page)


def _iter_falkor(store: Store, label: str, page: int) -> Iterator[GraphNode]:
    bounds = store.read(_STATEMENTS["bounds"][label]).rows
    if not bounds or not bounds[0][2]:
        return
    lo, hi, n = bounds[0]
    # A window of ids holding about `page` nodes of this label, were they spread evenly.
    span = hi - lo + 1
    window = max(page, math.ceil(page * span / n))
    q = _STATEMENTS["falkordb"][label]
    start = lo
    while start <= hi:
        for row in store.read(q, {"lo": start, "hi": start + window}).rows:
            node = _to_node(label, row)
            if node is not None:
                yield node
        start += window


def _iter_keyset(store: Store, label: str, page: int) -> Iterator[GraphNode]:
    q = _STATEMENTS["neo4j"][label]
    after = ""
    while True:
        rows = store.read(q, {"after": after, "limit": page}).rows
        if not rows:
            return
        for row in rows:
            node = _to_node(label, row)
            if node is not None:
                yield node
        after = max(r[0] for r in rows)
        if len(rows) < page:
            return


def export_store(
    store: Store,
    out_dir: Path,
    *,
    database: str = "neo4j",
    page: int = 10_000,
    progress: Callable[[int, int], None] | None = None,
) -> ExportResult:
    """Write the whole graph of `store` as neo4j-admin CSV under `out_dir`; raises ExportError (Chinese)."""
    total_nodes, total_rels = store_counts(store)
    seen = [0, 0]  # nodes, relationships read

    def fill(w: AdminCsvWriter) -> None:
        for node in iter_graph(store, page=page) if total_nodes else ():
            seen[0] += 1
            seen[1] += len(node.out)
            if node.key is None:
                w._drop(f"{node.label}（没有 {NODES[node.label].key} 的节点）")
                continue
            w.node(node.label, node.key, node.labels, node.props)
            for r in node.out:
                spec = RELS.get(r.type)
                if (
                    spec is None
                    or node.label not in spec.start
                    or r.end_label not in spec.end
                    or r.end_key is None
                ):
                    w._drop(f"{node.label}-[{r.type}]->{r.end_label}（不在图模型中的关系）")
                    continue
                w.rel(node.label, r.type, r.end_label, node.key, r.end_key, r.props)
            if progress and seen[0] % 10_000 == 0:
                progress(sum(seen), total_nodes + total_rels)

    result = _write_all(AdminCsvWriter(out_dir, database), fill)
    seen_nodes, seen_rels = seen
    # Nodes without any schema label (and their relationships) are not read: say so, never lose them silently.
    if total_nodes > seen_nodes:
        result.dropped["没有图模型标签的节点"] = total_nodes - seen_nodes
    if total_rels > seen_rels:
        result.dropped["不在图模型中的关系（起点没有图模型标签，或起点类型在模型中没有出边）"] = (
            total_rels - seen_rels
        )
    if progress:
        progress(total_nodes + total_rels, total_nodes + total_rels)
    return result


def _write_all(w: AdminCsvWriter, fill: Callable[[AdminCsvWriter], None]) -> ExportResult:
    """Run `fill` then finish; on any failure remove what was written, so a half export never looks
    finished."""
    try:
        fill(w)
        return w.finish()
    except OSError as e:
        w.abort()
        raise ExportError(_os_message(w.out_dir, e)) from None
    except BaseException:
        w.abort()
        raise


def _os_message(out_dir: Path, e: OSError) -> str:
    if disk_full(e):
        return (
            f"写入 {out_dir} 时磁盘空间不足（{e.strerror}）。已删除写了一半的文件；"
            "请释放空间或换一个磁盘后重新导出。"
        )
    return f"写入 {out_dir} 失败：{e.strerror or e}。已删除写了一半的文件；请检查路径和权限后重新导出。"


# ------------------------------------------------------------------------------------------ ledgers
def export_ledgers(
    path: Path,
    out_dir: Path,
    *,
    pid_key: bytes,
    database: str = "neo4j",
    mapping_file: Path | None = None,
    spool_dir: Path | None = None,
) -> tuple[Any, ExportResult | None]:
    """Validate the ledgers under `path` (the loader's first pass, nothing is loaded) and convert its
    spooled writes to neo4j-admin CSV. Returns (ImportReport, result or None when the ledgers have errors)."""
    from orggraph.loaders.importer import plan_import
    from orggraph.loaders.writes import NODE_WRITES, REL_WRITES

    report, spool = plan_import(
        Path(path), None, pid_key=pid_key, mapping_file=mapping_file, spool_dir=spool_dir
    )
    if spool is None:
        return report, None

    def fill(w: AdminCsvWriter) -> None:
        for name, rows in spool.replay():
            nw = NODE_WRITES.get(name)
            if nw is not None:
                # Person rows come from two writes: ".member" adds PartyMember, ".plain" removes it.
                labels = (nw.label, "PartyMember") if name.endswith(".member") else (nw.label,)
                for row in rows:
                    w.node(nw.label, row["key"], labels, row["props"])
                continue
            rw = REL_WRITES[name]
            for row in rows:
                props = dict(row["props"])
                if "key" in row:
                    props["key"] = row["key"]
                w.rel(rw.start, rw.type, rw.end, row["a"], row["b"], props)

    try:
        result = _write_all(AdminCsvWriter(out_dir, database), fill)
    finally:
        spool.close()
    return report, result


def drop_summary(result: ExportResult) -> list[str]:
    """Chinese warning lines for what the export could not carry."""
    return [f"未导出 {n:,} 个：{what}" for what, n in sorted(result.dropped.items())]


__all__ += ["drop_summary", "schema_cypher_statements"]
