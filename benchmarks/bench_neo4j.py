"""Neo4j benchmarks (`python benchmarks/run.py --backend neo4j`): load, bulk import and queries on a local
Neo4j.

    python benchmarks/run.py --backend neo4j --residents 100000 1000000 [--neo4j-port 18195 --import-port
    18196]

For each size, smallest first, on a Neo4j Community this script starts itself (tools/neo4j/neo4jctl.py, its
own folder under the work folder, --heap / --pagecache) and stops at the end:

- **ceiling**: the loader's own batches (the spool a dry run leaves: no parsing or validation left), written
  straight with the driver, one managed transaction (`session.execute_write`) per batch on one session, schema
  created first; only the write calls are timed (each batch is decoded from the spool outside the timing).
- **load**: `orggraph load` of the ledgers in a process of its own (ORGGRAPH_URI pointing at the server), wall
  time and peak RSS; the database is emptied between the two (constraints and indexes kept) so both write into
  the same empty, indexed database. The ratio ceiling ÷ load is the target (≥ 0.7 at 1M).
- **admin import**: `orggraph export --neo4j-admin DIR --from-ledgers` (a process of its own), then
  `neo4j-admin database import full` of the printed command on a second, stopped Neo4j folder, then starting
  that server and running schema.cypher: the three times, and the imported counts against the loaded ones.
- **queries**: `bench_queries.bench_store` on the loaded Neo4j and on an embedded FalkorDB loaded with the
  same ledgers in this process (not timed), side by side.

Results: <out>/neo4j.json and <out>/neo4j.md, rewritten after every size. A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import bench_load
import bench_queries
from common import AS_OF, KEY, SEED, city_ledgers, load_into, machine, write_json
from orggraph.graph.cypher import trusted
from orggraph.graph.falkor import FalkorStore
from orggraph.graph.neo4j_store import Neo4jStore
from orggraph.loaders.export import schema_cypher_statements, store_counts
from orggraph.loaders.importer import plan_import
from orggraph.loaders.writes import write_text

HERE = Path(__file__).resolve().parent
CTL = HERE.parent / "tools" / "neo4j" / "neo4jctl.py"
RATIO_TARGET = 0.7
WARM_UP = 5_000  # residents of the city written once before measuring


# ------------------------------------------------------------------------------------------ the servers
def ctl(*args: str) -> str:
    """tools/neo4j/neo4jctl.py ARGS; its stdout (SystemExit with its messages when it fails)."""
    r = subprocess.run([sys.executable, str(CTL), *args], capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(
            f"neo4jctl {' '.join(args[:1])} failed ({r.returncode}):\n{r.stdout[-2000:]}{r.stderr[-2000:]}"
        )
    return r.stdout


def start(data: Path, port: int, heap: str, pagecache: str) -> dict[str, str]:
    out = ctl("start", "--data", str(data), "--port", str(port), "--heap", heap, "--pagecache", pagecache)
    env = dict(
        line.removeprefix("export ").split("=", 1) for line in out.splitlines() if line.startswith("export ")
    )
    return env


def open_neo4j(env: dict[str, str]) -> Neo4jStore:
    return Neo4jStore(env["ORGGRAPH_URI"], env["ORGGRAPH_NEO4J_USER"], env["ORGGRAPH_NEO4J_PASSWORD"])


def counts(store: Neo4jStore | FalkorStore) -> dict[str, int]:
    nodes, rels = store_counts(store)
    return {"nodes": nodes, "relationships": rels}


# ---------------------------------------------------------------------------------------------- stages
def run_ceiling(ledgers: Path, store: Neo4jStore) -> dict[str, float]:
    """The loader's batches straight through the driver; only the writes are timed."""
    report, spool = plan_import(ledgers, None, pid_key=KEY.encode())
    assert report.ok and spool is not None, report.errors[:5]
    store.clear()
    store.ensure_schema()
    rows = batches = 0
    seconds = 0.0
    try:
        with store._driver.session(database=store.database) as session:  # the driver itself is measured
            for name, batch in spool.replay():
                query = write_text(name)
                t = time.perf_counter()
                session.execute_write(lambda tx, q=query, b=batch: tx.run(q, rows=b).consume())
                seconds += time.perf_counter() - t
                rows += len(batch)
                batches += 1
    finally:
        spool.close()
    return {"seconds": seconds, "rows": rows, "batches": batches}


