"""queries/adhoc_guard.py: analysts' Cypher checked by token before it reaches the store."""

from __future__ import annotations

import time

import pytest
from orggraph.queries.adhoc_guard import (
    MAX_DEPTH,
    MAX_LENGTH,
    MAX_MATCHES,
    AdhocRefused,
    cap_rows,
    check_adhoc,
    tokens,
)


@pytest.mark.parametrize(
    "query",
    [
        "CREATE (n {`x`: 1})",
        "MATCH (s:Street) SET s.name = 'x'",
        "MATCH (p) DETACH DELETE p",
        "MATCH (p) DELETE p",
        "MERGE (:Unit {code: 'x'})",
        "MATCH (n) REMOVE n.name",
        "MATCH (n) WITH collect(n) AS ns FOREACH (x IN ns | SET x.a = 1)",
        "match (s) with s limit 1 create (s)-[:R]->()",
        "MATCH (n) CALL { WITH n SET n.x = 1 } RETURN n",
        "CALL db.idx.fulltext.createNodeIndex('Person', 'name')",
        "CALL dbms.killQuery(1)",
        "DROP INDEX ON :Person(name)",
        "MATCH (n) RETURN n /* comment */ ; CREATE (m)",
    ],
)
def test_writes_are_refused_before_the_store(query: str) -> None:
    with pytest.raises(AdhocRefused) as e:
        check_adhoc(query)
    assert e.value.status == 403 and ("只读" in str(e.value) or "过程" in str(e.value))


@pytest.mark.parametrize(
    "query",
    [
        "MATCH (n:Person) WHERE n.name = 'CREATE (x)' RETURN n.name",  # in a string
        'MATCH (n) WHERE n.source CONTAINS "SET" RETURN count(n)',
        "MATCH (n) // DELETE n\nRETURN count(n)",  # in comments
        "MATCH (n) /* MERGE\n (m) */ RETURN count(n)",
        "MATCH (n) RETURN n.set, n.`delete` AS `create`",  # property and escaped names
        "MATCH (n) RETURN {create: 1, set: 2} AS m",  # map keys
        "CALL db.labels() YIELD label RETURN label",
        "CALL db.propertyKeys()",
        "MATCH (n) CALL { WITH n RETURN n.name AS x } RETURN x",
        "RETURN 'it''s' AS s, \"a \\\" quote\" AS t",
    ],
)
def test_reads_pass(query: str) -> None:
    check_adhoc(query)


def test_load_csv_is_refused() -> None:
    with pytest.raises(AdhocRefused) as e:
        check_adhoc("LOAD CSV FROM 'file:///etc/passwd' AS row RETURN row")
    assert e.value.status == 403 and "LOAD CSV" in str(e.value)
    check_adhoc("RETURN 'LOAD CSV' AS text")  # only as a clause


def test_deep_nesting_is_refused_quickly() -> None:
    ok = "RETURN " + "[" * MAX_DEPTH + "1" + "]" * MAX_DEPTH + " AS x"
    check_adhoc(ok)
    for depth in (MAX_DEPTH + 1, 23, 1000, 6000):
        q = "RETURN " + "[" * depth + "1" + "]" * depth + " AS x"
        with pytest.raises(AdhocRefused) as e:
            check_adhoc(q)
        assert e.value.status == 400 and "嵌套太深" in str(e.value)
    mixed = "RETURN " + "([{" * 5 + "1" + "}])" * 5
    with pytest.raises(AdhocRefused):
        check_adhoc(mixed)
    # brackets in strings do not count
    check_adhoc("RETURN '" + "[" * 100 + "' AS s")


def test_nesting_check_is_linear() -> None:
    t = time.perf_counter()
    with pytest.raises(AdhocRefused):
        check_adhoc("RETURN " + "[" * 5000 + "1" + "]" * 5000)
    assert time.perf_counter() - t < 2.0  # the store took minutes on this; generous bound for a slow CI


