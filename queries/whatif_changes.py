"""What-if changes: parsed and checked from a scenario's JSON, then written to a scratch graph only.

A change is one of (api.md, `POST /api/what-if`):

- `{"op": "end", "person"|"unit", "target", "role"?|"category"?|"kind"?, "date"?}`: the terms in force on the
  day from the person (unit) to the target, of the role, category or kind given (else all of them), get
  `until` = `date`, by default the day before `as_of` (结束日期 is a term's last day: a term ending on `as_of`
  is still in force that day);
- `{"op": "add", "person"|"unit", "target", "role"|"category"|"kind", "since"?, "title"?, "project"?,
  "source_unit"?}`: a new term from `since` (default `as_of`); the kind follows from the role (SERVES), the
  category (CONTACTS), a unit (CO_BUILDS), a party organization (PART_TIME_MEMBER_OF) or a household
  (LINKS_HOUSEHOLD);
- `{"op": "move", "person", "from", "to", "role"?|"category"?|"kind"?, "date"?}`: end on `from`, and the same
  terms (role, category, title) again on `to` from the next day;
- `{"op": "remove", "person"|"unit", "date"?}`: every term in force of the person (SERVES, CONTACTS,
  PART_TIME_MEMBER_OF, LINKS_HOUSEHOLD) or unit (CO_BUILDS) ends.

Errors are `ScenarioError`s (422) naming the change as 第N项 and saying how to fix it.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Any, LiteralString

from orggraph.graph.cypher import statement, trusted
from orggraph.graph.schema import CONTACT_CATEGORIES, RELS, STAFF_ROLES, display_name
from orggraph.graph.store import Store
from orggraph.queries.scope import RESOLVE, ScopeError
from orggraph.queries.terms import in_force

__all__ = [
    "MAX_CHANGES",
    "TERM_TYPES",
    "Applied",
    "Change",
    "ScenarioError",
    "apply_change",
    "parse_changes",
    "resolve_change",
]

MAX_CHANGES = 200
TERM_TYPES = ("SERVES", "CONTACTS", "PART_TIME_MEMBER_OF", "LINKS_HOUSEHOLD", "CO_BUILDS")
OPS = ("end", "add", "move", "remove")
_KIND_NAMES = {t: t for t in TERM_TYPES} | {RELS[t].zh: t for t in TERM_TYPES}
_FIELDS = {"op", "person", "unit", "target", "role", "category", "kind", "date", "since", "from", "to"}
_EXTRA = {"title", "project", "source_unit"}
_WHAT = {
    "SERVES": "担任",
    "CONTACTS": "联系",
    "PART_TIME_MEMBER_OF": "担任兼职委员",
    "LINKS_HOUSEHOLD": "联户",
    "CO_BUILDS": "共建",
}


class ScenarioError(ScopeError):
    """A scenario that cannot be run as given; the message names the change (第N项) and the fix."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message, status)


@dataclass
class Change:
    index: int
    op: str
    actor: str  # pid or unit code
    actor_label: str  # Person or Unit
    target: str | None = None  # end, add
    source: str | None = None  # move: from
    dest: str | None = None  # move: to
    role: str | None = None
    category: str | None = None
    kind: str | None = None
    date: str | None = None
    since: str | None = None
    extra: dict[str, str] = field(default_factory=dict)
    # filled by resolve_change
    names: dict[str, str] = field(default_factory=dict)  # key -> name
    labels: dict[str, str] = field(default_factory=dict)  # key -> label

    def name(self, key: str | None) -> str:
        return self.names.get(key or "", key or "") or (key or "")


@dataclass
class Applied:
    """What one change did on the scratch graph: its label, how many terms it touched, and their targets."""

    label: str
    terms: int
    touched: set[tuple[str, str]] = field(default_factory=set)  # (label, code) of every target touched


def _err(i: int, text: str) -> ScenarioError:
    return ScenarioError(f"第{i}项：{text}")


def _day(i: int, value: Any, what: str) -> str:
    try:
        return _dt.date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise _err(i, f"{what}「{value}」格式不对，应为 YYYY-MM-DD，例如 2026-12-31") from None


def _text(i: int, raw: dict[str, Any], key: str) -> str | None:
    v = raw.get(key)
    if v is None or v == "":
        return None
    if not isinstance(v, str) or len(v) > 64:
        raise _err(i, f"「{key}」应为不超过 64 个字符的文字")
    return v.strip()


