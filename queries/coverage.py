"""Coverage measures, gap lists and tallies of graph-model.md, for the whole graph or a
district/street/community, on any day.

Each measure is one statement per scope level, anchored on the scope's indexed code
(`coverage.cobuilding@Street`), plus a variant grouped by the next level down for breakdowns
(`coverage.cobuilding@Street/Community`); the catalog gets one `$scope`-taking version of each for analysts
(see the bottom of this module). Everything is counted in Cypher: a city's households never come into Python.

Length (about 770 lines): one section per family of measures, all built from the same scope chains.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, LiteralString

from orggraph.graph.cypher import statement, trusted
from orggraph.graph.schema import CONTACT_CATEGORIES, GRID_WORKER_ROLES, display_name
from orggraph.graph.store import Store
from orggraph.queries.catalog import Param, named_query
from orggraph.queries.network import names
from orggraph.queries.scope import NodeRef, check_as_of, resolve_scope
from orggraph.queries.shapes import (
    DualReporting,
    GridLoad,
    PartTimeCommittee,
    PartTimeMember,
    PersonRef,
    Ratio,
    RegionChild,
    ReportedUnit,
    SoleContact,
    SourceUnit,
)
from orggraph.queries.terms import (
    CHILD_LEVEL,
    SCOPE_LEVELS,
    cypher_list,
    descend,
    in_force,
    reported_by,
    scope_chain,
)

__all__ = [
    "DEFAULT_RULES",
    "FULLTIME_ROLE",
    "GAP_LISTS",
    "HEAD_ROLE",
    "MEASURES",
    "OVERLOAD_HOUSEHOLDS",
    "RULES_ENV",
    "RULE_LEVELS",
    "RulesError",
    "Scope",
    "active_rules",
    "contact_rule_violations",
    "coverage",
    "coverage_breakdown",
    "dual_reporting_tally",
    "gaps",
    "grid_worker_load",
    "load_rules",
    "cached_coverage",
    "measure_counts",
    "measure_statement",
    "measure_text_by",
    "open_scope",
    "part_time_committee",
    "region_children",
    "rule_text",
    "sole_contacts",
]

FULLTIME_ROLE = "专职网格员"
HEAD_ROLE = "楼栋长"
OVERLOAD_HOUSEHOLDS = 300  # graph-model.md: a full-time worker with more households than this is overloaded
RULE_LEVELS = ("Street", "Community", "Grid")
RULES_ENV = "ORGGRAPH_CONTACT_RULES"

# ledgers.md, 联系点: exact number of streets, communities and grids a leader of each category contacts.
# The three categories "contact exactly one community and one grid": read strictly, so no street either.
# A level left out (or None) is not checked; a category left out (其他) has no rule.
DEFAULT_RULES: dict[str, dict[str, int | None]] = {
    "区委区政府班子": {"Street": 1, "Community": 1, "Grid": 1},
    "区人大政协班子": {"Street": 0, "Community": 1, "Grid": 1},
    "部务会成员": {"Street": 0, "Community": 1, "Grid": 1},
    "街道党工委班子": {"Street": 0, "Community": 1, "Grid": 1},
}


@dataclass(frozen=True)
class Measure:
    """A coverage measure: nodes of `level` in scope, covered when an edge (in force) reaches them.

    Most measures give `edge` (the pattern from x to what covers it, relationship variable r) and `cond` (on
    r): the statements then count x once and the covered x by matching those edges — far cheaper on a city's
    households than testing every node with a pattern comprehension. The others give a `tail`. Counts are
    `count(...)`, never `sum(...)`: FalkorDB's sum is a float (3.0), and every answer's counts are integers.
    """

    id: str  # "cobuilding", "contact_points.Street" … (nesting of the api.md answer)
    zh: str
    level: str  # the region level it counts
    edge: str = ""  # e.g. "<-[r:CO_BUILDS]-(:Unit)"
    cond: str = ""  # WHERE on r
    tail: str = (
        ""  # otherwise: Cypher after the scope chain returning total, covered ({kv}/{key} per variant)
    )
    people: bool = False  # counts people (fulltime_share), not nodes of `level`


_WORKERS = cypher_list(GRID_WORKER_ROLES)

MEASURES: tuple[Measure, ...] = (
    Measure(
        "cobuilding",
        "联建共建覆盖率（有在期共建单位的社区）",
        "Community",
        "<-[r:CO_BUILDS]-(:Unit)",
        in_force(),
    ),
    *(
        Measure(
            f"contact_points.{level}",
            f"联系点覆盖率·{display_name(level)}（有在期联系领导的{display_name(level)}）",
            level,
            "<-[r:CONTACTS]-(:Person)",
            in_force(),
        )
        for level in RULE_LEVELS
    ),
    Measure(
        "grid_party_org",
        "网格党组织覆盖率（网格或其楼栋建有党组织）",
        "Grid",
        tail="WITH {kv}x, size([(x)<-[:BASED_IN]-(:PartyOrg) | 1])"
        " + size([(x)<-[:PART_OF]-(:Building)<-[:BASED_IN]-(:PartyOrg) | 1]) AS n\n"
        "RETURN {key}count(x) AS total, count(CASE WHEN n > 0 THEN 1 END) AS covered",
    ),
    Measure(
        "fulltime_share",
        "专职网格员占比（专职 ÷ 专职与兼职网格员，按人计）",
        "Grid",
        tail=f"MATCH (x)<-[r:SERVES]-(p:Person) WHERE r.role IN {_WORKERS} AND {in_force()}\n"
        f"WITH {{kv}}p, max(CASE WHEN r.role = '{FULLTIME_ROLE}' THEN 1 ELSE 0 END) AS ft\n"
        "RETURN {key}count(p) AS total, count(CASE WHEN ft > 0 THEN 1 END) AS covered",
        people=True,
    ),
    Measure(
        "building_heads",
        "楼栋长覆盖率（有在期楼栋长的楼栋）",
        "Building",
        "<-[r:SERVES]-(:Person)",
        f"r.role = '{HEAD_ROLE}' AND {in_force()}",
    ),
    Measure(
        "household_links",
        "联户覆盖率（有在期联户人的户）",
        "Household",
        "<-[r:LINKS_HOUSEHOLD]-(:Person)",
        in_force(),
    ),
)


def _variant(m: Measure, chain: tuple[str, str], group: str | None) -> str:
    """The statement of measure m for a scope chain, plain (group None) or grouped by the `group` level above
    x."""
    match, key = chain
    if m.tail:
        if group is None:
            return match + "\n" + m.tail.replace("{kv}", "").replace("{key}", "")
        # The group variable must survive the tail's WITH: k, or x itself when the group is the counted level
        # (node tails keep x anyway; the people tail aggregates over x, so it carries it explicitly).
        kv = "k, " if key == "k.code" else ("x, " if m.people else "")
        return match + "\n" + m.tail.replace("{kv}", kv).replace("{key}", f"{key} AS key, ")
    where = f" WHERE {m.cond}" if m.cond else ""
    if group is None:  # count the nodes, then match the chain again with the covering edge
        return (
            f"{match}\nWITH count(x) AS total\nOPTIONAL {match}{m.edge}{where}\nRETURN total, "
            "count(DISTINCT x) AS covered"
        )
    if key == "x.code":  # each child is one node of the level
        return (
            f"{match}\nOPTIONAL MATCH (x){m.edge}{where}\nWITH x, count(r) AS n\n"
            "RETURN x.code AS key, 1 AS total, CASE WHEN n > 0 THEN 1 ELSE 0 END AS covered"
        )
    return (
        f"{match}\nWITH k, count(x) AS total\nOPTIONAL MATCH (k){descend(group, m.level)}{m.edge}{where}\n"
        "RETURN k.code AS key, total, count(DISTINCT x) AS covered"
    )


# (measure id, scope level, grouped) -> statement; missing when the scope holds nothing of that level.
_MEASURE_Q: dict[tuple[str, str, bool], LiteralString] = {}
for _m in MEASURES:
    for _scope in SCOPE_LEVELS:
        for _grouped in (False, True):
            _chain = scope_chain(_scope, _m.level, CHILD_LEVEL[_scope] if _grouped else None)
            if _chain is None:
                continue
            _name = f"coverage.{_m.id}@{_scope}" + (f"/{CHILD_LEVEL[_scope]}" if _grouped else "")
            _MEASURE_Q[(_m.id, _scope, _grouped)] = statement(
                _name,
                trusted(_variant(_m, _chain, CHILD_LEVEL[_scope] if _grouped else None)),
                _m.zh + ("，按下级分列" if _grouped else ""),
                origin=__name__,
            )


def measure_statement(measure_id: str, scope_level: str) -> LiteralString | None:
    """The statement coverage() runs for a measure at a scope level (None: the scope holds nothing of it)."""
    return _MEASURE_Q.get((measure_id, scope_level, False))


def measure_text_by(measure_id: str, scope_level: str, group: str) -> str | None:
    """The text of a measure's statement at a scope level, per `group`-level region above the counted nodes
    (rows: key, total, covered); None when the scope or the group holds nothing of the measure's level.
    Callers register it as a statement of their own."""
    m = next(m for m in MEASURES if m.id == measure_id)
    chain = scope_chain(scope_level, m.level, group)
    return None if chain is None else _variant(m, chain, group)


_CHILDREN: dict[str, LiteralString] = {}
for _scope in SCOPE_LEVELS:
    _chain = scope_chain(_scope, CHILD_LEVEL[_scope], CHILD_LEVEL[_scope])
    assert _chain is not None
    _CHILDREN[_scope] = statement(
        f"coverage.children@{_scope}",
        trusted(_chain[0] + "\nRETURN x.code AS code, x.name AS name ORDER BY code"),
        "范围的下一级区域（分列用）",
        origin=__name__,
    )


_SCOPE_P = Param("scope", "string?", "范围：区县、街道或社区编码；不填为全部")
_AS_OF_P = Param("as_of", "date?", "日期 YYYY-MM-DD；不填为今天")


def _scope_params(variants: dict[str, LiteralString]) -> tuple[Param, ...]:
    """A scoped named query's parameters: scope, and as_of unless nothing has a term (party organizations)."""
    return (_SCOPE_P, _AS_OF_P) if any("$as_of" in t for t in variants.values()) else (_SCOPE_P,)


