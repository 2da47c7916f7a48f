"""Query benchmark: median latency of every named query and of the query layer's answers on a generated city.

    python benchmarks/bench_queries.py --residents 100000 1000000 [--repeat 5] [--out
    benchmarks/out/queries.json] python benchmarks/bench_queries.py --data-dir .orggraph --graph orggraph
    # a store already loaded

For each size: generate the demo city (`orggraph.loaders.demo.generate`) and load it into a fresh embedded
store (or use the loaded graph given), pick sample keys (a district, street, community, grid, household, a
full-time grid worker, a contact leader, a co-building unit), then time each named query of the catalog at
every scope it takes (the statement the API runs for that scope's level), coverage / breakdown / gaps for
the whole city and a district, contacts of a household and of a grid, reach of a grid worker and of a
leader, two contact paths of the same shape at every size (a resident to a leader contacting their grid, a
household to a unit co-building its community; the length is recorded), and the analytics of one street.
Point queries get 4× the repeats (they take milliseconds). With two or more sizes it reports the growth of
each median from the smallest to the largest city (target for point queries: ≤ 1.5× from 100k to 1M).
This is a benchmark, not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from common import AS_OF, city_ledgers, load_into, timed, write_runs
from orggraph.graph.cypher import statement
from orggraph.graph.falkor import FalkorStore
from orggraph.graph.store import Store
from orggraph.queries import analytics, contacts, coverage
from orggraph.queries.catalog import load_catalog

POINT_GROWTH_TARGET = 1.5  # 100k → 1M
POINT_REPEAT_FACTOR = 4
POINT_QUERIES = (
    "contacts_of.household",
    "contacts_of.grid",
    "reach.grid_worker",
    "reach.leader",
    "path.resident_leader",
)

_SAMPLE = statement(
    "bench.sample",
    """MATCH (d:District)<-[:PART_OF]-(s:Street)<-[:PART_OF]-(c:Community)<-[:PART_OF]-(g:Grid)
      <-[:PART_OF]-(:Building)<-[:PART_OF]-(h:Household)<-[:LIVES_IN]-(p:Person)
RETURN d.code AS district, s.code AS street, c.code AS community, g.code AS grid, h.code AS household,
       p.pid AS resident
LIMIT 1""",
    "基准测试：取一组样本编码",
    origin=__name__,
)
_SAMPLE_WORKER = statement(
    "bench.sample_worker",
    "MATCH (p:Person)-[r:SERVES {role: '专职网格员'}]->(:Grid) RETURN p.pid LIMIT 1",
    "基准测试：一名专职网格员",
    origin=__name__,
)
_SAMPLE_LEADER = statement(
    "bench.sample_leader",
    "MATCH (p:Person)-[:CONTACTS]->(:Community) RETURN p.pid LIMIT 1",
    "基准测试：一名联系领导",
    origin=__name__,
)
_SAMPLE_UNIT = statement(
    "bench.sample_unit",
    "MATCH (u:Unit)-[:CO_BUILDS]->(:Community) RETURN u.code LIMIT 1",
    "基准测试：一个共建单位",
    origin=__name__,
)
# A leader contacting the sample resident's grid (else community) on AS_OF and a unit co-building its
# community: the
# sample paths then have the same shape at every size, so their growth compares like with like.
_SAMPLE_NEAR = statement(
    "bench.sample_near",
    """MATCH (:Household {code: $household})-[:PART_OF]->(:Building)-[:PART_OF]->(g:Grid)
      -[:PART_OF]->(c:Community)
OPTIONAL MATCH (lg:Person)-[r1:CONTACTS]->(g)
  WHERE (r1.since IS NULL OR r1.since <= $as_of) AND (r1.until IS NULL OR r1.until >= $as_of)
OPTIONAL MATCH (lc:Person)-[r2:CONTACTS]->(c)
  WHERE (r2.since IS NULL OR r2.since <= $as_of) AND (r2.until IS NULL OR r2.until >= $as_of)
OPTIONAL MATCH (u:Unit)-[r3:CO_BUILDS]->(c)
  WHERE (r3.since IS NULL OR r3.since <= $as_of) AND (r3.until IS NULL OR r3.until >= $as_of)