def parse_changes(raw: Any) -> list[Change]:
    """The changes of a scenario body, checked for shape and vocabulary (not yet against the store)."""
    if not isinstance(raw, list) or not raw:
        raise ScenarioError('changes 应为非空的列表，例如 [{"op": "end", "person": "…", "target": "…"}]')
    if len(raw) > MAX_CHANGES:
        raise ScenarioError(f"一次模拟最多 {MAX_CHANGES} 项调整，实有 {len(raw)} 项：请分批模拟。")
    return [_parse(i, c) for i, c in enumerate(raw, 1)]


def _parse(i: int, raw: Any) -> Change:
    if not isinstance(raw, dict):
        raise _err(i, '应为一个对象，例如 {"op": "end", "person": "…", "target": "…"}')
    unknown = sorted(set(raw) - _FIELDS - _EXTRA)
    if unknown:
        raise _err(i, f"不认识的字段「{'、'.join(unknown)}」；可用：{'、'.join(sorted(_FIELDS | _EXTRA))}")
    op = raw.get("op")
    if op not in OPS:
        raise _err(i, f"op「{op}」不对，应为 end（结束任职）、add（新增）、move（调动）或 remove（移除）")
    person, unit = _text(i, raw, "person"), _text(i, raw, "unit")
    if (person is None) == (unit is None):
        raise _err(i, "请给出 person（人员标识 pid）或 unit（单位统一社会信用代码）之一")
    if op == "move" and person is None:
        raise _err(i, "调动（move）只用于人员：请给出 person")
    c = Change(i, op, person or unit or "", "Person" if person else "Unit")
    c.role, c.category = _text(i, raw, "role"), _text(i, raw, "category")
    kind = _text(i, raw, "kind")
    if c.role is not None and c.role not in STAFF_ROLES:
        raise _err(i, f"岗位「{c.role}」不对，应为：{'、'.join(STAFF_ROLES)}")
    if c.category is not None and c.category not in CONTACT_CATEGORIES:
        raise _err(i, f"联系人类别「{c.category}」不对，应为：{'、'.join(CONTACT_CATEGORIES)}")
    if kind is not None:
        if kind not in _KIND_NAMES:
            names = "、".join(f"{t}（{RELS[t].zh}）" for t in TERM_TYPES)
            raise _err(i, f"kind「{kind}」不对，应为：{names}")
        c.kind = _KIND_NAMES[kind]
    if c.role and c.category:
        raise _err(i, "role（岗位）和 category（联系人类别）只能给一个")
    if c.role and c.kind not in (None, "SERVES") or c.category and c.kind not in (None, "CONTACTS"):
        raise _err(
            i, "kind 与 role/category 不一致：岗位属于网格力量（SERVES），联系人类别属于联系点（CONTACTS）"
        )
    c.kind = c.kind or ("SERVES" if c.role else "CONTACTS" if c.category else None)
    if c.kind and c.actor_label not in RELS[c.kind].start:
        raise _err(i, f"{display_name(c.actor_label)}不能有「{RELS[c.kind].zh}」关系")
    if raw.get("date") not in (None, ""):
        c.date = _day(i, raw["date"], "date（结束日期）")
    if raw.get("since") not in (None, ""):
        c.since = _day(i, raw["since"], "since（开始日期）")
    c.extra = {k: v for k in sorted(_EXTRA) if (v := _text(i, raw, k)) is not None}
    if op in ("end", "add"):
        c.target = _text(i, raw, "target")
        if c.target is None:
            raise _err(i, "请给出 target（网格、楼栋、社区、街道、党组织或户的编码）")
    if op == "move":
        c.source, c.dest = _text(i, raw, "from"), _text(i, raw, "to")
        if c.source is None or c.dest is None:
            raise _err(i, "调动（move）请给出 from（原网格等的编码）和 to（新编码）")
        if c.source == c.dest:
            raise _err(i, "调动的 from 和 to 相同：请改为不同的编码")
    if op == "add" and c.date:
        raise _err(i, "新增（add）用 since 表示开始日期，不用 date")
    return c


def _types_for(c: Change, target_label: str) -> list[str]:
    """The term types that may run from the change's actor to a node of `target_label` (of its kind)."""
    return [
        t
        for t in TERM_TYPES
        if c.actor_label in RELS[t].start and target_label in RELS[t].end and c.kind in (None, t)
    ]


