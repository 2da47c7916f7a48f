"""Import a ledger folder or workbook: read → validate and transform (to a spool on disk) → write in batches.

Nothing is written unless the whole import is free of errors: the first pass validates every row and
spools the transformed writes to a temporary file; only then does the second pass replay the spool into
the store, nodes first, then relationships. The people ledger streams through both passes, so memory
stays flat however many residents a city has. Every write is a MERGE, so running an interrupted load
again finishes it without doubling anything.
"""

from __future__ import annotations

import contextlib
import fcntl
import marshal
import os
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from orggraph.graph.cypher import statement
from orggraph.graph.store import Store, StoreError, chunked
from orggraph.loaders.bulk import BulkUnsuitable, bulk_possible, write_bulk
from orggraph.loaders.changes import History, HistoryError, LoadChanges, Tracker, history_errors
from orggraph.loaders.changes import now as _changes_now
from orggraph.loaders.ledgers import FINISHERS, LEDGER_ORDER, TRANSFORMS, Checker, Row, unresolved_people
from orggraph.loaders.parallel import WorkerFailed, default_workers, people_in_parallel
from orggraph.loaders.pinyin import with_initials
from orggraph.loaders.read import LedgerIssue, LedgerSource, discover
from orggraph.loaders.writes import NODE_WRITES, write_text

from orggraph.oserrors import disk_full

__all__ = [
    "ImportReport",
    "import_ledgers",
    "plan_import",
    "write_spool",
    "LoadError",
    "LoadBusy",
    "load_lock",
]

_EXISTING = {
    label: statement(
        f"load.existing.{label}", text, "导入前读取库中已有的编码，用于校验引用", origin=__name__
    )
    for label, text in (
        ("Street", "MATCH (n:Street) RETURN n.code"),
        ("Community", "MATCH (n:Community) RETURN n.code"),
        ("Grid", "MATCH (n:Grid) RETURN n.code"),
        ("Building", "MATCH (n:Building) RETURN n.code"),
        ("Unit", "MATCH (n:Unit) RETURN n.code"),
        ("PartyOrg", "MATCH (n:PartyOrg) RETURN n.code"),
    )
}
_ANY_NODE = statement("load.any_node", "MATCH (n) RETURN n LIMIT 1", "库是否为空", origin=__name__)
_EXISTING_PEOPLE = statement(
    "load.existing.people",
    "UNWIND $pids AS pid MATCH (p:Person {pid: pid}) RETURN p.pid",
    "库中已有的人员（只导入部分台账时用于校验引用）",
    origin=__name__,
)


class LoadError(Exception):
    """A load (or a command that takes the load lock) cannot go on; the message says why and what to do."""


class LoadBusy(LoadError):
    """Another load holds the store."""


def _write_failed(what: str, e: OSError, outcome: str, alternative: str = "") -> LoadError:
    """The error for a file the loader could not write: a full disk says so; anything else names the cause."""
    if disk_full(e):
        head, fix = f"磁盘空间不足，无法写入{what}（{e.strerror}）", "释放该磁盘的空间"
    else:
        head, fix = f"无法写入{what}（{e.strerror or e}）", "检查该文件夹的权限"
    return LoadError(f"{head}。{outcome}请{fix}{alternative}，然后重新运行同一命令。")


@dataclass
class ImportReport:
    issues: list[LedgerIssue]
    rows: dict[str, int] = field(default_factory=dict)  # ledger -> rows read
    files: dict[str, str] = field(default_factory=dict)  # ledger -> file
    written: dict[str, int] = field(default_factory=dict)  # write name -> rows written
    dry_run: bool = False
    seconds: float = 0.0
    changes: LoadChanges | None = (
        None  # what the load changed (would change, on a dry run): loaders/changes.py
    )
    started: str = ""
    load_id: int | None = None  # its report in the data folder's change history
    skipped: list[str] = field(default_factory=list)  # ledgers whose file is the one the last load read
    bulk: bool = False  # written through FalkorDB's bulk path (a first load into an empty graph)

    @property
    def errors(self) -> list[LedgerIssue]:
        return [i for i in self.issues if i.level == "error"]

    @property
    def warnings(self) -> list[LedgerIssue]:
        return [i for i in self.issues if i.level != "error"]

    @property
    def ok(self) -> bool:
        return not self.errors


