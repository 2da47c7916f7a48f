"""Who contacts whom (graph-model.md): the contacts of any node, the reach of a person or unit, the contact
path between two nodes.

Contact edges are CONTACTS, SERVES, LINKS_HOUSEHOLD, REPORTED_TO and CO_BUILDS, plus the organizational ones:
the secretary and the part-time members of a party organization contact what it is BASED_IN. Coverage flows
down PART_OF, so the contacts of a node are those landing on it (direct) or on one of its ancestors
(inherited, with `via` the codes from the node up to where the edge lands). Every answer is bounded: per group
of contacts at most CONTACT_CAP are listed (with the full count), lists of covered nodes only when small.

Length (about 690 lines): the three questions share the in-force fragments and the contact edges; each has its
own section.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable
from typing import Any, LiteralString

from orggraph.graph.cypher import statement
from orggraph.graph.schema import NODES, PATH_RELS, RELS, display_name
from orggraph.graph.store import Store
from orggraph.queries.catalog import Param, named_query
from orggraph.queries.scope import NodeRef, ScopeError, check_as_of, resolve_key
from orggraph.queries.terms import REGION_LEVELS, any_in_force, in_force, reported_by

__all__ = [
    "CONTACT_CAP",
    "LIST_CAP",
    "MAX_PATH_LEN",
    "PATH_RELS",
    "ROLE_NAMES",
    "ancestors",
    "contact_path",
    "contacts_of",
    "reach",
]

CONTACT_CAP = 100  # contacts listed per (landing node, relationship, role); the rest are counted
LIST_CAP = 200  # reach lists covered grids/buildings/households/residents only up to this many
MAX_PATH_LEN = 12
EXPAND_ROWS = 50_000  # neighbour rows one BFS step may read; beyond, the search is no longer exhaustive
# Seconds one search may take: two nodes with no short path between them in a city of 1M (a leader and a
# grid of another street) made the search expand every level to the end, 17-30 s on the shared 2-core
# machine (the last levels are thousands of nodes of every kind). Past this it stops before the next level,
# not exhaustive, and the page says so. Small graphs never reach it, so answers stay the same on every
# store.
SEARCH_SECONDS = 1.5
FRONTIER_CAP = 20_000  # nodes one BFS side may hold at its edge

# Chinese role of a contact edge (SERVES and CONTACTS add their own role / category).
ROLE_NAMES = {
    "CONTACTS": "联系点",
    "LINKS_HOUSEHOLD": "联户",
    "REPORTED_TO": "双报到",
    "CO_BUILDS": "联建共建",
    "SECRETARY_OF": "党组织书记",
    "PART_TIME_MEMBER_OF": "兼职委员",
}
_ROLE_ORDER = (
    "CONTACTS",
    "SECRETARY_OF",
    "PART_TIME_MEMBER_OF",
    "SERVES",
    "LINKS_HOUSEHOLD",
    "CO_BUILDS",
    "REPORTED_TO",
)


def _role(rel: str, sub: str | None) -> str:
    if rel == "SERVES":
        return sub or "网格力量"
    if rel == "CONTACTS":
        return f"联系点:{sub}" if sub else "联系点"
    return ROLE_NAMES[rel]


def _per_label(prefix: str, labels: Iterable[str], text: Any, purpose: Any) -> dict[str, LiteralString]:
    """Register one generated statement per label (`prefix.Label`); text and purpose are functions of the
    label."""
    return {
        label: statement(
            f"{prefix}.{label}", text(label), purpose(label), origin=__name__
        )  # label from the schema
        for label in labels
    }


# ------------------------------------------------------------------------------------- landing queries
def _landing_branches(label: str) -> list[str]:
    """UNION ALL branches returning (rel, sub, kind, key, name, note) for contact edges landing on one
    node."""
    n = f"(n:{label} {{code: $key}})"
    out = []

    def ends(t: str) -> bool:
        return label in RELS[t].end

    if ends("CONTACTS"):
        out.append(
            f"MATCH {n}<-[r:CONTACTS]-(p:Person) WHERE {in_force()} "
            "RETURN 'CONTACTS' AS rel, r.category AS sub, 'person' AS kind, p.pid AS key, p.name AS "
            "name, r.title AS note"
        )
    if ends("SERVES"):
        out.append(
            f"MATCH {n}<-[r:SERVES]-(p:Person) WHERE {in_force()} "
            "RETURN 'SERVES' AS rel, r.role AS sub, 'person' AS kind, p.pid AS key, p.name AS name, "
            "null AS note"
        )
    if ends("LINKS_HOUSEHOLD"):
        out.append(
            f"MATCH {n}<-[r:LINKS_HOUSEHOLD]-(p:Person) WHERE {in_force()} "
            "RETURN 'LINKS_HOUSEHOLD' AS rel, null AS sub, 'person' AS kind, p.pid AS key, p.name "
            "AS name, null AS note"
        )
    if ends("CO_BUILDS"):
        out.append(
            f"MATCH {n}<-[r:CO_BUILDS]-(u:Unit) WHERE {in_force()} "
            "RETURN 'CO_BUILDS' AS rel, null AS sub, 'unit' AS kind, u.code AS key, u.name AS name, "
            "r.project AS note"
        )
    if ends("REPORTED_TO"):
        out.append(
            f"MATCH {n}<-[r:REPORTED_TO]-(p:Person) WHERE {reported_by()} "
            "RETURN 'REPORTED_TO' AS rel, 'person' AS sub, 'person' AS kind, p.pid AS key, p.name "
            "AS name, r.post AS note"
        )
        out.append(
            f"MATCH {n}<-[r:REPORTED_TO]-(u:Unit) WHERE {reported_by()} "
            "RETURN 'REPORTED_TO' AS rel, 'unit' AS sub, 'unit' AS kind, u.code AS key, u.name AS "
            "name, r.post AS note"
        )
    if label == "PartyOrg":
        org = "(o:PartyOrg {code: $key})"
    elif ends("BASED_IN"):
        org = f"{n}<-[:BASED_IN]-(o:PartyOrg)"
    else:
        return out
    out.append(
        f"MATCH {org}<-[:SECRETARY_OF]-(p:Person) "
        "RETURN 'SECRETARY_OF' AS rel, o.code AS sub, 'person' AS kind, p.pid AS key, p.name AS "
        "name, o.name AS note"
    )
    out.append(
        f"MATCH {org}<-[r:PART_TIME_MEMBER_OF]-(p:Person) WHERE {in_force()} "
        "RETURN 'PART_TIME_MEMBER_OF' AS rel, o.code AS sub, 'person' AS kind, p.pid AS key, p.name "
        "AS name, o.name AS note"
    )
    return out


_LANDING = _per_label(
    "contacts.at",
    ("Street", "Community", "Grid", "Building", "Household", "Unit", "PartyOrg"),
    # WITH right after CALL: see coverage._head (FalkorDB binds CALL outputs late).
    lambda label: (
        "CALL {\n  " + "\n  UNION ALL ".join(_landing_branches(label)) + "\n}\n"
        "WITH rel, sub, kind, key, name, note ORDER BY key, coalesce(note, '')\n"
        "RETURN rel, sub, kind, count(*) AS total, collect([key, name, note])[0..$cap] AS items"
    ),
    lambda label: f"在期落在一个{NODES[label].zh}上的联系关系（按关系和角色分组，每组最多列出 $cap 个）",
)
_ANCESTORS = _per_label(
    "contacts.ancestors",
    REGION_LEVELS,
    lambda label: (
        f"UNWIND $codes AS code MATCH p = (:{label} {{code: code}})-[:PART_OF*0..5]->(a)\n"
        "RETURN code, length(p) AS depth, labels(a)[0] AS label, a.code AS acode, a.name AS name "
        "ORDER BY code, depth"
    ),
    lambda label: f"{NODES[label].zh}及其上级区域（由近及远）",
)
_HOME = statement(
    "contacts.home",
    "MATCH (:Person {pid: $key})-[:LIVES_IN]->(h:Household) RETURN h.code AS code LIMIT 1",
    "人员居住的户",
    origin=__name__,
)
_ORG_BASE = statement(
    "contacts.org_base",
    "MATCH (:PartyOrg {code: $key})-[:BASED_IN]->(b) RETURN labels(b)[0] AS label, b.code AS code, "
    "b.name AS name LIMIT 1",
    "党组织的依托对象",
    origin=__name__,
)
_UNIT_STREET = statement(
    "contacts.unit_street",
    "MATCH (u:Unit {code: $key}) MATCH (s:Street {code: u.street}) RETURN s.code AS code, s.name AS name",
    "单位所在街道",
    origin=__name__,
)


def ancestors(store: Store, label: str, codes: Iterable[str]) -> dict[str, list[tuple[str, str, str | None]]]:
    """{code: [(label, code, name) from the node itself up to its district]} for region nodes of one label."""
    codes = list(dict.fromkeys(codes))
    out: dict[str, list[tuple[str, str, str | None]]] = {c: [] for c in codes}
    if not codes or label not in _ANCESTORS:
        return out
    for code, _depth, alabel, acode, name in store.read(_ANCESTORS[label], {"codes": codes}).rows:
        out[code].append((alabel, acode, name))
    return out


def _chain(store: Store, ref: NodeRef) -> tuple[list[tuple[str, str, str | None]], dict[str, Any]]:
    """The nodes whose contacts are the contacts of `ref`, nearest first, and extra facts about the target.

    Region node: itself and its ancestors. Person: the household they live in and its ancestors (a person is
    contacted through their home). Party organization: itself (its secretary and part-time members), then
    what it is BASED_IN and that node's chain. Unit: itself (the organizations based in it), then the street
    it sits in (单位台账 所在街道) and its district.
    """
    extra: dict[str, Any] = {}
    if ref.label in REGION_LEVELS:
        return ancestors(store, ref.label, [ref.key])[ref.key], extra
    if ref.label == "Person":
        rows = store.read(_HOME, {"key": ref.key}).rows
        extra["household"] = rows[0][0] if rows else None
        return (ancestors(store, "Household", [rows[0][0]])[rows[0][0]] if rows else []), extra
    head = [(ref.label, ref.key, ref.name)]
    if ref.label == "PartyOrg":
        rows = store.read(_ORG_BASE, {"key": ref.key}).rows
        extra["base"] = {"label": rows[0][0], "key": rows[0][1], "name": rows[0][2]} if rows else None
        if not rows:
            return head, extra
        blabel, bcode, bname = rows[0]
        if blabel in REGION_LEVELS:
            return head + ancestors(store, blabel, [bcode])[bcode], extra
        return head + _chain(store, NodeRef(blabel, bcode, bname))[0], extra
    if ref.label == "Unit":
        rows = store.read(_UNIT_STREET, {"key": ref.key}).rows
        extra["street"] = rows[0][0] if rows else None
        return head + (ancestors(store, "Street", [rows[0][0]])[rows[0][0]] if rows else []), extra
    return head, extra


def contacts_of(
    store: Store, key: str, as_of: str | None = None, *, cap: int = CONTACT_CAP
) -> dict[str, Any]:
    """Every person and unit with a contact edge in force on the node `key` names, or on an ancestor (api.md).

    `key` is a household/building/grid/community/street/district/party organization/unit code or a pid.
    Returns {"target": {label, key, name, …}, "as_of", "contacts": [{kind, key, name, role, direct, via, edge,
    at, detail, org}], "total", "by_role": {role: n}, "truncated"}: contacts nearest first (direct ones
    first); one entry per contact, role and node where the edge lands; a person asked about is left out of
    their own contacts. A group (one role on one node) lists at most `cap`; `total` and `by_role` count all.
    """
    day = check_as_of(as_of)
    ref = resolve_key(store, key, with_regions=False)
    chain, extra = _chain(store, ref)
    contacts: list[dict[str, Any]] = []
    seen: set[tuple[str, str, str, str]] = set()
    by_role: dict[str, int] = defaultdict(int)
    total = 0
    truncated = False
    direct_until = 1  # chain[0] is the node itself (household of a person, the org or unit itself)
    for i, (label, code, _name) in enumerate(chain):
        q = _LANDING.get(label)
        if q is None:
            continue
        via = [c for _, c, _ in chain[: i + 1]]
        for rel, sub, kind, count, items in store.read(q, {"key": code, "as_of": day, "cap": cap}).rows:
            # An organization's own secretary and members were listed (directly) at the organization.
            if (
                ref.label == "PartyOrg"
                and i > 0
                and rel in ("SECRETARY_OF", "PART_TIME_MEMBER_OF")
                and sub == ref.key
            ):
                continue
            role = _role(rel, sub if rel in ("SERVES", "CONTACTS") else None)
            listed = 0
            for ckey, cname, note in items:
                if ref.label == "Person" and ckey == ref.key:
                    count -= 1
                    continue
                ident = (ckey, role, code, sub or "")
                if ident in seen:
                    count -= 1  # the same person twice on one node in one role (overlapping terms)
                    continue
                seen.add(ident)
                listed += 1
                contacts.append(
                    {
                        "kind": kind,
                        "key": ckey,
                        "name": cname,
                        "role": role,
                        "direct": i < direct_until,
                        "via": via,
                        "edge": rel,
                        "at": code,
                        "detail": note,
                        "org": sub if rel in ("SECRETARY_OF", "PART_TIME_MEMBER_OF") else None,
                    }
                )
            total += count
            by_role[role] += count
            truncated = truncated or count > listed
    rank = {r: i for i, r in enumerate(_ROLE_ORDER)}
    contacts.sort(
        key=lambda c: (
            not c["direct"],
            len(c["via"]),
            rank.get(c["edge"], 99),
            c["role"],
            c["name"] or "",
            c["key"],
        )
    )
    target = {"label": ref.label, "key": ref.key, "name": ref.name, **extra}
    return {
        "target": target,
        "as_of": day,
        "contacts": contacts,
        "total": total,
        "by_role": dict(by_role),
        "truncated": truncated,
    }


# ---------------------------------------------------------------------------------------------- reach
_REACH: dict[str, LiteralString] = {
    "Person": statement(
        "contacts.reach.person",
        f"MATCH (:Person {{pid: $key}})-[r:CONTACTS|SERVES|LINKS_HOUSEHOLD|REPORTED_TO]->(t) WHERE "
        f"{any_in_force()}\n"
        "RETURN type(r) AS rel, coalesce(r.category, r.role) AS sub, labels(t)[0] AS label, t.code "
        "AS code, t.name AS name,\n"
        "  coalesce(r.title, r.post) AS note\n"
        "UNION ALL\n"
        f"MATCH (:Person {{pid: $key}})-[r:SECRETARY_OF|PART_TIME_MEMBER_OF]->(o:PartyOrg)-[:"
        f"BASED_IN]->(t) WHERE {in_force()}\n"
        "RETURN type(r) AS rel, o.code AS sub, labels(t)[0] AS label, t.code AS code, t.name AS "
        "name, o.name AS note",
        "一个人在期直接联系的对象（联系点、网格力量、联户、双报到，及所任书记、兼职委员的党组织的依托对象）",
        origin=__name__,
    ),
    "Unit": statement(
        "contacts.reach.unit",
        f"MATCH (:Unit {{code: $key}})-[r:CO_BUILDS|REPORTED_TO]->(t:Community) WHERE {any_in_force()}\n"
        "RETURN type(r) AS rel, null AS sub, 'Community' AS label, t.code AS code, t.name AS name,\n"
        "  coalesce(r.project, r.post) AS note",
        "一个单位在期直接联系的社区（联建共建、双报到）",
        origin=__name__,
    ),
}


def _covers_text(label: str) -> str:
    """Counts and (when at most $cap) lists of the grids, buildings, households and residents under $codes."""
    t = REGION_LEVELS.index(label)
    var = {3: "g", 4: "b", 5: "h"}
    first = max(t, 3)
    if t < 3:
        hops = "".join(f"<-[:PART_OF]-(:{REGION_LEVELS[i]})" for i in range(t + 1, 3))
        head = f"MATCH (:{label} {{code: code}}){hops}<-[:PART_OF]-(g:Grid)"
    else:
        head = f"MATCH ({var[t]}:{label} {{code: code}})"
    lines = ["UNWIND $codes AS code", head]
    for i in range(first + 1, 6):
        lines.append(f"OPTIONAL MATCH ({var[i - 1]})<-[:PART_OF]-({var[i]}:{REGION_LEVELS[i]})")
    lines.append("OPTIONAL MATCH (h)<-[:LIVES_IN]-(p:Person)")
    cols = {3: "gs", 4: "bs", 5: "hs"}
    lines.append(
        "WITH "
        + ", ".join(
            f"collect(DISTINCT {var[i]}) AS {cols[i]}" if i >= first else f"[] AS {cols[i]}"
            for i in (3, 4, 5)
        )
        + ", collect(DISTINCT p) AS ps"
    )
    ret = []
    for c in ("gs", "bs", "hs"):
        ret.append(f"size({c}) AS n_{c}, CASE WHEN size({c}) <= $cap THEN [x IN {c} | x.code] END AS l_{c}")
    ret.append("size(ps) AS n_ps, CASE WHEN size(ps) <= $cap THEN [x IN ps | [x.pid, x.name]] END AS l_ps")
    lines.append("RETURN " + ",\n  ".join(ret))
    return "\n".join(lines)


_COVERS = _per_label(
    "contacts.covers",
    REGION_LEVELS[1:],
    _covers_text,
    lambda label: f"一批{NODES[label].zh}覆盖的网格、楼栋、户和居民（计数；不多时列出）",
)


def reach(store: Store, key: str, as_of: str | None = None, *, cap: int = LIST_CAP) -> dict[str, Any]:
    """What a person (pid) or unit (code) contacts directly on a day, and the grids, buildings, households and
    residents that covers (graph-model.md "Reach of P").

    Returns {"source": {label, key, name}, "as_of", "direct": [{label, key, name, role, edge, detail, org}],
    "covers": {"grids"|"buildings"|"households"|"residents": {"count", "items"}}}. A node counts once however
    many of its ancestors are contacted; `items` are codes ({pid, name} for residents), or None past `cap`.
    Coverage flows down only: contacting a grid covers that grid, its buildings, households and residents.
    """
    day = check_as_of(as_of)
    ref = resolve_key(store, key, with_regions=False)
    if ref.label not in _REACH:
        raise ScopeError(
            f"「{key}」是{display_name(ref.label)}：联系范围只能查询人员（pid）或单位（统一社会信用代码）",
            422,
        )
    direct = []
    targets: dict[tuple[str, str], str | None] = {}
    for rel, sub, label, code, name, note in store.read(
        _REACH[ref.label], {"key": ref.key, "as_of": day}
    ).rows:
        direct.append(
            {
                "label": label,
                "key": code,
                "name": name,
                "role": _role(rel, sub if rel in ("SERVES", "CONTACTS") else None),
                "edge": rel,
                "detail": note,
                "org": sub if rel in ("SECRETARY_OF", "PART_TIME_MEMBER_OF") else None,
            }
        )
        targets[(label, code)] = name
    rank = {r: i for i, r in enumerate(_ROLE_ORDER)}
    direct.sort(
        key=lambda d: (
            REGION_LEVELS.index(d["label"]) if d["label"] in REGION_LEVELS else 9,
            d["key"],
            rank.get(d["edge"], 99),
            # Two terms on one node (two co-building projects) come in the store's own order: role, detail and
            # organization make the order total, the same on every store.
            d["role"] or "",
            d["detail"] or "",
            d["org"] or "",
        )
    )
    # PART_OF is a tree: drop targets under another target, and the rest cover disjoint sets that add up.
    regions = [(lb, c) for lb, c in targets if lb in REGION_LEVELS]
    by_label: dict[str, list[str]] = defaultdict(list)
    for lb, c in regions:
        by_label[lb].append(c)
    wanted = {c for _, c in regions}
    tops: dict[str, list[str]] = defaultdict(list)
    for lb, codes in by_label.items():
        for code, chain in ancestors(store, lb, codes).items():
            if not any(acode in wanted for _, acode, _ in chain[1:]):
                tops[lb].append(code)
    covers: dict[str, dict[str, Any]] = {
        k: {"count": 0, "items": []} for k in ("grids", "buildings", "households", "residents")
    }
    for lb, codes in tops.items():
        row = store.read(_COVERS[lb], {"codes": sorted(codes), "cap": cap}).rows[0]
        for i, k in enumerate(("grids", "buildings", "households", "residents")):
            n, items = row[2 * i], row[2 * i + 1]
            covers[k]["count"] += int(n or 0)
            if covers[k]["items"] is not None and items is not None:
                covers[k]["items"].extend(items)
            else:
                covers[k]["items"] = None
    for k, v in covers.items():
        if v["items"] is not None:
            if v["count"] > cap:
                v["items"] = None
            elif k == "residents":
                v["items"] = sorted(({"pid": p, "name": n} for p, n in v["items"]), key=lambda r: r["pid"])
            else:
                v["items"] = sorted(v["items"])
    return {
        "source": {"label": ref.label, "key": ref.key, "name": ref.name},
        "as_of": day,
        "direct": direct,
        "covers": covers,
    }


# ----------------------------------------------------------------------------------------------- path
# Every relationship of the model links people and organizations: the contact edges, the organizational
# ones (secretary, part-time member, member, parent organization, base) and the structural ones (part of,
# lives in, works at): PATH_RELS (graph/schema.py). Relationships with a term or a report date count only when
# in force on the day.


def _expand_text(label: str) -> str:
    nt = NODES[label]
    types = [t for t in PATH_RELS if label in RELS[t].start or label in RELS[t].end]
    return (
        f"UNWIND $keys AS k\nMATCH (n:{label} {{{nt.key}: k}})-[r:{'|'.join(types)}]-(m)\n"
        f"WHERE type(r) IN $types AND {any_in_force()}\n"
        "RETURN k, type(r) AS type, startNode(r) = n AS out, labels(m) AS labels, coalesce(m.pid, "
        "m.code) AS key,\n"
        "  m.name AS name, coalesce(r.role, r.category, r.post, r.project) AS role\n"
        # Sorted, so that which of several equally short paths is found (the first parent seen) and which rows
        # a cut keeps are the same on every store; no nulls or booleans among the sort keys (their order
        # differs).
        "ORDER BY k, type, key, coalesce(role, ''), CASE WHEN out THEN 1 ELSE 0 END\n"
        "LIMIT $limit"
    )


_EXPAND = _per_label(
    "contacts.path.expand",
    NODES,
    _expand_text,
    lambda label: f"最短联系路径：一批{NODES[label].zh}在期的相邻节点（双向广度优先搜索的一步）",
)

Node = tuple[str, str]  # (label, key)


def _main_label(labels: list[str]) -> str:
    return next((lb for lb in labels if lb in NODES), labels[0] if labels else "")


def contact_path(
    store: Store,
    from_key: str,
    to_key: str,
    as_of: str | None = None,
    max_len: int = 8,
    *,
    rels: Iterable[str] | None = None,
) -> dict[str, Any]:
    """The shortest chain of relationships in force (PATH_RELS, or `rels`) linking two nodes, at most
    `max_len` long.

    FalkorDB has no undirected shortestPath, so this is a bidirectional breadth-first search: each step
    expands the smaller frontier completely with one query per label (UNWIND over the frontier), and the
    search stops at the first level where the two sides meet, taking the shortest meeting — exact, as every
    level is complete. Returns {"found": True, "length", "nodes": [{label, key, name}], "edges": [{type, name,
    role, forward, direction, from, to}], "exhaustive"} with edges in path order (`forward`: the relationship
    points along the path), or {"found": False, "max_len", "exhaustive"}. `exhaustive` is False when a step
    hit the read caps (a hub of tens of thousands of neighbours) or the search ran past SEARCH_SECONDS: a
    path may then exist that was not seen.
    """
    day = check_as_of(as_of)
    if not isinstance(max_len, int) or not 1 <= max_len <= MAX_PATH_LEN:
        raise ScopeError(f"路径长度上限应为 1 到 {MAX_PATH_LEN} 之间的整数，实为 {max_len}", 422)
    types = list(PATH_RELS if rels is None else rels)
    unknown = [t for t in types if t not in RELS]
    if unknown:
        raise ScopeError(f"关系类型「{'、'.join(unknown)}」不存在，应为：{'、'.join(PATH_RELS)}", 422)
    a = resolve_key(store, from_key, with_regions=False)
    b = resolve_key(store, to_key, with_regions=False)
    start: Node = (a.label, a.key)
    goal: Node = (b.label, b.key)
    names: dict[Node, str | None] = {start: a.name, goal: b.name}
    if start == goal:
        return {
            "found": True,
            "length": 0,
            "nodes": [_node_out(start, names)],
            "edges": [],
            "exhaustive": True,
        }

    # parent[side][node] = (previous node on that side, edge seen from the previous node)
    parent: list[dict[Node, tuple[Node, dict[str, Any]] | None]] = [{start: None}, {goal: None}]
    frontier: list[list[Node]] = [[start], [goal]]
    depth = [0, 0]
    exhaustive = True
    began = time.monotonic()
    meet: tuple[int, Node] | None = None
    while frontier[0] and frontier[1] and depth[0] + depth[1] < max_len:
        side = 0 if len(frontier[0]) <= len(frontier[1]) else 1
        other = 1 - side
        if len(frontier[side]) > FRONTIER_CAP:
            exhaustive = False
            break
        nxt: list[Node] = []
        rows, cut = _expand(store, frontier[side], types, day)
        exhaustive = exhaustive and not cut
        for u, v, name, edge in rows:
            names.setdefault(v, name)
            if v in parent[side]:
                continue
            parent[side][v] = (u, edge)
            nxt.append(v)
            if v in parent[other]:
                length = depth[side] + 1 + _dist(parent[other], v)
                if meet is None or length < meet[0]:
                    meet = (length, v)
        depth[side] += 1
        frontier[side] = nxt
        if meet is not None:
            break
        if time.monotonic() - began > SEARCH_SECONDS and frontier[0] and frontier[1]:
            exhaustive = False
            break
    if meet is None:
        return {"found": False, "max_len": max_len, "exhaustive": exhaustive}
    return _path_out(meet[1], parent, names, exhaustive)


def _dist(parents: dict[Node, tuple[Node, dict[str, Any]] | None], v: Node) -> int:
    n = 0
    while (p := parents[v]) is not None:
        v = p[0]
        n += 1
    return n


def _expand(
    store: Store, frontier: list[Node], types: list[str], day: str
) -> tuple[list[tuple[Node, Node, str | None, dict[str, Any]]], bool]:
    by_label: dict[str, list[str]] = defaultdict(list)
    for label, key in frontier:
        by_label[label].append(key)
    out = []
    cut = False
    for label, keys in sorted(by_label.items()):
        params = {"keys": keys, "types": types, "as_of": day, "limit": EXPAND_ROWS + 1}
        rows = store.read(_EXPAND[label], params).rows
        if len(rows) > EXPAND_ROWS:
            rows, cut = rows[:EXPAND_ROWS], True
        for k, rtype, is_out, labels, mkey, mname, role in rows:
            out.append(
                (
                    (label, k),
                    (_main_label(labels), mkey),
                    mname,
                    {"type": rtype, "out": bool(is_out), "role": role},
                )
            )
    return out, cut


def _node_out(n: Node, names: dict[Node, str | None]) -> dict[str, Any]:
    return {"label": n[0], "key": n[1], "name": names.get(n)}


def _path_out(
    meet: Node,
    parent: list[dict[Node, tuple[Node, dict[str, Any]] | None]],
    names: dict[Node, str | None],
    exhaustive: bool,
) -> dict[str, Any]:
    left: list[tuple[Node, dict[str, Any] | None]] = []  # from the start to meet
    v = meet
    while (p := parent[0][v]) is not None:
        left.append((v, p[1]))
        v = p[0]
    nodes = [v] + [n for n, _ in reversed(left)]
    edges = [(e, True) for _, e in reversed(left)]
    v = meet
    while (p := parent[1][v]) is not None:
        nodes.append(p[0])
        edges.append((p[1], False))  # found from the goal side: seen from the next node on the path
        v = p[0]
    out_edges = []
    for i, (e, from_start_side) in enumerate(edges):
        assert e is not None
        forward = e["out"] if from_start_side else not e["out"]
        a, b = nodes[i], nodes[i + 1]
        start, end = (a, b) if forward else (b, a)
        out_edges.append(
            {
                "type": e["type"],
                "name": display_name(e["type"]),
                "role": e["role"],
                "forward": forward,
                "direction": "->" if forward else "<-",
                "from": start[1],
                "to": end[1],
            }
        )
    return {
        "found": True,
        "length": len(out_edges),
        "nodes": [_node_out(n, names) for n in nodes],
        "edges": out_edges,
        "exhaustive": exhaustive,
    }


# ------------------------------------------------------------------------------------ the named queries
_KEY_P = Param("code", "string", "网格编码")
_AS_OF_P = Param("as_of", "date?", "日期 YYYY-MM-DD；不填为今天")
named_query(
    "contacts.of_grid",
    "谁在期联系一个网格：直接落在网格上的，以及落在其社区、街道上的（继承）",
    "MATCH (g:Grid {code: $code})-[:PART_OF*0..3]->(a)\n"
    "MATCH (a)<-[r:CONTACTS|SERVES|CO_BUILDS|REPORTED_TO]-(x)\n"
    f"WHERE {any_in_force()}\n"
    "RETURN labels(a)[0] AS level, a.code AS at, type(r) AS relationship, coalesce(r.role, "
    "r.category) AS role,\n"
    "  coalesce(x.pid, x.code) AS key, x.name AS name, a = g AS direct\n"
    "ORDER BY direct DESC, level, relationship, name, key, coalesce(role, ''), at LIMIT 1000",
    (_KEY_P, _AS_OF_P),
)
named_query(
    "contacts.reach_of_person",
    "一个人在期直接联系的对象（联系点、网格力量、联户、双报到）",
    f"MATCH (p:Person {{pid: $pid}})-[r:CONTACTS|SERVES|LINKS_HOUSEHOLD|REPORTED_TO]->(t) WHERE "
    f"{any_in_force()}\n"
    "RETURN type(r) AS relationship, coalesce(r.category, r.role) AS role, labels(t)[0] AS label, "
    "t.code AS code, t.name AS name\n"
    "ORDER BY label, code, relationship, coalesce(role, '')",
    (Param("pid", "string", "人员标识 pid"), _AS_OF_P),
)
