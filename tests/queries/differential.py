"""The differential harness: every answer orggraph computes from a store, asked of two stores, and compared.

`answers(store, plan)` asks one store everything in `plan` (`plan_for`: which scopes, days and keys to ask
about) and returns {question: answer}; `differences(a, b)` lists where two such answer sets differ after
`normalize`. tests/queries/test_differential.py loads the same ledgers into FalkorDB and Neo4j and requires
no difference at all. An answer that raises is recorded as the error's type and message, so that both stores
must also fail alike.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from orggraph.graph.cypher import statement
from orggraph.graph.store import Store
from orggraph.queries import analytics, contacts, coverage, network, people
from orggraph.queries.catalog import NamedQuery, load_catalog
from orggraph.queries.scope import resolve_scope
from orggraph.viz import overview

__all__ = ["Plan", "plan_for", "answers", "normalize", "differences"]

# What a store holds, label by label and type by type: the same ledgers must give the same graph.
_INVENTORY_NODES = statement(
    "test.differential.inventory.nodes",
    "MATCH (n) RETURN labels(n) AS labels, properties(n) AS props",
    "差分测试：全部节点及其属性",
    origin=__name__,
)
_INVENTORY_RELS = statement(
    "test.differential.inventory.rels",
    """MATCH (a)-[r]->(b)
RETURN type(r) AS type, coalesce(a.code, a.pid) AS start, coalesce(b.code, b.pid) AS end,
       properties(r) AS props""",
    "差分测试：全部关系及其属性",
    origin=__name__,
)
_KEYS = statement(
    "test.differential.keys",
    """MATCH (n)
WITH [l IN labels(n) WHERE l <> 'PartyMember'][0] AS label, coalesce(n.code, n.pid) AS key
RETURN label, key ORDER BY label, key""",
    "差分测试：每个标签的全部编码（决定问什么）",
    origin=__name__,
)


@dataclass
class Plan:
    """What to ask: scopes (None = whole graph), days, and the keys of nodes to ask about."""

    scopes: list[str | None]
    days: list[str]
    keys: dict[str, list[str]] = field(default_factory=dict)  # label -> keys to ask contacts/reach/ego about
    paths: list[tuple[str, str]] = field(default_factory=list)
    names: list[str] = field(default_factory=list)  # name prefixes for the people search
    analytics_scopes: list[str | None] = field(default_factory=list)


def plan_for(
    store: Store,
    days: list[str],
    *,
    per_label: int = 4,
    paths: int = 6,
    max_scopes: int | None = None,
    seed: int = 0,
) -> Plan:
    """A plan from what `store` holds: the whole graph and every district/street/community as a scope (or
    `max_scopes` of them, each level spread evenly), `per_label` keys of each label spread evenly over its
    sorted keys, `paths` pairs of them (deterministic for `seed`)."""
    import random

    by_label: dict[str, list[str]] = {}
    for label, key in store.read(_KEYS).rows:
        by_label.setdefault(label, []).append(key)

    def spread(keys: list[str], n: int) -> list[str]:
        if len(keys) <= n:
            return list(keys)
        step = len(keys) / n
        return [keys[int(i * step)] for i in range(n)]

    scopes: list[str | None] = [None]
    for label in ("District", "Street", "Community"):
        found = by_label.get(label, [])
        scopes += found if max_scopes is None else spread(found, max(1, max_scopes // 3))
    keys = {label: spread(ks, per_label) for label, ks in by_label.items()}
    rng = random.Random(seed)
    pool = [k for ks in keys.values() for k in ks]
    pairs = [(rng.choice(pool), rng.choice(pool)) for _ in range(paths)] if pool else []
    names: list[str] = []
    for pid in keys.get("Person", []):
        rows = store.read(people.PERSON, {"pid": pid}).rows
        name = rows[0][0]["properties"].get("name") if rows else None
        if name:
            names += [name[:1], name]
    analytics_scopes: list[str | None] = [
        None,
        *by_label.get("District", [])[:1],
        *by_label.get("Street", [])[:2],
    ]
    return Plan(scopes, days, keys, pairs, sorted(set(names)), analytics_scopes)


def _attempt(fn: Callable[[], Any]) -> Any:
    try:
        return fn()
    except Exception as e:  # an error is an answer too: both stores must give the same one
        return {"error": type(e).__name__, "message": str(e)}


def _graph(g: network.Graph) -> dict[str, Any]:
    """The node and edge lists a page builder draws from (viz/pages.py), as plain data."""
    return {
        "nodes": [dataclasses.asdict(n) for n in g.nodes.values()],
        "edges": [dataclasses.asdict(e) for e in g.edges],
        "center": g.center,
        "omitted": g.omitted,
        "notes": g.notes,
        "mode": g.mode,
    }


def _level(store: Store, scope: str | None) -> str:
    ref = resolve_scope(store, scope)
    return ref.label if ref else "all"


def _named(store: Store, q: NamedQuery, params: dict[str, Any], level: str) -> Any:
    res = store.read(q.text_for(level), params)
    return {"columns": res.columns, "rows": res.rows, "ordered": _ordered(q.text_for(level))}


def _ordered(text: str) -> bool:
    """Whether a statement's final RETURN sorts its rows (then row order is part of the answer)."""
    tail = text[text.upper().rfind("RETURN") :]
    return re.search(r"\bORDER\s+BY\b", tail, re.IGNORECASE) is not None


