"""What changed between two dates in a scope: the terms the graph holds (their `since` and `until`) and the
loads' change reports (loaders/changes.py) of that period.

- From the graph: every grid-staff term, contact point, co-building agreement, part-time membership and
  household link that began (`since`) or ended (`until`) between the two dates, both included, whose target
  lies in the scope (a district, street or community; none: the whole graph).
- From the change reports: the loads run in that period, their counts by kind, and the items they changed
  whose place lies in the scope (a relationship by the node it points at, a person by their home).
"""

from __future__ import annotations

import datetime as _dt
from pathlib import Path
from typing import Any

from orggraph.graph.cypher import statement, trusted
from orggraph.graph.store import Store, chunked
from orggraph.loaders.changes import KIND_ZH, History
from orggraph.queries.scope import ScopeError, resolve_scope

__all__ = ["changes_between", "check_dates", "MAX_ITEMS", "TERM_ZH"]

MAX_ITEMS = 5_000  # per list: a period and scope with more says so (`truncated`)

TERM_ZH = {
    "SERVES": "网格力量",
    "CONTACTS": "联系点",
    "CO_BUILDS": "共建协议",
    "PART_TIME_MEMBER_OF": "兼职委员",
    "LINKS_HOUSEHOLD": "联户",
}

# Dates are ISO strings, so comparing them as strings compares the days. The scope test walks up from the
# term's target (a region by PART_OF; a party organization by where it is based) to the scope's code.
_TERMS = statement(
    "diff.terms",
    """MATCH (a)-[r:SERVES|CONTACTS|CO_BUILDS|PART_TIME_MEMBER_OF|LINKS_HOUSEHOLD]->(t)
WHERE (r.since >= $from AND r.since <= $to) OR (r.until >= $from AND r.until <= $to)
OPTIONAL MATCH (t)-[:BASED_IN|PART_OF*0..6]->(s)
WHERE s.code = $scope
WITH a, r, t, count(s) AS inside
WHERE $scope IS NULL OR inside > 0
RETURN type(r) AS type, [l IN labels(a) WHERE l <> 'PartyMember'][0] AS a_label,
       coalesce(a.code, a.pid) AS a_key, a.name AS a_name,
       [l IN labels(t) WHERE l <> 'PartyMember'][0] AS t_label, t.code AS t_key, t.name AS t_name,
       r.since AS since, r.until AS until, r.role AS role, r.category AS category, r.title AS title,
       r.project AS project
ORDER BY coalesce(r.since, r.until), type, a_key, t_key
LIMIT $limit""",
    "某范围内两个日期之间开始或结束的任期、联系点、共建协议、兼职委员和联户",
    origin=__name__,
)

_IN_SCOPE = {
    label: statement(
        f"diff.in_scope.{label}",
        # The label comes from the fixed tuple below, never from input.
        trusted(
            f"UNWIND $keys AS k MATCH (x:{label} {{code: k}})-[:BASED_IN|PART_OF*0..6]->(s) WHERE "
            "s.code = $scope "
            "RETURN DISTINCT k"
        ),
        "变更记录中的对象是否在范围内",
        origin=__name__,
    )
    for label in ("District", "Street", "Community", "Grid", "Building", "Household", "Unit", "PartyOrg")
}
_PERSON_IN_SCOPE = statement(
    "diff.in_scope.Person",
    "UNWIND $keys AS k MATCH (p:Person {pid: k})-[:LIVES_IN]->(:Household)-[:PART_OF*0..5]->(s) "
    "WHERE s.code = $scope "
    "RETURN DISTINCT k",
    "变更记录中的人员是否住在范围内",
    origin=__name__,
)


