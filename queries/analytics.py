"""networkx analytics over a bounded pull of the contact network: whom the households' tie to the Party hangs
on, how evenly full-time grid workers are loaded, and which units bridge communities.

Each function reads one scope (a district, street or community; the whole graph only while it is small: a
scope of more than MAX_HOUSEHOLDS households is refused) with a handful of aggregated queries, and returns a
plain dict.
"""

from __future__ import annotations

import itertools
import statistics
from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from typing import Any, LiteralString, TypedDict

import networkx as nx
from orggraph.graph.cypher import statement, trusted
from orggraph.graph.schema import NODES, RELS
from orggraph.graph.store import Store
from orggraph.queries.contacts import ancestors
from orggraph.queries.coverage import (
    OVERLOAD_HOUSEHOLDS,
    Scope,
    grid_worker_load,
    open_scope,
    scoped_statements,
)
from orggraph.queries.scope import ScopeError
from orggraph.queries.terms import REGION_LEVELS, any_in_force, in_force

__all__ = [
    "LIST_CAP",
    "LOAD_BUCKETS",
    "MAX_HOUSEHOLDS",
    "analyze",
    "community_bridges",
    "critical_people",
    "fulltime_load_balance",
    "gini",
]

MAX_HOUSEHOLDS = 200_000  # about a large district; a city must be analysed district by district
LIST_CAP = 200
LOAD_BUCKETS = (100, 200, 300)  # households per full-time worker: ≤100, ≤200, ≤300, >300 (overloaded)
_CHUNK = 20_000

_HOUSEHOLDS = scoped_statements(
    "analytics.households",
    "范围内的户数（网络分析前检查规模）",
    ("Household",),
    "RETURN count(x) AS households",
    catalog=False,
)
_DISTRICTS = statement(
    "analytics.districts",
    "MATCH (d:District) RETURN d.code AS code ORDER BY code",
    "全部区县",
    origin=__name__,
)
_CHILDREN: dict[str, LiteralString] = {
    REGION_LEVELS[i]: statement(
        f"analytics.children.{REGION_LEVELS[i]}",
        trusted(
            f"UNWIND $codes AS code MATCH (:{REGION_LEVELS[i]} {{code: code}})<-[:PART_OF]-(x:"
            f"{REGION_LEVELS[i + 1]})\n"
            "RETURN code, x.code AS child"
        ),
        f"一批{NODES[REGION_LEVELS[i]].zh}的下级{NODES[REGION_LEVELS[i + 1]].zh}",
        origin=__name__,
    )
    for i in range(len(REGION_LEVELS) - 1)
}


def _linkers_text(label: str) -> str:
    """People with a contact edge in force landing on each node of `label` in $codes (and organization
    leaders)."""
    types = [t for t in ("CONTACTS", "SERVES", "LINKS_HOUSEHOLD", "REPORTED_TO") if label in RELS[t].end]
    head = f"UNWIND $codes AS code MATCH (:{label} {{code: code}})<-[r:{'|'.join(types)}]-(p:Person)"
    parts = [f"{head} WHERE {any_in_force()}\nRETURN code, p.pid AS pid, p.name AS name, type(r) AS rel"]
    if label in RELS["BASED_IN"].end:
        parts.append(
            f"UNWIND $codes AS code MATCH (:{label} {{code: code}})<-[:BASED_IN]-(:PartyOrg)"
            f"<-[r:SECRETARY_OF|PART_TIME_MEMBER_OF]-(p:Person) WHERE {in_force()}\n"
            "RETURN code, p.pid AS pid, p.name AS name, type(r) AS rel"
        )
    return "\nUNION ALL\n".join(parts)


