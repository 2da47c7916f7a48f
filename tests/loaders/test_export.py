"""`orggraph export --neo4j-admin`: the files are what `neo4j-admin database import full` documents, and
importing them would give exactly the store's graph.

The validator below encodes the documented rules (Neo4j Operations Manual, "Import header format" and
"Full import"), so the test needs no Neo4j: header fields are `<name>:<field_type>` with the documented
types (`[]` for arrays), node groups have one `ID(space)` and a `:LABEL`, relationship groups have
`:START_ID(space)`, `:END_ID(space)` and `:TYPE`; a separate header file comes first in each group; every
START_ID/END_ID names a node of that ID space; IDs are unique per space; `"` quotes and is escaped by
doubling (no backslash escapes); a quoted "" is an empty string and an empty unquoted field is no value;
arrays and labels split on --array-delimiter; line breaks inside values need --multiline-fields=true.
The graph rebuilt from the files by these rules must equal the store's content.
"""

from __future__ import annotations

import re
import shlex
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from faults.content import (
    HOSTILE,
    TEST_PID_KEY,
    Content,
    freeze,
    hostile_graph,
    snapshot,
    use_store,
    write_ledgers,
    write_rows,
)
from orggraph.api.cli import main as cli_main
from orggraph.graph.store import NEO4J_DDL, Store
from orggraph.loaders.demo import generate
from orggraph.loaders.export import (
    EMPTY_LIST_MARKER,
    EMPTY_LIST_STATEMENTS,
    ExportError,
    ExportResult,
    export_ledgers,
    export_store,
    schema_cypher_statements,
    store_counts,
)
from orggraph.loaders.importer import import_ledgers
from orggraph.loaders.writes import node_write

# ------------------------------------------------------------------------------------------ validator
_DATA_TYPES = {
    "int", "long", "float", "double", "boolean", "byte", "short", "char", "string",
    "point", "date", "localtime", "time", "localdatetime", "datetime", "duration",
}  # fmt: skip
_HEADER_FIELD = re.compile(
    r"^(?P<name>[^:]*)(?::(?P<type>[A-Za-z_]+)(?:\((?P<space>[^()]+)\))?(?P<array>\[\])?)?$"
)
_REL_TYPE = re.compile(r"^[A-Z][A-Z0-9_]*$")


class Invalid(AssertionError):
    pass


def parse_csv(text: str, delimiter: str = ",", quote: str = '"') -> tuple[list[list[tuple[str, bool]]], bool]:
    """RFC 4180 as Neo4j reads it: fields as (value, was_quoted); True when a quoted value spans lines."""
    rows: list[list[tuple[str, bool]]] = []
    row: list[tuple[str, bool]] = []
    i, n, multiline = 0, len(text), False
    while i < n:
        if text[i] == quote:
            i += 1
            buf = []
            while True:
                if i >= n:
                    raise Invalid("unterminated quoted field")
                c = text[i]
                if c == quote:
                    if i + 1 < n and text[i + 1] == quote:
                        buf.append(quote)
                        i += 2
                        continue
                    i += 1
                    break
                if c in "\r\n":
                    multiline = True
                buf.append(c)
                i += 1
            row.append(("".join(buf), True))
            if i < n and text[i] not in (delimiter, "\n"):
                raise Invalid(f"text after a closing quote at offset {i}: {text[i : i + 20]!r}")
        else:
            j = i
            while j < n and text[j] not in (delimiter, "\n"):
                j += 1
            value = text[i:j]
            if quote in value:
                raise Invalid(f"quote inside an unquoted field: {value!r}")
            row.append((value, False))
            i = j
        if i < n and text[i] == delimiter:
            i += 1
            if i == n or text[i] == "\n":
                row.append(("", False))
        if i < n and text[i] == "\n":
            rows.append(row)
            row = []
            i += 1
    if row:
        rows.append(row)
    return rows, multiline


@dataclass
class HeaderField:
    name: str
    type: str  # ID, LABEL, START_ID, END_ID, TYPE, IGNORE or a data type
    space: str | None
    array: bool