def _with_initials(emit: Callable[[str, dict[str, Any]], None]) -> Callable[[str, dict[str, Any]], None]:
    """Node rows get their 拼音首字母 beside the name (`py`, for search) before anything else sees them: the
    change record's content hash then covers `py` too, so a store written before `py` existed is rewritten."""

    def add(name: str, row: dict[str, Any]) -> None:
        if name in NODE_WRITES and isinstance(row.get("props"), dict):
            with_initials(row["props"])
        emit(name, row)

    return add


class _Spool:
    """Transformed writes, buffered per statement and flushed in batches to two temp files (nodes, rels)."""

    def __init__(self, folder: Path | None, batch_size: int) -> None:
        self.batch_size = batch_size
        self.folder = Path(folder or tempfile.gettempdir())
        self._files: dict[str, IO[bytes]] = {}
        self._buf: dict[str, list[dict[str, Any]]] = {}
        self.counts: dict[str, int] = {}
        with self._writing():
            for phase in ("node", "rel"):
                self._files[phase] = tempfile.TemporaryFile(dir=self.folder, prefix=f"orggraph-{phase}-")

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """An OSError while spooling (a full disk, most likely) as a LoadError: nothing was written to the
        store."""
        try:
            yield
        except OSError as e:
            self.close()
            what = f" {self.folder} 中导入用的临时文件"
            raise _write_failed(what, e, "未导入任何数据。", "，或用环境变量 TMPDIR 换一个文件夹") from None

    def add(self, name: str, row: dict[str, Any]) -> None:
        buf = self._buf.get(name)
        if buf is None:
            buf = self._buf[name] = []
        buf.append(row)
        if len(buf) >= self.batch_size:
            with self._writing():
                self._flush(name)

    def _flush(self, name: str) -> None:
        buf = self._buf.pop(name, None)
        if buf:
            phase = "node" if name in NODE_WRITES else "rel"
            marshal.dump((name, buf), self._files[phase])
            self.counts[name] = self.counts.get(name, 0) + len(buf)

    def finish(self) -> None:
        """Write out what is still buffered, so that every write to the disk is done (or failed) in the first
        pass."""
        with self._writing():
            for name in list(self._buf):
                self._flush(name)
            for f in self._files.values():
                f.flush()

    def replay(self) -> Iterator[tuple[str, list[dict[str, Any]]]]:
        self.finish()
        for phase in ("node", "rel"):
            f = self._files[phase]
            f.seek(0)
            while True:
                try:
                    yield marshal.load(f)
                except EOFError:
                    break

    @property
    def total(self) -> int:
        return sum(self.counts.values()) + sum(len(b) for b in self._buf.values())

    def close(self) -> None:
        for f in self._files.values():
            with contextlib.suppress(OSError):  # a temporary file: what it could not flush is dropped anyway
                f.close()


@contextmanager
def load_lock(data_dir: Path) -> Iterator[None]:
    """One load at a time per data folder: a second one is refused, never interleaved.

    The holder's pid goes into load.lock, written unbuffered: a full disk fails that write (LoadError) and
    leaves nothing to flush later.
    """
    path = data_dir / "load.lock"
    failed = f"数据文件夹中的 {path}"  # for _write_failed
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as e:
        raise _write_failed(failed, e, "库中的数据没有改动。") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LoadBusy("另一个导入正在进行，请等它完成后再导入（同一时间只允许一个导入）。") from None
        try:
            try:
                os.ftruncate(fd, 0)
                os.pwrite(fd, str(os.getpid()).encode("ascii"), 0)
            except OSError as e:
                raise _write_failed(failed, e, "库中的数据没有改动。") from None
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _preload_existing(store: Store, chk: Checker) -> None:
    if not store.read(_ANY_NODE).rows:
        return
    for label, q in _EXISTING.items():
        chk.existing[label] = {r[0] for r in store.read(q).rows if r[0] is not None}


def _resolve_people(store: Store | None, chk: Checker) -> None:
    missing = dict(unresolved_people(chk))
    if missing and store is not None:
        for batch in chunked(list(missing), 5000):
            for (pid,) in store.read(_EXISTING_PEOPLE, {"pids": batch}).rows:
                missing.pop(pid, None)
    for refs in missing.values():
        for ref in refs:
            chk.issues.append(
                LedgerIssue(
                    ref.file,
                    ref.row,
                    ref.column,
                    ref.value,
                    "找不到该人员：请先在人员台账中登记此身份证号，或改正号码",
                )
            )