def _head(scope: str, levels: tuple[str, ...]) -> str | None:
    """What binds x: the chain of one level, or a CALL over several."""
    branches = [chain[0] for lv in levels if (chain := scope_chain(scope, lv)) is not None]
    if not branches:
        return None
    if len(branches) == 1:
        return branches[0]
    # WITH right after CALL: FalkorDB 4 ignores a CALL-bound node in a directly following MATCH whose other
    # end is unlabeled (it matches every node), so the variable is re-bound first.
    return "CALL {\n  " + "\n  UNION ".join(b + " RETURN x" for b in branches) + "\n}\nWITH x"


def scoped_statements(
    name: str, purpose: str, levels: tuple[str, ...], tail: str, *, catalog: bool = True
) -> dict[str, LiteralString]:
    """One statement per scope level (`name@Street` …): x bound to the nodes of `levels` in scope, then
    `tail`.

    With `catalog`, the same statements also go into the catalog under `name` (the API runs the one for the
    level of the scope asked about).
    """
    out: dict[str, LiteralString] = {}
    for scope in SCOPE_LEVELS:
        head = _head(scope, levels)
        if head is not None:
            out[scope] = statement(f"{name}@{scope}", trusted(head + "\n" + tail), purpose, origin=__name__)
    if catalog:
        named_query(name, purpose, out, _scope_params(out), scoped=True)
    return out