def parse_header(line: str) -> list[HeaderField]:
    rows, _ = parse_csv(line)
    assert len(rows) == 1, f"header file must hold one line: {line!r}"
    out = []
    for raw, _quoted in rows[0]:
        m = _HEADER_FIELD.match(raw)
        if not m:
            raise Invalid(f"malformed header field {raw!r}")
        name, type_, space, array = m["name"], m["type"] or "string", m["space"], bool(m["array"])
        if type_ in ("ID", "START_ID", "END_ID"):
            if array:
                raise Invalid(f"{raw!r}: an ID is not an array")
        elif type_ in ("LABEL", "TYPE", "IGNORE"):
            if space or array:
                raise Invalid(f"{raw!r}: {type_} takes no ID space or []")
        elif type_ in _DATA_TYPES:
            if space:
                raise Invalid(f"{raw!r}: a property takes no ID space")
            if not name:
                raise Invalid(f"{raw!r}: a property needs a name")
        else:
            raise Invalid(f"{raw!r}: unknown field type {type_!r}")
        out.append(HeaderField(name, type_, space, array))
    props = [f.name for f in out if f.type in _DATA_TYPES or (f.type == "ID" and f.name)]
    if len(props) != len(set(props)):
        raise Invalid(f"property named twice in {line!r}")
    return out


def _value(raw: str, quoted: bool, f: HeaderField, array_delimiter: str) -> Any:
    """A field's value as the importer stores it; None = no property."""
    if raw == "" and not quoted:
        return None
    if f.array:
        items = raw.split(array_delimiter) if raw else []
        return [_scalar(x, f.type) for x in items] or None
    return _scalar(raw, f.type)


def _scalar(raw: str, type_: str) -> Any:
    if type_ in ("string", "char"):
        return raw
    if type_ in ("int", "long", "short", "byte"):
        if not re.fullmatch(r"-?\d+", raw):
            raise Invalid(f"{raw!r} is not a {type_}")
        v = int(raw)
        bits = {"byte": 8, "short": 16, "int": 32, "long": 64}[type_]
        if not -(2 ** (bits - 1)) <= v < 2 ** (bits - 1):
            raise Invalid(f"{raw!r} overflows {type_}")
        return v
    if type_ in ("float", "double"):
        return float(raw)
    if type_ == "boolean":
        if raw not in ("true", "false"):
            raise Invalid(f"{raw!r}: write booleans as true/false (anything else imports as false)")
        return raw == "true"
    raise Invalid(f"type {type_} not expected in orggraph's export")


@dataclass
class Imported:
    """What `neo4j-admin database import full` would build from the files, by the documented rules."""

    database: str
    options: dict[str, str]
    nodes: dict[str, dict[str, tuple[tuple[str, ...], dict[str, Any]]]] = field(default_factory=dict)
    rels: list[tuple[str, str, str, dict[str, Any], str, str]] = field(default_factory=list)
    multiline_seen: bool = False

    def content(self) -> Content:
        nodes: Counter[Any] = Counter()
        for space in self.nodes.values():
            for labels, props in space.values():
                nodes[(tuple(sorted(labels)), freeze(props))] += 1
        rels: Counter[Any] = Counter()
        for s_space, s_id, t, props, e_space, e_id in self.rels:
            rels[(s_space, s_id, t, freeze(props), e_space, e_id)] += 1
        return Content(nodes, rels)


def simulate_import(command: str) -> Imported:
    args = shlex.split(command.replace("\\\n", " "))
    assert args[:4] == ["neo4j-admin", "database", "import", "full"], args[:4]
    database = args[4]
    assert not database.startswith("-"), "the database name goes right after `full` (Neo4j 5.19+)"
    options: dict[str, str] = {}
    groups: list[tuple[str, list[Path]]] = []
    for a in args[5:]:
        m = re.fullmatch(r"--([a-z-]+)=(.*)", a, re.S)
        assert m, f"not an --option=value: {a!r}"
        k, v = m[1], m[2]
        if k in ("nodes", "relationships"):
            assert "=" not in v, "labels/types come from the files, not the command"
            groups.append((k, [Path(p) for p in v.split(",")]))
        else:
            assert k not in options, f"--{k} given twice"
            options[k] = v
    delimiter, quote = options.get("delimiter", ","), options.get("quote", '"')
    array_delimiter = options.get("array-delimiter", ";")
    assert len(delimiter) == 1 and len(delimiter.encode()) == 1, (
        "the delimiter must be one single-byte character"
    )
    assert array_delimiter != delimiter and quote not in (delimiter, array_delimiter)
    assert options.get("trim-strings", "false") == "false"
    assert options.get("ignore-empty-strings", "false") == "false"
    assert options.get("id-type", "string") == "string"
    out = Imported(database, options)
    pending_rels: list[tuple[list[HeaderField], list[list[tuple[str, bool]]], str]] = []
    for kind, files in groups:
        for p in files:
            assert p.is_absolute() and p.is_file(), p
        header_text = _read(files[0])
        assert not header_text.startswith("\ufeff"), "a BOM would become part of the first header field"
        assert header_text.count("\n") == 1 and header_text.endswith("\n"), "header file = one header line"
        fields = parse_header(header_text.rstrip("\n"))
        rows: list[list[tuple[str, bool]]] = []
        for data in files[1:]:
            text = _read(data)
            assert not text.startswith("\ufeff")
            parsed, multiline = parse_csv(text, delimiter, quote)
            out.multiline_seen |= multiline
            rows += parsed
        for r in rows:
            if len(r) != len(fields):
                raise Invalid(f"{files[1].name}: {len(r)} fields for {len(fields)} header fields: {r!r}")
        if kind == "nodes":
            _read_nodes(out, fields, rows, array_delimiter, files[0].name)
        else:
            pending_rels.append((fields, rows, files[0].name))
    for fields, rows, name in pending_rels:  # every node group is read before relationships resolve
        _read_rels(out, fields, rows, array_delimiter, name)
    if out.multiline_seen:
        assert options.get("multiline-fields") == "true", (
            "values span lines: --multiline-fields=true is needed"
        )
    return out