_LINKERS: dict[str, LiteralString] = {
    label: statement(
        f"analytics.linkers.{label}",
        trusted(_linkers_text(label)),
        f"在期直接联系一批{NODES[label].zh}的人员（联系点、网格力量、联户、双报到、所在党组织书记和兼职委员）",
        origin=__name__,
    )
    for label in REGION_LEVELS[1:]
}
# Distinct relationship variables per pattern comprehension (see coverage._DUAL on FalkorDB).
_PARTY_LINKED = statement(
    "analytics.party_linked",
    "UNWIND $pids AS k MATCH (p:Person {pid: k})\n"
    "RETURN k AS pid, size([(p)-[:MEMBER_OF]->(:PartyOrg) | 1]) + size([(p)-[:SECRETARY_OF]->(:"
    "PartyOrg) | 1])\n"
    f"  + size([(p)-[r:PART_TIME_MEMBER_OF]->(:PartyOrg) WHERE {in_force()} | 1]) > 0 AS linked",
    "一批人员是否在党组织中（党员、书记或在期兼职委员）",
    origin=__name__,
)
_UNIT_LINKS = scoped_statements(
    "analytics.unit_links",
    "范围内各社区在期的共建、报到单位（社区之间经单位相连）",
    ("Community",),
    f"OPTIONAL MATCH (x)<-[r:CO_BUILDS|REPORTED_TO]-(u:Unit) WHERE {any_in_force()}\n"
    "RETURN x.code AS community, x.name AS name, u.code AS unit, u.name AS unit_name, type(r) AS rel",
    catalog=False,
)


def _chunks(items: Sequence[str]) -> Iterable[list[str]]:
    for i in range(0, len(items), _CHUNK):
        yield list(items[i : i + _CHUNK])


def _bounded(
    store: Store, scope: str | Scope | None, as_of: str | None, max_households: int
) -> tuple[Scope, int]:
    sc = open_scope(store, scope, as_of)
    n = int(store.read(_HOUSEHOLDS[sc.level], sc.params).rows[0][0] or 0)
    if n > max_households:
        raise ScopeError(
            f"{sc.title}有 {n:,} 户，超过网络分析一次能处理的 {max_households:,} 户：请按区县或街道分别分析",
            422,
        )
    return sc, n


def gini(values: Iterable[float]) -> float:
    """Gini coefficient of non-negative values: 0 all equal, towards 1 all on one; 0.0 for none or all zero.

    >>> gini([1, 1, 1])
    0.0
    >>> round(gini([0, 0, 0, 4]), 2)
    0.75
    """
    xs = sorted(float(v) for v in values)
    n, total = len(xs), sum(xs)
    if n == 0 or total == 0:
        return 0.0
    # Σ_i Σ_j |x_i − x_j| / (2 n² μ), computed on the sorted values in O(n).
    weighted = sum((2 * i - n + 1) * x for i, x in enumerate(xs))
    return weighted / (n * total)


# ------------------------------------------------------------------------------------- critical people
class CriticalPerson(TypedDict):
    """A party member who alone links some households to the party (`critical_people`)."""

    pid: str
    name: str | None
    households: int  # how many households only this person links
    household_list: list[str]  # their codes, the first `cap`
    through: list[str]  # the regions above the households where this person's edges land


