"""Cypher injection through every way a value reaches a query: ledger cells, codes, header aliases, the user's
mapping file, named-query parameters and `orggraph cypher --param`.

Every statement is a constant and every value a parameter, so an attempt must either load as plain text (and
come back byte-identical) or be refused as bad input; the store must be unchanged except for what was
legitimately loaded. The expected content of a load is derived from the same ledgers with plain values, by
substituting the hostile strings into it, so it does not trust the loader under test.
"""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import subprocess
import sys
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from faults.content import TEST_PID_KEY, Content, snapshot, write_ledgers, write_rows
from faults.ledgers import Ledgers, small_ledgers
from orggraph.graph.falkor import FalkorStore
from orggraph.graph.schema import NODES, RELS
from orggraph.graph.store import Store, StoreError
from orggraph.loaders.importer import import_ledgers
from orggraph.loaders.pinyin import initials

INJECTIONS = [
    '"}) DETACH DELETE n //',
    "') DETACH DELETE n //",
    "x` DETACH DELETE n //",
    "'; MATCH (n) DETACH DELETE n; //",
    '\\" }) MERGE (x:Evil {owned: true}) //',
    "` MATCH (n) SET n.pwned = true //",
    "$rows ${rows} {rows}",
    "名\n字\r\n换\\n行",
    "CALL db.labels() YIELD label RETURN label",
    "/* */ RETURN 1 //",
    "\\u0027 OR 1=1 --",
    "<script>alert(1)</script>",
]
# Codes are identities: quotes, backslashes, backticks and a line break inside them must survive too.
HOSTILE_CODES = {
    "G1": 'G1"}) DETACH DELETE n //',
    "G2": "G2\\'`",
    "C1": "C1' OR 1=1 --",
    "B1": "B1\n栋",
    "P0": "P0`) DETACH DELETE n //",
    "P2": "P2 $rows",
}
TEXT_PROPS = ("name", "title", "project", "post")
SENTINEL_CODES = ("SENTINEL-1", "SENTINEL-2")


def _hostile_ledgers(text: str) -> Ledgers:
    ledgers = small_ledgers(name=text)
    for rows in ledgers.values():
        for row in rows:
            for col, v in row.items():
                if v in HOSTILE_CODES:
                    row[col] = HOSTILE_CODES[v]
    return ledgers


def _swap(value: Any, text: str) -> Any:
    """A plain stored value as it must read after loading the hostile ledgers."""
    if isinstance(value, str):
        if value in HOSTILE_CODES:
            return HOSTILE_CODES[value]
        head, sep, tail = value.partition("-")  # household codes: building code + '-' + 户号
        if sep and head in HOSTILE_CODES:
            return HOSTILE_CODES[head] + sep + tail
    return value


def _expected(plain: Content, text: str) -> Content:
    def props(p: tuple[tuple[str, Any], ...]) -> tuple[tuple[str, Any], ...]:
        def one(k: str, v: Any) -> Any:
            if k in TEXT_PROPS:
                return text
            if k == "py":  # 拼音首字母 follow the name they are made from
                return initials(text)
            return _swap(v, text)

        return tuple((k, one(k, v)) for k, v in p)

    nodes: Counter[Any] = Counter()
    for (labels, p), n in plain.nodes.items():
        nodes[(labels, props(p))] += n
    rels: Counter[Any] = Counter()
    for (sl, sk, t, p, el, ek), n in plain.rels.items():
        rels[(sl, _swap(sk, text), t, props(p), el, _swap(ek, text))] += n
    return Content(nodes, rels)


def _sentinel(store: Store) -> None:
    """Content that is not in the ledgers: nothing loaded may touch it."""
    write_rows(
        store,
        "load.node.Grid",
        [{"key": c, "props": {"name": "哨兵", "households": 1}} for c in SENTINEL_CODES],
    )
    write_rows(store, "load.node.Person.plain", [{"key": "s" * 20, "props": {"name": "哨兵", "tags": ["x"]}}])
    write_rows(
        store,
        "load.rel.Person.SERVES.Grid",
        [
            {
                "a": "s" * 20,
                "b": "SENTINEL-1",
                "key": "k",
                "props": {"role": "专职网格员", "since": None, "until": None},
            }
        ],
    )