def run_admin_import(
    ledgers: Path, work: Path, n: int, port: int, heap: str, pagecache: str
) -> dict[str, Any]:
    """export --from-ledgers → neo4j-admin import on a stopped server folder → start + schema.cypher."""
    out_dir, home = work / f"neo4j-admin-{n}", work / "neo4j-import-home"
    env = {**os.environ, "ORGGRAPH_PID_KEY": KEY}
    env.pop("ORGGRAPH_URI", None)
    t = time.perf_counter()
    r = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from orggraph.api.cli import main; sys.exit(main())",
            "export",
            "--neo4j-admin",
            str(out_dir),
            "--from-ledgers",
            str(ledgers),
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    export_s = time.perf_counter() - t
    if r.returncode != 0:
        raise SystemExit(f"export failed ({r.returncode}): {r.stderr[-2000:]}")
    ctl("stop", "--data", str(home))
    script = (out_dir / "import.sh").read_text(encoding="utf-8")
    t = time.perf_counter()
    # import.sh runs ${NEO4J_ADMIN:-neo4j-admin}: here this repository's tool on the import folder.
    r = subprocess.run(
        # Replace the database of the earlier size; cap the importer's memory (its default: 90% of what is
        # free).
        [
            "sh",
            str(out_dir / "import.sh"),
            "--overwrite-destination=true",
            f"--max-off-heap-memory={pagecache}",
        ],
        env={
            **os.environ,
            "NEO4J_ADMIN": f"{shlex.quote(sys.executable)} {shlex.quote(str(CTL))} admin --data "
            f"{shlex.quote(str(home))}",
        },
        capture_output=True,
        text=True,
    )
    import_s = time.perf_counter() - t
    if r.returncode != 0:
        raise SystemExit(
            f"neo4j-admin import failed ({r.returncode}):"
            f"\n{script[:500]}\n{r.stdout[-2000:]}{r.stderr[-2000:]}"
        )
    t = time.perf_counter()
    ienv = start(home, port, heap, pagecache)
    start_s = time.perf_counter() - t
    store = open_neo4j(ienv)
    try:
        t = time.perf_counter()
        with store._driver.session(database=store.database) as session:  # the file, as cypher-shell runs it
            for stmt in schema_cypher_statements((out_dir / "schema.cypher").read_text(encoding="utf-8")):
                session.run(trusted(stmt)).consume()
            session.run("CALL db.awaitIndexes(3600)").consume()
        schema_s = time.perf_counter() - t
        got = counts(store)
    finally:
        store.close()
        ctl("stop", "--data", str(home))
    shutil.rmtree(out_dir, ignore_errors=True)
    return {
        "export_seconds": round(export_s, 1),
        "import_seconds": round(import_s, 1),
        "start_seconds": round(start_s, 1),
        "schema_seconds": round(schema_s, 1),
        "total_seconds": round(export_s + import_s + start_s + schema_s, 1),
        "imported": got,
    }


def warm_up(args: argparse.Namespace, env: dict[str, str]) -> None:
    """A fresh JVM compiles as it goes: write a small city once (not measured) before the first ceiling, so
    the ceiling (measured first) does not pay for the warm-up that the load after it would be spared."""
    ledgers, _ = city_ledgers(args.workdir, WARM_UP)
    store = open_neo4j(env)
    try:
        run_ceiling(ledgers, store)
        store.clear()
    finally:
        store.close()