def answers(store: Store, plan: Plan) -> dict[str, Any]:
    """Everything orggraph answers from `store` for `plan`: {question: answer}."""
    out: dict[str, Any] = {}
    out["inventory.nodes"] = store.read(_INVENTORY_NODES).rows
    out["inventory.rels"] = store.read(_INVENTORY_RELS).rows
    catalog = load_catalog()
    for day in plan.days:
        for scope in plan.scopes:
            at = f"{scope or 'all'}@{day}"
            level = _level(store, scope)
            for q in catalog.values():
                if not q.scoped:
                    continue
                params: dict[str, Any] = {"scope": scope}
                if any(p.name == "as_of" for p in q.params):
                    params["as_of"] = day
                out[f"named.{q.name}[{level}].{at}"] = _attempt(
                    lambda q=q, p=params, lv=level: _named(store, q, p, lv)
                )
            out[f"coverage.{at}"] = _attempt(lambda s=scope, d=day: coverage.coverage(store, s, d))
            out[f"breakdown.{at}"] = _attempt(lambda s=scope, d=day: coverage.coverage_breakdown(store, s, d))
            details = _attempt(lambda s=scope, d=day: coverage.gap_details(store, s, d))
            out[f"gap_details.{at}"] = details
            # gaps() is gaps_of(gap_details()): the lists from the details read just above, not read again.
            out[f"gaps.{at}"] = details if "error" in details else coverage.gaps_of(details)
            out[f"grid_worker_load.{at}"] = _attempt(
                lambda s=scope, d=day: coverage.grid_worker_load(store, s, d)
            )
            out[f"dual_reporting.{at}"] = _attempt(
                lambda s=scope, d=day: coverage.dual_reporting_tally(store, s, d)
            )
            out[f"part_time_committee.{at}"] = _attempt(
                lambda s=scope, d=day: coverage.part_time_committee(store, s, d)
            )
            # The overview page's figures and the gap page's names (viz/overview.py), before HTML.
            out[f"page.overview.{at}"] = _attempt(
                lambda s=scope, d=day: overview._figures(store, coverage.open_scope(store, s, d))
            )
            out[f"page.cobuilding.{at}"] = _attempt(
                lambda s=scope, d=day: _graph(network.cobuilding_network(store, s, as_of=d))
            )
            out[f"page.org_tree.{at}"] = _attempt(
                lambda s=scope, d=day: _graph(network.org_tree(store, s, as_of=d))
            )
        for q in catalog.values():
            if q.scoped:
                continue
            for label, param in (("Grid", "code"), ("Person", "pid"), (None, None)):
                if param is not None and param not in {p.name for p in q.params}:
                    continue
                if param is None and any(p.required for p in q.params):
                    continue
                for key in plan.keys.get(label, []) if label else [None]:
                    params = {"as_of": day}
                    if param is not None:
                        params[param] = key
                    out[f"named.{q.name}.{key}@{day}"] = _attempt(
                        lambda q=q, p=params: _named(store, q, p, "all")
                    )
        for scope in plan.analytics_scopes:
            out[f"analytics.{scope or 'all'}@{day}"] = _attempt(
                lambda s=scope, d=day: analytics.analyze(store, s, d)
            )
        for label, keys in plan.keys.items():
            for key in keys:
                at = f"{label}:{key}@{day}"
                out[f"contacts.{at}"] = _attempt(lambda k=key, d=day: contacts.contacts_of(store, k, d))
                if label in ("Person", "Unit"):
                    out[f"reach.{at}"] = _attempt(lambda k=key, d=day: contacts.reach(store, k, d))
                for depth in (1, 2):
                    out[f"page.ego{depth}.{at}"] = _attempt(
                        lambda k=key, d=day, n=depth: _graph(network.ego_network(store, k, depth=n, as_of=d))
                    )
        for a, b in plan.paths:
            out[f"path.{a}->{b}@{day}"] = _attempt(
                lambda a=a, b=b, d=day: contacts.contact_path(store, a, b, d)
            )
            out[f"page.path.{a}->{b}@{day}"] = _attempt(
                lambda a=a, b=b, d=day: _graph(network.path_graph(store, a, b, as_of=d))
            )
    for label, keys in plan.keys.items():
        gap_label = label if label in ("Community", "Grid", "Person") else None
        if gap_label:
            out[f"page.gaps.names.{label}"] = _attempt(lambda lb=label, ks=keys: network.names(store, lb, ks))
    for pid in plan.keys.get("Person", []):
        out[f"person.{pid}"] = _attempt(lambda p=pid: people.person(store, p))
    out["people_regions"] = _attempt(lambda: people.people_regions(store, plan.keys.get("Person", [])))
    for name in plan.names:
        for scope in plan.scopes[:4]:
            out[f"search.{name}.{scope}"] = _attempt(
                lambda n=name, s=scope: people.search_people(store, n, scope=s)
            )
    return out