# A measure over a level the scope does not contain (streets inside a community) is 0 of 0.
_NOTHING = statement(
    "coverage.nothing", "RETURN 0 AS total, 0 AS covered", "范围内没有这一级：0 / 0", origin=__name__
)
for _m in MEASURES:
    # The catalog's measure is the very statements coverage() runs, one per scope level.
    _levels = {sc: _MEASURE_Q.get((_m.id, sc, False), _NOTHING) for sc in SCOPE_LEVELS}
    named_query(f"coverage.{_m.id}", _m.zh, _levels, _scope_params(_levels), scoped=True)

_WITHOUT_COBUILDING = scoped_statements(
    "gaps.communities_without_cobuilding",
    "没有在期联建共建单位的社区",
    ("Community",),
    f"WITH x, size([(x)<-[r:CO_BUILDS]-(:Unit) WHERE {in_force()} | 1]) AS n\n"
    "WHERE n = 0\nOPTIONAL MATCH (x)-[:PART_OF]->(up:Street)\n"
    "RETURN x.code AS code, x.name AS name, up.code AS parent, up.name AS parent_name ORDER BY code",
)
_WITHOUT_DIRECT = scoped_statements(
    "gaps.grids_without_direct_contact",
    "没有在期网格力量或联系领导直接联系的网格",
    ("Grid",),
    f"WITH x, size([(x)<-[r:SERVES|CONTACTS]-(:Person) WHERE {in_force()} | 1]) AS n\n"
    "WHERE n = 0\nOPTIONAL MATCH (x)-[:PART_OF]->(up:Community)\n"
    "RETURN x.code AS code, x.name AS name, up.code AS parent, up.name AS parent_name ORDER BY code",
)
_SOLE = scoped_statements(
    "gaps.sole_contacts",
    "网格唯一的直接联系人（网格力量或联系领导；其离开后该网格无人直接联系）及其网格",
    ("Grid",),
    f"MATCH (x)<-[r:SERVES|CONTACTS]-(p:Person) WHERE {in_force()}\n"
    "WITH x, collect(DISTINCT p) AS people\nWHERE size(people) = 1\n"
    "WITH x, people[0] AS p ORDER BY x.code\n"
    "RETURN p.pid AS pid, p.name AS name, collect(x.code) AS grids ORDER BY pid",
)
_GRID_LOAD = scoped_statements(
    "gaps.grid_worker_load",
    "各网格的户数、在期专职网格员与人均户数（超过 300 户为负担过重，0 人为缺专职网格员）",
    ("Grid",),
    # Lists are collected after an ORDER BY (a pattern comprehension's order is each store's own).
    f"OPTIONAL MATCH (x)<-[r:SERVES]-(p:Person) WHERE r.role = '{FULLTIME_ROLE}' AND {in_force()}\n"
    "WITH x, p ORDER BY p.pid\n"
    "WITH x, collect(CASE WHEN p IS NULL THEN NULL ELSE [p.pid, p.name] END) AS workers\n"
    "WITH x, workers, size([(x)<-[:PART_OF]-(:Building)<-[:PART_OF]-(h:Household) | h]) AS counted\n"
    "OPTIONAL MATCH (x)-[:PART_OF]->(c:Community)\n"
    "RETURN x.code AS code, x.name AS name, x.kind AS kind, x.households AS households, counted, workers,\n"
    "  c.code AS community, c.name AS community_name ORDER BY code",
)
_DUAL = scoped_statements(
    "coverage.dual_reporting",
    "各社区双报到的党员数和单位",
    ("Community",),
    # Distinct relationship variables: FalkorDB 4 evaluates a second pattern comprehension's WHERE on the
    # first one's variable when both use the same name in one clause (wrong counts, no error).
    f"OPTIONAL MATCH (x)<-[r2:REPORTED_TO]-(u:Unit) WHERE {reported_by('r2')}\n"
    "WITH x, u, r2 ORDER BY u.code, coalesce(r2.date, ''), coalesce(r2.post, '')\n"
    "WITH x, collect(CASE WHEN u IS NULL THEN NULL ELSE [u.code, u.name, r2.post, r2.date] END) AS units\n"
    f"RETURN x.code AS code, x.name AS name,\n"
    f"  size([(x)<-[r1:REPORTED_TO]-(:Person) WHERE {reported_by('r1')} | 1]) AS members, units\n"
    "ORDER BY code",
)
_PART_TIME = scoped_statements(
    "coverage.part_time_committee",
    "街道、社区党组织的在期兼职委员及其来源单位",
    ("Street", "Community"),
    "MATCH (o:PartyOrg)-[:BASED_IN]->(x)\n"
    f"OPTIONAL MATCH (p:Person)-[r:PART_TIME_MEMBER_OF]->(o) WHERE {in_force()}\n"
    "WITH o, x, p, r ORDER BY p.pid, coalesce(r.since, ''), coalesce(r.until, '')\n"
    "WITH o, x, collect(CASE WHEN p IS NULL THEN NULL ELSE [p.pid, p.name, r.source_unit, r.since, "
    "r.until] END) AS members\n"
    "RETURN o.code AS code, o.name AS name, o.kind AS kind, x.code AS base, x.name AS base_name, members\n"
    "ORDER BY code",
)
# Who is checked against the rules: everyone with a CONTACTS in force landing inside the scope; what is
# counted: all of their CONTACTS in force, inside the scope or not (the rule is about the person).
_RULE_COUNTS_TAIL = (
    f"MATCH (p)-[r:CONTACTS]->(t) WHERE {in_force()}\n"
    "WITH p, r, t ORDER BY t.code, coalesce(r.title, '')\n"
    "RETURN p.pid AS pid, p.name AS name, r.category AS category, labels(t)[0] AS level,\n"
    "  collect(DISTINCT t.code) AS targets, collect(DISTINCT r.title) AS titles\n"
    "ORDER BY pid, category, level"
)
_RULE_COUNTS: dict[str, LiteralString] = {
    "all": statement(
        "coverage.contact_counts@all",
        trusted(_RULE_COUNTS_TAIL.replace("MATCH (p)", "MATCH (p:Person)", 1)),
        "每位联系领导在期联系的街道、社区、网格（核对联系点规定）",
        origin=__name__,
    )
}
for _scope in SCOPE_LEVELS[1:]:
    _branches = [
        c[0] + f"<-[r:CONTACTS]-(p:Person) WHERE {in_force()} RETURN p"
        for c in (scope_chain(_scope, lv) for lv in RULE_LEVELS)
        if c is not None
    ]
    _RULE_COUNTS[_scope] = statement(
        f"coverage.contact_counts@{_scope}",
        trusted("CALL {\n  " + "\n  UNION ".join(_branches) + "\n}\nWITH p\n" + _RULE_COUNTS_TAIL),
        "范围内有在期联系点的领导及其全部在期联系点（核对联系点规定）",
        origin=__name__,
    )