def plan_import(
    path: Path,
    store: Store | None,
    *,
    pid_key: bytes,
    mapping_file: Path | None = None,
    batch_size: int = 10_000,
    spool_dir: Path | None = None,
    tracker: Tracker | None = None,
    workers: int | None = None,
) -> tuple[ImportReport, _Spool | None]:
    """First pass: read and validate every ledger under `path`, spooling the writes it would make.

    Returns the report and, when it has no error, the spool (the caller closes it). `store` (may be None)
    is only read, to accept references to what an earlier import already put there. With a `tracker`, only
    what differs from the last load's record reaches the spool (loaders/changes.py). The people ledger is
    transformed by `workers` processes (default: loaders/parallel.py decides; 1: serially).
    """
    t0 = time.perf_counter()
    sources, issues = discover(Path(path), mapping_file=mapping_file)
    report = ImportReport(issues=list(issues))
    if report.errors:
        report.seconds = time.perf_counter() - t0
        return report, None
    by_ledger: dict[str, LedgerSource] = {s.ledger: s for s in sources}
    chk = Checker(pid_key=pid_key, issues=report.issues)
    if store is not None:
        _preload_existing(store, chk)
    spool = _Spool(spool_dir, batch_size)
    base: Callable[[str, dict[str, Any]], None] = spool.add
    if tracker is not None:
        tracker.forward, base = spool.add, tracker.add
    emit = _with_initials(base)
    try:
        for ledger in LEDGER_ORDER:
            src = by_ledger.get(ledger)
            if src is None:
                continue
            report.files[ledger] = src.file
            if tracker is not None:
                unchanged = tracker.start_ledger(ledger, src, pid_key)
                if unchanged is not None:  # the very file the last load read: nothing in it can differ
                    report.rows[ledger] = unchanged
                    report.skipped.append(ledger)
                    continue
            n_workers = 1 if ledger != "people" else default_workers(src) if workers is None else workers
            if n_workers > 1:
                try:
                    report.rows[ledger] = people_in_parallel(src, chk, base, _with_initials, n_workers)
                except WorkerFailed as e:
                    raise LoadError(str(e)) from None
            else:
                transform = TRANSFORMS[ledger]
                n = 0
                for n_row, cells in src.rows(report.issues):
                    transform(Row(chk, src, n_row, cells), emit)
                    n += 1
                report.rows[ledger] = n
            if ledger in FINISHERS:
                FINISHERS[ledger](chk, src)
        _resolve_people(store, chk)
        if not report.errors:
            if tracker is not None:
                report.changes = tracker.finish_plan()
            spool.finish()
    except BaseException:
        spool.close()
        raise
    report.seconds = time.perf_counter() - t0
    if report.errors:
        spool.close()
        return report, None
    return report, spool


def write_spool(
    store: Store, spool: _Spool, report: ImportReport, progress: Callable[[int, int], None] | None = None
) -> None:
    """Second pass: replay the spooled batches into the store, nodes first, then relationships."""
    store.ensure_schema()
    total, done = spool.total, 0
    batches = ((write_text(name), {"rows": rows}, (name, len(rows))) for name, rows in spool.replay())
    for name, n in store.write_stream(batches):
        report.written[name] = report.written.get(name, 0) + n
        done += n
        if progress:
            progress(done, total)
    store.checkpoint()  # a restart then reads a snapshot instead of replaying every batch


def write_load(
    store: Store,
    spool: _Spool,
    report: ImportReport,
    progress: Callable[[int, int], None] | None = None,
    *,
    bulk: bool = True,
) -> None:
    """The writes: into an empty FalkorDB graph through its bulk path (loaders/bulk.py), else (Neo4j, a graph
    with data, `bulk=False`, or a row only MERGE can write) as UNWIND/MERGE batches."""
    if bulk and bulk_possible(store):
        try:
            stats = write_bulk(
                store, spool.replay(), spool.total, progress, command_rows=max(spool.batch_size * 10, 1_000)
            )
        except BulkUnsuitable:
            pass
        else:
            report.written, report.bulk = stats.written, True
            return
    write_spool(store, spool, report, progress)


