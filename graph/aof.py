"""Recovering the embedded server's append-only file (AOF) by replaying its tail through a client.

Why: FalkorDB replays a GRAPH.QUERY batch during redis's own AOF loading far more slowly than it runs the
same batch live (benchmarks/aof_replay.py measures it: 100 times and more), so after a SIGKILL in the middle
of a large load the restarted server could spend half an hour replaying, answering nothing. Sent by a
client to a server that has loaded only the AOF's base (an RDB snapshot, read in seconds), the same
commands run at the live speed of the load that wrote them.

How (all on the server's own files, before it starts and while nothing else uses them)::

    db/appendonlydir/            the server's AOF: a manifest naming one base file and incremental files
    db/aof-replay/               set aside: the incremental files to replay, and replay.json (what, how far)

1. `set_aside` (server stopped): hard-links the manifest's incremental files into aof-replay/ (written as
   aof-replay.tmp/, renamed into place: the commit point), then rewrites the manifest to the base alone.
2. The server starts and loads the base: fast.
3. `replay` sends every command of the set-aside files, in order, through one connection; a truncated last
   command (the kill came in the middle of its write) is dropped, as redis's own loading does
   (aof-load-truncated), and so is a MULTI never followed by EXEC. Automatic AOF rewrites are off meanwhile,
   so the base stays the one the replay started from.
4. Once every command is in the server's new AOF and fsynced (WAITAOF), aof-replay/ is removed.

Interrupted at any point (the server or the replaying process killed), the next start finds aof-replay/
and starts again from step 1's result: the manifest goes back to the base alone, dropping what the
interrupted replay had written, and the replay runs from the start. So every command is applied exactly
once on top of the base.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis

__all__ = [
    "REPLAY_BY_CLIENT_BYTES",
    "ReplayPlan",
    "iter_commands",
    "pending_replay",
    "read_manifest",
    "replay",
    "replay_progressing",
    "set_aside",
    "tail_bytes",
]

log = logging.getLogger(__name__)

AOF_DIRNAME = "appendonlydir"
MANIFEST = "appendonly.aof.manifest"
REPLAY_DIRNAME = "aof-replay"
_PLAN = "replay.json"
_PROGRESS = "progress"

# A tail smaller than this is left to redis (a few token or version keys; a small batch replays in well
# under a second either way); anything larger is replayed by a client.
REPLAY_BY_CLIENT_BYTES = 256 << 10
_PROGRESS_EVERY = 1.0  # seconds between touches of the progress file (waiting processes watch it)
_PROGRESS_STALE = 30.0  # a replay whose progress file is older than this is no longer running


@dataclass(frozen=True)
class ManifestEntry:
    name: str
    type: str  # b: base, i: incremental, h: history (to be deleted)
    line: str  # the manifest line as written, kept verbatim when the entry is kept


@dataclass(frozen=True)
class ReplayPlan:
    """The incremental files set aside, in replay order, on top of the base file `base`."""

    folder: Path
    base: str
    files: tuple[str, ...]

    @property
    def bytes(self) -> int:
        return sum((self.folder / f).stat().st_size for f in self.files if (self.folder / f).exists())


# --- the manifest ---------------------------------------------------------------------------------


def read_manifest(aof_dir: Path) -> list[ManifestEntry]:
    """The manifest's entries (`file NAME seq N type T ...` per line); [] when there is none."""
    try:
        text = (aof_dir / MANIFEST).read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    out = []
    for line in text.splitlines():
        words = line.split()
        if not words:
            continue
        fields = dict(zip(words[::2], words[1::2], strict=False))
        if "file" in fields and "type" in fields:
            out.append(ManifestEntry(fields["file"], fields["type"], line))
    return out


def _write_manifest(aof_dir: Path, entries: list[ManifestEntry]) -> None:
    tmp = aof_dir / (MANIFEST + ".orggraph-tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write("".join(e.line + "\n" for e in entries))
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, aof_dir / MANIFEST)
    _fsync_dir(aof_dir)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def tail_bytes(db_dir: Path) -> int:
    """Size of the AOF's incremental files: what redis would replay command by command on its next start."""
    aof_dir = db_dir / AOF_DIRNAME
    total = 0
    for e in read_manifest(aof_dir):
        if e.type == "i":
            with contextlib.suppress(OSError):
                total += (aof_dir / e.name).stat().st_size
    return total


