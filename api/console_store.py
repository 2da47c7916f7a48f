"""The Cypher console's saved queries and per-user history: JSON files in the data directory (not the graph),
rewritten whole and atomically on each change so that a kill leaves the old or the new file, never half.

`console/saved.json`: `{"queries": [{"owner", "name", "query", "params", "description", "created"}, ...]}`;
`console/history.json`: `{"runs": [{"owner", "query", "params", "at", "ok", "rows"}, ...]}`, the last
HISTORY_PER_USER runs of each token name. Query texts and parameters are kept as the audit log keeps them: ID
numbers and phone numbers masked (a saved query holding one is refused instead)."""

from __future__ import annotations

import datetime as _dt
import json
import threading
from pathlib import Path
from typing import Any

from orggraph.api.privacy import mask_for_log

from orggraph.atomicfile import write_atomic

__all__ = ["ConsoleStore", "ConsoleError", "HISTORY_PER_USER", "MAX_SAVED_PER_USER"]

HISTORY_PER_USER = 100
MAX_SAVED_PER_USER = 500
MAX_HISTORY_QUERY_CHARS = 20_000  # what POST /api/cypher accepts at most
MAX_HISTORY_PARAMS_CHARS = 20_000


class ConsoleError(Exception):
    """A refused change; `status` is the HTTP status, `str(e)` the Chinese message."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.status = status


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")


class ConsoleStore:
    _open: dict[Path, ConsoleStore] = {}
    _open_lock = threading.Lock()

    def __init__(self, data_dir: Path) -> None:
        self.folder = Path(data_dir) / "console"
        self._lock = threading.Lock()

    @classmethod
    def of(cls, data_dir: Path) -> ConsoleStore:
        """The one instance for a data directory in this process (its lock orders the rewrites)."""
        key = Path(data_dir).resolve()
        with cls._open_lock:
            if key not in cls._open:
                cls._open[key] = cls(key)
            return cls._open[key]

    # -- files
    def _read(self, name: str, key: str) -> list[dict[str, Any]]:
        path = self.folder / name
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as e:
            raise ConsoleError(
                f"查询控制台文件 {path.name} 无法读取（{e}）：请管理员检查数据目录下的 console/ 文件夹。", 503
            ) from None
        items = data.get(key) if isinstance(data, dict) else None
        return [x for x in items if isinstance(x, dict)] if isinstance(items, list) else []

    def _write(self, name: str, key: str, items: list[dict[str, Any]]) -> None:
        write_atomic(self.folder / name, json.dumps({key: items}, ensure_ascii=False, indent=1))

    # -- saved queries
    def saved(self, owner: str | None) -> list[dict[str, Any]]:
        """The saved queries of `owner`, or everyone's (owner None: admin), by owner and name."""
        with self._lock:
            items = self._read("saved.json", "queries")
        mine = [q for q in items if owner is None or q.get("owner") == owner]
        return sorted(mine, key=lambda q: (str(q.get("owner")), str(q.get("name"))))

    def save(
        self, owner: str, name: str, query: str, params: dict[str, Any], description: str
    ) -> dict[str, Any]:
        name = name.strip()
        if not name or len(name) > 100:
            raise ConsoleError("查询名称应为 1–100 个字符：请换一个名称。")
        if not query.strip():
            raise ConsoleError("查询为空：请先写好 Cypher 再保存。")
        entry = {
            "owner": owner,
            "name": name,
            "query": query,
            "params": params,
            "description": description.strip(),
        }
        kept = {k: entry[k] for k in ("query", "params", "description")}
        if mask_for_log(kept) != kept:
            raise ConsoleError("查询、参数或说明里有身份证号或手机号，不能保存：请改用人员标识 pid 或编码。")
        entry["created"] = _now()
        with self._lock:
            items = self._read("saved.json", "queries")
            mine = [q for q in items if q.get("owner") == owner]
            if any(q.get("name") == name for q in mine):
                raise ConsoleError(f"已有名为「{name}」的保存查询：请换一个名称，或先删除原来的。", 409)
            if len(mine) >= MAX_SAVED_PER_USER:
                raise ConsoleError(f"每个用户最多保存 {MAX_SAVED_PER_USER} 个查询：请先删除不用的。", 409)
            self._write("saved.json", "queries", [*items, entry])
        return entry

    def delete(self, owner: str, name: str) -> bool:
        """Delete `owner`'s saved query `name`; False when there is none."""
        with self._lock:
            items = self._read("saved.json", "queries")
            kept = [q for q in items if not (q.get("owner") == owner and q.get("name") == name)]
            if len(kept) == len(items):
                return False
            self._write("saved.json", "queries", kept)
        return True

    # -- history
    def record(self, owner: str, query: str, params: dict[str, Any], *, ok: bool, rows: int | None) -> None:
        kept: Any = mask_for_log(params)
        size = len(json.dumps(kept, ensure_ascii=False, default=str))
        if size > MAX_HISTORY_PARAMS_CHARS:  # a run's values can be long lists: the history keeps the query
            kept = {"未保存": f"参数共 {size:,} 个字符，太长，历史中不保存"}
        run = {
            "owner": owner,
            "query": mask_for_log(query)[:MAX_HISTORY_QUERY_CHARS],
            "params": kept,
            "at": _now(),
            "ok": ok,
            "rows": rows,
        }
        with self._lock:
            items = self._read("history.json", "runs")
            items.append(run)
            mine = [i for i, r in enumerate(items) if r.get("owner") == owner]
            drop = set(mine[: max(0, len(mine) - HISTORY_PER_USER)])
            self._write("history.json", "runs", [r for i, r in enumerate(items) if i not in drop])

    def history(self, owner: str) -> list[dict[str, Any]]:
        """`owner`'s runs, newest first."""
        with self._lock:
            items = self._read("history.json", "runs")
        return [r for r in reversed(items) if r.get("owner") == owner]
