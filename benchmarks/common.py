"""What the benchmark scripts share: the city they generate, the key its ID numbers are hashed with, how a
store is loaded, how a call is timed, and the environment an `orggraph` child process gets.

The scripts import it as a sibling module (`python benchmarks/<script>.py` puts benchmarks/ on sys.path).
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

KEY = "benchmark-key"  # ORGGRAPH_PID_KEY of every benchmark store
SEED = 2026  # the generator's seed: every script benchmarks the very same city of a given size
AS_OF = "2026-06-30"
GRAPH = "orggraph"  # the graph name `orggraph serve` / `orggraph load` use by default


def child_env(data_dir: Path) -> dict[str, str]:
    """Environment for an `orggraph` child process on the embedded store in `data_dir`."""
    env = {
        **os.environ,
        "ORGGRAPH_DATA_DIR": str(data_dir),
        "ORGGRAPH_PID_KEY": KEY,
        "ORGGRAPH_GRAPH_NAME": GRAPH,
    }
    env.pop("ORGGRAPH_URI", None)
    return env


def _digest(*files: str) -> str:
    h = hashlib.sha256()
    for f in files:
        h.update(Path(f).read_bytes())
    return h.hexdigest()


def city_ledgers(work: Path, residents: int) -> tuple[Path, float | None]:
    """The generated city's ledgers under `work` and the seconds generating them took: None when ledgers made
    by the same generator code were there already (a run cut short, or an older generator, makes them
    again)."""
    from orggraph.loaders import demo, demo_names, demo_write

    ledgers = work / f"ledgers-{residents}"
    stamp = ledgers / ".generated"  # hidden: the importer skips it
    code = _digest(demo.__file__, demo_names.__file__, demo_write.__file__)
    made_by = f"{code} seed={SEED} residents={residents}"
    if stamp.exists() and stamp.read_text(encoding="utf-8") == made_by:
        return ledgers, None
    print(f"generating {residents:,} residents → {ledgers}", file=sys.stderr, flush=True)
    stamp.unlink(missing_ok=True)
    t = time.perf_counter()
    demo.generate(ledgers, residents=residents, seed=SEED)
    seconds = time.perf_counter() - t
    stamp.write_text(made_by, encoding="utf-8")
    return ledgers, seconds


def load_into(store: Any, ledgers: Path) -> float:
    """Import the ledgers into `store` in this process; seconds taken. Exits with the first errors if
    invalid."""
    from orggraph.loaders.importer import import_ledgers

    print(f"loading {ledgers}", file=sys.stderr, flush=True)
    t = time.perf_counter()
    report = import_ledgers(ledgers, store, pid_key=KEY.encode())
    if not report.ok:
        raise SystemExit("load failed:\n" + "\n".join(i.format() for i in report.errors[:20]))
    return time.perf_counter() - t


def compact_aof(store: Any) -> None:
    """Fold everything written so far into the AOF's base (the store's own checkpoint), so reopening the store
    later loads a snapshot instead of replaying every write."""
    store.checkpoint()


def timed(fn: Callable[[], Any], repeat: int) -> dict[str, Any]:
    """Median of `repeat` timed calls after one untimed warm-up call (the first pays for the plan cache)."""
    fn()
    runs = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - t) * 1000)
    return {"median_ms": round(statistics.median(runs), 2), "runs_ms": [round(r, 2) for r in runs]}


def machine() -> dict[str, Any]:
    return {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}


def write_json(path: Path | str, data: Any) -> Path:
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"wrote {out}", file=sys.stderr)
    return out


def write_runs(
    path: Path | str, report: dict[str, Any], growth: Callable[[list[dict[str, Any]]], Any]
) -> None:
    """Write a per-size report, with the growth from the smallest size to the largest when there are two."""
    if len(report["runs"]) >= 2:
        report["growth"] = growth(report["runs"])
    write_json(path, report)
