"""Load benchmark: `orggraph load` of a generated city against the engine's ceiling (same writes, pre-built).

    python benchmarks/bench_load.py --residents 100000 1000000 [--out benchmarks/out/load.json]

For each size: generate the city's ledgers, run `orggraph load` in a fresh process on a fresh embedded
store (wall time, peak RSS of the loader process), then write the very same graph straight to another
fresh store from pre-built UNWIND batches (the spool a dry run leaves, replayed with no parsing or
validation) — the ceiling. Reports rows/s, load/ceiling ratio, peak memory and growth between sizes.
`benchmarks/run.py` calls `run_ceiling`, `run_load` and `summarize` itself (and keeps the loaded store).
This is a benchmark, not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import KEY, child_env, city_ledgers, write_json
from orggraph.graph.embedded import EmbeddedServer
from orggraph.graph.falkor import FalkorStore
from orggraph.loaders.importer import plan_import
from orggraph.loaders.writes import write_text

PEAK_RSS_TARGET_MB = 1024
GROWTH_TARGET = 11.0  # load seconds 100k → 1M (10× the residents)
RELOAD_TARGET = 0.15  # issue 12: a re-load of unchanged ledgers ÷ the first load


def run_load(
    ledgers: Path, data_dir: Path, env: dict[str, str] | None = None, extra: tuple[str, ...] = ()
) -> dict[str, Any]:
    """`orggraph load --json` in a process of its own: wall seconds of the command, the peak RSS of the
    process and of its children (the people-ledger workers, loaders/parallel.py: the larger of the two)
    and the load's changes (`{"added", "updated", "removed", "by_kind"}`). `extra`: more arguments
    (`--no-bulk`).

    On the embedded store in `data_dir`, or on the store `env` names (ORGGRAPH_URI of a Neo4j)."""
    code = (
        "import resource, sys, time\n"
        "from orggraph.api.cli import main\n"
        "t = time.perf_counter(); rc = main(['load', *sys.argv[1:], '--json'])\n"
        "dt = time.perf_counter() - t\n"
        "who = (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)\n"
        "rss = max(resource.getrusage(w).ru_maxrss for w in who)\n"
        "print('BENCH', dt, rss / 1024, rc)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(ledgers), *extra],
        env=env or child_env(data_dir),
        capture_output=True,
        text=True,
    )
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("BENCH")), None)
    if out.returncode != 0 or line is None or line.split()[3] != "0":
        raise SystemExit(f"load failed (exit {out.returncode}):\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}")
    _, seconds, rss, _rc = line.split()
    report = next((json.loads(ln) for ln in out.stdout.splitlines() if ln.startswith("{")), {})
    return {"seconds": float(seconds), "peak_rss_mb": float(rss), "changes": report.get("changes")}


def one_street_edited(ledgers: Path, out: Path) -> tuple[Path, int]:
    """A copy of the ledgers in which every resident of the first street (by their building's code) has a new
    phone number: one street's rows changed, the rest byte for byte the same. Returns the folder and the
    rows."""
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(ledgers, out)
    with open(ledgers / "网格.csv", encoding="utf-8-sig", newline="") as f:
        street = next(csv.DictReader(f))["街道编码"]
    src, dst = ledgers / "人员.csv", out / "人员.csv"
    n = 0
    with (
        open(src, encoding="utf-8-sig", newline="") as fi,
        open(dst, "w", encoding="utf-8-sig", newline="") as fo,
    ):
        r, w = csv.reader(fi), csv.writer(fo)
        header = next(r)
        w.writerow(header)
        b, ph = header.index("居住楼栋编码"), header.index("手机号")
        for row in r:
            if row[b].startswith(street):
                row[ph] = f"199{n % 100_000_000:08d}"
                n += 1
            w.writerow(row)
    return out, n


def run_reloads(ledgers: Path, data_dir: Path, work: Path, first_seconds: float) -> dict[str, Any]:
    """After a first load into `data_dir`: the same ledgers again (twice: the first re-load also reads every
    file once to record its digest when the store was loaded by another path), then one street's phones
    changed."""
    same = run_load(ledgers, data_dir)
    same2 = run_load(ledgers, data_dir)
    edited, rows = one_street_edited(ledgers, work / "ledgers-one-street")
    street = run_load(edited, data_dir)
    shutil.rmtree(edited, ignore_errors=True)
    best = min(same["seconds"], same2["seconds"])
    return {
        "first_load_seconds": round(first_seconds, 2),
        "reload_same_seconds": [round(same["seconds"], 2), round(same2["seconds"], 2)],
        "reload_same_changes": same2["changes"],
        "ratio_reload_over_first": round(best / first_seconds, 3),
        "one_street_rows_changed": rows,
        "one_street_seconds": round(street["seconds"], 2),
        "one_street_changes": street["changes"],
        "reload_peak_rss_mb": round(max(same["peak_rss_mb"], street["peak_rss_mb"])),
    }


def run_ceiling(ledgers: Path, data_dir: Path) -> dict[str, float]:
    """Pre-build every batch (outside the timing), then time only the writes."""
    store = FalkorStore.embedded(data_dir, "ceiling")
    try:
        report, spool = plan_import(ledgers, None, pid_key=KEY.encode())
        assert report.ok and spool is not None, report.errors[:5]
        batches = list(spool.replay())
        spool.close()
        store.ensure_schema()
        rows = sum(len(b) for _, b in batches)
        t = time.perf_counter()
        # The store's fastest write path, the one the loader uses too (encoding overlapped with the server).
        for _ in store.write_stream((write_text(name), {"rows": b}, None) for name, b in batches):
            pass
        return {"seconds": time.perf_counter() - t, "rows": rows}
    finally:
        store.clear()
        store.close()


def run_bulk_ceiling(ledgers: Path, data_dir: Path) -> dict[str, float]:
    """The engine's bulk path on the same rows: the validated spool (made outside the timing) packed into
    GRAPH.BULK commands and sent, then the indexes and constraints made (loaders/bulk.py) — the whole of what
    a first load does after validation. Read from the spool on disk as the load does (memory stays flat)."""
    from orggraph.loaders.bulk import write_bulk

    store = FalkorStore.embedded(data_dir, "ceiling")
    try:
        report, spool = plan_import(ledgers, None, pid_key=KEY.encode())
        assert report.ok and spool is not None, report.errors[:5]
        try:
            t = time.perf_counter()
            stats = write_bulk(store, spool.replay(), spool.total, command_rows=spool.batch_size * 10)
            return {"seconds": time.perf_counter() - t, "rows": spool.total, "nodes": stats.nodes}
        finally:
            spool.close()
    finally:
        store.clear()
        store.close()


def run_plan(ledgers: Path, workers: int) -> dict[str, float]:
    """The validation and transform pass alone (`plan_import`, no store), with `workers` people-ledger
    processes: wall seconds and CPU seconds of this process and of the workers."""
    import resource

    before = [resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    t = time.perf_counter()
    report, spool = plan_import(ledgers, None, pid_key=KEY.encode(), workers=workers)
    seconds = time.perf_counter() - t
    assert report.ok and spool is not None
    spool.close()
    after = [resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    cpu = [a.ru_utime + a.ru_stime - b.ru_utime - b.ru_stime for a, b in zip(after, before, strict=True)]
    return {
        "workers": workers,
        "seconds": round(seconds, 2),
        "cpu_self": round(cpu[0], 2),
        "cpu_workers": round(cpu[1], 2),
    }


def summarize(
    residents: int,
    load: dict[str, float],
    ceiling: dict[str, float],
    bulk: dict[str, float] | None = None,
    merge_load: dict[str, float] | None = None,
) -> dict[str, Any]:
    """`load` is `orggraph load` into an empty store (the bulk path); `merge_load` the same with --no-bulk
    (every row as UNWIND/MERGE batches, as an incremental load writes its differences)."""
    rows = ceiling["rows"]
    out = {
        "residents": residents,
        "rows_written": rows,
        "load_seconds": round(load["seconds"], 2),
        "load_rows_per_s": round(rows / load["seconds"]),
        "ceiling_seconds": round(ceiling["seconds"], 2),
        "ceiling_rows_per_s": round(rows / ceiling["seconds"]),
        "ratio_load_over_ceiling": round(ceiling["seconds"] / load["seconds"], 3),
        "loader_peak_rss_mb": round(load["peak_rss_mb"]),
    }
    if bulk is not None:
        out["bulk_ceiling_seconds"] = round(bulk["seconds"], 2)
        out["ratio_first_load_over_bulk_ceiling"] = round(load["seconds"] / bulk["seconds"], 3)
    if merge_load is not None:
        out["merge_load_seconds"] = round(merge_load["seconds"], 2)
        out["ratio_merge_ceiling_over_merge_load"] = round(ceiling["seconds"] / merge_load["seconds"], 3)
        out["merge_load_peak_rss_mb"] = round(merge_load["peak_rss_mb"])
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--residents", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--out", default="benchmarks/out/load.json")
    ap.add_argument("--workdir", default=None, help="where ledgers and stores go (default: a temp folder)")
    ap.add_argument(
        "--reload-only",
        action="store_true",
        help="only the first load and the re-loads (issue 12: unchanged ledgers, one street changed)",
    )
    ap.add_argument("--first-only", action="store_true", help="only the first load and the bulk ceiling")
    ap.add_argument(
        "--plan", action="store_true", help="also time the validation pass serial and in 2 workers"
    )
    args = ap.parse_args()
    work = Path(args.workdir or tempfile.mkdtemp(prefix="orggraph-bench-"))
    results = []
    for n in args.residents:
        ledgers, gen_s = city_ledgers(work, n)
        if gen_s is not None:
            print(f"[{n:,}] generated in {gen_s:.1f}s", flush=True)
        data = work / f"store-{n}"
        shutil.rmtree(data, ignore_errors=True)
        load = run_load(ledgers, data)
        if args.reload_only:
            from common import machine

            r = {"residents": n, **run_reloads(ledgers, data, work, load["seconds"]), "machine": machine()}
            print(json.dumps(r, ensure_ascii=False), flush=True)
            results.append(r)
            EmbeddedServer(data).stop()
            shutil.rmtree(data, ignore_errors=True)
            continue
        EmbeddedServer(data).stop()
        shutil.rmtree(data, ignore_errors=True)
        print(f"[{n:,}] load {load['seconds']:.1f}s, peak RSS {load['peak_rss_mb']:.0f} MB", flush=True)
        bulk = run_bulk_ceiling(ledgers, work / f"ceiling-{n}")
        print(f"[{n:,}] bulk ceiling {bulk['seconds']:.1f}s", flush=True)
        if args.first_only:  # the first load against the bulk ceiling alone
            EmbeddedServer(work / f"ceiling-{n}").stop()
            r = {
                "residents": n,
                "rows_written": bulk["rows"],
                "load_seconds": round(load["seconds"], 2),
                "loader_peak_rss_mb": round(load["peak_rss_mb"]),
                "bulk_ceiling_seconds": round(bulk["seconds"], 2),
                "ratio_first_load_over_bulk_ceiling": round(load["seconds"] / bulk["seconds"], 3),
                "load_average": list(os.getloadavg()),
            }
            print(json.dumps(r), flush=True)
            results.append(r)
            continue
        merge_load = run_load(ledgers, data, extra=("--no-bulk",))
        EmbeddedServer(data).stop()
        shutil.rmtree(data, ignore_errors=True)
        print(f"[{n:,}] --no-bulk {merge_load['seconds']:.1f}s", flush=True)
        ceiling = run_ceiling(ledgers, work / f"ceiling-{n}")
        EmbeddedServer(work / f"ceiling-{n}").stop()
        shutil.rmtree(work / f"ceiling-{n}", ignore_errors=True)
        r = summarize(n, load, ceiling, bulk, merge_load)
        r["plan"] = [run_plan(ledgers, 1), run_plan(ledgers, 2)] if args.plan else None
        r["load_average"] = list(os.getloadavg())
        print(json.dumps(r), flush=True)
        results.append(r)
    if len(results) >= 2 and not args.reload_only:
        a, b = results[0], results[-1]
        growth = b["load_seconds"] / a["load_seconds"]
        print(
            f"growth {a['residents']:,} → {b['residents']:,}: {growth:.2f}× (size "
            f"×{b['residents'] / a['residents']:.0f})"
        )
        results.append({"growth_load_seconds": round(growth, 2)})
    write_json(args.out, results)


if __name__ == "__main__":
    main()