def _read(path: Path) -> str:
    with open(path, encoding="utf-8", newline="") as f:  # keep \r\n inside values as written
        return f.read()


def after_schema_cypher(props: dict[str, Any]) -> dict[str, Any]:
    """What schema.cypher's last statements do: a list marked empty becomes [], the marker goes."""
    for marker in [k for k in props if k.startswith(EMPTY_LIST_MARKER.format(""))]:
        if props.pop(marker) is True:
            props[marker.removeprefix(EMPTY_LIST_MARKER.format(""))] = []
    return props


def _read_nodes(out: Imported, fields: list[HeaderField], rows: list[Any], adelim: str, name: str) -> None:
    ids = [i for i, f in enumerate(fields) if f.type == "ID"]
    labels_at = [i for i, f in enumerate(fields) if f.type == "LABEL"]
    assert len(ids) == 1, f"{name}: one ID column per node group"
    assert len(labels_at) <= 1, f"{name}: at most one :LABEL column"
    assert not any(f.type in ("START_ID", "END_ID", "TYPE") for f in fields), name
    id_field = fields[ids[0]]
    space = id_field.space or ""
    nodes = out.nodes.setdefault(space, {})
    for r in rows:
        raw_id, _ = r[ids[0]]
        if raw_id == "":
            raise Invalid(f"{name}: a node without an ID")
        if raw_id in nodes:
            raise Invalid(f"{name}: duplicate ID {raw_id!r} in ID space {space!r}")
        labels: tuple[str, ...] = ()
        if labels_at:
            raw, _ = r[labels_at[0]]
            labels = tuple(x for x in raw.split(adelim)) if raw else ()
            assert all(labels), f"{name}: empty label in {raw!r}"
        assert space in labels, f"{name}: node {raw_id} lacks the label of its ID space {space}"
        props: dict[str, Any] = {}
        if id_field.name:
            props[id_field.name] = raw_id  # stored as a string property (--id-type=string)
        for f, (raw, quoted) in zip(fields, r, strict=False):
            if f.type in _DATA_TYPES:
                v = _value(raw, quoted, f, adelim)
                if v is not None:
                    props[f.name] = v
        nodes[raw_id] = (labels, after_schema_cypher(props))


def _read_rels(out: Imported, fields: list[HeaderField], rows: list[Any], adelim: str, name: str) -> None:
    def one(t: str) -> int:
        at = [i for i, f in enumerate(fields) if f.type == t]
        assert len(at) == 1, f"{name}: exactly one :{t}"
        return at[0]

    s, e, t = one("START_ID"), one("END_ID"), one("TYPE")
    assert not any(f.type in ("ID", "LABEL") for f in fields), name
    s_space, e_space = fields[s].space or "", fields[e].space or ""
    for sp in (s_space, e_space):
        assert sp in out.nodes, f"{name}: ID space {sp!r} has no node group"
    for r in rows:
        a, b, type_ = r[s][0], r[e][0], r[t][0]
        if a not in out.nodes[s_space]:
            raise Invalid(f"{name}: START_ID {a!r} is not a node of {s_space}")
        if b not in out.nodes[e_space]:
            raise Invalid(f"{name}: END_ID {b!r} is not a node of {e_space}")
        if not _REL_TYPE.match(type_):
            raise Invalid(f"{name}: bad relationship type {type_!r}")
        props = {}
        for f, (raw, quoted) in zip(fields, r, strict=False):
            if f.type in _DATA_TYPES:
                v = _value(raw, quoted, f, adelim)
                if v is not None:
                    props[f.name] = v
        out.rels.append((s_space, a, type_, after_schema_cypher(props), e_space, b))


