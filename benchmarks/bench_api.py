"""API benchmark: latency of contacts, coverage and cypher over HTTP against the same queries called in
Python.

    python benchmarks/bench_api.py --residents 1000000 [--requests 400] [--clients 1 8] [--out
    benchmarks/out/api.json] python benchmarks/bench_api.py --data-dir DIR          # reuse a store loaded
    before (ORGGRAPH_DATA_DIR)

Builds (or reuses) a loaded embedded store, starts `orggraph serve` on loopback in a process of its own, and
for each workload sends a fixed number of requests from 1 and from 8 concurrent clients (threads, one
keep-alive connection each), timing each request. The same queries are then called directly in Python
(`contacts_of`, `coverage`, `store.read`) with the same concurrency; the overhead ratio is API median ÷ direct
median. Requests rotate over many different grids, streets and people so no answer is served from one hot key.
`benchmarks/run.py` and `bench_pages.py` reuse `serving` (a server and a token) and `bench` (the workloads).
This is a benchmark, not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import queue
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
from common import GRAPH, child_env, city_ledgers, compact_aof, load_into, machine, write_json
from orggraph.api.auth import Role, TokenRegistry, tokens_path
from orggraph.graph.falkor import FalkorStore
from orggraph.graph.store import Store

OVERHEAD_TARGET = 1.3  # API median ÷ direct median
CYPHER = (
    "MATCH (g:Grid {code: $code})<-[r:SERVES]-(p:Person) "
    "RETURN p.pid AS pid, p.name AS name, r.role AS role, r.since AS since ORDER BY pid"
)
# An analyst's aggregate: households per community of a street (reads every household of the street).
CYPHER_AGGREGATE = (
    "MATCH (c:Community)-[:PART_OF]->(:Street {code: $code}) "
    "MATCH (c)<-[:PART_OF]-(:Grid)<-[:PART_OF]-(:Building)<-[:PART_OF]-(h:Household) "
    "RETURN c.code AS community, count(h) AS households ORDER BY community"
)
SAMPLE_GRIDS = "MATCH (g:Grid) RETURN g.code ORDER BY g.code"
SAMPLE_STREETS = "MATCH (s:Street) RETURN s.code ORDER BY s.code"
SAMPLE_PEOPLE = "MATCH (p:Person)-[:SERVES|CONTACTS]->() RETURN DISTINCT p.pid LIMIT 2000"


# ------------------------------------------------------------------------------------------------ setup
def build_store(work: Path, residents: int) -> Path:
    """Generate the demo city of `residents` and load it into a fresh embedded store under `work`."""
    ledgers, _ = city_ledgers(work, residents)
    data_dir = work / f"data-{residents}"
    with FalkorStore.embedded(data_dir, GRAPH) as store:
        store.ensure_schema()
        seconds = load_into(store, ledgers)
        compact_aof(store)
    print(f"loaded in {seconds:.0f} s", file=sys.stderr)
    return data_dir


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """`orggraph serve` on loopback, in a process of its own (as deployed)."""

    def __init__(self, data_dir: Path) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "orggraph", "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            env=child_env(data_dir),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base}/api/health", timeout=5).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if self.proc.poll() is not None:
                raise SystemExit(
                    f"orggraph serve exited:\n{self.proc.stderr.read() if self.proc.stderr else ''}"
                )
            time.sleep(0.2)
        self.stop()
        raise SystemExit("orggraph serve did not answer within 120 s")

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()


# ---------------------------------------------------------------------------------------------- timing
def _stats(samples: list[float]) -> dict[str, float]:
    s = sorted(samples)
    return {
        "n": len(s),
        "median_ms": round(statistics.median(s) * 1000, 2),
        "p95_ms": round(s[max(0, math.ceil(0.95 * len(s)) - 1)] * 1000, 2),
        "mean_ms": round(statistics.fmean(s) * 1000, 2),
        "max_ms": round(s[-1] * 1000, 2),
    }


def run_concurrent(call: Callable[[int], None], requests: int, clients: int) -> dict[str, float]:
    """`requests` calls of `call(i)` spread over `clients` threads; per-call latency and overall
    throughput."""
    latencies: list[float] = []
    lock = threading.Lock()
    counter = iter(range(requests))

    def worker() -> None:
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            t = time.perf_counter()
            call(i)
            dt = time.perf_counter() - t
            with lock:
                latencies.append(dt)

    t0 = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        for f in [pool.submit(worker) for _ in range(clients)]:
            f.result()
    wall = time.perf_counter() - t0
    return {**_stats(latencies), "clients": clients, "throughput_rps": round(requests / wall, 1)}


class Clients:
    """Keep-alive HTTP clients shared by the benchmark's threads: one per request in flight, reused from run
    to run (a client per thread would open new connections, and leave the old ones open, with every thread
    pool)."""

    def __init__(self, base: str, token: str) -> None:
        self.base, self.token = base, token
        self._free: queue.SimpleQueue[httpx.Client] = queue.SimpleQueue()
        self._all: list[httpx.Client] = []
        self._lock = threading.Lock()

    def request(self, method: str, url: str, body: dict[str, Any] | None = None) -> httpx.Response:
        try:
            client = self._free.get_nowait()
        except queue.Empty:
            client = httpx.Client(
                base_url=self.base, headers={"Authorization": f"Bearer {self.token}"}, timeout=600
            )
            with self._lock:
                self._all.append(client)
        try:
            r = client.request(method, url, json=body)
            r.read()
            return r
        finally:
            self._free.put(client)

    def close(self) -> None:
        for c in self._all:
            c.close()


def http_caller(
    clients: Clients, path_of: Callable[[int], tuple[str, str, dict[str, Any] | None]]
) -> Callable[[int], None]:
    def call(i: int) -> None:
        method, url, body = path_of(i)
        r = clients.request(method, url, body)
        if r.status_code != 200:
            raise SystemExit(f"{method} {url} → {r.status_code}: {r.text[:300]}")

    return call


# -------------------------------------------------------------------------------------------- workloads
def workloads(store: Store, seed: int) -> dict[str, dict[str, Any]]:
    from orggraph.queries.contacts import contacts_of
    from orggraph.queries.coverage import coverage

    rng = random.Random(seed)
    grids = [r[0] for r in store.read(SAMPLE_GRIDS).rows]
    streets = [r[0] for r in store.read(SAMPLE_STREETS).rows]
    people = [r[0] for r in store.read(SAMPLE_PEOPLE).rows]
    keys = grids + people
    rng.shuffle(grids)
    rng.shuffle(keys)
    return {
        "contacts": {
            "describe": "GET /api/contacts/{grid code or pid}",
            "http": lambda i: ("GET", f"/api/contacts/{keys[i % len(keys)]}", None),
            "direct": lambda i: contacts_of(store, keys[i % len(keys)]),
        },
        "coverage": {
            "describe": "GET /api/coverage?scope={street code}",
            "http": lambda i: ("GET", f"/api/coverage?scope={streets[i % len(streets)]}", None),
            "direct": lambda i: coverage(store, streets[i % len(streets)]),
        },
        "cypher": {
            "describe": "POST /api/cypher (the grid's workers, by parameter)",
            "http": lambda i: (
                "POST",
                "/api/cypher",
                {"query": CYPHER, "params": {"code": grids[i % len(grids)]}},
            ),
            "direct": lambda i: store.read(
                CYPHER, {"code": grids[i % len(grids)]}, timeout=30, max_rows=10_000
            ),
        },
        "cypher_aggregate": {
            "describe": "POST /api/cypher (households per community of a street)",
            "http": lambda i: (
                "POST",
                "/api/cypher",
                {"query": CYPHER_AGGREGATE, "params": {"code": streets[i % len(streets)]}},
            ),
            "direct": lambda i: store.read(
                CYPHER_AGGREGATE, {"code": streets[i % len(streets)]}, timeout=30, max_rows=10_000
            ),
        },
    }


@contextlib.contextmanager
def serving(data_dir: Path, role: str = "analyst") -> Iterator[tuple[Server, str]]:
    """`orggraph serve` on the store in `data_dir` and a bearer token of `role`; both gone afterwards."""
    registry = TokenRegistry(tokens_path(data_dir))
    registry.revoke("bench-api")
    token, _ = registry.create(Role(role), None, "bench-api")
    try:
        server = Server(data_dir)
        try:
            yield server, token
        finally:
            server.stop()
    finally:
        registry.revoke("bench-api")


def bench(
    store: Store,
    base: str,
    token: str,
    *,
    requests: int = 400,
    clients: tuple[int, ...] | list[int] = (1, 8),
    warmup: int = 20,
    only: list[str] | None = None,
) -> dict[str, Any]:
    """Each workload over HTTP and called directly, at each concurrency: latencies and the overhead ratios."""
    results: dict[str, Any] = {}
    pool = Clients(base, token)
    try:
        for name, w in workloads(store, seed=2026).items():
            if only and name not in only:
                continue
            try:
                results[name] = _workload(pool, w, requests, clients, warmup)
            except SystemExit as e:  # a request answered other than 200: the other workloads still run
                results[name] = {"request": w["describe"], "error": str(e), "by_clients": {}}
                print(f"{name:9s} FAILED: {e}", file=sys.stderr)
            for c, v in results[name]["by_clients"].items():
                print(
                    f"{name:9s} clients={c}: api median {v['api']['median_ms']} ms p95 "
                    f"{v['api']['p95_ms']} ms | "
                    f"direct median {v['direct']['median_ms']} ms p95 {v['direct']['p95_ms']} ms | "
                    f"×{v['overhead_median']}",
                    file=sys.stderr,
                )
    finally:
        pool.close()
    return results


def _workload(
    pool: Clients, w: dict[str, Any], requests: int, clients: tuple[int, ...] | list[int], warmup: int
) -> dict[str, Any]:
    call_http = http_caller(pool, w["http"])
    call_direct = w["direct"]
    # Connections (one per client at the highest concurrency), caches, the server's first imports.
    run_concurrent(call_http, max(warmup, max(clients)), max(clients))
    run_concurrent(call_direct, warmup, 1)
    entry: dict[str, Any] = {"request": w["describe"], "by_clients": {}}
    for c in clients:
        api = run_concurrent(call_http, requests, c)
        direct = run_concurrent(call_direct, requests, c)
        entry["by_clients"][str(c)] = {
            "api": api,
            "direct": direct,
            "overhead_median": round(api["median_ms"] / direct["median_ms"], 3)
            if direct["median_ms"]
            else None,
            "overhead_p95": round(api["p95_ms"] / direct["p95_ms"], 3) if direct["p95_ms"] else None,
        }
    return entry


def graph_counts(store: Store) -> dict[str, int]:
    return {
        label: store.read(f"MATCH (n:{label}) RETURN count(n)").scalar()  # type: ignore[arg-type,misc]
        for label in ("Person", "Household", "Grid", "Street")
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--residents", type=int, default=1_000_000, help="size of the generated city")
    ap.add_argument("--data-dir", help="an ORGGRAPH_DATA_DIR already loaded (skips generating and loading)")
    ap.add_argument("--workdir", help="where generated ledgers and the store go (default: a temp folder)")
    ap.add_argument("--requests", type=int, default=400, help="requests per workload and concurrency")
    ap.add_argument("--clients", type=int, nargs="+", default=[1, 8])
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--role", default="analyst", choices=["analyst", "admin"])
    ap.add_argument("--only", nargs="+", choices=["contacts", "coverage", "cypher", "cypher_aggregate"])
    ap.add_argument("--out", default="benchmarks/out/api.json")
    args = ap.parse_args()

    work = Path(args.workdir or tempfile.mkdtemp(prefix="orggraph-bench-api-"))
    data_dir = Path(args.data_dir) if args.data_dir else build_store(work, args.residents)
    with FalkorStore.embedded(data_dir, GRAPH) as store, serving(data_dir, args.role) as (server, token):
        results = bench(
            store,
            server.base,
            token,
            requests=args.requests,
            clients=args.clients,
            warmup=args.warmup,
            only=args.only,
        )
        counts = graph_counts(store)
    report = {
        "benchmark": "api",
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": machine(),
        "graph": counts,
        "role": args.role,
        "requests_per_run": args.requests,
        "target_overhead_median": OVERHEAD_TARGET,
        "workloads": results,
    }
    write_json(args.out, report)


if __name__ == "__main__":
    main()
