"""City-scale benchmark suite: load, every named query, the API under 1 and 8 clients and the pages, per city
size.

    python benchmarks/run.py                                   # 100k, 1M and 3M residents (hours on 2 cores)
    python benchmarks/run.py --residents 100000 1000000        # chosen sizes
    python benchmarks/run.py --quick                           # 5k and 20k, fewer repeats: a smoke test
    python benchmarks/run.py --backend neo4j --residents 100000 1000000   # on a local Neo4j (bench_neo4j.py)

For each size, smallest first: generate the city (`orggraph.loaders.demo.generate`; ledgers made by the same
generator code are reused), measure the engine's ceiling on a scratch store (`bench_load.run_ceiling`, in a
process of its own, the scratch store deleted before the real load so two big graphs never sit in memory
together; only up to --ceiling-max, 1M by default: the ratio's target is at 1M, and the ceiling holds every
pre-built batch in memory, about 0.9 KB a row, some 8-9 GB at 3M), then `orggraph load` the city ONCE, in a
process of its own, into the embedded store every later stage reads (`bench_load.run_load`): this process
starts that store's server before the load (not timed) and holds it to the end, so the server is never
restarted on a big store. On that store: `bench_queries.bench_store` (in this process, as the query layer
runs), one `orggraph serve` in a process of its own (`bench_api.serving`) for `bench_api.bench` (HTTP vs
direct, 1 and 8 clients) and `bench_pages.bench` (page builders direct and over HTTP). The store is deleted
afterwards unless --keep.

Everything goes to benchmarks/out/results.json; benchmarks/out/results.md summarizes it: each target of the
issues with the measured value and met / NOT met, then per-stage times and the tables. Both are rewritten
after every size, so a run cut short (or a size that fails) still leaves the sizes done — a stage that fails
is recorded with its error and the run goes on. This is a benchmark, not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import multiprocessing
import shutil
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import bench_api
import bench_load
import bench_pages
import bench_queries
from common import AS_OF, GRAPH, SEED, city_ledgers, compact_aof, load_into, machine, write_json
from orggraph.graph.embedded import EmbeddedServer
from orggraph.graph.falkor import FalkorStore
from orggraph.queries.network import NODE_CAP

HERE = Path(__file__).resolve().parent
FULL_SIZES = [100_000, 1_000_000, 3_000_000]
QUICK_SIZES = [5_000, 20_000]
STAGES = ("load", "queries", "api", "pages")
# The sizes the issues name their targets at.
RATIO_AT = 1_000_000
GROWTH_FROM, GROWTH_TO = 100_000, 1_000_000
RATIO_TARGET, RATIO_AIM = 0.6, 0.8


# ------------------------------------------------------------------------------------------- one size
class Size:
    """The results of one city size, filled stage by stage; a failed stage is recorded, never raised."""

    def __init__(self, residents: int) -> None:
        self.residents = residents
        self.data: dict[str, Any] = {"residents": residents, "status": "ok", "seconds": {}, "errors": {}}

    def stage(self, name: str, fn: Callable[[], Any]) -> Any:
        print(f"[{self.residents:,}] {name} …", file=sys.stderr, flush=True)
        t = time.perf_counter()
        try:
            return fn()
        except (Exception, SystemExit) as e:  # the bench scripts stop with SystemExit(message)
            msg = f"{type(e).__name__}: {e}".strip()
            self.data["errors"][name] = msg[-4000:]
            self.data["status"] = "failed"
            print(f"[{self.residents:,}] {name} FAILED: {msg[:2000]}", file=sys.stderr, flush=True)
            traceback.print_exc(file=sys.stderr)
            return None
        finally:
            self.data["seconds"][name] = round(time.perf_counter() - t, 1)

    def skip(self, name: str, why: str) -> None:
        self.data.setdefault("skipped", {})[name] = why


def _in_child(fn: Callable[..., Any], *args: Any) -> Any:
    """fn(*args) in a fresh process (spawned, so it inherits none of this one's memory or connections)."""
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(fn, *args).result()


def server_memory(store: FalkorStore) -> dict[str, Any]:
    """The embedded server's resident memory now and at its peak (it started for this size), and what the
    server itself counts as used."""
    out: dict[str, Any] = {}
    pid = store.server.server_pid() if store.server is not None else None
    if pid:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(("VmHWM:", "VmRSS:")):
                key = "peak_rss_mb" if line.startswith("VmHWM") else "rss_mb"
                out[key] = round(int(line.split()[1]) / 1024)
    info = store.connection.info("memory")
    out["used_memory_mb"] = round(info["used_memory"] / 2**20)
    out["used_memory_peak_mb"] = round(info["used_memory_peak"] / 2**20)
    return out


def run_size(n: int, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    size = Size(n)
    d = size.data
    stages = set(args.stages)
    made = size.stage("generate", lambda: city_ledgers(work, n))
    if made is None:
        for s in STAGES:
            size.skip(s, "the city could not be generated")
        return d
    ledgers, gen_s = made
    d["generated"] = "reused ledgers made earlier by the same generator" if gen_s is None else "generated"
    data_dir, scratch = work / f"store-{n}", work / f"ceiling-{n}"
    shutil.rmtree(data_dir, ignore_errors=True)

    ceiling = None
    if "load" in stages and n > args.ceiling_max:
        size.skip(
            "ceiling", f"above --ceiling-max {args.ceiling_max:,} (the load is measured without its ratio)"
        )
    elif "load" in stages:
        shutil.rmtree(scratch, ignore_errors=True)
        try:
            ceiling = size.stage("ceiling", lambda: _in_child(bench_load.run_ceiling, ledgers, scratch))
        finally:
            EmbeddedServer(scratch).stop()  # in case the child died without stopping its server
            shutil.rmtree(scratch, ignore_errors=True)

    # This process holds the store's server from here to the end: the load connects to it, every later stage
    # reads what the load wrote, and the server never replays a big append-only file on a restart.
    store = size.stage("start store", lambda: FalkorStore.embedded(data_dir, GRAPH))
    if store is None:
        for s in STAGES:
            size.skip(s, "the embedded store did not start")
        return d
    try:
        if "load" in stages:
            load = size.stage("load", lambda: bench_load.run_load(ledgers, data_dir))
            if load is not None:
                d["load"] = (
                    bench_load.summarize(n, load, ceiling)
                    if ceiling
                    else {
                        "residents": n,
                        "load_seconds": round(load["seconds"], 2),
                        "loader_peak_rss_mb": round(load["peak_rss_mb"]),
                    }
                )
                # Issue 12: the same ledgers again, then one street's rows changed (the store keeps those
                # phones).
                d["reload"] = size.stage(
                    "reload", lambda: bench_load.run_reloads(ledgers, data_dir, work, load["seconds"])
                )
        else:
            size.skip("load", "not asked for (--stages): loaded in this process, not measured")
            load = size.stage("load (unmeasured)", lambda: load_into(store, ledgers))
        counts = size.stage("count", lambda: bench_api.graph_counts(store)) if load is not None else None
        if not counts or not counts.get("Person"):
            for s in ("queries", "api", "pages"):
                size.skip(s, "nothing was loaded")
            return d
        d["graph"] = counts
        d["store_server_after_load"] = size.stage("server memory", lambda: server_memory(store))

        if "queries" in stages:
            d["queries"] = size.stage("queries", lambda: bench_queries.bench_store(store, args.repeat))
        else:
            size.skip("queries", "not asked for (--stages)")
        if stages & {"api", "pages"}:
            _serve_stages(size, store, data_dir, args, stages)
        d["store_server_at_end"] = size.stage("server memory", lambda: server_memory(store))
    finally:
        if args.keep:
            size.stage("keep", lambda: compact_aof(store))
            d["kept_store"] = str(data_dir)
        else:
            size.stage("clear", store.clear)  # so the server's last save on shutdown writes an empty graph
        store.close()
        if not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)
    return d


def _serve_stages(
    size: Size, store: FalkorStore, data_dir: Path, args: argparse.Namespace, stages: set[str]
) -> None:
    """The API and the pages against one `orggraph serve`; the pages still run directly if it will not
    start."""
    d = size.data
    try:
        with bench_api.serving(data_dir, "analyst") as (server, token):
            if "api" in stages:
                d["api"] = size.stage(
                    "api",
                    lambda: bench_api.bench(
                        store,
                        server.base,
                        token,
                        requests=args.requests,
                        clients=args.clients,
                        warmup=args.warmup,
                    ),
                )
            else:
                size.skip("api", "not asked for (--stages)")
            if "pages" in stages:
                d["pages"] = size.stage(
                    "pages",
                    lambda: bench_pages.bench(store, repeat=args.repeat, base=server.base, token=token),
                )
            else:
                size.skip("pages", "not asked for (--stages)")
            return
    except (Exception, SystemExit) as e:
        d["errors"]["serve"] = f"{type(e).__name__}: {e}"[-4000:]
        d["status"] = "failed"
    if "api" in stages and "api" not in d:
        size.skip("api", "orggraph serve did not start")
    if "pages" in stages and "pages" not in d:
        d["pages"] = size.stage("pages", lambda: bench_pages.bench(store, repeat=args.repeat))
        size.skip("pages over HTTP", "orggraph serve did not start")


# ---------------------------------------------------------------------------------------------- report
def _ok(sizes: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    return [s for s in sizes if s.get(key)]


def _pair(runs: list[dict[str, Any]]) -> tuple[dict[str, Any], dict[str, Any], bool] | None:
    """The two sizes a growth target is judged on: 100k → 1M when both ran, else smallest → largest."""
    by = {r["residents"]: r for r in runs}
    if GROWTH_FROM in by and GROWTH_TO in by:
        return by[GROWTH_FROM], by[GROWTH_TO], True
    if len(runs) >= 2:
        return runs[0], runs[-1], False
    return None


def _sizes_text(a: int, b: int) -> str:
    return f"{_n(a)} → {_n(b)}"


def _n(n: int | None) -> str:
    if n is None:
        return "—"
    for unit, div in (("M", 1_000_000), ("k", 1_000)):
        if n >= div and n % (div // 10) == 0:
            return f"{n / div:g}{unit}"
    return f"{n:,}"


def growth(sizes: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    q = [{"residents": s["residents"], "results": s["queries"]["results"]} for s in _ok(sizes, "queries")]
    if len(q) >= 2:
        out["queries"] = [bench_queries.growth([a, b]) for a, b in zip(q, q[1:], strict=False)]
    p = [{"residents": s["residents"], "results": s["pages"]["results"]} for s in _ok(sizes, "pages")]
    if len(p) >= 2:
        out["pages"] = [bench_pages.growth([a, b]) for a, b in zip(p, p[1:], strict=False)]
    ld = _ok(sizes, "load")
    if len(ld) >= 2:
        out["load"] = [
            {
                "from": a["residents"],
                "to": b["residents"],
                "load_seconds": round(b["load"]["load_seconds"] / a["load"]["load_seconds"], 2),
            }
            for a, b in zip(ld, ld[1:], strict=False)
        ]
    return out


def targets(sizes: list[dict[str, Any]]) -> list[dict[str, str]]:
    """One row per target of the issues: what, where, the measured value and met / NOT met."""
    rows: list[dict[str, str]] = []

    def row(target: str, where: str, value: str, met: bool | None, note: str = "") -> None:
        verdict = "not measured" if met is None else ("met" if met else "NOT met")
        rows.append({"target": target, "where": where, "measured": value, "verdict": verdict, "note": note})

    loads = [s for s in _ok(sizes, "load") if "ratio_load_over_ceiling" in s["load"]]
    t = f"load ÷ engine ceiling ≥ {RATIO_TARGET} (aim {RATIO_AIM}) at {_n(RATIO_AT)}"
    at = next((s for s in loads if s["residents"] == RATIO_AT), loads[-1] if loads else None)
    if at is None:
        row(t, "—", "—", None, "no load with its ceiling ran")
    else:
        r = at["load"]["ratio_load_over_ceiling"]
        note = "" if at["residents"] == RATIO_AT else f"indicative: measured at {_n(at['residents'])}"
        if r >= RATIO_TARGET:
            note = "; ".join(
                x for x in (note, "aim met" if r >= RATIO_AIM else f"aim {RATIO_AIM} not reached") if x
            )
        row(t, _n(at["residents"]), f"{r:.2f}", r >= RATIO_TARGET, note)

    for s in sizes:
        rl = s.get("reload")
        if rl:
            r = rl["ratio_reload_over_first"]
            row(
                f"re-load of unchanged ledgers ≤ {bench_load.RELOAD_TARGET:.0%} of the first load",
                _n(s["residents"]),
                f"{r:.3f}",
                r <= bench_load.RELOAD_TARGET,
                f"one street changed ({rl['one_street_rows_changed']:,} rows): {rl['one_street_seconds']} s",
            )

    for s in _ok(sizes, "load"):
        mb = s["load"]["loader_peak_rss_mb"]
        server = (s.get("store_server_after_load") or {}).get("peak_rss_mb")
        row(
            "loader peak memory ≤ 1 GB",
            _n(s["residents"]),
            f"{mb:,} MB",
            mb <= bench_load.PEAK_RSS_TARGET_MB,
            f"the store's server peaked at {server:,} MB (not part of the target)" if server else "",
        )

    pair = _pair(_ok(sizes, "load"))
    t = f"load time growth {_sizes_text(GROWTH_FROM, GROWTH_TO)} ≤ {bench_load.GROWTH_TARGET:g}×"
    if pair is None:
        row(t, "—", "—", None, "needs two sizes")
    else:
        a, b, named = pair
        factor = b["residents"] / a["residents"]
        limit = bench_load.GROWTH_TARGET if named else bench_load.GROWTH_TARGET / 10 * factor
        g = b["load"]["load_seconds"] / a["load"]["load_seconds"]
        row(
            t,
            _sizes_text(a["residents"], b["residents"]),
            f"{g:.2f}×",
            g <= limit,
            "" if named else f"indicative: sizes ×{factor:g}, so the limit is scaled to {limit:.1f}×",
        )

    pair = _pair(_ok(sizes, "queries"))
    for k in bench_queries.POINT_QUERIES:
        t = (
            f"point query {k}: growth {_sizes_text(GROWTH_FROM, GROWTH_TO)} ≤ "
            f"{bench_queries.POINT_GROWTH_TARGET}×"
        )
        if pair is None:
            row(t, "—", "—", None, "needs two sizes")
            continue
        a, b, named = pair
        ra, rb = a["queries"]["results"].get(k), b["queries"]["results"].get(k)
        if not ra or not rb or not ra["median_ms"]:
            row(t, _sizes_text(a["residents"], b["residents"]), "—", None, "not measured at both sizes")
            continue
        g = rb["median_ms"] / ra["median_ms"]
        notes = [] if named else ["indicative: not the sizes the target names"]
        if ra.get("length") != rb.get("length"):
            notes.append(f"the sample paths differ in length ({ra.get('length')} → {rb.get('length')})")
        row(
            t,
            _sizes_text(a["residents"], b["residents"]),
            f"{g:.2f}× ({ra['median_ms']:.1f} → {rb['median_ms']:.1f} ms)",
            g <= bench_queries.POINT_GROWTH_TARGET,
            "; ".join(notes),
        )

    for s in _ok(sizes, "api"):
        cells = [
            (name, c, v["overhead_median"])
            for name, w in s["api"].items()
            for c, v in w["by_clients"].items()
            if v.get("overhead_median") is not None
        ]
        if not cells:
            continue
        worst = max(cells, key=lambda x: x[2])
        over = [f"{name}@{c}" for name, c, v in cells if v > bench_api.OVERHEAD_TARGET]
        row(
            f"API overhead ≤ {bench_api.OVERHEAD_TARGET}× median (HTTP ÷ direct, 1 and 8 clients)",
            _n(s["residents"]),
            f"worst {worst[2]:.2f}× ({worst[0]}, {worst[1]} clients)",
            not over,
            f"over: {', '.join(over)}" if over else f"all {len(cells)} workload × clients within",
        )

    for s in _ok(sizes, "pages"):
        drawn = [(k, v["drawn"]["nodes"]) for k, v in s["pages"]["results"].items() if v.get("drawn")]
        if drawn:
            k, most = max(drawn, key=lambda x: x[1])
            row(
                f"pages draw at most about {NODE_CAP} nodes (queries/network.py NODE_CAP)",
                _n(s["residents"]),
                f"most {most:,} ({k})",
                most <= NODE_CAP * 1.1,
                "check of the pages' own cap, not an issue target",
            )
    return rows


def _md_table(head: list[str], rows: list[list[Any]]) -> list[str]:
    out = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    out += ["| " + " | ".join("" if c is None else str(c) for c in r) + " |" for r in rows]
    return out + [""]


def _ms(v: float | None) -> str:
    return "—" if v is None else (f"{v:,.0f}" if v >= 100 else f"{v:.1f}")


def markdown(report: dict[str, Any]) -> str:
    sizes: list[dict[str, Any]] = report["sizes"]
    names = [_n(s["residents"]) for s in sizes]
    lines = [
        "# orggraph city-scale benchmarks",
        "",
        f"Run {report['started']} → {report.get('finished') or '(still running)'} on "
        f"{report['machine']['cpus']} CPUs, "
        f"Python {report['machine']['python']}; embedded FalkorDB store; `{report['command']}`.",
        f"City: `orggraph.loaders.demo.generate(seed={SEED})`; queries as of {AS_OF}; {report['settings']}.",
        "Benchmarks, not tests: nothing here is asserted. Full numbers: results.json.",
        "",
        "## Sizes",
        "",
    ]
    for s in sizes:
        state = s["status"]
        extra = [f"{k} failed: {v.splitlines()[0][:300]}" for k, v in s.get("errors", {}).items()]
        extra += [f"{k} skipped: {v}" for k, v in s.get("skipped", {}).items()]
        lines.append(
            f"- **{s['residents']:,} residents**: {state}" + ("; " + "; ".join(extra) if extra else "")
        )
    for n in report.get("not_run", []):
        lines.append(f"- **{n:,} residents**: skipped — {report.get('not_run_why', 'not reached')}")
    lines.append("")

    lines += ["## Targets", ""]
    lines += _md_table(
        ["target", "size", "measured", "verdict", "note"],
        [
            [
                r["target"],
                r["where"],
                r["measured"],
                f"**{r['verdict']}**" if r["verdict"] == "NOT met" else r["verdict"],
                r["note"],
            ]
            for r in report["targets"]
        ],
    )

    stage_names = ["generate", "ceiling", "load", "queries", "api", "pages"]
    lines += ["## Stage times (s)", ""]
    lines += _md_table(
        ["stage", *names],
        [[st, *(_stage_cell(s, st) for s in sizes)] for st in stage_names]
        + [["total", *(round(sum(s["seconds"].values()), 1) for s in sizes)]],
    )

    loads = [s for s in sizes if s.get("load")]
    if loads:
        lines += ["## Load", ""]
        keys = [
            ("rows_written", "rows written"),
            ("load_seconds", "`orggraph load` s"),
            ("load_rows_per_s", "load rows/s"),
            ("ceiling_seconds", "ceiling s"),
            ("ceiling_rows_per_s", "ceiling rows/s"),
            ("ratio_load_over_ceiling", "load ÷ ceiling"),
            ("loader_peak_rss_mb", "loader peak RSS MB"),
        ]
        body = [[label, *(_fmt(s["load"].get(k)) for s in loads)] for k, label in keys]
        body.append(
            [
                "store server peak RSS MB (after load)",
                *(_fmt((s.get("store_server_after_load") or {}).get("peak_rss_mb")) for s in loads),
            ]
        )
        body.append(["graph nodes (Person)", *(_fmt((s.get("graph") or {}).get("Person")) for s in loads)])
        lines += _md_table(["", *(_n(s["residents"]) for s in loads)], body)
        for g in report["growth"].get("load", []):
            lines.append(f"Load time growth {_sizes_text(g['from'], g['to'])}: {g['load_seconds']}×")
        lines.append("")

    qs = [s for s in sizes if s.get("queries")]
    if qs:
        lines += ["## Queries (median ms)", ""]
        keys = list(dict.fromkeys(k for s in qs for k in s["queries"]["results"]))
        ratio = _ratio_head(qs)
        body = []
        for k in keys:
            cells = [s["queries"]["results"].get(k, {}) for s in qs]
            vals = [c.get("median_ms") for c in cells]
            shown = [
                _ms(v) + (f" (length {c['length']})" if c.get("length") is not None else "")
                for v, c in zip(vals, cells, strict=True)
            ]
            body.append([("**" + k + "**") if k in bench_queries.POINT_QUERIES else k, *shown, _growth(vals)])
        lines += _md_table(["query (bold: point queries)", *(_n(s["residents"]) for s in qs), ratio], body)

    apis = [s for s in sizes if s.get("api")]
    if apis:
        lines += ["## API (ms; HTTP median / p95 vs direct median; overhead = HTTP ÷ direct median)", ""]
        body = []
        for s in apis:
            for name, w in s["api"].items():
                if w.get("error"):
                    body.append(
                        [name, "—", _n(s["residents"]), f"failed: {w['error'][:200]}", "", "", "", ""]
                    )
        for name in dict.fromkeys(k for s in apis for k in s["api"]):
            for c in dict.fromkeys(c for s in apis for c in s["api"].get(name, {}).get("by_clients", {})):
                for s in apis:
                    v = s["api"].get(name, {}).get("by_clients", {}).get(c)
                    if v:
                        body.append(
                            [
                                name,
                                c,
                                _n(s["residents"]),
                                _ms(v["api"]["median_ms"]),
                                _ms(v["api"]["p95_ms"]),
                                _ms(v["direct"]["median_ms"]),
                                f"{v['overhead_median']}×",
                                v["api"]["throughput_rps"],
                            ]
                        )
        lines += _md_table(
            [
                "workload",
                "clients",
                "size",
                "HTTP median",
                "HTTP p95",
                "direct median",
                "overhead",
                "HTTP req/s",
            ],
            body,
        )

    pgs = [s for s in sizes if s.get("pages")]
    if pgs:
        lines += [
            "## Pages (median ms direct / over HTTP; HTML KB; nodes drawn, of which group nodes → "
            "nodes they stand for)",
            "",
        ]
        body = []
        for k in dict.fromkeys(k for s in pgs for k in s["pages"]["results"]):
            cells = []
            for s in pgs:
                v = s["pages"]["results"].get(k)
                if not v:
                    cells.append("—")
                    continue
                http = v.get("http", {}).get("median_ms")
                dr = v.get("drawn")
                status = v.get("http", {}).get("status", [200])
                cells.append(
                    f"{_ms(v['direct']['median_ms'])} / {_ms(http)} ms · {v['html_bytes'] / 1024:,.0f} KB"
                    + (f" · {dr['nodes']:,} ({dr['group_nodes']} → {dr['grouped']:,})" if dr else "")
                    + (f" · **HTTP {'/'.join(map(str, status))}**" if status != [200] else "")
                )
            vals = [s["pages"]["results"].get(k, {}).get("direct", {}).get("median_ms") for s in pgs]
            body.append([k, *cells, _growth(vals)])
        lines += _md_table(["page", *(_n(s["residents"]) for s in pgs), _ratio_head(pgs)], body)
        busy = [
            f"{_n(s['residents'])}: "
            + ", ".join(
                f"{k} {v['key']} ({v['degree']} relationships)" for k, v in s["pages"]["busy"].items()
            )
            for s in pgs
        ]
        lines += ["Ego pages are of the busiest community, grid and leader: " + "; ".join(busy) + ".", ""]
    return "\n".join(lines)


def _stage_cell(size: dict[str, Any], stage: str) -> str:
    if stage in size["errors"]:
        return f"{size['seconds'][stage]} (failed)"
    if stage == "generate" and str(size.get("generated", "")).startswith("reused"):
        return "reused"
    return str(size["seconds"].get(stage, "—"))


def _fmt(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:,.2f}" if v < 100 else f"{v:,.0f}"
    return f"{v:,}" if isinstance(v, int) else str(v)


def _ratio_head(runs: list[dict[str, Any]]) -> str:
    return (
        f"growth {_sizes_text(runs[0]['residents'], runs[-1]['residents'])}" if len(runs) >= 2 else "growth"
    )


def _growth(vals: list[float | None]) -> str:
    if len(vals) < 2 or not vals[0] or vals[-1] is None:
        return "—"
    return f"{vals[-1] / vals[0]:.2f}×"


# ------------------------------------------------------------------------------------------------ main
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--residents", type=int, nargs="+", help=f"city sizes (default {FULL_SIZES}; --quick: {QUICK_SIZES})"
    )
    ap.add_argument("--quick", action="store_true", help="smoke test: small cities, few repeats and requests")
    ap.add_argument(
        "--stages", nargs="+", choices=STAGES, default=list(STAGES), help="what to measure (default all)"
    )
    ap.add_argument(
        "--repeat", type=int, help="repeats per query and page, median taken (default 5; --quick 3)"
    )
    ap.add_argument(
        "--requests", type=int, help="API requests per workload and concurrency (default 400; --quick 40)"
    )
    ap.add_argument("--warmup", type=int, help="API warm-up requests per workload (default 20; --quick 5)")
    ap.add_argument("--clients", type=int, nargs="+", default=[1, 8], help="API concurrency levels")
    ap.add_argument(
        "--ceiling-max",
        type=int,
        default=RATIO_AT,
        help="largest size whose engine ceiling is measured (default 1,000,000: the ratio's target size; "
        "the ceiling writes the whole city a second time and pre-builds every batch in memory)",
    )
    ap.add_argument(
        "--workdir",
        type=Path,
        default=HERE / "out" / "work",
        help="ledgers (kept and reused) and stores (deleted unless --keep); default benchmarks/out/work",
    )
    ap.add_argument("--out", type=Path, default=HERE / "out", help="where results.json and results.md go")
    ap.add_argument(
        "--keep", action="store_true", help="keep each loaded store (ORGGRAPH_DATA_DIR=<workdir>/store-N)"
    )
    ap.add_argument(
        "--backend",
        choices=("falkordb", "neo4j"),
        default="falkordb",
        help="neo4j: load, admin import and queries on a Neo4j the run starts (see bench_neo4j.py)",
    )
    ap.add_argument(
        "--neo4j-port", type=int, default=0, help="Bolt port of the benchmark's Neo4j (0: a free one)"
    )
    ap.add_argument(
        "--import-port", type=int, default=0, help="Bolt port of the Neo4j the admin import goes into"
    )
    ap.add_argument("--heap", default="2g", help="the benchmark Neo4j's heap (neo4jctl start --heap)")
    ap.add_argument(
        "--pagecache", default="2g", help="the benchmark Neo4j's page cache (neo4jctl start --pagecache)"
    )
    ap.add_argument(
        "--neo4j-stages",
        nargs="+",
        choices=("ceiling", "load", "import", "queries"),
        default=["ceiling", "load", "import", "queries"],
        help="what to measure on Neo4j (default all)",
    )
    args = ap.parse_args(argv)
    quick = args.quick
    args.residents = sorted(args.residents or (QUICK_SIZES if quick else FULL_SIZES))
    args.repeat = args.repeat or (3 if quick else 5)
    args.requests = args.requests or (40 if quick else 400)
    args.warmup = args.warmup or (5 if quick else 20)

    if args.backend == "neo4j":
        import bench_neo4j

        return bench_neo4j.main(args)
    args.workdir.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {
        "benchmark": "city-scale suite",
        "command": "python " + " ".join([str(Path(sys.argv[0])), *sys.argv[1:]])
        if argv is None
        else f"run.main({argv})",
        "started": time.strftime("%Y-%m-%d %H:%M:%S%z"),
        "finished": None,
        "machine": machine(),
        "settings": f"repeat {args.repeat}, API {args.requests} requests × clients {args.clients} (warm-up "
        f"{args.warmup})",
        "sizes": [],
        "not_run": list(args.residents),
        "growth": {},
        "targets": [],
    }

    def save() -> None:
        report["growth"] = growth(report["sizes"])
        report["targets"] = targets(report["sizes"])
        write_json(args.out / "results.json", report)
        (args.out / "results.md").write_text(markdown(report), encoding="utf-8")

    save()
    code = 0
    try:
        for n in args.residents:
            report["sizes"].append(run_size(n, args, args.workdir))
            report["not_run"].remove(n)
            save()
    except KeyboardInterrupt:
        report["not_run_why"] = "the run was interrupted"
        code = 130
    report["finished"] = time.strftime("%Y-%m-%d %H:%M:%S%z")
    save()
    print((args.out / "results.md").read_text(encoding="utf-8").split("## Stage times")[0], file=sys.stderr)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