def check_command(command: str, store: Store) -> Imported:
    """The full check: documented format, referential integrity, counts and content equal to the store's."""
    imported = simulate_import(command)
    n_nodes, n_rels = store_counts(store)
    assert sum(len(v) for v in imported.nodes.values()) == n_nodes and len(imported.rels) == n_rels
    expected = snapshot(store)  # exactly: `tags: []` too, once schema.cypher has restored it
    got = imported.content()
    assert got == expected, expected.diff(got)
    return imported


def check_export(result: ExportResult, store: Store) -> Imported:
    imported = check_command(result.command(), store)
    assert (result.total_nodes, result.total_relationships) == store_counts(store)
    return imported


# -------------------------------------------------------------------------------------------- tests
@pytest.mark.parametrize("page", [2, 10_000])
def test_store_export_is_documented_format_and_equals_store(store: Store, tmp_path: Path, page: int) -> None:
    hostile_graph(store)
    result = export_store(store, tmp_path / "out", page=page)
    imported = check_export(result, store)
    assert imported.database == "neo4j"
    assert result.multiline and imported.options["multiline-fields"] == "true"
    assert result.empty_arrays == 1  # b's tags: [], marked in its own column, restored by schema.cypher
    assert (
        imported.nodes["Person"]["b" * 20][1]["tags"] == []
        and "orggraph_empty_tags" not in imported.nodes["Person"]["b" * 20][1]
    )
    assert not result.dropped
    header = (tmp_path / "out" / "nodes" / "Person.header.csv").read_text(encoding="utf-8")
    assert header.startswith("pid:ID(Person),") and "birth_year:long" in header and "tags:string[]" in header
    assert header.rstrip("\n").endswith(":LABEL")
    rel_header = (tmp_path / "out" / "relationships" / "Person.SERVES.Grid.header.csv").read_text(
        encoding="utf-8"
    )
    assert rel_header.startswith(":START_ID(Person),:END_ID(Grid),:TYPE,") and "key:string" in rel_header
    # Labels: PartyMember rides along on the member only.
    persons = imported.nodes["Person"]
    assert persons["a" * 20][0] == ("Person", "PartyMember") and persons["b" * 20][0] == ("Person",)
    # Hostile values come back byte-identical, empty strings stay strings, missing stays missing.
    assert {imported.nodes["Grid"][f"G,{i}"][1].get("name") for i in range(7)} == set(HOSTILE)
    assert (
        "population" not in imported.nodes["Grid"]["G,1"][1]
        and imported.nodes["Grid"]["G,0"][1]["population"] == 2**40
    )
    assert (tmp_path / "out" / "schema.cypher").read_text(encoding="utf-8").count("CREATE CONSTRAINT") == 9
    schema = (tmp_path / "out" / "schema.cypher").read_text(encoding="utf-8")
    assert EMPTY_LIST_STATEMENTS and schema_cypher_statements(schema) == [*NEO4J_DDL, *EMPTY_LIST_STATEMENTS]
    script = (tmp_path / "out" / "import.sh").read_text(encoding="utf-8")
    # import.sh runs ${NEO4J_ADMIN:-neo4j-admin} with the printed command's arguments, then "$@".
    assert result.command().removeprefix("neo4j-admin ") + ' \\\n    "$@"\n' in script
    assert "exec ${NEO4J_ADMIN:-neo4j-admin} database import full neo4j" in script


def test_validator_rejects_what_neo4j_would(store: Store, tmp_path: Path) -> None:
    """The validator must be able to fail: break the files in the ways it claims to check."""
    hostile_graph(store)
    result = export_store(store, tmp_path / "out")
    check_export(result, store)
    grid_header = tmp_path / "out" / "nodes" / "Grid.header.csv"
    rels = tmp_path / "out" / "relationships" / "Grid.PART_OF.Community.csv"
    good_header, good_rels = grid_header.read_text(encoding="utf-8"), rels.read_text(encoding="utf-8")
    for bad in (
        "code:ID(Grid),name:strng,:LABEL\n",
        "code:ID(Grid),:int,:LABEL\n",
        "code:ID(Grid),name,name,:LABEL\n",
    ):
        grid_header.write_text(bad, encoding="utf-8")
        with pytest.raises(Invalid):
            simulate_import(result.command())
    grid_header.write_text(good_header, encoding="utf-8")
    rels.write_text(good_rels.replace('"G,3"', '"G,99"', 1), encoding="utf-8")
    with pytest.raises(Invalid, match="START_ID"):
        simulate_import(result.command())
    rels.write_text(good_rels, encoding="utf-8")
    no_multiline = result.command().replace(" \\\n    --multiline-fields=true", "")
    with pytest.raises(AssertionError, match="multiline"):
        simulate_import(no_multiline)
    check_export(result, store)