# --------------------------------------------------------------------------------------------- comparing
def normalize(value: Any, *, ordered: bool = True) -> Any:
    """An answer in the form in which the two stores' answers must be identical. The rules, each with why:

    1. Rows of a named query whose final RETURN has no ORDER BY are compared as a multiset (sorted by their
       repr): Cypher gives such rows in no defined order, and each store picks its own. A query with ORDER
       BY keeps its order: ties it leaves are a difference to fix in the query.
    2. The two inventory answers (every node, every relationship) are multisets for the same reason.
    3. The node and edge lists of a page graph keep their order: the pages draw them in that order, and
       which neighbours are drawn and which are counted depends on it.
    4. Keys of a map (node properties, answer objects) are compared as a set: a map has no order (JSON objects
       neither), and each store returns properties in its own.
    5. Floats are compared to 12 significant digits: a sum or mean computed by the store may add in
       another order. An int and a float are never equal (`3` and `3.0` print differently in JSON), and a
       bool is never an int.
    Nothing else is normalized: list order inside an answer (collect()), missing keys, null versus absent,
    and every type are compared exactly.
    """
    if isinstance(value, bool) or value is None or isinstance(value, (str, int)):
        return (type(value).__name__, value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return ("float", repr(value))
        return ("float", float(f"{value:.12g}"))
    if isinstance(value, dict):
        if set(value) == {"columns", "rows", "ordered"}:  # a named query's answer (rule 1)
            rows = [normalize(r) for r in value["rows"]]
            if not value["ordered"]:
                rows = sorted(rows, key=repr)
            return ("named", normalize(value["columns"]), rows)
        return ("dict", tuple(sorted((str(k), normalize(v)) for k, v in value.items())))
    if isinstance(value, (list, tuple)):
        items = [normalize(v) for v in value]
        if not ordered:
            items = sorted(items, key=repr)
        return (type(value).__name__, tuple(items))
    if isinstance(value, (set, frozenset)):
        return ("set", tuple(sorted((normalize(v) for v in value), key=repr)))
    return ("other", repr(value))


_UNORDERED = ("inventory.",)  # rule 2


def differences(a: dict[str, Any], b: dict[str, Any], *, limit: int = 40) -> list[str]:
    """Where two answer sets differ, one line per question (at most `limit`), with both answers shortened."""
    out: list[str] = []
    for q in sorted(set(a) | set(b)):
        if q not in a or q not in b:
            out.append(f"{q}: only on {'the first' if q in a else 'the second'} store")
            continue
        ordered = not q.startswith(_UNORDERED)
        na, nb = normalize(a[q], ordered=ordered), normalize(b[q], ordered=ordered)
        if na != nb:
            out.append(
                f"{q}:\n    first : {_short(a[q])}\n    second: {_short(b[q])}\n    at    : {_where(na, nb)}"
            )
        if len(out) >= limit:
            break
    return out


def _short(v: Any, n: int = 300) -> str:
    s = repr(v)
    return s if len(s) <= n else s[:n] + "…"


def _where(a: Any, b: Any, path: str = "") -> str:
    """The first place two normalized answers differ, as a path and both values there."""
    if type(a) is tuple and type(b) is tuple and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=False)):
            if x != y:
                return _where(x, y, f"{path}/{i}")
    return f"{path}: {_short(a, 160)} != {_short(b, 160)}"
