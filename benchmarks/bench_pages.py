"""Pages benchmark: time to build each network page on a loaded city, called directly and served over HTTP.

    python benchmarks/bench_pages.py --residents 100000 1000000 [--repeat 5] [--out benchmarks/out/pages.json]
    python benchmarks/bench_pages.py --data-dir DIR [--no-http]     # a store loaded before
    (ORGGRAPH_DATA_DIR)

For each size: generate and load the city (or use the store given), pick the busiest community, the busiest
grid and the leader with the most contact points, then build every page — overview, gaps, co-building and org
tree for the whole city and for a district or street; the ego network, one and two steps, of the busy
community, grid and leader; the two contact paths of bench_queries — with the page builders of `orggraph.viz`
(as the server calls them: root-relative links, an analyst's view of the whole city), and, unless --no-http,
the same pages from `orggraph serve` in a process of its own (`bench_api.serving`). Reports the median latency
of each, the HTML size, the nodes drawn (the pages cap at about 500 and put the rest into counted group nodes:
how many group nodes, and how many nodes they stand for) and, with two or more sizes, the growth of each
median. `benchmarks/run.py` calls `bench` on the store it loaded once. This is a benchmark, not a test: it
asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench_api import Clients, build_store, serving
from bench_queries import samples
from common import AS_OF, GRAPH, machine, timed, write_runs
from orggraph.graph.cypher import trusted
from orggraph.graph.falkor import FalkorStore
from orggraph.graph.store import Store
from orggraph.viz import build_cobuilding, build_ego, build_gaps, build_org_tree, build_overview, build_path
from orggraph.viz.render import Links

ROLE = "analyst"
# The busiest nodes of their kind: the ego pages are worst where the neighbours are many.
_BUSIEST = {
    "community": "MATCH (c:Community)-[r]-()"
    " RETURN c.code AS key, count(r) AS degree ORDER BY degree DESC, key LIMIT 1",
    "grid": "MATCH (g:Grid)-[r]-()"
    " RETURN g.code AS key, count(r) AS degree ORDER BY degree DESC, key LIMIT 1",
    "leader": "MATCH (p:Person)-[r:CONTACTS]->()"
    " RETURN p.pid AS key, count(r) AS degree ORDER BY degree DESC, key LIMIT 1",
}
_GRAPH_DATA = re.compile(r'<script type="application/json" id="graph-data">(.*?)</script>', re.S)
_GROUP_COUNT = re.compile(r"^\+([\d,]+)")


def busy_nodes(store: Store) -> dict[str, dict[str, Any]]:
    return {kind: store.read(trusted(q)).records()[0] for kind, q in _BUSIEST.items()}


def drawn(html: str) -> dict[str, int] | None:
    """What a page draws: nodes, edges, group nodes and how many nodes those stand for (None: no drawing)."""
    m = _GRAPH_DATA.search(html)
    if m is None:
        return None
    data = json.loads(m.group(1))
    groups = [n for n in data["nodes"] if str(n.get("id", "")).startswith("group:")]
    grouped = 0
    for n in groups:
        c = _GROUP_COUNT.match(str((n.get("info") or {}).get("title") or n.get("label") or ""))
        grouped += int(c.group(1).replace(",", "")) if c else 0
    return {
        "nodes": len(data["nodes"]),
        "edges": len(data["edges"]),
        "group_nodes": len(groups),
        "grouped": grouped,
    }


def pages(store: Store, busy: dict[str, dict[str, Any]]) -> dict[str, tuple[Callable[[], str], str]]:
    """Each page: (the builder called as the server calls it, its URL on the server)."""
    s = samples(store)
    ctx: dict[str, Any] = {
        "as_of": AS_OF,
        "role": ROLE,
        "user_scope": None,
        "links": Links(base="", as_of=AS_OF),
    }
    q = f"as_of={AS_OF}"
    out: dict[str, tuple[Callable[[], str], str]] = {}
    for name, build, url in (
        ("overview", build_overview, "/pages/overview"),
        ("gaps", build_gaps, "/pages/gaps"),
        ("cobuilding", build_cobuilding, "/pages/cobuilding"),
        ("org-tree", build_org_tree, "/pages/org-tree"),
    ):
        out[f"{name}@city"] = (lambda b=build: b(store, None, **ctx), f"{url}?{q}")
        level = "district" if name in ("overview", "gaps") else "street"
        out[f"{name}@{level}"] = (
            lambda b=build, c=s[level]: b(store, c, **ctx),
            f"{url}?scope={s[level]}&{q}",
        )
    for kind, row in busy.items():
        for depth in (1, 2):
            out[f"ego.{kind}@{depth}"] = (
                lambda k=row["key"], d=depth: build_ego(store, k, depth=d, **ctx),
                f"/pages/ego/{row['key']}?depth={depth}&{q}",
            )
    for name, a, b in (
        ("path.resident_leader", s["resident"], s["near_leader"]),
        ("path.household_unit", s["household"], s["near_unit"]),
    ):
        out[name] = (lambda a=a, b=b: build_path(store, a, b, **ctx), f"/pages/path?from={a}&to={b}&{q}")
    return out


def bench(
    store: Store, *, repeat: int = 5, base: str | None = None, token: str | None = None
) -> dict[str, Any]:
    """Every page built directly and (given the server's `base` and a `token`) fetched over HTTP."""
    client = Clients(base, token or "") if base else None
    results: dict[str, Any] = {}
    busy = busy_nodes(store)
    try:
        for name, (build, url) in pages(store, busy).items():
            html = build()
            entry: dict[str, Any] = {
                "url": url,
                "direct": timed(build, repeat),
                "html_bytes": len(html.encode()),
            }
            entry["drawn"] = drawn(html)
            if client is not None:
                status: list[int] = []

                def fetch(url: str = url, status: list[int] = status) -> None:
                    status.append(client.request("GET", url).status_code)

                entry["http"] = timed(fetch, repeat)
                entry["http"]["status"] = sorted(set(status))
                if entry["direct"]["median_ms"]:
                    entry["http_over_direct"] = round(
                        entry["http"]["median_ms"] / entry["direct"]["median_ms"], 3
                    )
            results[name] = entry
            d = entry["drawn"]
            print(
                f"  {name:<24}{entry['direct']['median_ms']:>10.1f} ms"
                + (f"{entry['http']['median_ms']:>10.1f} ms http" if client is not None else "")
                + f"{entry['html_bytes'] / 1024:>9.0f} KB"
                + (f"  {d['nodes']} nodes ({d['group_nodes']} groups for {d['grouped']:,})" if d else ""),
                file=sys.stderr,
            )
    finally:
        if client is not None:
            client.close()
    return {"role": ROLE, "busy": busy, "results": results}


def growth(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Median of the largest city ÷ median of the smallest, per page, direct and over HTTP."""
    small, large = runs[0]["results"], runs[-1]["results"]
    out: dict[str, dict[str, float]] = {}
    for k in small.keys() & large.keys():
        for how in ("direct", "http"):
            a, b = small[k].get(how), large[k].get(how)
            if a and b and a["median_ms"]:
                out.setdefault(k, {})[how] = round(b["median_ms"] / a["median_ms"], 2)
    return {"from": runs[0]["residents"], "to": runs[-1]["residents"], "ratios": dict(sorted(out.items()))}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--residents", type=int, nargs="+", default=[100_000], help="城市规模（可给多个）")
    ap.add_argument("--repeat", type=int, default=5, help="每页重复次数（取中位数）")
    ap.add_argument("--no-http", action="store_true", help="只直接调用页面函数，不启动服务")
    ap.add_argument("--data-dir", help="使用已导入数据的内置存储目录（不生成）")
    ap.add_argument("--workdir", help="台账和存储放在哪里（默认临时目录）")
    ap.add_argument("--out", default="benchmarks/out/pages.json")
    args = ap.parse_args(argv)

    work = Path(args.workdir or tempfile.mkdtemp(prefix="orggraph-bench-pages-"))
    dirs = [(None, Path(args.data_dir))] if args.data_dir else [(n, None) for n in sorted(args.residents)]
    runs = []
    for n, data_dir in dirs:
        data_dir = data_dir or build_store(work, n)
        with FalkorStore.embedded(data_dir, GRAPH) as store:
            print(f"pages on {data_dir}", file=sys.stderr)
            if args.no_http:
                runs.append({"residents": n, **bench(store, repeat=args.repeat)})
            else:
                with serving(data_dir, ROLE) as (server, token):
                    runs.append(
                        {"residents": n, **bench(store, repeat=args.repeat, base=server.base, token=token)}
                    )
    report = {"benchmark": "pages", "machine": machine(), "as_of": AS_OF, "repeat": args.repeat, "runs": runs}
    write_runs(args.out, report, growth)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