def _tokens(store: Store) -> tuple[set[str], set[str], set[str]]:
    """The labels, relationship types and property keys the store knows (Neo4j never forgets one: its test
    database keeps those of earlier tests, hence the comparison with what was there before)."""
    labels = {r[0] for r in store.read("CALL db.labels() YIELD label RETURN label").rows}
    types = {
        r[0]
        for r in store.read("CALL db.relationshipTypes() YIELD relationshipType RETURN relationshipType").rows
    }
    keys = {r[0] for r in store.read("CALL db.propertyKeys() YIELD propertyKey RETURN propertyKey").rows}
    return labels, types, keys


def _schema_only(store: Store, before: tuple[set[str], set[str], set[str]]) -> None:
    """Nothing but the schema's labels, types and property keys was added since `before` (_tokens)."""
    labels, types, keys = (now - then for now, then in zip(_tokens(store), before, strict=False))
    assert labels <= {*NODES, "PartyMember"}, labels
    assert types <= set(RELS), types
    known = {p.name for n in NODES.values() for p in n.props} | {
        p.name for r in RELS.values() for p in r.props
    }
    assert keys <= known, keys - known


@pytest.fixture
def plain_content(falkor_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Content:
    s = FalkorStore.embedded(falkor_data_dir, f"t_{uuid.uuid4().hex[:12]}")
    try:
        s.ensure_schema()
        folder = write_ledgers(tmp_path_factory.mktemp("plain"), small_ledgers(name="PLAIN"))
        assert import_ledgers(folder, s, pid_key=TEST_PID_KEY).ok
        return snapshot(s)
    finally:
        s.clear()
        s.close()


@pytest.mark.parametrize("text", INJECTIONS)
def test_hostile_cells_and_codes_load_as_plain_text(
    any_store: Store, tmp_path: Path, plain_content: Content, text: str
) -> None:
    any_store.ensure_schema()
    tokens = _tokens(any_store)
    _sentinel(any_store)
    sentinel = snapshot(any_store)
    report = import_ledgers(
        write_ledgers(tmp_path / "l", _hostile_ledgers(text)), any_store, pid_key=TEST_PID_KEY
    )
    assert report.ok, [i.format() for i in report.errors]
    got = snapshot(any_store)
    expected = _expected(plain_content, text)
    assert got == Content(sentinel.nodes + expected.nodes, sentinel.rels + expected.rels), Content(
        sentinel.nodes + expected.nodes, sentinel.rels + expected.rels
    ).diff(got)
    names = {
        r[0]
        for r in any_store.read("MATCH (g:Grid) WHERE NOT g.code STARTS WITH 'SENTINEL' RETURN g.name").rows
    }
    assert names == {text}  # byte-identical
    _schema_only(any_store, tokens)


def test_header_with_injection_is_an_unknown_column_and_nothing_is_written(
    any_store: Store, tmp_path: Path
) -> None:
    any_store.ensure_schema()
    _sentinel(any_store)
    before = snapshot(any_store)
    ledgers = small_ledgers()
    ledgers["人员"] = [
        {("身份证号' OR 1=1" if k == "身份证号" else k): v for k, v in row.items()} for row in ledgers["人员"]
    ]
    report = import_ledgers(write_ledgers(tmp_path / "l", ledgers), any_store, pid_key=TEST_PID_KEY)
    assert not report.ok and any("缺少必填列" in i.reason for i in report.errors)
    assert any("身份证号' OR 1=1" in i.reason for i in report.warnings)  # named as an ignored column
    assert snapshot(any_store) == before


def test_hostile_aliases_in_the_mapping_file(
    any_store: Store, tmp_path: Path, plain_content: Content
) -> None:
    any_store.ensure_schema()
    hostile_header = 'id"}) DETACH DELETE n //'
    ledgers = small_ledgers(name="PLAIN")
    ledgers["人员"] = [
        {(hostile_header if k == "身份证号" else k): v for k, v in row.items()} for row in ledgers["人员"]
    ]
    folder = write_ledgers(tmp_path / "l", ledgers)
    mapping = tmp_path / "mapping.json"
    mapping.write_text(
        json.dumps({"人员": {hostile_header: "身份证号"}}, ensure_ascii=False), encoding="utf-8"
    )
    report = import_ledgers(folder, any_store, pid_key=TEST_PID_KEY, mapping_file=mapping)
    assert report.ok, [i.format() for i in report.errors]
    assert snapshot(any_store) == plain_content  # the alias worked like the real header, and did nothing else
    # A mapping whose target is an injection attempt is refused, and nothing is written.
    any_store.clear()
    any_store.ensure_schema()
    mapping.write_text(json.dumps({"人员": {"x": "身份证号' OR 1=1"}}, ensure_ascii=False), encoding="utf-8")
    report = import_ledgers(folder, any_store, pid_key=TEST_PID_KEY, mapping_file=mapping)
    assert not report.ok and any("没有这一列" in i.reason for i in report.errors)
    assert snapshot(any_store).summary() == "0 nodes, 0 relationships"


def _catalog() -> list[Any]:
    import orggraph.queries as q

    for m in pkgutil.iter_modules(q.__path__):
        importlib.import_module(f"orggraph.queries.{m.name}")
    from orggraph.queries.catalog import CATALOG

    return list(CATALOG.values())


@pytest.mark.parametrize("query", _catalog(), ids=lambda q: q.name)
def test_named_queries_with_hostile_parameters_change_nothing(
    any_store: Store, tmp_path: Path, query: Any
) -> None:
    any_store.ensure_schema()
    assert import_ledgers(write_ledgers(tmp_path / "l", small_ledgers()), any_store, pid_key=TEST_PID_KEY).ok
    before = snapshot(any_store)
    for text in INJECTIONS:
        params = {p.name: text for p in query.params}
        for statement in dict.fromkeys((query.text, *query.variants.values())):  # scoped: one per scope level
            try:
                any_store.read(statement, params, timeout=10)
            except StoreError:
                pass  # a clean refusal (bad date, type mismatch) is fine; anything else escapes and fails
    assert snapshot(any_store) == before


def test_cli_cypher_parameters_are_values(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with FalkorStore.embedded(data, "orggraph") as s:
        s.ensure_schema()
        assert import_ledgers(write_ledgers(tmp_path / "l", small_ledgers()), s, pid_key=TEST_PID_KEY).ok
        before = snapshot(s)
    env = {**os.environ, "ORGGRAPH_DATA_DIR": str(data), "ORGGRAPH_PID_KEY": TEST_PID_KEY.decode()}
    for text in INJECTIONS[:6]:
        r = subprocess.run(
            [sys.executable, "-m", "orggraph", "cypher", "MATCH (g:Grid {code: $c}) RETURN g.code AS code",
             "--param", f"c={text}", "--json"],
            env=env, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert r.returncode == 0 and json.loads(r.stdout) == [], (text, r.stdout, r.stderr)
    r = subprocess.run(
        [sys.executable, "-m", "orggraph", "cypher", "MATCH (g:Grid {code: $c}) RETURN g.name AS name",
         "--param", f"c={HOSTILE_CODES['G1']}", "--json"],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert r.returncode == 0 and json.loads(r.stdout) == [], (
        r.stderr
    )  # the plain ledgers have code G1, not this
    with FalkorStore.embedded(data, "orggraph") as s:
        assert snapshot(s) == before


def test_oversized_request_bodies_are_refused_with_a_message(store: FalkorStore, tmp_path: Path) -> None:
    """The API takes no file uploads; its bodies (Cypher and its parameters, person lookups) are capped,
    whether the client declares the length or streams it."""
    from fastapi.testclient import TestClient
    from orggraph.api.app import create_app
    from orggraph.api.auth import Role, TokenRegistry, tokens_path

    from orggraph.settings import Settings

    settings = Settings(data_dir=tmp_path / "data")
    token, _ = TokenRegistry(tokens_path(settings.data_dir)).create(Role.admin, None, "fuzz")
    headers = {"Authorization": f"Bearer {token}", "content-type": "application/json"}
    store.ensure_schema()
    with TestClient(create_app(settings, store), raise_server_exceptions=False) as client:
        big = json.dumps({"query": "RETURN $p AS p", "params": {"p": "长" * (10 << 20)}})

        def streamed() -> Any:
            yield b'{"query": "RETURN $p AS p", "params": {"p": "'
            for _ in range(30):
                yield b"x" * (1 << 20)
            yield b'"}}'

        for body in (big, streamed()):
            r = client.post("/api/cypher", content=body, headers=headers)
            assert r.status_code == 413 and "请求体超过" in r.json()["detail"], (r.status_code, r.text[:200])
        r = client.post("/api/cypher", json={"query": "RETURN 1 AS one", "params": {}}, headers=headers)
        assert r.status_code == 200  # and the server still answers
