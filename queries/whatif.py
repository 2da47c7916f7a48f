"""What if: the effect of hypothetical changes on coverage, computed before they are made (issue 16).

`what_if(store, changes, scope, as_of)` copies the graph to a scratch graph (`whatif_store.scratch_copy`),
computes the coverage measures and gap lists there, writes the changes (`whatif_changes`), computes them again
and answers the difference. "Before" and "after" are the product's own functions (`coverage.coverage`,
`coverage.gap_details`) over the copy, so "after" is what a real load of the changed ledgers would report, on
both stores alike. The store itself is never written.

Besides the measures of `/api/coverage` the answer has `fulltime_worker`: grids with a 专职网格员 in force
(the grids of `contact_points.Grid`'s total less `grids_without_fulltime`).

Uncovered items per measure (`uncovered.<measure>` lists): only nodes whose covering edges a change touched
can change status, so exactly those are checked, before and after, with the measure's own test; the lists
are exact, and each list of the answer is capped at `LIST_CAP` items (the measure's delta gives the count).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, LiteralString

from orggraph.graph.cypher import statement, trusted
from orggraph.graph.schema import display_name
from orggraph.graph.store import Store
from orggraph.queries.coverage import MEASURES, OVERLOAD_HOUSEHOLDS, Scope, coverage, gap_details, open_scope
from orggraph.queries.network import names
from orggraph.queries.scope import check_as_of, in_scope, resolve_key
from orggraph.queries.search import where_of
from orggraph.queries.terms import in_force
from orggraph.queries.uncovered import KIND_OF, WHY, _filter, uncovered_measures
from orggraph.queries.whatif_changes import (
    MAX_CHANGES,
    Change,
    ScenarioError,
    apply_change,
    parse_changes,
    resolve_change,
)
from orggraph.queries.whatif_store import scratch_copy

__all__ = ["GAP_LABELS", "LIST_CAP", "MAX_CHANGES", "ScenarioError", "what_if"]

LIST_CAP = 1000
DEFAULT_TIMEOUT = 30.0

GAP_LABELS: dict[str, str] = {
    "communities_without_cobuilding": "无在期共建单位的社区",
    "grids_without_fulltime": "无专职网格员的网格",
    "overloaded_grids": f"专职网格员负担过重的网格（人均超过 {OVERLOAD_HOUSEHOLDS} 户）",
    "contact_rule_violations": "不符合联系点规定的领导",
    "sole_contacts": "网格唯一的直接联系人",
    "grids_without_direct_contact": "无人直接联系的网格",
    **{f"uncovered.{m.id}": f"未覆盖：{m.zh.split('（')[0]}" for m in uncovered_measures()},
}
_PEOPLE_LISTS = ("contact_rule_violations", "sole_contacts")

# Whether given nodes (touched by the changes) are uncovered by a measure, inside the scope (its own test).
_STATUS: dict[tuple[str, bool], LiteralString] = {}
for _m in uncovered_measures():
    if not _m.edge:
        continue
    for _scoped in (False, True):
        _up = "-[:PART_OF*0..5]->(s {code: $scope})" if _scoped else ""
        _STATUS[(_m.id, _scoped)] = statement(
            f"whatif.uncovered.{_m.id}" + (".scoped" if _scoped else ""),
            trusted(
                f"UNWIND $keys AS k\nMATCH (x:{_m.level} {{code: k}}){_up}\nWITH DISTINCT x\n"
                + _filter(_m)
                + "RETURN x.code AS key, x.name AS name ORDER BY key"
            ),
            f"模拟调整：调整涉及的{display_name(_m.level)}中哪些{_m.zh.split('（')[0]}未覆盖",
            origin=__name__,
        )

_TERMS = {
    "Person": statement(
        "whatif.terms.Person",
        "MATCH (a:Person {pid: $key})-[r:SERVES|CONTACTS|PART_TIME_MEMBER_OF|LINKS_HOUSEHOLD]->(t)\n"
        f"WHERE {in_force()}\n"
        "RETURN type(r) AS rel, coalesce(r.role, r.category) AS role, labels(t) AS labels, t.code AS code,\n"
        "  t.name AS name ORDER BY rel, code, role",
        "模拟调整：人员当天在期的任职、联系点、兼职委员和联户",
        origin=__name__,
    ),
    "Unit": statement(
        "whatif.terms.Unit",
        "MATCH (a:Unit {code: $key})-[r:CO_BUILDS]->(t:Community)\n"
        f"WHERE {in_force()}\n"
        "RETURN type(r) AS rel, r.project AS role, labels(t) AS labels, t.code AS code, t.name AS name\n"
        "ORDER BY rel, code, role",
        "模拟调整：单位当天在期的共建",
        origin=__name__,
    ),
}


@dataclass
class _State:
    """The measures and lists of one side (before or after)."""

    coverage: dict[str, dict[str, Any]]
    gaps: dict[str, list[dict[str, Any]]]
    sole: set[tuple[str, str, str]]  # (pid, name, grid)
    people: dict[str, list[dict[str, Any]]]


def _flat(measures: Mapping[str, Any], prefix: str = "") -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for k, v in measures.items():
        if isinstance(v, dict) and "covered" in v:
            out[prefix + k] = v
        elif isinstance(v, dict):
            out.update(_flat(v, prefix + k + "."))
    return out


def _region_items(
    kind: str, rows: Sequence[Mapping[str, Any]], why: Callable[[Mapping[str, Any]], str]
) -> list[dict[str, Any]]:
    zh = display_name({v: k for k, v in KIND_OF.items()}[kind])
    return [
        {
            "kind": kind,
            "key": r["code"],
            "name": r.get("name") or f"{zh} {r['code']}",
            "where": "",
            "why": why(r),
        }
        for r in rows
    ]


def _gap_items(details: Mapping[str, Sequence[Mapping[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """gap_details as items of /api/gaps/uncovered ({kind, key, name, where, why}); `where` filled later."""
    return {
        "communities_without_cobuilding": _region_items(
            "community", details["communities_without_cobuilding"], lambda r: "没有在期的联建共建单位"
        ),
        "grids_without_fulltime": _region_items(
            "grid",
            details["grids_without_fulltime"],
            lambda r: f"没有在期的专职网格员（{r['households']} 户）",
        ),
        "overloaded_grids": _region_items(
            "grid",
            details["overloaded_grids"],
            lambda r: f"{r['households']} 户由 {r['fulltime']} 名专职网格员负责，人均 {r['load']:.0f} 户",
        ),
        "contact_rule_violations": [
            {"kind": "person", "key": r["pid"], "name": r["name"] or r["pid"], "where": "", "why": r["rule"]}
            for r in details["contact_rule_violations"]
        ],
        "sole_contacts": [
            {
                "kind": "person",
                "key": r["pid"],
                "name": r["name"] or r["pid"],
                "where": "",
                "why": "是这些网格唯一的直接联系人：" + "、".join(r["grids"]),
            }
            for r in details["sole_contacts"]
        ],
        "grids_without_direct_contact": _region_items(
            "grid", details["grids_without_direct_contact"], lambda r: "没有在期的网格力量或联系领导直接联系"
        ),
    }


def _uncovered_of(store: Store, sc: Scope, touched: set[tuple[str, str]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for m in uncovered_measures():
        keys = sorted(code for label, code in touched if label == m.level)
        q = _STATUS.get((m.id, sc.code is not None))
        rows = store.read(q, {**sc.params, "keys": keys}).rows if q is not None and keys else []
        kind = KIND_OF[m.level]
        out[f"uncovered.{m.id}"] = [
            {
                "kind": kind,
                "key": k,
                "name": n or f"{display_name(m.level)} {k}",
                "where": "",
                "why": WHY[m.id],
            }
            for k, n in rows
        ]
    return out


def _terms(store: Store, label: str, key: str, as_of: str) -> list[dict[str, Any]]:
    return [
        {
            "relationship": rel,
            "role": role,
            "label": display_name(next((lb for lb in labels if lb != "PartyMember"), "")),
            "code": code,
            "name": name or code,
        }
        for rel, role, labels, code, name in store.read(_TERMS[label], {"key": key, "as_of": as_of}).rows
    ]


def _state(store: Store, sc: Scope, changes: list[Change], touched: set[tuple[str, str]]) -> _State:
    details = gap_details(store, sc)
    cov = _flat(coverage(store, sc))
    grids = cov["contact_points.Grid"]["total"]
    without = len(details["grids_without_fulltime"])
    cov["fulltime_worker"] = {"covered": grids - without, "total": grids}
    gaps = _gap_items(details) | _uncovered_of(store, sc, touched)
    sole = {(r["pid"], r["name"], g) for r in details["sole_contacts"] for g in r["grids"]}
    people = {c.actor: _terms(store, c.actor_label, c.actor, sc.as_of) for c in changes}
    return _State(cov, gaps, sole, people)


_MEASURE_LABELS = {m.id: m.zh for m in MEASURES} | {
    "fulltime_worker": "专职网格员覆盖网格（有在期专职网格员的网格）"
}
_ORDER = [m.id for m in MEASURES if m.id != "fulltime_share"] + ["fulltime_worker", "fulltime_share"]


def _ratio(covered: int, total: int) -> dict[str, Any]:
    return {"covered": covered, "total": total, "ratio": round(covered / total, 4) if total else 0.0}


def _coverage_diff(before: _State, after: _State) -> list[dict[str, Any]]:
    out = []
    for mid in _ORDER:
        b, a = before.coverage[mid], after.coverage[mid]
        mb, ma = _ratio(b["covered"], b["total"]), _ratio(a["covered"], a["total"])
        out.append(
            {
                "measure": mid,
                "label": _MEASURE_LABELS[mid],
                "before": mb,
                "after": ma,
                "delta": {
                    "covered": ma["covered"] - mb["covered"],
                    "total": ma["total"] - mb["total"],
                    "ratio": round(ma["ratio"] - mb["ratio"], 4),
                },
            }
        )
    return out


def _diff(name: str, b: list[dict[str, Any]], a: list[dict[str, Any]]) -> tuple[list[Any], list[Any]]:
    ident: Callable[[dict[str, Any]], Any] = (
        (lambda r: (r["key"], r["why"])) if name in _PEOPLE_LISTS else (lambda r: r["key"])
    )
    before, after = {ident(r): r for r in b}, {ident(r): r for r in a}
    appeared = [after[k] for k in sorted(after.keys() - before.keys(), key=str)]
    gone = [before[k] for k in sorted(before.keys() - after.keys(), key=str)]
    return appeared[:LIST_CAP], gone[:LIST_CAP]


def _fill_where(store: Store, items: list[dict[str, Any]]) -> None:
    by_kind: dict[str, list[str]] = {}
    for it in items:
        by_kind.setdefault(it["kind"], []).append(it["key"])
    where = {kind: where_of(store, kind, sorted(set(keys))) for kind, keys in by_kind.items()}
    for it in items:
        it["where"] = where[it["kind"]].get(it["key"], "")


def _check_jurisdiction(store: Store, c: Change, within: str, as_of: str) -> None:
    """A scoped user changes only what lies in their jurisdiction (403 otherwise; regions are public, and a
    person outside is refused with the same words as one inside it who is not there)."""
    for k in (c.target, c.source, c.dest):
        if k and not in_scope(resolve_key(store, k), within):
            raise ScenarioError(
                f"第{c.index}项：「{c.name(k)}」不在您的管辖范围（{within}）内，不能调整。", 403
            )
    if c.op == "add":
        return  # a person or unit from elsewhere may be added to something inside
    if not in_scope(resolve_key(store, c.actor), within):
        raise ScenarioError(
            f"第{c.index}项：「{c.name(c.actor)}」不在您的管辖范围（{within}）内，不能调整。", 403
        )
    if c.op == "remove":
        outside = [
            t
            for t in _terms(store, c.actor_label, c.actor, as_of)
            if not in_scope(resolve_key(store, t["code"]), within)
        ]
        if outside:
            raise ScenarioError(
                f"第{c.index}项：「{c.name(c.actor)}」在管辖范围外还有在期的任职或联系点（{outside[0]['name']}），"
                "不能整体移除：请改用 end 逐项结束辖区内的任职。",
                403,
            )


def what_if(
    store: Store,
    changes: Any,
    scope: str | None = None,
    as_of: str | None = None,
    *,
    within: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> dict[str, Any]:
    """The answer of `POST /api/what-if` (api.md): coverage, gap lists, people before and after the changes.

    `within`: the asking user's jurisdiction (a street or community code), None for everything. ScenarioError
    (422, or 403 outside `within`) for a change that cannot be run; QueryTimeout past `timeout` seconds.
    """
    day = check_as_of(as_of)
    parsed = parse_changes(changes)
    sc = open_scope(store, scope, day)
    for c in parsed:
        resolve_change(store, c)
        if within is not None:
            _check_jurisdiction(store, c, within, day)
    with scratch_copy(store, timeout) as scratch:
        done = []
        touched: set[tuple[str, str]] = set()
        # Which nodes the changes touch is known only once they are written; "before" needs the same set.
        # Resolve the targets first (end/add/move: named; remove: read from the person's terms in force).
        for c in parsed:
            for k in (c.target, c.source, c.dest):
                if k:
                    touched.add((c.labels[k], k))
            if c.op == "remove":
                label = c.actor_label
                touched |= {(_label_of(t["label"]), t["code"]) for t in _terms(scratch, label, c.actor, day)}
        before = _state(scratch, sc, parsed, touched)
        for c in parsed:
            applied = apply_change(scratch, c, day)
            touched |= applied.touched
            done.append({"index": c.index, "op": c.op, "label": applied.label, "terms": applied.terms})
        after = _state(scratch, sc, parsed, touched)
        gaps: list[dict[str, Any]] = []
        for name in GAP_LABELS:
            appeared, gone = _diff(name, before.gaps[name], after.gaps[name])
            gaps.append({"list": name, "label": GAP_LABELS[name], "appeared": appeared, "disappeared": gone})
        _fill_where(scratch, [it for g in gaps for it in g["appeared"] + g["disappeared"]])
        sole_new, sole_gone = sorted(after.sole - before.sole), sorted(before.sole - after.sole)
        grid_names = names(scratch, "Grid", sorted({g for _, _, g in sole_new + sole_gone}))
    people: list[dict[str, Any]] = []
    for c in parsed:
        if any(p["key"] == c.actor for p in people):
            continue
        people.append(
            {
                "kind": "person" if c.actor_label == "Person" else "unit",
                "key": c.actor,
                "name": c.name(c.actor),
                "before": before.people[c.actor],
                "after": after.people[c.actor],
            }
        )

    def sole_item(t: tuple[str, str, str]) -> dict[str, Any]:
        return {"pid": t[0], "name": t[1] or t[0], "grid": t[2], "grid_name": grid_names.get(t[2]) or t[2]}

    return {
        "scope": sc.code,
        "as_of": day,
        "changes": done,
        "coverage": _coverage_diff(before, after),
        "gaps": gaps,
        "people": people,
        "sole_contacts": {
            "appeared": [sole_item(t) for t in sole_new[:LIST_CAP]],
            "disappeared": [sole_item(t) for t in sole_gone[:LIST_CAP]],
        },
    }


_LABEL_OF = {
    display_name(lb): lb for lb in ("Street", "Community", "Grid", "Building", "Household", "PartyOrg")
}


def _label_of(zh: str) -> str:
    return _LABEL_OF.get(zh, zh)