# --- setting the tail aside -----------------------------------------------------------------------


def pending_replay(db_dir: Path) -> ReplayPlan | None:
    """The replay set aside before, not finished (its process or server was killed), or None."""
    folder = db_dir / REPLAY_DIRNAME
    try:
        raw = json.loads((folder / _PLAN).read_text(encoding="utf-8"))
        return ReplayPlan(folder, str(raw["base"]), tuple(str(f) for f in raw["files"]))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        log.error(
            "unreadable %s: the AOF tail set aside there is left for a person to look at", folder / _PLAN
        )
        return None


def set_aside(db_dir: Path, threshold: int = REPLAY_BY_CLIENT_BYTES) -> ReplayPlan | None:
    """Before the server starts: if its AOF tail is worth replaying by client (or a replay was interrupted),
    leave the manifest with the base alone and return what to replay once the server runs; else None."""
    aof_dir = db_dir / AOF_DIRNAME
    entries = read_manifest(aof_dir)
    bases = [e for e in entries if e.type == "b"]
    plan = pending_replay(db_dir)
    if plan is None:
        incr = [e for e in entries if e.type == "i"]
        if len(bases) != 1 or not incr or tail_bytes(db_dir) < threshold:
            return None  # nothing worth it, or a manifest we do not know how to handle: redis loads it
        plan = _link_aside(db_dir, bases[0].name, [e.name for e in incr])
    elif len(bases) != 1 or bases[0].name != plan.base:
        # The base changed since (someone rewrote the AOF during the interrupted replay): it holds part of
        # the replay already. The loads' writes are MERGEs, so replaying them again changes nothing.
        log.warning("AOF base changed during an interrupted replay; replaying the whole tail again on it")
    # The manifest: the base alone. Incremental files the interrupted replay (or the server before the
    # kill) wrote are dropped; the set-aside copies are hard links, so nothing they hold is lost.
    keep = [e for e in entries if e.type == "b"]
    drop = [e for e in entries if e.type != "b"]
    _write_manifest(aof_dir, keep)
    for e in drop:
        with contextlib.suppress(FileNotFoundError):
            (aof_dir / e.name).unlink()
    return plan


