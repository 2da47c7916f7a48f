"""What-if benchmark: how long a scenario (POST /api/what-if) takes on a generated city, and its copy.

    cd benchmarks && python bench_whatif.py --residents 100000 [1000000] [--repeat 3] [--neo4j-port P]

For each size: generate the demo city and load it into a fresh embedded FalkorDB, then time (median of
`repeat` after a warm-up) `GRAPH.COPY` of the graph alone and three scenarios, for the whole city and for one
street: ending the service of a grid's only 专职网格员; removing a person who links households (联户); and ten
changes at once (ends, adds and a move). This is a benchmark, not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import AS_OF, city_ledgers, load_into, machine, timed, write_runs
from orggraph.graph.cypher import statement
from orggraph.graph.falkor import FalkorStore
from orggraph.queries.coverage import grid_worker_load
from orggraph.queries.whatif import what_if
from orggraph.queries.whatif_store import _copy

_LINKER = statement(
    "bench.whatif.linker",
    "MATCH (p:Person)-[r:LINKS_HOUSEHOLD]->(:Household) WHERE r.until IS NULL RETURN p.pid AS pid LIMIT 1",
    "基准：一名联户党员",
    origin=__name__,
)
_STREET = statement(
    "bench.whatif.street",
    "MATCH (s:Street)<-[:PART_OF]-(:Community)<-[:PART_OF]-(g:Grid {code: $grid}) RETURN s.code AS street",
    "基准：网格所在街道",
    origin=__name__,
)


def _scenarios(store: Any) -> tuple[dict[str, list[dict[str, Any]]], str]:
    load = grid_worker_load(store, None, AS_OF)
    singles = [g for g in load if g["fulltime"] == 1]
    g0 = singles[0]
    street = store.read(_STREET, {"grid": g0["code"]}).rows[0][0]
    linker = store.read(_LINKER).rows[0][0]
    ten: list[dict[str, Any]] = []
    for g in singles[1:8]:
        ten.append({"op": "end", "person": g["workers"][0]["pid"], "target": g["code"], "role": "专职网格员"})
    ten.append({"op": "add", "person": linker, "target": g0["code"], "role": "专职网格员"})
    g1 = singles[1]
    ten.append({"op": "add", "person": g1["workers"][0]["pid"], "target": g0["code"], "role": "网格长"})
    ten.append(
        {"op": "move", "person": g0["workers"][0]["pid"], "from": g0["code"], "to": singles[8]["code"]}
    )
    return {
        "end_only_fulltime": [
            {"op": "end", "person": g0["workers"][0]["pid"], "target": g0["code"], "role": "专职网格员"}
        ],
        "remove_household_linker": [{"op": "remove", "person": linker}],
        "ten_changes": ten,
    }, street


def run(residents: int, work: Path, repeat: int, neo4j_port: int | None = None) -> dict[str, Any]:
    ledgers, _ = city_ledgers(work, residents)
    data = Path(tempfile.mkdtemp(prefix="whatif-bench-", dir=work))
    store: Any
    if neo4j_port is not None:  # a Neo4j of its own (tools/neo4j), stopped at the end
        from bench_neo4j import ctl, open_neo4j, start

        store = open_neo4j(start(data, neo4j_port, "2g", "1g"))
    else:
        store = FalkorStore.embedded(data, "bench")
    try:
        store.ensure_schema()
        load_seconds = load_into(store, ledgers)
        out: dict[str, Any] = {
            "backend": store.backend,
            "residents": residents,
            "load_s": round(load_seconds, 1),
        }
        if neo4j_port is None:
            conn = store.connection

            def copy() -> None:  # as a scenario copies: waiting for no fork to run on the server first
                _copy(store._db, "bench", "bench~copy", 600)
                conn.execute_command("GRAPH.DELETE", "bench~copy")

            out["graph_copy"] = timed(copy, repeat)
        scenarios, street = _scenarios(store)
        for name, changes in scenarios.items():
            for scope in (None, street):
                key = f"{name}@{'city' if scope is None else 'street'}"
                t = time.perf_counter()
                timing = timed(lambda c=changes, s=scope: what_if(store, c, s, AS_OF, timeout=600), repeat)
                out[key] = timing
                print(
                    f"{residents:,} {key}: {timing['median_ms']:,.0f} ms ({time.perf_counter() - t:.0f} s)",
                    file=sys.stderr,
                    flush=True,
                )
        return out
    finally:
        if neo4j_port is not None:
            store.close()
            ctl("stop", "--data", str(data))
        else:
            store.clear()
            store.close()
        shutil.rmtree(data, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--residents", type=int, nargs="+", default=[100_000])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--work", default=tempfile.gettempdir() + "/orggraph-bench")
    ap.add_argument("--out", default="out/whatif.json")
    ap.add_argument("--neo4j-port", type=int, help="measure on a Neo4j of its own on this port instead")
    a = ap.parse_args()
    work = Path(a.work)
    work.mkdir(parents=True, exist_ok=True)
    runs = [run(n, work, a.repeat, a.neo4j_port) for n in a.residents]
    write_runs(
        a.out,
        {"machine": machine(), "as_of": AS_OF, "runs": runs},
        lambda rs: {
            k: round(rs[-1][k]["median_ms"] / rs[0][k]["median_ms"], 2)
            for k in rs[0]
            if isinstance(rs[0][k], dict)
        },
    )


if __name__ == "__main__":
    main()
