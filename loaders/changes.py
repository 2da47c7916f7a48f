"""Incremental loads and the change report of every load.

The loader's transforms hand each write (`(write name, row)`) to a `Tracker` instead of the spool. The tracker
gives every node and relationship an identity (a node's label and key; a relationship's ends, and its key for
those that may hold several times; the start alone for those a node has one of, so a move is a change of the
same relationship) and a content hash (its properties without `source`, the row number, which shifts whenever
a row above is added or deleted). It compares both with what the last load recorded in `changes.sqlite` in
the data directory and passes on to the spool only what is new or changed, plus the removal of a relationship
whose reference cell a newer ledger left empty — when there is one to remove. An unchanged ledger writes
nothing.

The record is kept honest with the store: every load stores the store's fingerprint (its data_version token
where the backend keeps one, and its node and relationship counts). When the store no longer matches (a
restore, `orggraph demo`, a write by another tool, a load killed half way) the next load writes every row
again, as loads always did, and reports its changes against the last record; an empty store starts the
record afresh.

All-or-nothing: the record's updates run in one SQLite transaction, committed only after every write reached
the store; a refused load, a dry run or a failure rolls it back. Each load's report row is committed first
(status `running`), so a load killed mid-write leaves a report that says so.

Length (about 720 lines): the tracker and its SQLite record share the identity rules of every write; split,
one record format would be defined in two places.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import hmac
import json
import marshal
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from hashlib import blake2b
from pathlib import Path
from typing import IO, Any

from orggraph.graph.cypher import statement
from orggraph.graph.store import Store, chunked
from orggraph.loaders.read import LedgerSource
from orggraph.loaders.writes import (
    _FUNCTIONAL,
    _FUNCTIONAL_IN,
    _KEYED,
    NODE_WRITES,
    REL_WRITES,
    UNLINK_WRITES,
)

from orggraph import __version__
from orggraph.oserrors import disk_full

__all__ = [
    "HISTORY_FILE",
    "HistoryError",
    "history_errors",
    "KIND_ZH",
    "LoadChanges",
    "Tracker",
    "History",
    "summary_zh",
    "parse_since",
]

HISTORY_FILE = "changes.sqlite"
LOOKUP_BATCH = 5_000  # identities looked up in the record at once
DETAIL_CAP = 50_000  # changed items kept per load (for /api/diff); counts are always complete

_COUNT_NODES = statement(
    "load.fingerprint.nodes",
    "MATCH (n) RETURN count(n)",
    "导入前后库中的节点数（核对变更记录）",
    origin=__name__,
)
_COUNT_RELS = statement(
    "load.fingerprint.rels",
    "MATCH ()-[r]->() RETURN count(r)",
    "导入前后库中的关系数（核对变更记录）",
    origin=__name__,
)

# Term relationships (since/until): the ledger each comes from names their kinds.
_TERMS = {
    "SERVES": "grid_staff",
    "CO_BUILDS": "cobuilding",
    "PART_TIME_MEMBER_OF": "part_time_members",
    "CONTACTS": "contact_points",
    "LINKS_HOUSEHOLD": "household_links",
}
_ONE_OF = {  # relationships a node has one of: their kinds
    "LIVES_IN": "residence",
    "MEMBER_OF": "party_membership",
    "WORKS_AT": "employment",
    "SUBORDINATE_TO": "org_parent",
    "BASED_IN": "org_base",
    "SECRETARY_OF": "org_secretary",
    "PART_OF": "structure",
}
_NODE_KIND = {
    "District": "districts",
    "Street": "streets",
    "Community": "communities",
    "Grid": "grids",
    "Building": "buildings",
    "Household": "households",
    "Unit": "units",
    "PartyOrg": "party_orgs",
    "Person": "residents",
}
_PHONE = ("phone", "phone_sealed")

# Every kind a report may name, in the order a summary lists them, with its Chinese name.
KIND_ZH: dict[str, str] = {
    "residents_added": "新增人员",
    "residents_updated": "人员信息变更",
    "phones_changed": "电话变更",
    "residents_moved": "人员迁居（换户）",
    "residents_housed": "人员登记住户",
    "residents_unhoused": "人员清空住户",
    "residents_not_in_ledger": "人员不在新台账中（未删除）",
    "party_members_joined": "党员新增（含入党）",
    "party_members_left": "党员转为非党员",
    "party_membership_added": "党组织关系新增",
    "party_membership_changed": "党组织关系转接",
    "party_membership_removed": "党组织关系清空",
    "employment_added": "工作单位新增",
    "employment_changed": "工作单位变更",
    "employment_removed": "工作单位清空",
    "grid_staff_started": "网格力量上岗",
    "grid_staff_ended": "网格力量离岗",
    "grid_staff_changed": "网格力量信息变更",
    "grid_staff_reopened": "网格力量撤销结束日期",
    "contact_points_started": "联系点新增",
    "contact_points_ended": "联系点结束",
    "contact_points_changed": "联系点信息变更",
    "contact_points_reopened": "联系点撤销结束日期",
    "cobuilding_started": "共建协议新增",
    "cobuilding_ended": "共建协议结束",
    "cobuilding_changed": "共建协议信息变更",
    "cobuilding_reopened": "共建协议撤销结束日期",
    "part_time_members_started": "兼职委员上任",
    "part_time_members_ended": "兼职委员卸任",
    "part_time_members_changed": "兼职委员信息变更",
    "part_time_members_reopened": "兼职委员撤销结束日期",
    "household_links_started": "联户新增",
    "household_links_ended": "联户结束",
    "household_links_changed": "联户信息变更",
    "household_links_reopened": "联户撤销结束日期",
    "dual_reporting_added": "双报到新增",
    "dual_reporting_changed": "双报到信息变更",
    "org_parent_added": "上级组织新增",
    "org_parent_changed": "上级组织变更",
    "org_parent_removed": "上级组织清空",
    "org_base_added": "党组织依托对象新增",
    "org_base_changed": "党组织依托对象变更",
    "org_base_removed": "党组织依托对象清空",
    "org_secretary_added": "书记新增",
    "org_secretary_changed": "书记变更",
    "org_secretary_removed": "书记清空",
    "structure_added": "区域隶属关系新增",
    "structure_changed": "区域隶属关系变更",
    **{
        f"{k}_added": f"新增{zh}"
        for k, zh in (
            ("districts", "区县"),
            ("streets", "街道"),
            ("communities", "社区"),
            ("grids", "网格"),
            ("buildings", "楼栋"),
            ("households", "住户"),
            ("units", "单位"),
            ("party_orgs", "党组织"),
        )
    },
    **{
        f"{k}_updated": f"{zh}信息变更"
        for k, zh in (
            ("districts", "区县"),
            ("streets", "街道"),
            ("communities", "社区"),
            ("grids", "网格"),
            ("buildings", "楼栋"),
            ("households", "住户"),
            ("units", "单位"),
            ("party_orgs", "党组织"),
        )
    },
}
# Kinds that describe the ledgers rather than a write: not counted in added/updated/removed.
INFO_KINDS = frozenset({"residents_not_in_ledger"})


def _h64(data: bytes) -> int:
    return int.from_bytes(blake2b(data, digest_size=8).digest(), "little", signed=True)


@dataclass(frozen=True)
class _Spec:
    """How to identify and classify the rows of one write statement."""

    kind: str  # "node", "rel", "unlink"
    family: str  # _NODE_KIND / _TERMS / _ONE_OF value, or dual_reporting
    ident: Callable[[dict[str, Any]], str]
    other: Callable[[dict[str, Any]], str]  # the end that is content, not identity (a move changes it)
    person: bool = False
    member: bool = False  # a Person write that gives the PartyMember label
    term: bool = False
    label: str = ""  # node label; start label of a relationship
    type: str = ""
    end: str = ""


def _none(row: dict[str, Any]) -> str:
    return ""


def _ident(prefix: str, *fields: str) -> Callable[[dict[str, Any]], str]:
    """A row's identity: `prefix` followed by the row's `fields`, joined by |."""
    return lambda r: prefix + "|".join(str(r[f]) for f in fields)


def _spec(name: str) -> _Spec:
    if name in NODE_WRITES:
        label = NODE_WRITES[name].label
        return _Spec(
            "node",
            _NODE_KIND[label],
            _ident(f"N|{label}|", "key"),
            _none,
            person=label == "Person",
            member=name.endswith(".member"),
            label=label,
        )
    if name in UNLINK_WRITES:
        u = UNLINK_WRITES[name]
        fam = _ONE_OF[u.type]
        if u.type in _FUNCTIONAL:
            return _Spec(
                "unlink",
                fam,
                _ident(f"R|{u.label}|{u.type}|", "key"),
                _none,
                label=u.label,
                type=u.type,
            )
        return _Spec(
            "unlink",
            fam,
            _ident(f"RI|{u.label}|{u.type}|", "key"),
            _none,
            label=u.label,
            type=u.type,
        )
    w = REL_WRITES[name]
    t, s, e = w.type, w.start, w.end
    if t in _FUNCTIONAL:
        return _Spec(
            "rel",
            _ONE_OF[t],
            _ident(f"R|{s}|{t}|", "a"),
            _ident(f"{e}|", "b"),
            label=s,
            type=t,
            end=e,
        )
    if t in _FUNCTIONAL_IN:
        return _Spec(
            "rel",
            _ONE_OF[t],
            _ident(f"RI|{e}|{t}|", "b"),
            _ident(f"{s}|", "a"),
            label=s,
            type=t,
            end=e,
        )
    fam = _TERMS.get(t, "dual_reporting")
    if t in _KEYED:
        return _Spec(
            "rel",
            fam,
            _ident(f"R|{s}|{t}|{e}|", "a", "b", "key"),
            _none,
            term=t in _TERMS,
            label=s,
            type=t,
            end=e,
        )
    return _Spec("rel", fam, _ident(f"R|{s}|{t}|{e}|", "a", "b"), _none, label=s, type=t, end=e)


_SPECS: dict[str, _Spec] = {n: _spec(n) for n in (*NODE_WRITES, *REL_WRITES, *UNLINK_WRITES)}


@dataclass
class LoadChanges:
    """What one load changed (or, on a dry run, would change)."""

    by_kind: dict[str, int] = field(default_factory=dict)
    added: int = 0
    updated: int = 0
    removed: int = 0
    mode: str = "incremental"  # incremental | initial | rewrite (the store no longer matched the record)
    content_hashes: dict[str, str] = field(default_factory=dict)  # ledger -> hash of its content
    details: list[tuple[str, str, str, str, str, str]] = field(
        default_factory=list
    )  # kind, type, a, b, key, end

    @property
    def total(self) -> int:
        return self.added + self.updated + self.removed

    def as_json(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "updated": self.updated,
            "removed": self.removed,
            "by_kind": dict(self.by_kind),
        }

    def count(self, kind: str, change: str) -> None:
        self.by_kind[kind] = self.by_kind.get(kind, 0) + 1
        if change == "added":
            self.added += 1
        elif change == "updated":
            self.updated += 1
        elif change == "removed":
            self.removed += 1


def now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")


class HistoryError(Exception):
    """The change record cannot be opened, read or written; the message says which file and why."""


@contextlib.contextmanager
def history_errors(path: Path, doing: str) -> Iterator[None]:
    try:
        yield
    except (sqlite3.Error, OSError) as e:
        if isinstance(e, OSError) and disk_full(e):
            raise HistoryError(
                f"磁盘空间不足，无法{doing}数据文件夹中的变更记录 {path}（{e.strerror}）。"
                "请释放该磁盘的空间，然后重新运行同一命令。"
            ) from None
        raise HistoryError(f"无法{doing}数据文件夹中的变更记录 {path}（{e}）") from None


class History:
    """The record in `<data dir>/changes.sqlite`: the last load's identities and hashes, and every load's
    report."""

    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / HISTORY_FILE
        with history_errors(self.path, "打开"):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(self.path, isolation_level=None, timeout=30)
            self._setup()

    def _setup(self) -> None:
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(
            """
            CREATE TABLE IF NOT EXISTS entity (id INTEGER PRIMARY KEY, h INTEGER NOT NULL, x INTEGER NOT NULL,
                                               m INTEGER NOT NULL, p INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS load (id INTEGER PRIMARY KEY AUTOINCREMENT, started TEXT NOT NULL,
                finished TEXT, status TEXT NOT NULL, store TEXT, report TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS item (load INTEGER NOT NULL, kind TEXT NOT NULL, type TEXT NOT NULL,
                a TEXT NOT NULL, b TEXT NOT NULL, key TEXT NOT NULL, endl TEXT NOT NULL);
            CREATE INDEX IF NOT EXISTS item_load ON item (load);
            CREATE TABLE IF NOT EXISTS ledger_file (ledger TEXT PRIMARY KEY, digest TEXT NOT NULL,
                rows INTEGER NOT NULL, content TEXT NOT NULL);
            """
        )

    def close(self) -> None:
        self.db.close()

    # -------------------------------------------------------------------------------- the record
    def meta(self, k: str) -> str | None:
        row = self.db.execute("SELECT v FROM meta WHERE k = ?", (k,)).fetchone()
        return row[0] if row else None

    def set_meta(self, k: str, v: str) -> None:
        self.db.execute(
            "INSERT INTO meta (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v", (k, v)
        )

    def lookup(self, ids: list[int]) -> dict[int, tuple[int, int, int]]:
        out: dict[int, tuple[int, int, int]] = {}
        for part in chunked(ids, 30_000):
            q = f"SELECT id, h, x, m FROM entity WHERE id IN ({','.join('?' * len(part))})"  # only '?'s
            for i, h, x, m in self.db.execute(q, part):
                out[i] = (h, x, m)
        return out

    def invalidate(self) -> None:
        """The store changed outside a load (a restore): the next load writes every row again."""
        self.set_meta("fingerprint", "")

    # -------------------------------------------------------------------------------- the reports
    def begin_report(self, report: dict[str, Any], store_id: str) -> int:
        cur = self.db.execute(
            "INSERT INTO load (started, status, store, report) VALUES (?, 'running', ?, ?)",
            (report["started"], store_id, json.dumps(report, ensure_ascii=False)),
        )
        return int(cur.lastrowid or 0)

    def finish_report(self, load_id: int, report: dict[str, Any], status: str) -> None:
        self.db.execute(
            "UPDATE load SET finished = ?, status = ?, report = ? WHERE id = ?",
            (report.get("finished"), status, json.dumps(report, ensure_ascii=False), load_id),
        )

    def reports(self, since: str | None = None, until: str | None = None) -> list[dict[str, Any]]:
        with history_errors(self.path, "读取"):
            return self._reports(since, until)

    def _reports(self, since: str | None, until: str | None) -> list[dict[str, Any]]:
        q = "SELECT id, started, finished, status, report FROM load WHERE 1=1"
        args: list[str] = []
        if since:
            q, args = q + " AND started >= ?", [*args, since]
        if until:
            q, args = q + " AND started < ?", [*args, until]
        out = []
        for i, started, finished, status, rep in self.db.execute(q + " ORDER BY id DESC", args):
            r = json.loads(rep)
            r.update({"id": i, "started": started, "finished": finished, "status": status})
            out.append(r)
        return out

    def items(self, load_ids: list[int]) -> list[tuple[int, str, str, str, str, str, str]]:
        out: list[tuple[int, str, str, str, str, str, str]] = []
        with history_errors(self.path, "读取"):
            for part in chunked(load_ids, 500):
                marks = ",".join("?" * len(part))  # placeholders only: the ids go in as parameters
                q = f"SELECT load, kind, type, a, b, key, endl FROM item WHERE load IN ({marks})"
                out.extend(self.db.execute(q, part))
        return out


def fingerprint(store: Store) -> tuple[str, bool]:
    """The store's identity and state as recorded after a load, and whether it is empty."""
    nodes = store.read(_COUNT_NODES).scalar() or 0
    rels = store.read(_COUNT_RELS).scalar() or 0
    version = store.commit_token()
    return json.dumps([store.cache_identity, version, nodes, rels]), nodes == 0


class Tracker:
    """Between the transforms and the spool: passes on only what differs from the record (see the module
    doc)."""

    def __init__(self, history: History, store: Store, spool_dir: Path | None = None) -> None:
        self.history = history
        self.forward: Callable[[str, dict[str, Any]], None] = lambda name, row: (
            None
        )  # the spool's add, once made
        self.changes = LoadChanges()
        self.ledger = ""
        self._buf: list[tuple[_Spec, str, dict[str, Any], int, int, int, int]] = []
        self._sums: dict[str, int] = {}
        self._persons_seen = 0
        self._people_loaded = False
        # The record's updates wait in a temporary file until the writes reached the store (see commit).
        self._pending: IO[bytes] = tempfile.TemporaryFile(dir=spool_dir, prefix="orggraph-record-")
        fp, empty = fingerprint(store)
        self.store_id = store.cache_identity or ""
        if empty:
            self.changes.mode = "initial"
        elif history.meta("fingerprint") != fp:
            self.changes.mode = "rewrite"
        self._initial = empty
        db = history.db
        # Ledger files as the last successful load read them: one with the same digest is skipped whole.
        self._files: dict[str, tuple[str, int, str]] = {}
        if self.changes.mode == "incremental":
            self._files = {
                r[0]: (r[1], r[2], r[3])
                for r in db.execute("SELECT ledger, digest, rows, content FROM ledger_file")
            }
        self._digests: dict[str, str] = {}
        self.skipped: list[str] = []
        self._persons_before = (
            0 if empty else db.execute("SELECT count(*) FROM entity WHERE p = 1").fetchone()[0]
        )

    def start_ledger(self, ledger: str, src: LedgerSource, pid_key: bytes) -> int | None:
        """Start reading a ledger; its row count instead when it is the very file the last load read (the same
        bytes, headers, key and loader code) and the store still matches the record: then it is skipped whole
        — nothing in it can differ from the store, and what it defines is in the store for the others to refer
        to."""
        self.ledger = ledger
        digest = ledger_digest(src, pid_key)
        self._digests[ledger] = digest
        known = self._files.get(ledger)
        if known is not None and known[0] == digest:
            self.skipped.append(ledger)
            self._sums[ledger] = int(known[2], 16)
            return known[1]
        if ledger == "people":
            self._people_loaded = True
        return None

    # -------------------------------------------------------------------------------- rows in
    def add(self, name: str, row: dict[str, Any]) -> None:
        spec = _SPECS[name]
        ident = spec.ident(row)
        iid = _h64(ident.encode())
        if spec.kind == "unlink":
            self._buf.append((spec, name, row, iid, 0, 0, 0))
        else:
            props = row.get("props") or {}
            content = {k: v for k, v in props.items() if k != "source"}
            h = _h64(marshal.dumps((name, spec.other(row), content)))
            x = h
            if spec.person:
                for k in _PHONE:
                    content.pop(k, None)
                x = _h64(marshal.dumps((name, content)))
            m = 1 if (spec.member or (spec.term and props.get("until"))) else 0
            self._sums[self.ledger] = (self._sums.get(self.ledger, 0) + h) & 0xFFFFFFFFFFFFFFFF
            self._buf.append((spec, name, row, iid, h, x, m))
        if len(self._buf) >= LOOKUP_BATCH:
            self._resolve()

    def _resolve(self) -> None:
        buf, self._buf = self._buf, []
        if not buf:
            return
        with history_errors(self.history.path, "读取"):
            old = {} if self._initial else self.history.lookup([b[3] for b in buf])
        upserts: list[tuple[int, int, int, int, int]] = []
        deletes: list[tuple[int]] = []
        ch = self.changes
        rewrite = ch.mode != "incremental"
        for spec, name, row, iid, h, x, m in buf:
            prev = old.get(iid)
            if spec.kind == "unlink":
                if prev is not None:
                    kind = f"{spec.family}_removed" if spec.family != "residence" else "residents_unhoused"
                    ch.count(kind, "removed")
                    self._detail(kind, spec, row.get("key", ""), "", "", "")
                    deletes.append((iid,))
                    self.forward(name, row)
                elif rewrite:
                    self.forward(name, row)
                continue
            if spec.person:
                if prev is not None:
                    self._persons_seen += 1
            if prev is not None and prev[0] == h:
                if rewrite:
                    self.forward(name, row)
                continue
            kind, change = self._classify(spec, prev, x, m)
            ch.count(kind, change)
            if spec.person and spec.member and prev is None:
                ch.by_kind["party_members_joined"] = ch.by_kind.get("party_members_joined", 0) + 1
            if not self._initial:  # a first load's items are the whole graph: its counts say enough
                self._detail(
                    kind,
                    spec,
                    row.get("a", row.get("key", "")),
                    row.get("b", ""),
                    row.get("key", ""),
                    spec.end,
                )
            upserts.append((iid, h, x, m, 1 if spec.person else 0))
            self.forward(name, row)
        if upserts or deletes:
            try:
                marshal.dump((upserts, deletes), self._pending)
            except (
                OSError
            ) as e:  # the record of this load is spooled like the writes: a full disk stops it here
                why = "磁盘空间不足，" if disk_full(e) else ""
                raise HistoryError(
                    f"{why}无法写入导入用的临时文件（{e.strerror or e}）。未导入任何数据。"
                    "请释放该磁盘的空间或用环境变量 TMPDIR 换一个文件夹，然后重新运行同一命令。"
                ) from None

    def _classify(self, spec: _Spec, prev: tuple[int, int, int] | None, x: int, m: int) -> tuple[str, str]:
        fam = spec.family
        if spec.kind == "node":
            if prev is None:
                return f"{fam}_added", "added"
            if spec.person:
                if prev[2] != m:
                    return ("party_members_joined" if m else "party_members_left"), "updated"
                if prev[1] == x:
                    return "phones_changed", "updated"
            return f"{fam}_updated", "updated"
        if spec.term:
            if prev is None:
                return f"{fam}_started", "added"
            if prev[2] == 0 and m == 1:
                return f"{fam}_ended", "removed"
            if prev[2] == 1 and m == 0:
                return f"{fam}_reopened", "updated"
            return f"{fam}_changed", "updated"
        if fam == "residence":
            return ("residents_housed", "added") if prev is None else ("residents_moved", "updated")
        return (f"{fam}_added", "added") if prev is None else (f"{fam}_changed", "updated")

    def _detail(self, kind: str, spec: _Spec, a: str, b: str, key: str, end: str) -> None:
        if len(self.changes.details) < DETAIL_CAP:
            self.changes.details.append((kind, spec.type or spec.label, a, b, key, end))

    # -------------------------------------------------------------------------------- the end
    def finish_plan(self) -> LoadChanges:
        """Every row read: settle the last batch and the counts that need the whole ledger."""
        self._resolve()
        ch = self.changes
        if self._people_loaded and not self._initial:
            absent = self._persons_before - self._persons_seen
            if absent > 0:
                ch.by_kind["residents_not_in_ledger"] = absent
        ch.content_hashes = {k: f"{v:016x}" for k, v in self._sums.items()}
        return ch

    def commit(self, store: Store, load_id: int | None, report: dict[str, Any]) -> None:
        """The writes reached the store: keep the record, the report and its items in one transaction."""
        db = self.history.db
        fp, _ = fingerprint(store)
        self._pending.flush()
        self._pending.seek(0)
        db.execute("BEGIN IMMEDIATE")
        try:
            if self._initial:
                db.execute("DELETE FROM entity")
            while True:
                try:
                    upserts, deletes = marshal.load(self._pending)
                except EOFError:
                    break
                db.executemany(
                    "INSERT INTO entity (id, h, x, m, p) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE "
                    "SET h = excluded.h, x = excluded.x, m = excluded.m, p = excluded.p",
                    upserts,
                )
                db.executemany("DELETE FROM entity WHERE id = ?", deletes)
            self.history.set_meta("fingerprint", fp)
            if self._initial:
                db.execute("DELETE FROM ledger_file")
            rows = report.get("rows") or {}
            db.executemany(
                "INSERT INTO ledger_file (ledger, digest, rows, content) VALUES (?, ?, ?, ?) ON "
                "CONFLICT (ledger) "
                "DO UPDATE SET digest = excluded.digest, rows = excluded.rows, content = excluded.content",
                [
                    (lg, d, rows.get(lg, 0), f"{self._sums.get(lg, 0):016x}")
                    for lg, d in self._digests.items()
                ],
            )
            if load_id is not None:
                db.executemany(
                    "INSERT INTO item (load, kind, type, a, b, key, endl) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [(load_id, *d) for d in self.changes.details],
                )
                self.history.finish_report(load_id, report, "done")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._pending.close()


@lru_cache(maxsize=1)
def _code_tag() -> bytes:
    """The loader code that turns rows into writes: a new version of it reads every file again."""
    h = hashlib.sha256(__version__.encode())
    for mod in ("ledgers.py", "writes.py", "changes.py", "phones.py", "values.py", "idcodes.py", "pinyin.py"):
        h.update((Path(__file__).parent / mod).read_bytes())
    return h.digest()


def ledger_digest(src: LedgerSource, pid_key: bytes) -> str:
    """What decides a ledger's writes: its file's bytes, which sheet, how its headers map, the pid key (never
    stored: only an HMAC of it goes in) and the loader's code."""
    h = hashlib.sha256(_code_tag())
    h.update(hmac.digest(pid_key, b"orggraph ledger digest", "sha256"))
    h.update(json.dumps([src.ledger, src.file, src.columns, src.headers], ensure_ascii=False).encode())
    path = getattr(src._reader, "path", None)  # the file behind the source
    if path is None:
        return "unreadable:" + h.hexdigest()  # never equal to a real digest: read again
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def parse_since(text: str | None) -> str | None:
    """A --since / ?since= date (YYYY-MM-DD) or time (ISO 8601) as the ISO text reports start with; ValueError
    with a Chinese message when it is neither."""
    if text is None or text == "":
        return None
    try:
        if len(text) == 10:
            return _dt.date.fromisoformat(text).isoformat()
        t = _dt.datetime.fromisoformat(text)
        if t.tzinfo is None:
            t = t.replace(tzinfo=_dt.UTC)
        return t.astimezone(_dt.UTC).isoformat(timespec="seconds")
    except (ValueError, OverflowError):
        raise ValueError(
            f"时间「{text}」格式不对，应为 YYYY-MM-DD（如 2026-12-01）或 ISO 时间（如 2026-12-01T08:00:00）"
        ) from None


def summary_zh(changes: dict[str, Any], limit: int = 8) -> str:
    """A short Chinese line for a load's changes: '没有变化' or the counts and the largest kinds."""
    total = changes["added"] + changes["updated"] + changes["removed"]
    info = {k: v for k, v in changes["by_kind"].items() if k in INFO_KINDS}
    if total == 0:
        head = "没有变化"
    else:
        head = f"新增 {changes['added']:,}、变更 {changes['updated']:,}、删除或结束 {changes['removed']:,}"
        kinds = sorted(
            ((k, v) for k, v in changes["by_kind"].items() if k not in INFO_KINDS), key=lambda kv: -kv[1]
        )
        shown = "，".join(f"{KIND_ZH.get(k, k)} {v:,}" for k, v in kinds[:limit])
        more = f" 等 {len(kinds)} 类" if len(kinds) > limit else ""
        head += f"（{shown}{more}）"
    if info:
        head += "；" + "，".join(f"{KIND_ZH.get(k, k)} {v:,}" for k, v in info.items())
    return head