def critical_people(
    store: Store,
    scope: str | None,
    as_of: str | None = None,
    *,
    max_households: int = MAX_HOUSEHOLDS,
    cap: int = LIST_CAP,
) -> dict[str, Any]:
    """People whose loss would cut some households off from every party organization.

    Definition. On a day, household h is *linked to the Party through* person P when P has a contact edge in
    force on h or on an ancestor of h (联户, 网格力量, 联系点, 双报到, or as secretary / part-time member of a
    party organization BASED_IN it) and P belongs to a party organization (member, secretary, or part-time
    member in force). P is *critical* for h when P is the only such person. In the graph households — people —
    party organizations (households tied to the people who contact them, people to their organizations,
    organizations to one another), these are exactly the people who are articulation points separating a
    household from every organization. Co-building units are not people and do not count.

    Returns {"scope", "as_of", "households", "linked", "unlinked", "unlinked_list", "critical": [{"pid",
    "name", "households", "household_list", "through": [codes where their edges land]}]}, most households
    first; lists are cut at `cap` (counts are exact).
    """
    sc, total = _bounded(store, scope, as_of, max_households)
    tree = nx.DiGraph()  # parent → child over the regions in scope, under a virtual root
    level_of: dict[str, str] = {}
    if sc.ref is None:
        tops = [r[0] for r in store.read(_DISTRICTS).rows]
        top_level = "District"
        above: list[tuple[str, str, str | None]] = []
    else:
        tops, top_level = [sc.ref.key], sc.ref.label
        above = ancestors(store, sc.ref.label, [sc.ref.key])[sc.ref.key][1:]
    root: Hashable = ("root",)
    prev: Hashable = root
    for label, code, _ in reversed(above):  # contacts landing above the scope reach into it too
        tree.add_edge(prev, code)
        level_of[code] = label
        prev = code
    for code in tops:
        tree.add_edge(prev, code)
        level_of[code] = top_level
    frontier, i = tops, REGION_LEVELS.index(top_level)
    while frontier and i + 1 < len(REGION_LEVELS):
        nxt = []
        for chunk in _chunks(frontier):
            for parent, child in store.read(_CHILDREN[REGION_LEVELS[i]], {"codes": chunk}).rows:
                tree.add_edge(parent, child)
                level_of[child] = REGION_LEVELS[i + 1]
                nxt.append(child)
        frontier, i = nxt, i + 1

    by_level: dict[str, list[str]] = defaultdict(list)
    for code, label in level_of.items():
        by_level[label].append(code)
    linkers: dict[str, set[str]] = defaultdict(set)
    names: dict[str, str | None] = {}
    for label, codes in by_level.items():
        if label not in _LINKERS:
            continue
        for chunk in _chunks(sorted(codes)):
            for code, p, name, _rel in store.read(_LINKERS[label], {"codes": chunk, "as_of": sc.as_of}).rows:
                linkers[code].add(p)
                names[p] = name
    party: set[str] = set()
    for chunk in _chunks(sorted(names)):
        party.update(p for p, ok in store.read(_PARTY_LINKED, {"pids": chunk, "as_of": sc.as_of}).rows if ok)

    # Top down, each node's party-linked people so far; two are as good as many, so sets stop growing at 2.
    reach: dict[Any, frozenset[str]] = {root: frozenset()}
    critical: dict[str, list[str]] = defaultdict(list)
    through: dict[str, set[str]] = defaultdict(set)
    unlinked: list[str] = []
    linked = 0
    for parent, child in nx.bfs_edges(tree, root):
        s = set(reach[parent])
        for p in sorted(linkers.get(child, ())):
            if len(s) >= 2:
                break
            if p in party:
                s.add(p)
        reach[child] = frozenset(s)
        if level_of.get(child) != "Household":
            continue
        if not s:
            unlinked.append(child)
            continue
        linked += 1
        if len(s) == 1:
            (p,) = s
            critical[p].append(child)
    for p, households in critical.items():  # where the person's edges land above the households cut off
        for h in households:
            node: Any = h  # a code, then up to the root tuple
            while node != root:
                if p in linkers.get(node, ()):
                    through[p].add(node)
                node = next(iter(tree.predecessors(node)))
    rows = [
        CriticalPerson(
            pid=p,
            name=names.get(p),
            households=len(hh),
            household_list=sorted(hh)[:cap],
            through=sorted(through[p]),
        )
        for p, hh in critical.items()
    ]
    rows.sort(key=lambda r: (-r["households"], r["pid"]))
    return {
        "scope": sc.code,
        "as_of": sc.as_of,
        "households": total,
        "linked": linked,
        "unlinked": len(unlinked),
        "unlinked_list": sorted(unlinked)[:cap],
        "critical": rows,
    }


# ------------------------------------------------------------------------------------------ load balance
def fulltime_load_balance(
    store: Store, scope: str | None, as_of: str | None = None, *, top: int = 20
) -> dict[str, Any]:
    """How evenly households are spread over full-time grid workers (专职网格员) in force.

    A worker's load is the sum, over the grids they serve full-time, of the grid's households divided by its
    full-time workers. Returns counts, mean / median / min / max / 90th percentile, the Gini coefficient, a
    histogram over LOAD_BUCKETS, the `top` most loaded workers, and the overloaded workers (> 300).
    """
    sc = open_scope(store, scope, as_of)
    grids = grid_worker_load(store, sc)
    loads: dict[str, float] = defaultdict(float)
    worker_grids: dict[str, list[str]] = defaultdict(list)
    names: dict[str, str | None] = {}
    for g in grids:
        for w in g["workers"]:
            loads[w["pid"]] += g["households"] / g["fulltime"]
            worker_grids[w["pid"]].append(g["code"])
            names[w["pid"]] = w["name"]
    xs = sorted(loads.values())
    edges = (0, *LOAD_BUCKETS)
    hist = [
        {
            "range": f"{lo}–{hi}",
            "min": lo,
            "max": hi,
            "workers": sum(1 for x in xs if (lo < x <= hi) or (lo == 0 and x == 0)),
        }
        for lo, hi in itertools.pairwise(edges)
    ]
    hist.append(
        {
            "range": f">{LOAD_BUCKETS[-1]}",
            "min": LOAD_BUCKETS[-1],
            "max": None,
            "workers": sum(1 for x in xs if x > LOAD_BUCKETS[-1]),
        }
    )
    ranked = sorted(loads.items(), key=lambda kv: (-kv[1], kv[0]))

    def worker(p: str, load: float) -> dict[str, Any]:
        return {"pid": p, "name": names[p], "load": load, "grids": sorted(worker_grids[p])}

    return {
        "scope": sc.code,
        "as_of": sc.as_of,
        "workers": len(xs),
        "grids": len(grids),
        "grids_without_fulltime": sum(1 for g in grids if g["fulltime"] == 0),
        "households_served": sum(g["households"] for g in grids if g["fulltime"]),
        "mean": statistics.fmean(xs) if xs else None,
        "median": statistics.median(xs) if xs else None,
        "min": xs[0] if xs else None,
        "max": xs[-1] if xs else None,
        "p90": xs[min(len(xs) - 1, int(0.9 * len(xs)))] if xs else None,
        "gini": gini(xs),
        "histogram": hist,
        "top": [worker(p, v) for p, v in ranked[:top]],
        "overloaded": [worker(p, v) for p, v in ranked if v > OVERLOAD_HOUSEHOLDS],
    }


