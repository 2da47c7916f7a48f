"""Saved what-if scenarios (the page 模拟调整): one JSON file in the data directory (not the graph), rewritten
whole and atomically on each change, as the console's saved queries are.

`scenarios/saved.json`: `{"scenarios": [{"owner", "name", "description", "scope", "as_of", "changes",
"names", "created"}, ...]}`. A scenario belongs to the token name that saved it; the name is unique per
owner. Nothing is run or checked against the store when saving: a scenario runs through `POST /api/what-if`
with the runner's own role and jurisdiction. Texts holding an ID number or a phone number are refused (use a
pid or a code)."""

from __future__ import annotations

import datetime as _dt
import json
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from orggraph.api.privacy import mask_for_log

from orggraph.atomicfile import write_atomic

__all__ = ["ScenarioStore", "ScenarioError", "Scenario", "MAX_SCENARIOS_PER_USER", "MAX_CHANGES"]

MAX_SCENARIOS_PER_USER = 500
MAX_CHANGES = 200  # changes in one scenario
OPS = ("end", "add", "move", "remove")


class ScenarioError(Exception):
    """A refused request; `status` is the HTTP status, `str(e)` the Chinese message."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Scenario:
    owner: str
    name: str
    changes: list[dict[str, Any]]
    description: str = ""
    scope: str | None = None
    as_of: str | None = None
    names: dict[str, str] = field(default_factory=dict)  # key -> name shown on the page's change lines
    created: str = ""

    @classmethod
    def of(cls, item: dict[str, Any]) -> Scenario:
        known = {k: item[k] for k in cls.__dataclass_fields__ if k in item}
        return cls(**known)


def _check(s: Scenario) -> None:
    if not s.name or len(s.name) > 100:
        raise ScenarioError("方案名称应为 1–100 个字符：请换一个名称。")
    if not s.changes:
        raise ScenarioError("方案里还没有调整：请先添加至少一项调整再保存。")
    if len(s.changes) > MAX_CHANGES:
        raise ScenarioError(f"一个方案最多 {MAX_CHANGES} 项调整：请拆成几个方案保存。")
    for i, ch in enumerate(s.changes, 1):
        if ch.get("op") not in OPS:
            raise ScenarioError(
                f"第{i}项：操作应为 end（结束任期）、add（新增）、move（调动）或 remove（移除）。"
            )
    if s.as_of:
        try:
            _dt.date.fromisoformat(s.as_of)
        except ValueError:
            raise ScenarioError(f"日期「{s.as_of}」格式不对，应为 YYYY-MM-DD，例如 2026-06-30。") from None
    kept = {"description": s.description, "changes": s.changes, "names": s.names, "name": s.name}
    if mask_for_log(kept) != kept:
        raise ScenarioError(
            "方案的名称、说明或调整里有身份证号或手机号，不能保存：请改用人员标识 pid 或编码。"
        )


class ScenarioStore:
    _open: dict[Path, ScenarioStore] = {}
    _open_lock = threading.Lock()

    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / "scenarios" / "saved.json"
        self._lock = threading.Lock()

    @classmethod
    def of(cls, data_dir: Path) -> ScenarioStore:
        """The one instance for a data directory in this process (its lock orders the rewrites)."""
        key = Path(data_dir).resolve()
        with cls._open_lock:
            return cls._open.setdefault(key, cls(key))

    def _read(self) -> list[dict[str, Any]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as e:
            raise ScenarioError(
                f"方案文件 {self.path.name} 无法读取（{e}）：请管理员检查数据目录下的 scenarios/ 文件夹。",
                503,
            ) from None
        items = data.get("scenarios") if isinstance(data, dict) else None
        return [x for x in items if isinstance(x, dict)] if isinstance(items, list) else []

    def list(self, owner: str | None) -> list[Scenario]:
        """`owner`'s scenarios, or everyone's (owner None: admin), by owner and name."""
        with self._lock:
            items = self._read()
        mine = [Scenario.of(x) for x in items if owner is None or x.get("owner") == owner]
        return sorted(mine, key=lambda s: (s.owner, s.name))

    def get(self, owner: str, name: str) -> Scenario | None:
        return next((s for s in self.list(owner) if s.name == name), None)

    def save(self, s: Scenario) -> Scenario:
        s.name = s.name.strip()
        s.description = s.description.strip()
        _check(s)
        s.created = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
        with self._lock:
            items = self._read()
            mine = [x for x in items if x.get("owner") == s.owner]
            if any(x.get("name") == s.name for x in mine):
                raise ScenarioError(f"已有名为「{s.name}」的方案：请换一个名称，或先删除原来的。", 409)
            if len(mine) >= MAX_SCENARIOS_PER_USER:
                raise ScenarioError(
                    f"每个用户最多保存 {MAX_SCENARIOS_PER_USER} 个方案：请先删除不用的。", 409
                )
            write_atomic(
                self.path, json.dumps({"scenarios": [*items, asdict(s)]}, ensure_ascii=False, indent=1)
            )
        return s

    def delete(self, owner: str, name: str) -> bool:
        """Delete `owner`'s scenario `name`; False when there is none."""
        with self._lock:
            items = self._read()
            kept = [x for x in items if not (x.get("owner") == owner and x.get("name") == name)]
            if len(kept) == len(items):
                return False
            write_atomic(self.path, json.dumps({"scenarios": kept}, ensure_ascii=False, indent=1))
        return True
