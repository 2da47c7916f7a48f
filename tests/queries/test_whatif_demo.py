"""The issue's "done when" on a demo district (loaders/demo.py), on both stores: ending the service of a
grid's only 专职网格员 lists the grid under 无专职网格员的网格, the 专职网格员 coverage drops by exactly one
grid, and
the sole-contact change of that grid is listed."""

from __future__ import annotations

from pathlib import Path

from orggraph.graph.store import Store
from orggraph.queries.coverage import grid_worker_load, sole_contacts
from orggraph.queries.scope import today
from orggraph.queries.whatif import what_if

_DIRECT = (
    "MATCH (g:Grid {code: $grid})<-[r:SERVES|CONTACTS]-(p:Person)"
    " WHERE (r.since IS NULL OR r.since <= $as_of) AND (r.until IS NULL OR r.until >= $as_of)"
    " RETURN DISTINCT p.pid AS pid, p.name AS name"
)


def test_ending_the_only_fulltime_worker_on_the_demo(any_store: Store, tmp_path: Path) -> None:
    from orggraph.loaders.demo import generate
    from orggraph.loaders.importer import import_ledgers

    generate(tmp_path / "demo", residents=1000, seed=7)
    any_store.ensure_schema()
    assert import_ledgers(tmp_path / "demo", any_store, pid_key=b"orggraph-test-key").ok
    day = today()
    grid = next(g for g in grid_worker_load(any_store, None, day) if g["fulltime"] == 1)
    worker = grid["workers"][0]["pid"]
    rows = any_store.read(_DIRECT, {"grid": grid["code"], "as_of": day}).rows
    direct = {pid for pid, _ in rows}
    sole_before = {(s["pid"], g) for s in sole_contacts(any_store, None, day) for g in s["grids"]}

    a = what_if(
        any_store, [{"op": "end", "person": worker, "target": grid["code"], "role": "专职网格员"}], None, day
    )

    gaps = {g["list"]: g for g in a["gaps"]}
    assert [it["key"] for it in gaps["grids_without_fulltime"]["appeared"]] == [grid["code"]]
    ft = next(m for m in a["coverage"] if m["measure"] == "fulltime_worker")
    assert ft["delta"]["covered"] == -1 and ft["after"]["covered"] == ft["before"]["covered"] - 1
    # The grid's sole contact after: the one other person left with a direct term on it, if exactly one.
    others = set(direct) - {worker}
    gone = {(s["pid"], s["grid"]) for s in a["sole_contacts"]["disappeared"] if s["grid"] == grid["code"]}
    new = {(s["pid"], s["grid"]) for s in a["sole_contacts"]["appeared"] if s["grid"] == grid["code"]}
    assert gone == {p for p in sole_before if p[1] == grid["code"]}
    assert new == ({(next(iter(others)), grid["code"])} if len(others) == 1 else set())
    if not others:
        assert grid["code"] in [it["key"] for it in gaps["grids_without_direct_contact"]["appeared"]]