def test_array_element_with_delimiter_is_refused(store: Store, tmp_path: Path) -> None:
    store.ensure_schema()
    write_rows(store, node_write("Person", "plain"), [{"key": "p1", "props": {"name": "x", "tags": ["a;b"]}}])
    with pytest.raises(ExportError, match="分隔符"):
        export_store(store, tmp_path / "out")
    assert not (tmp_path / "out" / "import.sh").exists() and not (tmp_path / "out" / "nodes").exists()


def test_output_folder_rules(store: Store, tmp_path: Path) -> None:
    hostile_graph(store)
    other = tmp_path / "someone-elses"
    other.mkdir()
    (other / "keep.txt").write_text("x")
    with pytest.raises(ExportError, match="不是空的"):
        export_store(store, other)
    assert (other / "keep.txt").exists()
    out = tmp_path / "out"
    export_store(store, out)
    (out / "nodes" / "Stale.csv").write_text("old")
    result = export_store(store, out)  # an earlier export is replaced whole
    assert not (out / "nodes" / "Stale.csv").exists()
    check_export(result, store)


def test_empty_store_exports_nothing_but_the_command(store: Store, tmp_path: Path) -> None:
    result = export_store(store, tmp_path / "out")
    assert result.total_nodes == 0 and result.node_files == []
    assert result.command().startswith("neo4j-admin database import full neo4j")


def test_cli_export_from_store(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    hostile_graph(store)
    use_store(monkeypatch, store, tmp_path / "data")
    assert cli_main(["export", "--neo4j-admin", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "--array-delimiter=;" in out
    command = out[out.index("neo4j-admin database import full neo4j") :].split("\n\n")[0]
    check_command(command, store)


def test_what_the_model_does_not_know_is_reported_not_lost_silently(store: Store, tmp_path: Path) -> None:
    hostile_graph(store)
    store.write("CREATE (:Alien {code: 'x'})")  # a label outside the model
    store.write(
        "MATCH (a:Grid {code: 'G,0'}), (b:Grid {code: 'G,1'}) CREATE (a)-[:WEIRD]->(b)"
    )  # a type outside it
    store.write(
        "MATCH (d:District), (g:Grid {code: 'G,2'}) CREATE (d)-[:PART_OF]->(g)"
    )  # a pattern outside it
    result = export_store(store, tmp_path / "out")
    dropped = result.dropped
    assert dropped.get("没有图模型标签的节点") == 1
    assert dropped.get("Grid-[WEIRD]->Grid（不在图模型中的关系）") == 1
    assert sum(v for k, v in dropped.items() if "关系" in k) == 2
    n_nodes, n_rels = store_counts(store)
    assert result.total_nodes == n_nodes - 1 and result.total_relationships == n_rels - 2
    simulate_import(result.command())  # what was written is still a valid import


def test_export_from_ledgers_equals_the_loaded_store(store: Store, tmp_path: Path) -> None:
    """The ledgers converted straight to CSV (no store) import to exactly what `orggraph load` puts in the
    store."""
    ledgers = tmp_path / "ledgers"
    generate(ledgers, residents=1000)
    report, result = export_ledgers(ledgers, tmp_path / "out", pid_key=TEST_PID_KEY)
    assert report.ok and result is not None
    store.ensure_schema()
    assert import_ledgers(ledgers, store, pid_key=TEST_PID_KEY).ok
    check_export(result, store)
    assert result.nodes["Person"] > 1000 and "Person.LIVES_IN.Household" in result.relationships


def test_cli_export_from_bad_ledgers_exports_nothing(tmp_path: Path, capsys: Any) -> None:
    folder = write_ledgers(tmp_path / "bad", {"网格": [{"区县": "万山区", "街道编码": "S1"}]})
    assert cli_main(["export", "--neo4j-admin", str(tmp_path / "out"), "--from-ledgers", str(folder)]) == 2
    assert "缺少必填列" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