def _link_aside(db_dir: Path, base: str, files: list[str]) -> ReplayPlan:
    aof_dir = db_dir / AOF_DIRNAME
    tmp = db_dir / (REPLAY_DIRNAME + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(mode=0o700)
    for name in files:
        try:
            os.link(aof_dir / name, tmp / name)  # no copy of what may be gigabytes
        except OSError:
            shutil.copy2(aof_dir / name, tmp / name)  # a file system without hard links
    with open(tmp / _PLAN, "w", encoding="utf-8") as f:
        json.dump({"base": base, "files": files}, f)
        f.flush()
        os.fsync(f.fileno())
    _fsync_dir(tmp)
    folder = db_dir / REPLAY_DIRNAME
    os.rename(tmp, folder)  # the commit point: from here on the tail is replayed from aof-replay/
    _fsync_dir(db_dir)
    return ReplayPlan(folder, base, tuple(files))


def replay_progressing(db_dir: Path) -> bool:
    """True while some process is replaying a tail into this data dir's server (it touches the progress
    file)."""
    try:
        age = time.time() - (db_dir / REPLAY_DIRNAME / _PROGRESS).stat().st_mtime
    except OSError:
        return False
    return age < _PROGRESS_STALE


# --- reading an AOF -------------------------------------------------------------------------------


def iter_commands(path: Path, chunk: int = 1 << 20) -> Iterator[list[bytes]]:
    """The commands of one AOF file (RESP arrays of bulk strings), streamed; a truncated last one is dropped.

    `#...` lines (timestamp annotations) are skipped. MULTI ... EXEC blocks come out as they are written,
    except a trailing MULTI block that never got its EXEC, which is dropped.
    """
    held: list[list[bytes]] | None = None  # the commands of an open MULTI block
    for cmd in _raw_commands(path, chunk):
        name = cmd[0].upper() if cmd else b""
        if name == b"MULTI":
            held = [cmd]
        elif held is not None:
            held.append(cmd)
            if name in (b"EXEC", b"DISCARD"):
                yield from held
                held = None
        else:
            yield cmd
    if held is not None:
        log.warning(
            "%s ends inside a MULTI block without EXEC; its %d commands are dropped", path, len(held) - 1
        )


def _raw_commands(path: Path, chunk: int) -> Iterator[list[bytes]]:
    with open(path, "rb") as f:
        buf = bytearray()
        pos = 0
        eof = False

        def need(n: int) -> bool:
            """Make buf[pos:pos+n] available; False at the end of the file."""
            nonlocal buf, pos, eof
            while len(buf) - pos < n:
                if eof:
                    return False
                if pos:
                    del buf[:pos]
                    pos = 0
                data = f.read(max(chunk, n))
                if not data:
                    eof = True
                    return False
                buf += data
            return True

        def line() -> bytes | None:
            nonlocal pos
            while True:
                end = buf.find(b"\r\n", pos)
                if end >= 0:
                    out = bytes(buf[pos:end])
                    pos = end + 2
                    return out
                if not need(len(buf) - pos + 1):
                    return None

        while True:
            if not need(1):
                return
            head = line()
            if head is None:
                _truncated(path)
                return
            if head.startswith(b"#"):
                continue
            if not head.startswith(b"*"):
                raise ValueError(
                    f"{path}: not an AOF command at byte {f.tell() - len(buf) + pos}: {head[:40]!r}"
                )
            args: list[bytes] = []
            for _ in range(int(head[1:])):
                size = line()
                if size is None or not size.startswith(b"$"):
                    _truncated(path)
                    return
                n = int(size[1:])
                if not need(n + 2):
                    _truncated(path)
                    return
                args.append(bytes(buf[pos : pos + n]))
                pos += n + 2
            yield args


def _truncated(path: Path) -> None:
    log.warning(
        "%s ends in the middle of a command (the server was killed while writing it); it is dropped", path
    )


# --- replaying ------------------------------------------------------------------------------------


def replay(
    conn: redis.Redis, plan: ReplayPlan, *, progress: Callable[[int, int], None] | None = None
) -> dict[str, Any]:
    """Send every command of the plan's files, in order, through `conn` (one connection, no timeout), wait
    until they are in the AOF on disk, then remove the set-aside folder. Returns figures for the log.

    A command the server refuses (as it refused it the first time, e.g. a constraint that already exists)
    is counted and logged, not fatal: redis's own loading skips those too. A lost connection raises.
    """
    t0 = time.monotonic()
    total = plan.bytes
    done_bytes = 0
    commands = refused = 0
    (plan.folder / _PROGRESS).touch()
    old = next(iter(conn.config_get("auto-aof-rewrite-percentage").values()), "100")
    conn.config_set("auto-aof-rewrite-percentage", 0)  # the base must stay the one the replay builds on
    try:
        touched = time.monotonic()
        for name in plan.files:
            path = plan.folder / name
            for cmd in iter_commands(path):
                commands += 1
                try:
                    reply = conn.execute_command(*cmd)
                    if isinstance(reply, list) and reply and isinstance(reply[-1], redis.ResponseError):
                        raise reply[-1]
                except redis.ResponseError as e:
                    refused += 1
                    if refused <= 5:
                        log.info("replayed command %s refused: %s", cmd[0][:40].decode(errors="replace"), e)
                done_bytes += sum(len(a) for a in cmd)
                now = time.monotonic()
                if now - touched >= _PROGRESS_EVERY:
                    touched = now
                    (plan.folder / _PROGRESS).touch()
                    if progress is not None:
                        progress(done_bytes, total)
        # Every replayed command on disk in the server's own AOF before the set-aside copies go.
        conn.execute_command("WAITAOF", 1, 0, 0)
    finally:
        with contextlib.suppress(redis.RedisError):
            conn.config_set("auto-aof-rewrite-percentage", old or "100")
    shutil.rmtree(plan.folder, ignore_errors=True)
    return {"commands": commands, "refused": refused, "bytes": total, "seconds": time.monotonic() - t0}
