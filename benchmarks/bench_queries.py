"""Query benchmark: median latency of every named query and of the query layer's answers on a generated city.

    python benchmarks/bench_queries.py --residents 100000 1000000 [--repeat 5] [--out benchmarks/out/queries.json]
    python benchmarks/bench_queries.py --data-dir .orggraph --graph orggraph      # a store already loaded

For each size: generate the demo city (`orggraph.loaders.demo.generate`) and load it into a fresh embedded
store (or use the loaded graph given), pick sample keys (a district, street, community, grid, household, a
full-time grid worker, a contact leader, a co-building unit), then time each named query of the catalog at
every scope it takes, coverage / breakdown / gaps for the whole city and a district, contacts of a household
and of a grid, reach of a grid worker and of a leader, a contact path, and the analytics of one street.
With two or more sizes it reports the growth of each median from the smallest to the largest city (target for
point queries: ≤ 1.5× from 100k to 1M). This is a benchmark, not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from orggraph.graph.cypher import statement
from orggraph.graph.falkor import FalkorStore
from orggraph.graph.store import Store
from orggraph.loaders.demo import generate
from orggraph.loaders.importer import import_ledgers
from orggraph.queries import analytics, contacts, coverage
from orggraph.queries.catalog import load_catalog

KEY = b"benchmark-key"
AS_OF = "2026-06-30"
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
RETURN d.code AS district, s.code AS street, c.code AS community, g.code AS grid, h.code AS household, p.pid AS resident
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
_SIZE = statement(
    "bench.size",
    "MATCH (n) RETURN count(n) AS nodes",
    "基准测试：节点数",
    origin=__name__,
)


def timed(fn: Callable[[], Any], repeat: int) -> dict[str, Any]:
    fn()  # warm: the first run pays for the plan cache
    runs = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - t) * 1000)
    return {"median_ms": round(statistics.median(runs), 2), "runs_ms": [round(r, 2) for r in runs]}


def load_city(residents: int, workdir: Path) -> tuple[FalkorStore, float]:
    ledgers = workdir / f"ledgers-{residents}"
    if not ledgers.exists():
        print(f"generating {residents:,} residents → {ledgers}", file=sys.stderr)
        generate(ledgers, residents=residents, seed=2026)
    # A fresh server each time: restarting one on a big store replays its whole append-only file first.
    shutil.rmtree(workdir / f"store-{residents}", ignore_errors=True)
    store = FalkorStore.embedded(workdir / f"store-{residents}", f"bench_q_{residents}")
    print(f"loading {ledgers}", file=sys.stderr)
    t = time.perf_counter()
    report = import_ledgers(ledgers, store, pid_key=KEY)
    if not report.ok:
        raise SystemExit("load failed:\n" + "\n".join(i.format() for i in report.errors[:20]))
    return store, time.perf_counter() - t


def samples(store: Store) -> dict[str, str]:
    row = store.read(_SAMPLE).records()[0]
    row["worker"] = store.read(_SAMPLE_WORKER).rows[0][0]
    row["leader"] = store.read(_SAMPLE_LEADER).rows[0][0]
    row["unit"] = store.read(_SAMPLE_UNIT).rows[0][0]
    return row


def bench_store(store: Store, repeat: int) -> dict[str, Any]:
    s = samples(store)
    results: dict[str, Any] = {}

    def run(name: str, fn: Callable[[], Any]) -> None:
        results[name] = timed(fn, repeat)
        print(f"  {name:<52}{results[name]['median_ms']:>10.1f} ms", file=sys.stderr)

    for name, q in sorted(load_catalog().items()):
        params: dict[str, Any] = {"as_of": AS_OF, "code": s["grid"], "pid": s["worker"]}
        params = {p.name: params.get(p.name) for p in q.params}
        if q.scoped:
            for label, scope in (("all", None), ("district", s["district"]), ("street", s["street"])):
                run(
                    f"named.{name}@{label}",
                    lambda q=q, p=params, sc=scope: store.read(q.text, {**p, "scope": sc}),
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
    run("path.resident_leader", lambda: contacts.contact_path(store, s["resident"], s["leader"], AS_OF))
    run("path.household_unit", lambda: contacts.contact_path(store, s["household"], s["unit"], AS_OF))
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
        "point_queries_within_1_5x": all((out.get(k) or 0) <= 1.5 for k in POINT_QUERIES),
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
    report: dict[str, Any] = {"as_of": AS_OF, "repeat": args.repeat, "runs": runs}
    if len(runs) >= 2:
        report["growth"] = growth(runs)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"wrote {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
