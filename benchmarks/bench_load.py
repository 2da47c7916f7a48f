"""Load benchmark: `orggraph load` of a generated city against the engine's ceiling (same writes, pre-built).

    python benchmarks/bench_load.py --residents 100000 1000000 [--out benchmarks/out/load.json]

For each size: generate the city's ledgers, run `orggraph load` in a fresh process on a fresh embedded
store (wall time, peak RSS of the loader process), then write the very same graph straight to another
fresh store from pre-built UNWIND batches (the spool a dry run leaves, replayed with no parsing or
validation) — the ceiling. Reports rows/s, load/ceiling ratio, peak memory and growth between sizes.
This is a benchmark, not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from orggraph.graph.falkor import FalkorStore
from orggraph.loaders.demo import generate
from orggraph.loaders.importer import plan_import
from orggraph.loaders.writes import write_text

KEY = b"benchmark-key"


def _child_peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def run_load(ledgers: Path, data_dir: Path) -> dict[str, float]:
    env = {**os.environ, "ORGGRAPH_DATA_DIR": str(data_dir), "ORGGRAPH_PID_KEY": KEY.decode()}
    env.pop("ORGGRAPH_URI", None)
    code = (
        "import resource, sys, time\n"
        "from orggraph.api.cli import main\n"
        "t = time.perf_counter(); rc = main(['load', sys.argv[1]]); dt = time.perf_counter() - t\n"
        "print('BENCH', dt, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, rc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(ledgers)], env=env, capture_output=True, text=True, check=True)
    line = next(ln for ln in out.stdout.splitlines() if ln.startswith("BENCH"))
    _, seconds, rss, rc = line.split()
    if rc != "0":
        raise SystemExit(f"load failed:\n{out.stdout}\n{out.stderr}")
    return {"seconds": float(seconds), "peak_rss_mb": float(rss)}


def run_ceiling(ledgers: Path, data_dir: Path) -> dict[str, float]:
    """Pre-build every batch (outside the timing), then time only the writes."""
    store = FalkorStore.embedded(data_dir, "ceiling")
    try:
        report, spool = plan_import(ledgers, None, pid_key=KEY)
        assert report.ok and spool is not None, report.errors[:5]
        batches = list(spool.replay())
        spool.close()
        store.ensure_schema()
        rows = sum(len(b) for _, b in batches)
        t = time.perf_counter()
        for name, b in batches:
            store.write(write_text(name), {"rows": b})
        return {"seconds": time.perf_counter() - t, "rows": rows}
    finally:
        store.clear()
        store.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--residents", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--out", default="benchmarks/out/load.json")
    ap.add_argument("--workdir", default=None, help="where ledgers and stores go (default: a temp folder)")
    args = ap.parse_args()
    work = Path(args.workdir or tempfile.mkdtemp(prefix="orggraph-bench-"))
    results = []
    for n in args.residents:
        ledgers = work / f"city-{n}"
        if not ledgers.exists():
            t = time.perf_counter()
            generate(ledgers, residents=n, seed=7)
            print(f"[{n:,}] generated in {time.perf_counter() - t:.1f}s", flush=True)
        data = work / f"store-{n}"
        shutil.rmtree(data, ignore_errors=True)
        load = run_load(ledgers, data)
        shutil.rmtree(data, ignore_errors=True)
        ceiling = run_ceiling(ledgers, work / f"ceiling-{n}")
        shutil.rmtree(work / f"ceiling-{n}", ignore_errors=True)
        rows = ceiling["rows"]
        r = {
            "residents": n,
            "rows_written": rows,
            "load_seconds": round(load["seconds"], 2),
            "load_rows_per_s": round(rows / load["seconds"]),
            "ceiling_seconds": round(ceiling["seconds"], 2),
            "ceiling_rows_per_s": round(rows / ceiling["seconds"]),
            "ratio_load_over_ceiling": round(ceiling["seconds"] / load["seconds"], 3),
            "loader_peak_rss_mb": round(load["peak_rss_mb"]),
        }
        print(json.dumps(r), flush=True)
        results.append(r)
    if len(results) >= 2:
        a, b = results[0], results[-1]
        growth = b["load_seconds"] / a["load_seconds"]
        print(f"growth {a['residents']:,} → {b['residents']:,}: {growth:.2f}× (size ×{b['residents'] / a['residents']:.0f})")
        results.append({"growth_load_seconds": round(growth, 2)})
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, ensure_ascii=False, indent=2))
    print(f"written {out}")


if __name__ == "__main__":
    main()