def run_size(
    n: int, args: argparse.Namespace, env: dict[str, str], out: dict[str, Any], save: Any
) -> dict[str, Any]:
    from run import Size  # the same stage bookkeeping as the FalkorDB suite

    class Saved(Size):
        def stage(self, name: str, fn: Any) -> Any:
            try:
                return super().stage(name, fn)
            finally:
                save()  # a long size cut short still leaves the stages done

    size = Saved(n)
    d = size.data
    out["sizes"].append(d)
    made = size.stage("generate", lambda: city_ledgers(args.workdir, n))
    if made is None:
        return d
    ledgers, _ = made
    store = open_neo4j(env)
    try:
        ceiling = load = None
        if "ceiling" in args.neo4j_stages:
            ceiling = size.stage("ceiling", lambda: run_ceiling(ledgers, store))
            size.stage("empty the database", store.clear)
        lenv = {**os.environ, **env, "ORGGRAPH_PID_KEY": KEY}
        if "load" in args.neo4j_stages:
            load = size.stage("load", lambda: bench_load.run_load(ledgers, args.workdir / "unused", env=lenv))
        if load is not None and ceiling is not None:
            d["load"] = bench_load.summarize(n, load, ceiling)
        elif load is not None:
            d["load"] = {
                "residents": n,
                "load_seconds": round(load["seconds"], 2),
                "loader_peak_rss_mb": round(load["peak_rss_mb"]),
            }
        d["graph"] = size.stage("count", lambda: counts(store))
        if "import" in args.neo4j_stages:
            d["admin_import"] = size.stage(
                "admin import",
                lambda: run_admin_import(
                    ledgers, args.workdir, n, args.import_port, args.heap, args.pagecache
                ),
            )
        if "queries" in args.neo4j_stages and d.get("graph"):
            d["queries_neo4j"] = size.stage(
                "queries neo4j", lambda: bench_queries.bench_store(store, args.repeat)
            )
            fdir = args.workdir / f"falkor-{n}"
            shutil.rmtree(fdir, ignore_errors=True)
            falkor = size.stage("start falkordb", lambda: FalkorStore.embedded(fdir, "orggraph"))
            if falkor is not None:
                try:
                    size.stage("load falkordb (not measured)", lambda: load_into(falkor, ledgers))
                    d["queries_falkordb"] = size.stage(
                        "queries falkordb", lambda: bench_queries.bench_store(falkor, args.repeat)
                    )
                finally:
                    falkor.clear()
                    falkor.close()
                    shutil.rmtree(fdir, ignore_errors=True)
    finally:
        store.close()
    return d


# ---------------------------------------------------------------------------------------------- report
def markdown(report: dict[str, Any]) -> str:
    from run import _fmt, _md_table, _ms, _n

    sizes = report["sizes"]
    lines = [
        "# orggraph on Neo4j: load, bulk import and queries",
        "",
        f"Run {report['started']} → {report.get('finished') or '(still running)'} on "
        f"{report['machine']['cpus']} CPUs "
        f"(shared with other jobs while measuring), Python {report['machine']['python']}; Neo4j Community "
        f"{report['neo4j']} (heap {report['heap']}, page cache {report['pagecache']}) started by the run on "
        f"127.0.0.1; `{report['command']}`.",
        f"City: `orggraph.loaders.demo.generate(seed={SEED})`; queries as of {AS_OF}; repeat "
        f"{report['repeat']}.",
        f"Before measuring, a {WARM_UP:,}-resident city was written once and deleted (the JVM's "
        "warm-up, not measured).",
        "Benchmarks, not tests: nothing here is asserted. Full numbers: the .json beside this file.",
        "",
        "## Sizes",
        "",
    ]
    for s in sizes:
        extra = [f"{k} failed: {v.splitlines()[0][:300]}" for k, v in s.get("errors", {}).items()]
        lines.append(
            f"- **{s['residents']:,} residents**: {s['status']}" + ("; " + "; ".join(extra) if extra else "")
        )
    lines.append("")
    loads = [s for s in sizes if s.get("load")]
    if loads:
        lines += ["## Load: `orggraph load` vs the same batches through the driver", ""]
        keys = [
            ("rows_written", "rows written"),
            ("load_seconds", "`orggraph load` s"),
            ("load_rows_per_s", "load rows/s"),
            ("ceiling_seconds", "driver ceiling s (writes only)"),
            ("ceiling_rows_per_s", "ceiling rows/s"),
            ("ratio_load_over_ceiling", "load ÷ ceiling"),
            ("loader_peak_rss_mb", "loader peak RSS MB"),
        ]
        body = [[label, *(_fmt(s["load"].get(k)) for s in loads)] for k, label in keys]
        body.append(
            [
                "target",
                *(
                    "no ceiling measured"
                    if "ratio_load_over_ceiling" not in s["load"]
                    else ("met" if s["load"]["ratio_load_over_ceiling"] >= RATIO_TARGET else "**NOT met**")
                    + f" (≥ {RATIO_TARGET})"
                    for s in loads
                ),
            ]
        )
        lines += _md_table(["", *(_n(s["residents"]) for s in loads)], body)
    imps = [s for s in sizes if s.get("admin_import")]
    if imps:
        lines += [
            "## Bulk path: `orggraph export --neo4j-admin --from-ledgers` + `neo4j-admin database "
            "import full`",
            "",
        ]
        keys = [
            ("export_seconds", "export s"),
            ("import_seconds", "neo4j-admin import s"),
            ("start_seconds", "server start s"),
            ("schema_seconds", "schema.cypher (+ index population) s"),
            ("total_seconds", "total s"),
        ]
        body = [[label, *(_fmt(s["admin_import"][k]) for s in imps)] for k, label in keys]
        body.append(
            [
                "`orggraph load` s (for comparison)",
                *(_fmt((s.get("load") or {}).get("load_seconds")) for s in imps),
            ]
        )
        body.append(
            [
                "imported nodes / relationships",
                *(
                    f"{s['admin_import']['imported']['nodes']:,} / "
                    f"{s['admin_import']['imported']['relationships']:,}"
                    for s in imps
                ),
            ]
        )
        body.append(
            [
                "loaded nodes / relationships",
                *(
                    f"{s['graph']['nodes']:,} / {s['graph']['relationships']:,}" if s.get("graph") else "—"
                    for s in imps
                ),
            ]
        )
        lines += _md_table(["", *(_n(s["residents"]) for s in imps)], body)
    qs = [s for s in sizes if s.get("queries_neo4j")]
    if qs:
        lines += ["## Queries (median ms): Neo4j and FalkorDB, same city, same run", ""]
        keys = list(dict.fromkeys(k for s in qs for k in s["queries_neo4j"]["results"]))
        body = []
        for k in keys:
            row = ["**" + k + "**" if k in bench_queries.POINT_QUERIES else k]
            for s in qs:
                a = s["queries_neo4j"]["results"].get(k, {}).get("median_ms")
                b = (s.get("queries_falkordb") or {}).get("results", {}).get(k, {}).get("median_ms")
                row += [_ms(a), _ms(b), f"{a / b:.1f}×" if a and b else "—"]
            body.append(row)
        head = [f"{_n(s['residents'])} {h}" for s in qs for h in ("Neo4j", "FalkorDB", "Neo4j ÷ FalkorDB")]
        lines += _md_table(["query (bold: point queries)", *head], body)
    stages = list(dict.fromkeys(k for s in sizes for k in s["seconds"]))
    lines += ["## Stage times (s)", ""]
    lines += _md_table(
        ["stage", *(_n(s["residents"]) for s in sizes)],
        [[st, *(s["seconds"].get(st, "—") for s in sizes)] for st in stages],
    )
    return "\n".join(lines)