RETURN min(lg.pid) AS grid_leader, min(lc.pid) AS community_leader, min(u.code) AS unit""",
    "基准测试：样本住户附近的联系领导和共建单位",
    origin=__name__,
)
_SIZE = statement(
    "bench.size",
    "MATCH (n) RETURN count(n) AS nodes",
    "基准测试：节点数",
    origin=__name__,
)


def load_city(residents: int, workdir: Path) -> tuple[FalkorStore, float]:
    ledgers, _ = city_ledgers(workdir, residents)
    # A fresh server each time: restarting one on a big store replays its whole append-only file first.
    shutil.rmtree(workdir / f"store-{residents}", ignore_errors=True)
    store = FalkorStore.embedded(workdir / f"store-{residents}", f"bench_q_{residents}")
    return store, load_into(store, ledgers)


def samples(store: Store) -> dict[str, str]:
    row = store.read(_SAMPLE).records()[0]
    row["worker"] = store.read(_SAMPLE_WORKER).rows[0][0]
    row["leader"] = store.read(_SAMPLE_LEADER).rows[0][0]
    row["unit"] = store.read(_SAMPLE_UNIT).rows[0][0]
    near = store.read(_SAMPLE_NEAR, {"household": row["household"], "as_of": AS_OF}).records()[0]
    row["near_leader"] = near["grid_leader"] or near["community_leader"] or row["leader"]
    row["near_unit"] = near["unit"] or row["unit"]
    return row


def bench_store(store: Store, repeat: int) -> dict[str, Any]:
    s = samples(store)
    results: dict[str, Any] = {}

    def run(name: str, fn: Callable[[], Any]) -> None:
        # Point queries take milliseconds: more runs for a median that a busy machine does not swing.
        results[name] = timed(fn, repeat * POINT_REPEAT_FACTOR if name in POINT_QUERIES else repeat)
        print(f"  {name:<52}{results[name]['median_ms']:>10.1f} ms", file=sys.stderr)

    for name, q in sorted(load_catalog().items()):
        params: dict[str, Any] = {"as_of": AS_OF, "code": s["grid"], "pid": s["worker"]}
        params = {p.name: params.get(p.name) for p in q.params}
        if q.scoped:
            # The statement the API runs for a scope of that level (`POST /api/queries/{name}`).
            for label, level, scope in (
                ("all", "all", None),
                ("district", "District", s["district"]),
                ("street", "Street", s["street"]),
            ):
                run(
                    f"named.{name}@{label}",
                    lambda q=q, p=params, lv=level, sc=scope: store.read(q.text_for(lv), {**p, "scope": sc}),
                )
        else:
            run(f"named.{name}", lambda q=q, p=params: store.read(q.text, p))
    run("coverage@city", lambda: coverage.coverage(store, None, AS_OF))
    run("coverage@district", lambda: coverage.coverage(store, s["district"], AS_OF))
    run("coverage@street", lambda: coverage.coverage(store, s["street"], AS_OF))
    run("breakdown@city", lambda: coverage.coverage_breakdown(store, None, AS_OF))
    run("breakdown@district", lambda: coverage.coverage_breakdown(store, s["district"], AS_OF))
    run("gaps@city", lambda: coverage.gaps(store, None, AS_OF))
    run("gaps@district", lambda: coverage.gaps(store, s["district"], AS_OF))
    run("contacts_of.household", lambda: contacts.contacts_of(store, s["household"], AS_OF))
    run("contacts_of.grid", lambda: contacts.contacts_of(store, s["grid"], AS_OF))
    run("contacts_of.person", lambda: contacts.contacts_of(store, s["resident"], AS_OF))
    run("reach.grid_worker", lambda: contacts.reach(store, s["worker"], AS_OF))
    run("reach.leader", lambda: contacts.reach(store, s["leader"], AS_OF))
    run("reach.unit", lambda: contacts.reach(store, s["unit"], AS_OF))
    for name, a, b in (
        ("path.resident_leader", s["resident"], s["near_leader"]),
        ("path.household_unit", s["household"], s["near_unit"]),
    ):
        run(name, lambda a=a, b=b: contacts.contact_path(store, a, b, AS_OF))
        results[name]["length"] = contacts.contact_path(store, a, b, AS_OF).get("length")
    run("analytics.critical_people@street", lambda: analytics.critical_people(store, s["street"], AS_OF))
    run(
        "analytics.load_balance@district",
        lambda: analytics.fulltime_load_balance(store, s["district"], AS_OF),
    )
    run("analytics.bridges@district", lambda: analytics.community_bridges(store, s["district"], AS_OF))
    return {"samples": s, "nodes": store.read(_SIZE).rows[0][0], "results": results}


def growth(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Median of the largest city ÷ median of the smallest, per measurement."""
    small, large = runs[0]["results"], runs[-1]["results"]
    out = {
        k: round(large[k]["median_ms"] / small[k]["median_ms"], 2)
        for k in small
        if k in large and small[k]["median_ms"] > 0
    }
    return {
        "from": runs[0]["residents"],
        "to": runs[-1]["residents"],
        "ratios": out,
        "point_queries": {k: out.get(k) for k in POINT_QUERIES},
        "point_queries_within_1_5x": all((out.get(k) or 0) <= POINT_GROWTH_TARGET for k in POINT_QUERIES),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--residents", type=int, nargs="+", default=[100_000], help="城市规模（可给多个）")
    ap.add_argument("--repeat", type=int, default=5, help="每项重复次数（取中位数）")
    ap.add_argument("--out", default="benchmarks/out/queries.json")
    ap.add_argument("--workdir", default=None, help="台账和存储放在哪里（默认临时目录，结束后删除）")
    ap.add_argument("--data-dir", help="使用已导入数据的内置存储目录（与 --graph 一起用，不生成）")
    ap.add_argument("--graph", default="orggraph", help="--data-dir 中的图名")
    args = ap.parse_args(argv)

    runs = []
    if args.data_dir:
        store = FalkorStore.embedded(Path(args.data_dir), args.graph)
        try:
            print(f"benchmarking graph {args.graph} in {args.data_dir}", file=sys.stderr)
            runs.append({"residents": None, **bench_store(store, args.repeat)})
        finally:
            store.close()
    else:
        workdir = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="bench-queries-"))
        try:
            for n in sorted(args.residents):
                store, load_s = load_city(n, workdir)
                try:
                    print(f"{n:,} residents loaded in {load_s:.0f} s", file=sys.stderr)
                    runs.append(
                        {"residents": n, "load_seconds": round(load_s, 1), **bench_store(store, args.repeat)}
                    )
                finally:
                    store.close()
                    shutil.rmtree(workdir / f"store-{n}", ignore_errors=True)
        finally:
            if not args.workdir:
                shutil.rmtree(workdir, ignore_errors=True)
    write_runs(args.out, {"as_of": AS_OF, "repeat": args.repeat, "runs": runs}, growth)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