named_query(
    "coverage.contact_counts",
    "每位联系领导在期联系的街道、社区、网格（按联系人类别核对联系点规定）",
    _RULE_COUNTS["all"],
    (_AS_OF_P,),
)


# ------------------------------------------------------------------------------------------------ scope
@dataclass(frozen=True)
class Scope:
    """A resolved scope and day, as every function here uses them."""

    ref: NodeRef | None  # None: the whole graph
    as_of: str

    @property
    def level(self) -> str:
        return self.ref.label if self.ref else "all"

    @property
    def code(self) -> str | None:
        return self.ref.key if self.ref else None

    @property
    def params(self) -> dict[str, Any]:
        return {"scope": self.code, "as_of": self.as_of}

    @property
    def title(self) -> str:
        return f"{self.ref.name or self.ref.key}（{display_name(self.ref.label)}）" if self.ref else "全部"


def open_scope(store: Store, scope: str | NodeRef | Scope | None, as_of: str | None = None) -> Scope:
    """Resolve a scope code (ScopeError 404/422) and a day (default today; ScopeError 422 when malformed)."""
    if isinstance(scope, Scope):
        return scope
    day = check_as_of(as_of)
    ref = scope if isinstance(scope, NodeRef) else resolve_scope(store, scope)
    return Scope(ref, day)