def main(args: argparse.Namespace) -> int:
    from run import _n  # noqa: F401 - run.py is the entry point; fail early if it is not importable

    args.workdir.mkdir(parents=True, exist_ok=True)
    data = args.workdir / "neo4j-bench-home"
    report: dict[str, Any] = {
        "benchmark": "neo4j",
        "command": "python benchmarks/run.py " + " ".join(sys.argv[1:]),
        "started": time.strftime("%Y-%m-%d %H:%M:%S%z"),
        "finished": None,
        "machine": machine(),
        "neo4j": (CTL.parent / "pom.xml")
        .read_text(encoding="utf-8")
        .split("<neo4j.version>")[1]
        .split("<")[0],
        "heap": args.heap,
        "pagecache": args.pagecache,
        "repeat": args.repeat,
        "sizes": [],
    }
    out_json, out_md = args.out / "neo4j.json", args.out / "neo4j.md"

    def save() -> None:
        write_json(out_json, report)
        out_md.write_text(markdown(report), encoding="utf-8")

    env = start(data, args.neo4j_port, args.heap, args.pagecache)
    code = 0
    try:
        t = time.perf_counter()
        warm_up(args, env)
        report["warm_up_seconds"] = round(time.perf_counter() - t, 1)
        for n in args.residents:
            run_size(n, args, env, report, save)
            save()
    except KeyboardInterrupt:
        code = 130
    finally:
        try:
            store = open_neo4j(env)
            store.clear()
            store.close()
        finally:
            ctl("stop", "--data", str(data))
        report["finished"] = time.strftime("%Y-%m-%d %H:%M:%S%z")
        save()
    print(out_md.read_text(encoding="utf-8"), file=sys.stderr)
    return code
