"""The store interface's streamed writes, on both stores: in order, one transaction each, errors as the
store's own."""

from __future__ import annotations

import pytest
from orggraph.graph.store import QueryError, Store

CREATE = "UNWIND $rows AS row CREATE (:Grid {code: row})"
LINK = "UNWIND $rows AS row MATCH (a:Grid {code: row[0]}), (b:Grid {code: row[1]}) CREATE (a)-[:PART_OF]->(b)"


def test_stream_writes_in_order_and_yields_each_tag_when_done(any_store: Store) -> None:
    writes = [
        (CREATE, {"rows": ["a", "b"]}, 1),
        (LINK, {"rows": [["a", "b"]]}, 2),
        (CREATE, {"rows": ["c"]}, 3),
    ]
    seen = []
    for tag in any_store.write_stream(iter(writes)):
        seen.append((tag, any_store.read("MATCH (g:Grid) RETURN count(g)").scalar()))
    assert seen == [(1, 2), (2, 2), (3, 3)]  # a link written after the nodes it needs, each done when yielded
    assert any_store.read("MATCH (a)-[:PART_OF]->(b) RETURN a.code, b.code").rows == [["a", "b"]]


def test_a_failing_write_stops_the_stream_with_the_stores_error(any_store: Store) -> None:
    any_store.ensure_schema()  # Grid.code is unique
    writes = [(CREATE, {"rows": ["a"]}, 1), (CREATE, {"rows": ["a"]}, 2), (CREATE, {"rows": ["z"]}, 3)]
    done = []
    with pytest.raises(QueryError):
        for tag in any_store.write_stream(iter(writes)):
            done.append(tag)
    assert done == [1]
    assert any_store.read("MATCH (g:Grid) RETURN g.code ORDER BY g.code").rows == [
        ["a"]
    ]  # nothing after the failure