def import_ledgers(
    path: Path,
    store: Store | None,
    *,
    pid_key: bytes,
    dry_run: bool = False,
    mapping_file: Path | None = None,
    batch_size: int = 10_000,
    spool_dir: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
    before_write: Callable[[], None] | None = None,
    history_dir: Path | None = None,
    bulk: bool = True,
) -> ImportReport:
    """Validate every ledger under `path`; unless dry-run or any error, write them all to `store`.

    `before_write` runs once the ledgers are known to be free of errors, just before the first write (not at
    all on a dry run or with errors); an exception from it stops the import with nothing written.
    With `history_dir` (the data folder) the load is incremental: it writes only what differs from the last
    load's record there, and records its change report (loaders/changes.py); without, every row is written.
    A load into an empty FalkorDB graph goes through its bulk path unless `bulk` is False (`write_load`).
    """
    t0 = time.perf_counter()
    try:
        history = History(history_dir) if history_dir is not None and store is not None else None
        return _import(
            path,
            store,
            history,
            t0,
            pid_key=pid_key,
            dry_run=dry_run,
            mapping_file=mapping_file,
            batch_size=batch_size,
            spool_dir=spool_dir,
            progress=progress,
            before_write=before_write,
            bulk=bulk,
        )
    except HistoryError as e:  # before any write (after them, _import says so itself)
        raise LoadError(
            f"{e}。库中的数据没有改动。请检查该文件夹的权限和磁盘空间，然后重新运行同一命令。"
        ) from None


def _import(
    path: Path,
    store: Store | None,
    history: History | None,
    t0: float,
    *,
    pid_key: bytes,
    dry_run: bool,
    mapping_file: Path | None,
    batch_size: int,
    spool_dir: Path | None,
    progress: Callable[[int, int], None] | None,
    before_write: Callable[[], None] | None,
    bulk: bool,
) -> ImportReport:
    tracker: Tracker | None = None
    try:
        if history is not None and store is not None:
            with history_errors(history.path, "读取"):
                tracker = Tracker(history, store, spool_dir)
        started = _changes_now()
        report, spool = plan_import(
            path,
            store,
            pid_key=pid_key,
            mapping_file=mapping_file,
            batch_size=batch_size,
            spool_dir=spool_dir,
            tracker=tracker,
        )
        report.dry_run, report.started = dry_run, started
        if spool is None:
            if history is not None and not dry_run:
                report.seconds = time.perf_counter() - t0
                with contextlib.suppress(sqlite3.Error, OSError):  # the refusal is what the user must see
                    history.finish_report(
                        history.begin_report(load_record(report), ""), load_record(report), "refused"
                    )
            return report
        try:
            if not dry_run and store is not None:
                if before_write is not None:
                    before_write()
                if history is not None and tracker is not None:
                    with history_errors(history.path, "写入"):
                        report.load_id = history.begin_report(load_record(report), tracker.store_id)
                if spool.total or tracker is None:  # nothing differs: nothing to write, not even the schema
                    write_load(store, spool, report, progress, bulk=bulk)
                if history is not None and tracker is not None:
                    report.seconds = time.perf_counter() - t0
                    try:
                        with history_errors(history.path, "写入"):
                            tracker.commit(store, report.load_id, load_record(report, finished=True))
                    except HistoryError as e:
                        raise LoadError(
                            f"数据已全部写入库中，但{e}：下次导入会重新写入全部数据并补记变更。请检查该文件夹的权限和磁盘空间。"
                        ) from None
        finally:
            spool.close()
            report.seconds = time.perf_counter() - t0
    finally:
        if tracker is not None:
            tracker.close()
        if history is not None:
            history.close()
    return report


def load_record(report: ImportReport, *, finished: bool = False) -> dict[str, Any]:
    """The change report of a load as stored and printed (`orggraph load --json`, `orggraph changes`)."""
    ch = report.changes
    rec: dict[str, Any] = {
        "rows": dict(report.rows),
        "changes": ch.as_json() if ch is not None else None,
        "seconds": round(report.seconds, 3),
        "started": report.started,
        "files": dict(report.files),
        "content_hashes": dict(ch.content_hashes) if ch is not None else {},
        "mode": ch.mode if ch is not None else "full",
        "bulk": report.bulk,
        "written": sum(report.written.values()),
        "dry_run": report.dry_run,
        "errors": len(report.errors),
        "unchanged_files": [report.files.get(lg, lg) for lg in report.skipped],
    }
    if finished:
        rec["finished"] = _changes_now()
    return rec


def terminal_progress(label: str = "写入") -> Callable[[int, int], None] | None:
    """A one-line progress bar on a terminal (nothing when output is a file or a pipe)."""
    if not sys.stderr.isatty():
        return None
    start = time.perf_counter()

    def show(done: int, total: int) -> None:
        frac = done / total if total else 1.0
        bar = "█" * int(frac * 30)
        rate = done / max(time.perf_counter() - start, 1e-9)
        end = "\n" if done >= total else ""
        print(
            f"\r{label} [{bar:<30}] {done:,}/{total:,} 行 {frac:5.1%} {rate:,.0f} 行/秒",
            end=end,
            file=sys.stderr,
        )

    return show


__all__ += ["terminal_progress", "StoreError", "load_record"]