def test_length_and_match_count() -> None:
    with pytest.raises(AdhocRefused) as e:
        check_adhoc("RETURN 1 AS x " + " " * MAX_LENGTH)
    assert e.value.status == 400 and "太长" in str(e.value)
    many = " ".join(f"MATCH (n{i})" for i in range(MAX_MATCHES + 1)) + " RETURN 1"
    with pytest.raises(AdhocRefused) as e:
        check_adhoc(many)
    assert "MATCH 太多" in str(e.value)
    check_adhoc(" ".join(f"MATCH (n{i})" for i in range(MAX_MATCHES)) + " RETURN 1")


@pytest.mark.parametrize(
    "query",
    ["RETURN 'open", "MATCH (n RETURN n", "RETURN [1, 2", "RETURN 1 /* open", "MATCH (n)) RETURN n"],
)
def test_broken_text_is_a_400_naming_the_problem(query: str) -> None:
    with pytest.raises(AdhocRefused) as e:
        check_adhoc(query)
    assert e.value.status == 400 and str(e.value).startswith("查询有误")


def _cap(q: str, cap: int = 101, params: dict[str, object] | None = None) -> str:
    return cap_rows(q, list(tokens(q)), cap, params)


def test_cap_rows() -> None:
    assert (
        _cap("UNWIND range(1, 3000000) AS x RETURN x") == "UNWIND range(1, 3000000) AS x RETURN x LIMIT 101"
    )
    assert _cap("MATCH (n) RETURN n ORDER BY n.name;") == "MATCH (n) RETURN n ORDER BY n.name LIMIT 101;"
    assert _cap("MATCH (n) RETURN n // last\n") == "MATCH (n) RETURN n LIMIT 101 // last\n"
    assert _cap("RETURN 1 AS x LIMIT 5") == "RETURN 1 AS x LIMIT 5"
    assert _cap("RETURN 1 AS x LIMIT 5000000") == "RETURN 1 AS x LIMIT 101"
    assert _cap("RETURN 1 AS x LIMIT $n", params={"n": 10**9}) == "RETURN 1 AS x LIMIT 101"
    assert _cap("RETURN 1 AS x LIMIT $n", params={"n": 3}) == "RETURN 1 AS x LIMIT $n"
    assert (
        _cap("RETURN 1 AS x UNION RETURN 2 AS x") == "RETURN 1 AS x LIMIT 101 UNION RETURN 2 AS x LIMIT 101"
    )
    # a RETURN inside a subquery is not the final one
    assert _cap("MATCH (n) CALL { WITH n RETURN n.a AS a } RETURN a") == (
        "MATCH (n) CALL { WITH n RETURN n.a AS a } RETURN a LIMIT 101"
    )
    assert _cap("CALL db.labels()") == "CALL db.labels()"


def test_capped_query_runs_on_the_store(store) -> None:  # type: ignore[no-untyped-def]
    q = _cap("UNWIND range(1, 3000000) AS x RETURN x ORDER BY x DESC", cap=11)
    r = store.read(q, max_rows=10)
    assert len(r.rows) == 10 and r.truncated and r.rows[0] == [3000000]


def test_huge_ranges_are_refused() -> None:
    for q, params in [
        ("UNWIND range(1, 300000000) AS x WITH x ORDER BY x DESC RETURN x", None),
        ("RETURN size(range(0, 20000000, 1)) AS n", None),
        ("UNWIND range(-5, 10000000) AS x RETURN count(x)", None),
        ("UNWIND range(1, $n) AS x RETURN x", {"n": 10**9}),
    ]:
        with pytest.raises(AdhocRefused) as e:
            check_adhoc(q, params)
        assert e.value.status == 400 and "range()" in str(e.value)
    check_adhoc("UNWIND range(1, 3000000) AS x RETURN x")  # big, but capped by LIMIT: allowed
    check_adhoc("UNWIND range(1, 300000000, 100) AS x RETURN x")  # 3 million elements
    check_adhoc("UNWIND range(1, $n) AS x RETURN x", {"n": 10})
    check_adhoc("MATCH (n) UNWIND range(1, n.households * 1000000) AS x RETURN count(x)")  # not judged here
    check_adhoc("RETURN 'range(1, 999999999)' AS s")
