"""The people ledger validated and transformed on every core: forked workers, the results merged in row order.

The people ledger is nearly all of a big city's rows, and its transform (ID checks, the HMAC of every pid, the
phone seal, 拼音首字母) is where a load spends most of its time. Each of `workers` forked processes reads the
whole file (reading is the cheap part) and transforms the rows whose ID cell falls to it (a CRC of the cell,
so both rows of a duplicated ID meet in one worker, which reports the duplicate as the serial pass does). The
parent merges the workers' results in spreadsheet-row order, so everything after it sees exactly what the
serial pass produces, in the same order: the issues (file, row, column, value, reason), the writes handed to
the change tracker and the spool, and the checker's state (`households`; `people_seen` for the people the
other ledgers refer to, all it is used for after this ledger). The two things one
row's transform learns from the rows before it in another worker are settled there, in row order:

- a household is written once, by the first row that names it (each worker writes the first of its own rows);
- the read problems of a row (formulas, bad bytes) are reported once, by worker 0, before that row's own.

Forked, so the workers start with the checker as the earlier ledgers left it (codes, person references) and
nothing is pickled but their results. Used for a CSV people ledger of `MIN_BYTES` or more on a machine with
several cores; otherwise, and on platforms without fork, the serial pass runs.
"""

from __future__ import annotations

import contextlib
import heapq
import multiprocessing as mp
import os
import sys
import traceback
import zlib
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from typing import Any

from orggraph.loaders.ledgers import TRANSFORMS, Checker, Row
from orggraph.loaders.read import LedgerIssue, LedgerSource
from orggraph.loaders.writes import node_write, rel_write

__all__ = ["MIN_BYTES", "WorkerFailed", "default_workers", "people_in_parallel"]

MIN_BYTES = 8 << 20  # below this (about 40,000 residents) forking costs more than it saves
CHUNK_ROWS = 5_000  # rows a worker sends at once
_END = sys.maxsize  # the row of read problems found after the last row (an unreadable rest of the file)
_PERSON = node_write("Person")
_HOUSEHOLD = node_write("Household")
_HOUSEHOLD_PART_OF = rel_write("Household", "PART_OF", "Building")

Emit = Callable[[str, dict[str, Any]], None]
# (row, own: the worker transformed it, read problems, transform problems, writes)
_Record = tuple[int, bool, list[LedgerIssue], list[LedgerIssue], list[tuple[str, dict[str, Any]]]]


# Off by default: measured on an idle 2-core machine (100k residents), the serial pass took 9.5 s and two
# workers 22.2 s (each reads and decodes the whole file, and the results cross a pipe pickled). Kept, tested
# and reachable (`plan_import(workers=N)`) for the next step: workers that read only their byte range.
ENABLED = False


def default_workers(src: LedgerSource) -> int:
    """How many processes should transform this people ledger: 1 (serial) unless enabled, it is a big CSV file
    and the machine has several cores and fork."""
    if not ENABLED:
        return 1
    path = getattr(src._reader, "path", None)  # the CSV file behind the source
    if path is None or str(path).lower().endswith(".xlsx") or "fork" not in mp.get_all_start_methods():
        return 1
    try:
        big = os.path.getsize(path) >= MIN_BYTES
    except OSError:
        return 1
    return min(os.cpu_count() or 1, 4) if big else 1


def _share(cells: dict[str, str], workers: int) -> int:
    return zlib.crc32(cells.get("id_number", "").upper().encode()) % workers


def _work(
    k: int, workers: int, src: LedgerSource, chk: Checker, prepare: Callable[[Emit], Emit], out: Connection
) -> None:
    """Worker k: transform its share of the rows, send their results (and, for worker 0, every row's read
    problems) in row order, then None; on a failure, the traceback text."""
    try:
        transform = TRANSFORMS["people"]
        reads: list[LedgerIssue] = []
        chk.issues = []
        writes: list[tuple[str, dict[str, Any]]] = []
        emit = prepare(lambda name, row: writes.append((name, row)))
        batch: list[_Record] = []
        seen = 0
        for n, cells in src.rows(reads):
            row_reads: list[LedgerIssue] = []
            if k == 0 and len(reads) > seen:
                row_reads, seen = reads[seen:], len(reads)
            elif k != 0:
                reads.clear()
            if _share(cells, workers) == k:
                transform(Row(chk, src, n, cells), emit)
                batch.append((n, True, row_reads, chk.issues, writes))
                chk.issues, writes = [], []  # `emit` appends to the new list: it reads the name `writes`
            elif row_reads:
                batch.append((n, False, row_reads, [], []))
            if len(batch) >= CHUNK_ROWS:
                out.send(batch)
                batch = []
        if k == 0 and len(reads) > seen:
            batch.append((_END, False, reads[seen:], [], []))
        out.send(batch)
        out.send(None)
    except BaseException:  # everything goes to the parent, which raises it
        with contextlib.suppress(OSError):
            out.send(traceback.format_exc())
    finally:
        out.close()


class WorkerFailed(Exception):
    """A worker died (killed, out of memory) or raised; the message says so in Chinese."""


def _records(conn: Connection) -> Iterator[_Record]:
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            raise WorkerFailed(
                "校验人员台账的子进程意外退出（可能内存不足或被终止），未导入任何数据。请重新运行同一命令。"
            ) from None
        if msg is None:
            return
        if isinstance(msg, str):
            raise WorkerFailed(f"校验人员台账的子进程出错，未导入任何数据：\n{msg}")
        yield from msg


def people_in_parallel(
    src: LedgerSource, chk: Checker, emit: Emit, prepare: Callable[[Emit], Emit], workers: int
) -> int:
    """Transform the people ledger in `workers` forked processes; hand the writes to `emit` (already prepared
    by the workers with `prepare`, e.g. 拼音首字母), the issues to `chk.issues`, in row order. Returns the
    rows."""
    ctx = mp.get_context("fork")
    procs, conns = [], []
    try:
        for k in range(workers):
            recv, send = ctx.Pipe(duplex=False)
            p = ctx.Process(target=_work, args=(k, workers, src, chk, prepare, send), daemon=True)
            p.start()
            send.close()
            procs.append(p)
            conns.append(recv)
        rows = 0
        households = chk.households
        # The workers found the duplicates; after them `people_seen` only answers whether a person the other
        # ledgers named was defined (unresolved_people): a million pids need not stay in memory for that.
        refs = chk.person_refs
        for n, own, reads, issues, writes in heapq.merge(
            *(_records(c) for c in conns), key=lambda r: (r[0], r[1])
        ):
            chk.issues.extend(reads)
            if not own:
                continue
            rows += 1
            chk.issues.extend(issues)
            dropped = None
            for name, row in writes:
                if name == _HOUSEHOLD:
                    if row["key"] in households:  # an earlier row in another worker wrote it
                        dropped = row["key"]
                        continue
                    households.add(row["key"])
                elif name == _HOUSEHOLD_PART_OF and row["a"] == dropped:
                    continue
                elif name.startswith(_PERSON) and row["key"] in refs:
                    chk.people_seen[row["key"]] = n
                emit(name, row)
        return rows
    finally:
        for c in conns:
            c.close()
        for p in procs:
            p.join(timeout=5)
            if p.is_alive():
                p.kill()
                p.join()