def resolve_change(store: Store, c: Change) -> None:
    """Check what the change names against the store: the actor and every code exist and fit the change."""
    keys = [c.actor] + [k for k in (c.target, c.source, c.dest) if k]
    for k in keys:
        rows = store.read(RESOLVE, {"key": k}).rows
        if not rows:
            what = "人员标识" if k == c.actor and c.actor_label == "Person" else "编码"
            raise _err(c.index, f"找不到{what}「{k}」：请检查是否输入正确，或数据是否已导入")
        label, name = rows[0]
        if k == c.actor and label != c.actor_label:
            want = "人员标识（pid）" if c.actor_label == "Person" else "单位的统一社会信用代码"
            raise _err(c.index, f"「{k}」是{display_name(label)}，这里应为{want}")
        c.labels[k], c.names[k] = label, name or k
    for code in (c.target, c.source, c.dest):
        if code and not _types_for(c, c.labels[code]):
            what = f"「{RELS[c.kind].zh}」" if c.kind else "任职、联系或共建"
            raise _err(
                c.index,
                f"{display_name(c.actor_label)}与{display_name(c.labels[code])}「{c.name(code)}」之间没有{what}关系："
                "请检查编码或 role/category/kind",
            )
    if c.op == "add":
        types = _types_for(c, c.labels[c.target or ""])
        if len(types) > 1:
            raise _err(
                c.index,
                "请给出 role（岗位，网格力量）或 category（联系人类别，联系点）以说明新增的是哪种关系",
            )
        c.kind = types[0]


# ------------------------------------------------------------------------------------------------ statements
# (type, start label, end label) -> statements; labels and types come from the schema, never from input.
_FILTER = {
    "SERVES": " AND ($role IS NULL OR r.role = $role)",
    "CONTACTS": " AND ($category IS NULL OR r.category = $category)",
}
_END: dict[tuple[str, str, str], LiteralString] = {}
_ADD: dict[tuple[str, str, str], LiteralString] = {}
for _t in TERM_TYPES:
    _rel = RELS[_t]
    _props = [p for p in ("role", "category", "title", "project", "source_unit") if p in _rel.prop_names]
    for _a in _rel.start:
        if _a not in ("Person", "Unit"):
            continue
        _ak = "pid" if _a == "Person" else "code"
        for _b in _rel.end:
            _END[(_t, _a, _b)] = statement(
                f"whatif.end.{_t}.{_a}.{_b}",
                trusted(
                    f"MATCH (a:{_a} {{{_ak}: $actor}})-[r:{_t}]->(t:{_b} {{code: $target}})\n"
                    f"WHERE {in_force()}{_FILTER.get(_t, '')}\n"
                    "SET r.until = $date\n"
                    "RETURN "
                    + ", ".join(f"r.{p} AS {p}" for p in _props)
                    + (", " if _props else "")
                    + "r.since AS since, t.code AS code"
                ),
                f"模拟调整：结束{_rel.zh}（只写入临时图）",
                origin=__name__,
            )
            _ADD[(_t, _a, _b)] = statement(
                f"whatif.add.{_t}.{_a}.{_b}",
                trusted(
                    f"MATCH (a:{_a} {{{_ak}: $actor}}), (t:{_b} {{code: $target}})\n"
                    f"CREATE (a)-[r:{_t} {{key: $key, since: $since}}]->(t)\n"
                    "SET r += $props\nRETURN t.code AS code"
                ),
                f"模拟调整：新增{_rel.zh}（只写入临时图）",
                origin=__name__,
            )
_REMOVE = {
    "Person": statement(
        "whatif.remove.Person",
        "MATCH (a:Person {pid: $actor})-[r:SERVES|CONTACTS|PART_TIME_MEMBER_OF|LINKS_HOUSEHOLD]->(t)\n"
        f"WHERE {in_force()}\nSET r.until = $date\n"
        "RETURN labels(t) AS labels, t.code AS code, r.since AS since",
        "模拟调整：人员的全部在期任职结束（只写入临时图）",
        origin=__name__,
    ),
    "Unit": statement(
        "whatif.remove.Unit",
        "MATCH (a:Unit {code: $actor})-[r:CO_BUILDS]->(t:Community)\n"
        f"WHERE {in_force()}\nSET r.until = $date\n"
        "RETURN labels(t) AS labels, t.code AS code, r.since AS since",
        "模拟调整：单位的全部在期共建结束（只写入临时图）",
        origin=__name__,
    ),
}


def _day_before(day: str) -> str:
    return (_dt.date.fromisoformat(day) - _dt.timedelta(days=1)).isoformat()


def _day_after(day: str) -> str:
    return (_dt.date.fromisoformat(day) + _dt.timedelta(days=1)).isoformat()


def _key(kind: str, role: str | None, since: str) -> str:
    """The relationship's `key` as the loader makes it (loaders/ledgers.py): role and start, or the start."""
    return f"{role}|{since}" if kind == "SERVES" else since


def _what(kind: str, role: str | None, category: str | None) -> str:
    if kind == "SERVES":
        return role or "网格力量"
    if kind == "CONTACTS":
        return f"联系点（{category}）" if category else "联系点"
    return RELS[kind].zh