def _ratio(covered: int, total: int) -> Ratio:
    """api.md's M; the ratio of an empty set is 0.0 (and total 0 tells it apart from a true zero)."""
    return Ratio(covered=covered, total=total, ratio=covered / total if total else 0.0)


def _nest(flat: Mapping[str, Ratio]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for mid, m in flat.items():
        head, _, sub = mid.partition(".")
        if sub:
            out.setdefault(head, {})[sub] = m
        else:
            out[head] = m
    return out


# ------------------------------------------------------------------------------------------ the measures
def coverage(store: Store, scope: str | Scope | None = None, as_of: str | None = None) -> dict[str, Any]:
    """The coverage measures of graph-model.md in api.md's shape for a scope (None = everything) on a day.

    A measure over a level the scope does not contain (streets inside a community) is 0 of 0.
    """
    sc = open_scope(store, scope, as_of)
    flat: dict[str, Ratio] = {}
    for m in MEASURES:
        q = _MEASURE_Q.get((m.id, sc.level, False))
        total = covered = 0
        if q is not None:
            rows = store.read(q, sc.params).rows
            if rows:
                total, covered = int(rows[0][0] or 0), int(rows[0][1] or 0)
        flat[m.id] = _ratio(covered, total)
    return _nest(flat)


def cached_coverage(store: Store, sc: Scope) -> dict[str, Any]:
    """coverage() of a resolved scope, computed once per version of the data (`orggraph.queries.cache`) and
    shared by the overview, the gap page and the uncovered lists (a city's measures take seconds). Read-only.
    Not kept on a store without a data_version (Neo4j): a list's total must agree with its freshly read
    pages."""
    from orggraph.queries.cache import cached

    return cached(
        store, ("coverage", sc.code, sc.as_of), lambda: coverage(store, sc), versioned_only=True
    ).value


def measure_counts(result: Mapping[str, Any], measure_id: str) -> tuple[int, int]:
    """(total, covered) of one measure (`contact_points.Grid` …) in coverage()'s nested answer."""
    cur: Any = result
    for part in measure_id.split("."):
        cur = cur[part]
    return int(cur["total"]), int(cur["covered"])


def coverage_breakdown(
    store: Store, scope: str | Scope | None = None, as_of: str | None = None
) -> list[dict[str, Any]]:
    """The same measures for each region one level down (whole graph → districts … community → grids).

    Rows: {"label", "code", "name", "coverage": <coverage() shape>}, by code. People are counted per child, so
    a worker serving grids of two streets counts in both (the children's fulltime totals may exceed the
    scope's).
    """
    sc = open_scope(store, scope, as_of)
    kids = region_children(store, sc)
    flat: dict[str, dict[str, Ratio]] = {k["code"]: {} for k in kids}
    for m in MEASURES:
        got: dict[str, tuple[int, int]] = {}
        q = _MEASURE_Q.get((m.id, sc.level, True))
        if q is not None:
            for key, total, covered in store.read(q, sc.params).rows:
                got[key] = (int(total or 0), int(covered or 0))
        for code, measures in flat.items():
            total, covered = got.get(code, (0, 0))
            measures[m.id] = _ratio(covered, total)
    return [{**k, "coverage": _nest(flat[k["code"]])} for k in kids]


def region_children(store: Store, scope: str | NodeRef | Scope | None = None) -> list[RegionChild]:
    """The regions one level down that coverage_breakdown rows are about: {"label", "code", "name"}, by code.

    One indexed read, for callers that decide from the children which breakdown to compute.
    """
    sc = open_scope(store, scope)
    child = CHILD_LEVEL[sc.level]
    return [
        RegionChild(label=child, code=code, name=name)
        for code, name in store.read(_CHILDREN[sc.level], sc.params).rows
    ]


# ---------------------------------------------------------------------------------------------- the rules
class RulesError(ValueError):
    """The contact rule file named by ORGGRAPH_CONTACT_RULES cannot be used; message in Chinese."""

    status = 500


_LEVEL_NAMES = {
    "Street": "Street",
    "Community": "Community",
    "Grid": "Grid",
    "街道": "Street",
    "社区": "Community",
    "网格": "Grid",
}


def load_rules(
    path: str | Path, base: Mapping[str, Mapping[str, int | None]] = DEFAULT_RULES
) -> dict[str, dict[str, int | None]]:
    """`base` overridden by a JSON file: {category: {"Street"|"街道": n|null, …} | null}.

    A category given replaces its rule (levels it leaves out are not checked); null removes the rule.
    """
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8-sig"))
    except OSError as e:
        raise RulesError(
            f"读不到联系点规则文件 {p}（环境变量 {RULES_ENV}）：{e.strerror}。请改正路径或删除该变量。"
        ) from None
    except json.JSONDecodeError as e:
        raise RulesError(f"联系点规则文件 {p} 不是有效的 JSON（第 {e.lineno} 行）：请改正。") from None
    if not isinstance(data, dict):
        raise RulesError(
            f'联系点规则文件 {p} 应是一个对象：{{"联系人类别": {{"街道": 1, "社区": 1, "网格": 1}}}}'
        )
    rules = {c: dict(r) for c, r in base.items()}
    for category, rule in data.items():
        if category not in CONTACT_CATEGORIES:
            raise RulesError(
                f"联系点规则文件 {p} 中的类别「{category}」不存在，应为：{'、'.join(CONTACT_CATEGORIES)}"
            )
        if rule is None:
            rules.pop(category, None)
            continue
        if not isinstance(rule, dict):
            raise RulesError(
                f'联系点规则文件 {p} 中「{category}」的规则应是对象，例如 {{"社区": 1, "网格": 1}}'
            )
        parsed: dict[str, int | None] = {}
        for level, n in rule.items():
            if level not in _LEVEL_NAMES:
                raise RulesError(
                    f"联系点规则文件 {p} 中「{category}」的层级「{level}」不对，应为 街道、社区 或 网格"
                )
            if n is not None and (not isinstance(n, int) or isinstance(n, bool) or n < 0):
                raise RulesError(
                    f"联系点规则文件 {p} 中「{category}」的「{level}」应为非负整数或 null，实为 {n!r}"
                )
            parsed[_LEVEL_NAMES[level]] = n
        rules[category] = parsed
    return rules


def active_rules() -> dict[str, dict[str, int | None]]:
    """DEFAULT_RULES, overridden by the file ORGGRAPH_CONTACT_RULES names (read on each call: no restart
    needed)."""
    path = os.environ.get(RULES_ENV)
    return load_rules(path) if path else {c: dict(r) for c, r in DEFAULT_RULES.items()}


def rule_text(category: str, rule: Mapping[str, int | None]) -> str:
    """「区委区政府班子：应联系 1 个街道、1 个社区、1 个网格」, 「部务会成员：应联系 1 个社区、2
    个网格；不联系街道」"""
    levels = [(lv, n) for lv in RULE_LEVELS if (n := rule.get(lv)) is not None]
    must = "、".join(f"{n} 个{display_name(lv)}" for lv, n in levels if n)
    never = "、".join(display_name(lv) for lv, n in levels if n == 0)
    if not levels:
        return f"{category}：无规定"
    parts = ([f"应联系 {must}"] if must else []) + ([f"不联系{never}"] if never else [])
    return f"{category}：" + "；".join(parts)


def contact_rule_violations(
    store: Store,
    scope: str | Scope | None = None,
    as_of: str | None = None,
    rules: Mapping[str, Mapping[str, int | None]] | None = None,
) -> list[dict[str, Any]]:
    """People whose CONTACTS in force break the rule for their category (ledgers.md 联系点), by pid.

    Checked: everyone with a CONTACTS in force landing in the scope; counted: the distinct streets,
    communities and grids they contact in force anywhere. People with no CONTACTS in force are not contact
    points that day and are not checked. A person listed under two categories is checked per category. `rules`
    defaults to `active_rules()` (DEFAULT_RULES, or the JSON file named by ORGGRAPH_CONTACT_RULES).
    """
    sc = open_scope(store, scope, as_of)
    table = active_rules() if rules is None else rules
    people: dict[tuple[str, str], dict[str, Any]] = {}
    for pid, name, category, level, targets, titles in store.read(_RULE_COUNTS[sc.level], sc.params).rows:
        p = people.setdefault(
            (pid, category),
            {
                "pid": pid,
                "name": name,
                "category": category,
                "titles": set(),
                "targets": {lv: [] for lv in RULE_LEVELS},
            },
        )
        if level in p["targets"]:
            p["targets"][level] = sorted(set(p["targets"][level]) | set(targets or []))
        p["titles"].update(t for t in titles or [] if t)
    out = []
    for (pid, category), p in sorted(people.items()):
        rule = table.get(category)
        if not rule:
            continue
        counts = {lv: len(p["targets"][lv]) for lv in RULE_LEVELS}
        broken = [
            {"level": lv, "required": n, "actual": counts[lv]}
            for lv in RULE_LEVELS
            if (n := rule.get(lv)) is not None and counts[lv] != n
        ]
        if not broken:
            continue
        actual = "、".join(f"{counts[lv]} 个{display_name(lv)}" for lv in RULE_LEVELS)
        out.append(
            {
                "pid": pid,
                "name": p["name"],
                "category": category,
                "titles": sorted(p["titles"]),
                "counts": counts,
                "targets": p["targets"],
                "required": {lv: rule.get(lv) for lv in RULE_LEVELS},
                "broken": broken,
                "rule": f"{rule_text(category, rule)}；实际联系 {actual}",
            }
        )
    return out


# --------------------------------------------------------------------------------------- the other lists
def sole_contacts(
    store: Store, scope: str | Scope | None = None, as_of: str | None = None
) -> list[SoleContact]:
    """People who are the only person with a SERVES or CONTACTS in force on some grid of the scope.

    Rows {"pid", "name", "grids": [codes]}, by pid. Only edges on the grid itself count (a 楼栋长 of one of
    its buildings or a leader contacting its community does not make the grid less dependent on that person).
    """
    sc = open_scope(store, scope, as_of)
    rows = store.read(_SOLE[sc.level], sc.params).rows
    return [SoleContact(pid=pid, name=name, grids=sorted(grids)) for pid, name, grids in rows]


def grid_worker_load(
    store: Store, scope: str | Scope | None = None, as_of: str | None = None
) -> list[GridLoad]:
    """Per grid: households, full-time workers in force, households per worker, overloaded (> 300).

    Households are the grid ledger's 户数 when given, else the households the graph holds under the grid
    (`households_source` says which). A grid with no full-time worker has load None and is not "overloaded":
    it is listed in grids_without_fulltime instead.
    """
    sc = open_scope(store, scope, as_of)
    out: list[GridLoad] = []
    for code, name, kind, households, counted, workers, community, community_name in store.read(
        _GRID_LOAD[sc.level], sc.params
    ).rows:
        uniq = sorted(dict(workers or []).items())
        hh = int(households) if households is not None else int(counted or 0)
        load = hh / len(uniq) if uniq else None
        out.append(
            GridLoad(
                code=code,
                name=name,
                kind=kind,
                community=community,
                community_name=community_name,
                households=hh,
                households_source="ledger" if households is not None else "counted",
                fulltime=len(uniq),
                workers=[PersonRef(pid=pid, name=nm) for pid, nm in uniq],
                load=load,
                overloaded=load is not None and load > OVERLOAD_HOUSEHOLDS,
            )
        )
    return out


def dual_reporting_tally(
    store: Store, scope: str | Scope | None = None, as_of: str | None = None
) -> list[DualReporting]:
    """Per community: party members and units that have reported to it (双报到) by the day, by code."""
    sc = open_scope(store, scope, as_of)
    out: list[DualReporting] = []
    for code, name, members, units in store.read(_DUAL[sc.level], sc.params).rows:
        ulist = sorted(
            (ReportedUnit(code=u, name=n, post=post, date=d) for u, n, post, d in units or []),
            key=lambda u: u["code"],
        )
        out.append(
            DualReporting(code=code, name=name, members=int(members or 0), units=len(ulist), unit_list=ulist)
        )
    return out


def part_time_committee(
    store: Store, scope: str | Scope | None = None, as_of: str | None = None
) -> list[PartTimeCommittee]:
    """Per street or community party organization of the scope: part-time members in force and their source
    units."""
    sc = open_scope(store, scope, as_of)
    rows = store.read(_PART_TIME[sc.level], sc.params).rows
    unit_codes = sorted({m[2] for r in rows for m in r[5] or [] if m[2]})
    unit_names = names(store, "Unit", unit_codes)
    out: list[PartTimeCommittee] = []
    for code, name, kind, base, base_name, members in rows:
        mlist = sorted(
            (
                PartTimeMember(
                    pid=pid,
                    name=nm,
                    source_unit=u,
                    source_unit_name=unit_names.get(u) if u else None,
                    since=s,
                    until=t,
                )
                for pid, nm, u, s, t in members or []
            ),
            key=lambda m: (m["pid"], m["since"] or ""),
        )
        units = sorted({m["source_unit"] for m in mlist if m["source_unit"]})
        out.append(
            PartTimeCommittee(
                code=code,
                name=name,
                kind=kind,
                base=base,
                base_name=base_name,
                members=len({m["pid"] for m in mlist}),
                member_list=mlist,
                source_units=[SourceUnit(code=u, name=unit_names.get(u)) for u in units],
            )
        )
    return out


GAP_LISTS = (
    "communities_without_cobuilding",
    "grids_without_fulltime",
    "overloaded_grids",
    "contact_rule_violations",
    "sole_contacts",
    "grids_without_direct_contact",
)


def gap_details(
    store: Store, scope: str | Scope | None = None, as_of: str | None = None
) -> dict[str, Sequence[Mapping[str, Any]]]:
    """The gap lists of gaps() with what a report shows about each entry, in the same order as GAP_LISTS.

    Regions: {"code", "name", "parent", "parent_name"} (grids from grid_worker_load, with their load); people:
    the rows of contact_rule_violations (one per person and category) and sole_contacts.
    """
    sc = open_scope(store, scope, as_of)
    load = grid_worker_load(store, sc)

    def regions(q: dict[str, LiteralString]) -> list[dict[str, Any]]:
        return store.read(q[sc.level], sc.params).records()

    return {
        "communities_without_cobuilding": regions(_WITHOUT_COBUILDING),
        "grids_without_fulltime": [g for g in load if g["fulltime"] == 0],
        "overloaded_grids": [g for g in load if g["overloaded"]],
        "contact_rule_violations": contact_rule_violations(store, sc),
        "sole_contacts": sole_contacts(store, sc),
        "grids_without_direct_contact": regions(_WITHOUT_DIRECT),
    }


def gaps_of(details: Mapping[str, Sequence[Mapping[str, Any]]]) -> dict[str, list[str]]:
    """api.md's /api/gaps lists from gap_details: sorted, distinct codes and pids."""
    return {k: sorted({row.get("pid") or row["code"] for row in details[k]}) for k in GAP_LISTS}


def gaps(store: Store, scope: str | Scope | None = None, as_of: str | None = None) -> dict[str, list[str]]:
    """api.md /api/gaps: six sorted lists of codes (regions) and pids (people)."""
    return gaps_of(gap_details(store, scope, as_of))