# ------------------------------------------------------------------------------------------------ bridges
def community_bridges(store: Store, scope: str | None, as_of: str | None = None) -> dict[str, Any]:
    """Communities linked through shared units: a unit co-building with or reported to two communities joins
    them.

    Over the bipartite graph units — communities of the scope (CO_BUILDS in force, unit REPORTED_TO by the
    day): "pairs" of communities with the units they share, "bridging_units" (units joining two or more
    communities), "groups" (connected sets of two or more communities), "isolated" communities (no unit at
    all), and "cut_units": units whose loss would split a group (articulation points of the bipartite graph).
    """
    sc = open_scope(store, scope, as_of)
    g = nx.Graph()
    cname: dict[str, str | None] = {}
    uname: dict[str, str | None] = {}
    for comm, name, unit, unit_name, _rel in store.read(_UNIT_LINKS[sc.level], sc.params).rows:
        cname[comm] = name
        g.add_node(("C", comm))
        if unit is not None:
            uname[unit] = unit_name
            g.add_edge(("U", unit), ("C", comm))
    units_of: dict[tuple[str, str], list[str]] = defaultdict(list)
    bridging = []
    for u in sorted(uname):
        comms = sorted(c for _, c in g.neighbors(("U", u)))
        if len(comms) >= 2:
            bridging.append({"code": u, "name": uname[u], "communities": comms})
            for a, b in itertools.combinations(comms, 2):
                units_of[(a, b)].append(u)
    groups = []
    for comp in nx.connected_components(g):
        comms = sorted(c for kind, c in comp if kind == "C")
        if len(comms) >= 2:
            groups.append({"communities": comms, "units": sorted(c for kind, c in comp if kind == "U")})
    groups.sort(key=lambda x: (-len(x["communities"]), x["communities"]))
    cut = sorted(c for kind, c in nx.articulation_points(g) if kind == "U")
    return {
        "scope": sc.code,
        "as_of": sc.as_of,
        "communities": len(cname),
        "pairs": [
            {
                "communities": [a, b],
                "names": [cname[a], cname[b]],
                "units": [{"code": u, "name": uname[u]} for u in us],
            }
            for (a, b), us in sorted(units_of.items())
        ],
        "bridging_units": sorted(bridging, key=lambda x: (-len(x["communities"]), x["code"])),
        "groups": groups,
        "isolated": sorted(c for c in cname if g.degree(("C", c)) == 0),
        "cut_units": [{"code": u, "name": uname[u]} for u in cut],
    }


def analyze(
    store: Store, scope: str | None, as_of: str | None = None, *, max_households: int = MAX_HOUSEHOLDS
) -> dict[str, Any]:
    """All three analyses of one scope: {"critical_people", "fulltime_load", "community_bridges"}."""
    sc, _ = _bounded(store, scope, as_of, max_households)
    return {
        "critical_people": critical_people(store, sc.code, sc.as_of, max_households=max_households),
        "fulltime_load": fulltime_load_balance(store, sc.code, sc.as_of),
        "community_bridges": community_bridges(store, sc.code, sc.as_of),
    }