def _end(
    store: Store, c: Change, target: str, as_of: str, date: str | None
) -> tuple[list[dict[str, Any]], str]:
    """End the matching terms in force from the actor to `target`; (the ended terms' properties, end date)."""
    until = date or _day_before(as_of)
    ended: list[dict[str, Any]] = []
    label = c.labels[target]
    for t in _types_for(c, label):
        params = {
            "actor": c.actor,
            "target": target,
            "as_of": as_of,
            "date": until,
            "role": c.role,
            "category": c.category,
        }
        for row in store.write(_END[(t, c.actor_label, label)], params).records():
            ended.append({"kind": t, **{k: v for k, v in row.items() if k != "code"}})
    _check_order(c, [e.get("since") for e in ended], until)
    if not ended:
        what = f"{_what(c.kind, c.role, c.category)}" if c.kind else "任职、联系或共建"
        raise _err(
            c.index,
            f"{c.name(c.actor)} 在 {as_of} 与{display_name(label)}「{c.name(target)}」之间没有在期的{what}："
            "请检查编码、role/category 或日期",
        )
    return ended, until


def _check_order(c: Change, starts: list[str | None], until: str) -> None:
    """An end date before a term's start is what the loader refuses too (结束日期早于开始日期)."""
    late = sorted(s for s in starts if s and s > until)
    if late:
        raise _err(
            c.index,
            f"结束日期 {until} 早于任职的开始日期 {late[-1]}：请给出不早于 {late[-1]} 的 date"
            "（不给 date 时为 as_of 的前一天）",
        )


def _add(store: Store, c: Change, target: str, kind: str, since: str, props: dict[str, Any]) -> None:
    own = set(RELS[kind].prop_names) - {"since", "until", "key", "source"}
    clean = {k: v for k, v in props.items() if v is not None and k in own}
    params = {"actor": c.actor, "target": target, "since": since, "key": _key(kind, clean.get("role"), since)}
    store.write(_ADD[(kind, c.actor_label, c.labels[target])], {**params, "props": clean})


def apply_change(store: Store, c: Change, as_of: str) -> Applied:
    """Write one (resolved) change to the scratch graph `store`; what it did."""
    actor = c.name(c.actor)
    if c.op == "end":
        target = c.target or ""
        ended, until = _end(store, c, target, as_of, c.date)
        whats = "、".join(sorted({_what(e["kind"], e.get("role"), e.get("category")) for e in ended}))
        verb = _WHAT[ended[0]["kind"]] if len(ended) == 1 else ""
        return Applied(
            f"{actor} 不再{verb}{c.name(target)} {whats}（{until} 止）",
            len(ended),
            {(c.labels[target], target)},
        )
    if c.op == "add":
        target, kind = c.target or "", c.kind or ""
        since = c.since or as_of
        _add(store, c, target, kind, since, {"role": c.role, "category": c.category, **c.extra})
        return Applied(
            f"{actor} 新增{c.name(target)} {_what(kind, c.role, c.category)}（{since} 起）",
            1,
            {(c.labels[target], target)},
        )
    if c.op == "move":
        src, dst = c.source or "", c.dest or ""
        ended, until = _end(store, c, src, as_of, c.date)
        since = _day_after(until)
        moved = 0
        for e in ended:
            if c.labels[dst] not in RELS[e["kind"]].end:
                raise _err(
                    c.index,
                    f"「{RELS[e['kind']].zh}」不能调到{display_name(c.labels[dst])}「{c.name(dst)}」："
                    "请给出 role/category 只调动相应的任职",
                )
            _add(store, c, dst, e["kind"], since, {**e, **c.extra})
            moved += 1
        whats = "、".join(sorted({_what(e["kind"], e.get("role"), e.get("category")) for e in ended}))
        verb = _WHAT[ended[0]["kind"]] if len(ended) == 1 else ""
        return Applied(
            f"{actor} 从{c.name(src)}调往{c.name(dst)}（{whats}，{since} 起）",
            moved,
            {(c.labels[src], src), (c.labels[dst], dst)},
        )
    until = c.date or _day_before(as_of)
    rows = store.write(_REMOVE[c.actor_label], {"actor": c.actor, "as_of": as_of, "date": until}).rows
    _check_order(c, [since for _, _, since in rows], until)
    touched = {(next(lb for lb in labels if lb != "PartyMember"), code) for labels, code, _ in rows}
    what = "退出全部共建" if c.actor_label == "Unit" else "的全部在期任职、联系点和联户结束"
    return Applied(f"{actor} {what}（{until} 止）", len(rows), touched)
