"""Search and uncovered-list benchmark: /api/search's lookups and /api/gaps/uncovered's count and first page,
in Python against the loaded store, at each city size.

    python benchmarks/bench_find.py --residents 100000 1000000 [--workdir DIR] [--out
    benchmarks/out/find.json]

Search: prefixes of different selectivity (one common surname character, a full name, 拼音首字母 of two and
three letters, a code prefix), as an unscoped analyst and as a street token, limit 10. Uncovered: every
measure for the whole city and for one street, offset 0, limit 200. Medians of 5 runs after a warm-up
(`timed`). This is a benchmark, not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench_api import build_store
from common import AS_OF, GRAPH, machine, timed, write_runs
from orggraph.graph.falkor import FalkorStore
from orggraph.queries.policy import Access
from orggraph.queries.search import search
from orggraph.queries.uncovered import uncovered, uncovered_measures
from orggraph.viz.pickers import scope_options


def run(store: Any, residents: int) -> dict[str, Any]:
    admin = Access.of("analyst")
    options = scope_options(store, Access.of("admin"))
    street = next(o["code"] for o in options if o["label"] == "Street")
    scoped = Access.of("street", street)
    person = search(store, "王", admin, limit=1) or search(store, "张", admin, limit=1)
    full = person[0]["name"] if person else "王芳"
    queries = {
        "one character 王": "王",
        f"full name {full}": full,
        "initials wf": "wf",
        "initials zxy": "zxy",
        "code prefix 5206": "5206",
    }
    out: dict[str, Any] = {"residents": residents, "search": {}, "uncovered": {}}
    for label, q in queries.items():
        out["search"][label] = {
            "analyst": timed(lambda q=q: search(store, q, admin, limit=10), 5)["median_ms"],
            "street token": timed(lambda q=q: search(store, q, scoped, limit=10), 5)["median_ms"],
            "hits": len(search(store, q, admin, limit=10)),
        }
    for m in uncovered_measures():
        got = uncovered(store, m.id, None, AS_OF, limit=200)
        out["uncovered"][m.id] = {
            "city_ms": timed(lambda m=m: uncovered(store, m.id, None, AS_OF, limit=200), 3)["median_ms"],
            "street_ms": timed(lambda m=m: uncovered(store, m.id, street, AS_OF, limit=200), 5)["median_ms"],
            "city_total": got["total"],
        }
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--residents", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--workdir", help="where generated ledgers and stores go (default: a temp folder)")
    ap.add_argument("--out", default="benchmarks/out/find.json")
    args = ap.parse_args()
    work = Path(args.workdir or tempfile.mkdtemp(prefix="orggraph-bench-find-"))
    report: dict[str, Any] = {"machine": machine(), "runs": []}
    for n in args.residents:
        data_dir = work / f"data-{n}"
        if not data_dir.exists():
            data_dir = build_store(work, n)
        with FalkorStore.embedded(data_dir, GRAPH) as store:
            report["runs"].append(run(store, n))
        print(report["runs"][-1], file=sys.stderr)

    def growth(runs: list[dict[str, Any]]) -> dict[str, float]:
        a, b = runs[0]["search"], runs[-1]["search"]
        return {k: round(b[k]["analyst"] / max(a[k]["analyst"], 0.01), 2) for k in a if k in b}

    write_runs(args.out, report, growth)


if __name__ == "__main__":
    main()
