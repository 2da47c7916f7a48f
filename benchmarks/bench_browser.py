"""Pages in a real browser on a loaded city: how many nodes each page draws and how long until it is usable.

    python benchmarks/bench_browser.py                                  # 1M residents (generated and loaded
    once) python benchmarks/bench_browser.py --residents 100000 --repeat 3 python benchmarks/bench_browser.py
    --data-dir benchmarks/out/work/data-1000000   # a store loaded before

The store is `benchmarks/out/work/data-N` (`bench_api.build_store`: the demo city generator, loaded into an
embedded store), reused when it is there. `orggraph serve` runs on it in a process of its own
(`bench_api.serving`, an analyst's token as the login cookie), and headless Chromium (ORGGRAPH_CHROMIUM or
`chromium`) opens the heaviest page of each kind: overview, gaps, co-building network and org tree for the
whole city and for a district or street; the ego network, one and two steps, of the busiest community, grid,
building, street, leader, unit and party organization; two contact paths (`bench_pages.pages` plus the extra
kinds here). For each page it records the nodes drawn (vis-network nodes, or the org tree's items), the edges,
the group nodes, and the time from the start of navigation to *settled*: the page said it is ready (layout
done, physics off) and no node moved for 300 ms — the moment a person can work with it. The target (issue 11):
no page over 500 nodes, every page settled within 3 s on this machine. Writes JSON and a Markdown table
(default benchmarks/out/browser.json / .md). A benchmark, not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

from bench_api import build_store, serving
from bench_pages import busy_nodes, pages
from common import AS_OF, GRAPH, machine, write_json
from orggraph.graph.cypher import trusted
from orggraph.graph.falkor import FalkorStore
from orggraph.graph.store import Store
from orggraph.queries.uncovered import uncovered_measures

NODE_TARGET = 500
SETTLE_TARGET_MS = 3000
QUIET_MS = 300  # positions unchanged this long after "ready": settled

# More kinds of node than bench_pages' busiest community, grid and leader: the heaviest of each.
_MORE_BUSY = {
    "street": "MATCH (s:Street)<-[r]-()"
    " RETURN s.code AS key, count(r) AS degree ORDER BY degree DESC, key LIMIT 1",
    "building": "MATCH (b:Building)<-[r:PART_OF]-()"
    " RETURN b.code AS key, count(r) AS degree ORDER BY degree DESC, key LIMIT 1",
    "unit": "MATCH (u:Unit)<-[r]-()"
    " RETURN u.code AS key, count(r) AS degree ORDER BY degree DESC, key LIMIT 1",
    "party_org": "MATCH (o:PartyOrg)<-[r]-()"
    " RETURN o.code AS key, count(r) AS degree ORDER BY degree DESC, key LIMIT 1",
}

_SETTLE_JS = """async (quietMs) => {
  const state = window.orggraph;
  if (!state) return {kind: 'html', nodes: 0, edges: 0, groups: 0};
  if (state.kind === 'tree') return {kind: 'tree', nodes: state.items, edges: 0, groups: 0};
  while (!state.ready) await new Promise(r => setTimeout(r, 20));
  let last = JSON.stringify(state.network.getPositions());
  let since = performance.now();
  while (performance.now() - since < quietMs) {
    await new Promise(r => setTimeout(r, 50));
    const now = JSON.stringify(state.network.getPositions());
    if (now !== last) { last = now; since = performance.now(); }
  }
  const groups = state.nodeSet.get({filter: n => String(n.id).startsWith('group:')}).length;
  return {kind: 'network', nodes: state.nodes, edges: state.edges, groups, ready_ms: state.ms};
}"""


def chromium() -> str:
    path = os.environ.get("ORGGRAPH_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        sys.exit("找不到 Chromium：设置 ORGGRAPH_CHROMIUM 或安装 chromium")
    return path


def page_urls(store: Store) -> dict[str, str]:
    busy = busy_nodes(store)
    for kind, q in _MORE_BUSY.items():
        busy[kind] = store.read(trusted(q)).records()[0]
    urls = {name: url for name, (_build, url) in pages(store, busy).items()}
    for kind in _MORE_BUSY:
        for depth in (1, 2):
            urls[f"ego.{kind}@{depth}"] = f"/pages/ego/{busy[kind]['key']}?depth={depth}&as_of={AS_OF}"
    urls.update(list_urls(store, busy))
    return urls


def list_urls(store: Store, busy: dict[str, dict[str, Any]]) -> dict[str, str]:
    """The list pages: what each measure leaves uncovered in the whole city (first page, and a deep page of
    the longest list), search results, the members behind group nodes, the change log, and the path page
    reached by names (as the picker sends them)."""
    q = f"as_of={AS_OF}"
    out = {f"uncovered.{m.id}@city": f"/pages/uncovered?measure={m.id}&{q}" for m in uncovered_measures()}
    out["uncovered.household_links@city+100000"] = (
        f"/pages/uncovered?measure=household_links&offset=100000&{q}"
    )
    out["find.王"] = f"/pages/find?q=%E7%8E%8B&{q}"
    out["find.zxy"] = f"/pages/find?q=zxy&{q}"
    out["members.building.households"] = (
        f"/pages/members?of={busy['building']['key']}&rel=PART_OF&dir=in&label=Household&{q}"
    )
    out["members.community.reporters"] = (
        f"/pages/members?of={busy['community']['key']}&rel=REPORTED_TO&dir=in&label=Person&{q}"
    )
    out["changes"] = "/pages/changes"
    leader = busy["leader"]["key"]
    name, household = store.read(
        "MATCH (p:Person {pid: $pid})-[r:CONTACTS]->(:Grid)<-[:PART_OF]-(:Building)<-[:PART_OF]-(h:Household)"
        " WHERE r.until IS NULL OR r.until >= $as_of RETURN p.name, h.code ORDER BY h.code LIMIT 1",
        {"pid": leader, "as_of": AS_OF},
    ).rows[0]
    # The journey's path (a leader to a household of a grid the leader contacts), picked by name as the picker
    # sends it; and two ends far apart (another street's grid): the search gives up within its time.
    out["path.leader_household"] = f"/pages/path?from={quote(str(name))}&from_key={leader}&to={household}&{q}"
    out["path.far_apart"] = (
        f"/pages/path?from={quote(str(name))}&from_key={leader}&to={busy['grid']['key']}&{q}"
    )
    return out


def measure(browser: Any, base: str, token: str, url: str, width: int, height: int) -> dict[str, Any]:
    context = browser.new_context(viewport={"width": width, "height": height})
    context.add_cookies([{"name": "orggraph_session", "value": token, "url": base}])
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        t0 = time.perf_counter()
        resp = page.goto(base + url, wait_until="load", timeout=120_000)
        loaded = time.perf_counter()
        got = page.evaluate(_SETTLE_JS, QUIET_MS)
        settled = time.perf_counter() - (QUIET_MS / 1000 if got["kind"] == "network" else 0)
        return {
            "status": resp.status if resp else None,
            "load_ms": round((loaded - t0) * 1000),
            "settled_ms": round((max(settled, loaded) - t0) * 1000),
            "nodes": got["nodes"],
            "edges": got["edges"],
            "group_nodes": got["groups"],
            "kind": got["kind"],
            "errors": errors,
        }
    finally:
        context.close()


def run(data_dir: Path, repeat: int, size: tuple[int, int]) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    results: dict[str, Any] = {}
    with FalkorStore.embedded(data_dir, GRAPH) as store:
        urls = page_urls(store)
        counts = {
            lb: store.read(f"MATCH (n:{lb}) RETURN count(n)").rows[0][0]
            for lb in ("Person", "Household", "Grid")
        }  # type: ignore[arg-type]
        with serving(data_dir, "analyst") as (server, token), sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium(), args=["--no-sandbox", "--disable-gpu"])
            try:
                for name, url in urls.items():
                    runs = [measure(browser, server.base, token, url, *size) for _ in range(repeat)]
                    entry = {
                        k: runs[-1][k] for k in ("status", "nodes", "edges", "group_nodes", "kind", "errors")
                    }
                    entry["url"] = url
                    entry["settled_ms"] = [r["settled_ms"] for r in runs]
                    entry["settled_median_ms"] = round(statistics.median(entry["settled_ms"]))
                    entry["first_ms"] = entry["settled_ms"][0]  # cold: nothing cached for this page yet
                    entry["load_avg"] = round(os.getloadavg()[0], 1)
                    entry["load_median_ms"] = round(statistics.median(r["load_ms"] for r in runs))
                    results[name] = entry
                    print(
                        f"{name:28s} {entry['status']} nodes {entry['nodes']!s:>4} settled "
                        f"{entry['settled_median_ms']:>6} ms {entry['errors'][:1]}",
                        file=sys.stderr,
                    )
            finally:
                browser.close()
    worst_nodes = max(results.items(), key=lambda kv: kv[1]["nodes"] or 0)
    worst_time = max(results.items(), key=lambda kv: kv[1]["settled_median_ms"])
    return {
        "graph": counts,
        "viewport": list(size),
        "repeat": repeat,
        "pages": results,
        "summary": {
            "most_nodes": {"page": worst_nodes[0], "nodes": worst_nodes[1]["nodes"]},
            "slowest": {"page": worst_time[0], "settled_median_ms": worst_time[1]["settled_median_ms"]},
            "nodes_met": all((r["nodes"] or 0) <= NODE_TARGET for r in results.values()),
            "settled_met": all(r["settled_median_ms"] <= SETTLE_TARGET_MS for r in results.values()),
            "all_200": all(r["status"] == 200 for r in results.values()),
        },
    }


def markdown(report: dict[str, Any], residents: int) -> str:
    s = report["summary"]
    lines = [
        f"# Pages in the browser at {residents:,} residents",
        "",
        f"Machine: {report['machine'].get('cpus', '?')} CPUs, "
        f"{report['machine'].get('platform', '')}. Viewport "
        f"{report['viewport'][0]}×{report['viewport'][1]}, headless Chromium,"
        f" median of {report['repeat']}; as of {AS_OF}; an analyst's view of the whole city."
        f" Graph: {report['graph']['Person']:,} people, {report['graph']['Household']:,} households,"
        f" {report['graph']['Grid']:,} grids.",
        "",
        f"- at most {NODE_TARGET} nodes on any page: **{'met' if s['nodes_met'] else 'NOT met'}**"
        f" (most: {s['most_nodes']['nodes']} on {s['most_nodes']['page']})",
        f"- every page settled within {SETTLE_TARGET_MS / 1000:.0f} s: "
        f"**{'met' if s['settled_met'] else 'NOT met'}**"
        f" (slowest: {s['slowest']['settled_median_ms']:,} ms, {s['slowest']['page']})",
        "",
        "| page | nodes | edges | group nodes | settled ms (median) | first visit ms | HTML loaded ms"
        " | load avg | status |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for name, r in report["pages"].items():
        nodes = (
            f"{r['nodes']} ({'tree items' if r['kind'] == 'tree' else 'plain page'})"
            if r["kind"] != "network"
            else r["nodes"]
        )
        lines.append(
            f"| {name} | {nodes} | {r['edges']} | {r['group_nodes']} | {r['settled_median_ms']:,} |"
            f" {r.get('first_ms', 0):,} | {r['load_median_ms']:,} | {r.get('load_avg', '')} | {r['status']}"
            f"{' errors: ' + '; '.join(r['errors'][:2]) if r['errors'] else ''} |"
        )
    lines += [
        "",
        "Settled: the page's own ready flag (layout done, physics off) and no node moved for 300 ms,"
        " timed from the start of navigation (the server building the page included).",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--residents", type=int, default=1_000_000)
    ap.add_argument(
        "--data-dir", type=Path, help="a store loaded before (default benchmarks/out/work/data-N)"
    )
    ap.add_argument("--work", type=Path, default=Path(__file__).parent / "out" / "work")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--viewport", default="1440x900")
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "out" / "browser.json")
    args = ap.parse_args()
    data_dir = args.data_dir or args.work / f"data-{args.residents}"
    if not (data_dir / "falkordb").exists():
        data_dir = build_store(args.work, args.residents)
    w, h = (int(x) for x in args.viewport.split("x"))
    report = run(data_dir, args.repeat, (w, h))
    report["machine"] = machine()
    report["residents"] = args.residents
    write_json(args.out, report)
    args.out.with_suffix(".md").write_text(markdown(report, args.residents), encoding="utf-8")
    print(json.dumps(report["summary"], ensure_ascii=False), file=sys.stderr)


if __name__ == "__main__":
    main()