def check_dates(start: str | None, end: str | None) -> tuple[str, str]:
    """The two days (ISO), `from` ≤ `to`; ScopeError(422) with what to write otherwise."""
    days = []
    for name, text in (("from", start), ("to", end)):
        if not text:
            raise ScopeError(
                f"缺少日期 {name}：请给出开始和结束日期，格式 YYYY-MM-DD，例如 from=2026-01-01&to=2026-06-30",
                422,
            )
        try:
            days.append(_dt.date.fromisoformat(text).isoformat())
        except ValueError:
            raise ScopeError(f"日期「{text}」格式不对，应为 YYYY-MM-DD，例如 2026-06-30", 422) from None
    if days[0] > days[1]:
        raise ScopeError(f"开始日期 {days[0]} 晚于结束日期 {days[1]}：请交换两个日期", 422)
    return days[0], days[1]


def _where(item: tuple[Any, ...]) -> tuple[str, str]:
    """(label, key) of the node that places a change item: the node a relationship points at, else the
    node."""
    _load, _kind, type_, a, b, _key, endl = item
    if endl and b:
        return endl, b
    if type_ in _IN_SCOPE:  # a node
        return type_, a
    return ("PartyOrg", a) if type_ in ("SUBORDINATE_TO", "BASED_IN", "SECRETARY_OF") else ("Person", a)


def _inside(store: Store, scope: str, places: set[tuple[str, str]]) -> set[tuple[str, str]]:
    by_label: dict[str, list[str]] = {}
    for label, key in places:
        by_label.setdefault(label, []).append(key)
    out: set[tuple[str, str]] = set()
    for label, keys in by_label.items():
        q = _PERSON_IN_SCOPE if label == "Person" else _IN_SCOPE.get(label)
        if q is None:
            continue
        for part in chunked(keys, 5_000):
            out.update((label, k) for (k,) in store.read(q, {"keys": part, "scope": scope}).rows)
    return out


def changes_between(
    store: Store, data_dir: Path, scope: str | None, start: str | None, end: str | None
) -> dict[str, Any]:
    """The answer of `GET /api/diff` and `orggraph diff` (see the module doc)."""
    day_from, day_to = check_dates(start, end)
    ref = resolve_scope(store, scope)
    code = ref.key if ref is not None else None
    rows = store.read(
        _TERMS, {"from": day_from, "to": day_to, "scope": code, "limit": MAX_ITEMS + 1}
    ).records()
    terms = []
    for r in rows[:MAX_ITEMS]:
        for event, date in (("began", r["since"]), ("ended", r["until"])):
            if date is not None and day_from <= date <= day_to:
                terms.append(
                    {
                        "event": event,
                        "event_zh": "开始" if event == "began" else "结束",
                        "date": date,
                        "what": TERM_ZH[r["type"]],
                        **r,
                    }
                )
    terms.sort(key=lambda t: (t["date"], t["type"], str(t["a_key"]), str(t["t_key"])))
    # Reports are stamped in UTC; the period covers both days whole.
    until = (_dt.date.fromisoformat(day_to) + _dt.timedelta(days=1)).isoformat()
    history = History(data_dir)
    try:
        loads = [r for r in history.reports(day_from, until) if not r.get("dry_run")]
        items = list(history.items([r["id"] for r in loads if r["status"] == "done"]))
    finally:
        history.close()
    if code is not None:
        inside = _inside(store, code, {_where(i) for i in items})
        items = [i for i in items if _where(i) in inside]
    when = {r["id"]: r["started"] for r in loads}
    changes = [
        {
            "load": i[0],
            "time": when.get(i[0]),
            "kind": i[1],
            "kind_zh": KIND_ZH.get(i[1], i[1]),
            "type": i[2],
            "a": i[3],
            "b": i[4] or None,
            "key": i[5] or None,
            "b_label": i[6] or None,
        }
        for i in items[:MAX_ITEMS]
    ]
    return {
        "scope": code,
        "scope_name": ref.name if ref is not None else None,
        "from": day_from,
        "to": day_to,
        "terms": terms,
        "loads": [
            {
                "id": r["id"],
                "started": r["started"],
                "finished": r.get("finished"),
                "status": r["status"],
                "files": r.get("files", {}),
                "changes": r.get("changes"),
            }
            for r in loads
        ],
        "changes": changes,
        "truncated": len(rows) > MAX_ITEMS or len(items) > MAX_ITEMS,
    }
