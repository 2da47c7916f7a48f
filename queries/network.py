"""Bounded graphs for the network pages: a node's ego network, the co-building network and the party
organization tree.

Every query is aggregated in Cypher (a count per relationship group plus at most a few hundred sample
nodes), so a page never pulls a city's residents into Python; past the node cap the rest become counted
group nodes ("+1,234 居民"). The result is a plain `Graph` the pages draw; masking by role is the pages' job.

Length (about 860 lines): the three page graphs share the Graph model, the node cap and the folding of groups.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, LiteralString

from orggraph.graph.cypher import statement, trusted
from orggraph.graph.schema import NODES, ORG_KINDS, RELS, display_name
from orggraph.graph.store import Store
from orggraph.queries.contacts import contact_path
from orggraph.queries.scope import NodeRef, ScopeError, check_as_of, resolve_key, resolve_scope
from orggraph.queries.terms import in_force

__all__ = [
    "NODE_CAP",
    "unnamed",
    "GNode",
    "GEdge",
    "Graph",
    "node_id",
    "group_noun",
    "fetch_node",
    "ego_network",
    "cobuilding_network",
    "org_tree",
    "names",
    "path_graph",
    "FOLDED",
    "folds",
    "group_members",
    "GROUP_PAGE_MAX",
    "parse_group_kind",
    "grids_without_party_org",
]

NODE_CAP = 500  # about what a browser lays out in a few seconds and a person can still read
SECOND_STEP_PER_GROUP = 25  # at most this many second-step neighbours per (source, relationship, label)
PART_TIME_PER_ORG = 30
GROUP_PAGE_MAX = 200  # members of one counted group listed per request (expand in place)

# Second-step neighbours that are noise around most nodes: drawn as one counted group node each, whatever
# their number (a grid's households, a leader's office colleagues, a community's 双报到 members). They open
# in place from the group node (`group_members`). Keys: (relationship, their label, outgoing from the anchor);
# a label alone folds every group of that label.
FOLDED: frozenset[tuple[str, str, bool] | str] = frozenset(
    {
        "Household",
        ("WORKS_AT", "Person", False),
        ("REPORTED_TO", "Person", False),
        ("LIVES_IN", "Person", False),
    }
)
FOLD_MIN = 3  # a group of fewer is drawn: a counted node for two households hides more than it saves


def folds(rel: str, label: str, outgoing: bool, total: int) -> bool:
    """Whether a second-step group is drawn as one counted node (see FOLDED)."""
    return total >= FOLD_MIN and (label in FOLDED or (rel, label, outgoing) in FOLDED)


# In force on $as_of (graph-model.md); relationships without since/until are always in force.
_IN_FORCE = "(r.since IS NULL OR r.since <= $as_of) AND (r.until IS NULL OR r.until >= $as_of)"


def unnamed(label: str, key: str) -> str:
    """What a node without a name is called: a household by its 户号 ("1-101户": its code is the building's
    code,
    "-", the 户号; the building is shown beside it), anything else by its key."""
    if label == "Household" and "-" in key:
        return key.split("-", 1)[1] + "户"
    return key


@dataclass
class GNode:
    id: str  # "Label:key" or "group:..." — a code or a pid, never an ID number
    label: str  # schema label, or "Group" for a counted group node
    key: str | None  # code or pid; None for group nodes
    props: dict[str, Any] = field(default_factory=dict)  # stored properties, unmasked (pages mask per role)
    labels: tuple[str, ...] = ()  # all labels (PartyMember shows as such)
    level: int = 0  # ego: steps from the centre; org tree: depth; path: position
    count: int = 0  # group node: how many nodes it stands for
    of_label: str = ""  # group node: the label of the nodes it stands for
    noun: str = ""  # group node: what to call them (居民, 党员 ...)
    parent: str | None = None  # ego: the node it was reached from; group node: the node it hangs on
    via: str = ""  # ego: the relationship group it was reached by ("REPORTED_TO:in:Person")
    flags: dict[str, Any] = field(default_factory=dict)  # page hints: uncovered, secretary, ...

    @property
    def name(self) -> str:
        if self.props.get("name"):
            return str(self.props["name"])
        return unnamed(self.label, str(self.key or ""))


@dataclass
class GEdge:
    source: str
    target: str
    type: str  # relationship type; "GROUP" links a group node to what it hangs on
    props: dict[str, Any] = field(default_factory=dict)


@dataclass
class Graph:
    nodes: dict[str, GNode] = field(default_factory=dict)
    edges: list[GEdge] = field(default_factory=list)
    center: str | None = None
    omitted: int = 0  # nodes neither drawn nor counted in any group node (the cap was reached)
    notes: list[str] = field(default_factory=list)  # Chinese, shown above the drawing
    mode: str = "detail"  # co-building: "detail" or "summary" (streets ↔ unit kinds)
    _edge_keys: set[tuple[str, str, str, str]] = field(default_factory=set, repr=False)

    def add(self, n: GNode) -> GNode:
        return self.nodes.setdefault(n.id, n)

    def link(self, source: str, target: str, type_: str, props: dict[str, Any] | None = None) -> None:
        props = props or {}
        k = (source, target, type_, str(props.get("key") or props.get("since") or ""))
        if k in self._edge_keys:
            return
        self._edge_keys.add(k)
        self.edges.append(GEdge(source, target, type_, props))

    def add_group(
        self,
        anchor: str,
        rel: str,
        outgoing: bool,
        label: str,
        count: int,
        level: int,
        noun: str | None = None,
    ) -> GNode:
        """A node standing for `count` neighbours of `anchor` that are not drawn."""
        gid = f"group:{anchor}:{rel}:{'out' if outgoing else 'in'}:{label}" + (f":{noun}" if noun else "")
        noun = noun or group_noun(rel, label, outgoing)
        g = self.add(
            GNode(gid, "Group", None, {}, level=level, count=count, of_label=label, noun=noun, parent=anchor)
        )
        g.count = count
        g.via = f"{rel}:{'out' if outgoing else 'in'}:{label}"
        self.link(anchor, gid, "GROUP", {"rel": rel})
        return g


def node_id(label: str, key: str) -> str:
    return f"{label}:{key}"


_MAIN_LABELS = tuple(NODES)

# What to call the neighbours a group node stands for: (relationship, their label, outgoing from the anchor).
_NOUNS: dict[tuple[str, str, bool], str] = {
    ("LIVES_IN", "Person", False): "居民",
    ("MEMBER_OF", "Person", False): "党员",
    ("REPORTED_TO", "Person", False): "报到党员",
    ("REPORTED_TO", "Unit", False): "报到单位",
    ("WORKS_AT", "Person", False): "职工",
    ("SERVES", "Person", False): "网格力量",
    ("LINKS_HOUSEHOLD", "Person", False): "联户人",
    ("LINKS_HOUSEHOLD", "Household", True): "联系户",
    ("CONTACTS", "Person", False): "联系领导",
    ("PART_TIME_MEMBER_OF", "Person", False): "兼职委员",
    ("SECRETARY_OF", "Person", False): "书记",
    ("CO_BUILDS", "Unit", False): "共建单位",
    ("CO_BUILDS", "Community", True): "共建社区",
    ("SUBORDINATE_TO", "PartyOrg", False): "下级党组织",
    ("BASED_IN", "PartyOrg", False): "党组织",
}


def group_noun(rel: str, label: str, outgoing: bool) -> str:
    return _NOUNS.get((rel, label, outgoing)) or display_name(label)


# --------------------------------------------------------------------------------------------- one node
_NODE: dict[str, LiteralString] = {
    label: statement(
        f"network.node.{label}",
        # Label and key property come from the schema, never from input.
        trusted(f"MATCH (n:{label} {{{nt.key}: $key}}) RETURN n LIMIT 1"),
        f"读取一个{nt.zh}节点的属性",
        origin=__name__,
    )
    for label, nt in NODES.items()
}


def _gnode(value: dict[str, Any], level: int = 0) -> GNode:
    """A GNode from a store node value ({"labels", "properties"})."""
    labels = tuple(value.get("labels") or ())
    label = next((lb for lb in labels if lb in NODES), labels[0] if labels else "")
    props = dict(value.get("properties") or {})
    key = props.get(NODES[label].key) if label in NODES else None
    return GNode(node_id(label, str(key)), label, str(key), props, labels=labels, level=level)


def fetch_node(store: Store, ref: NodeRef) -> GNode:
    rows = store.read(_NODE[ref.label], {"key": ref.key}).rows
    if not rows:
        raise ScopeError(f"找不到「{ref.key}」")
    return _gnode(rows[0][0])


# ----------------------------------------------------------------------------------------- ego network
# One statement per label of the nodes expanded (labels cannot be parameters). Neighbours are grouped by
# relationship type, direction and label; each group returns its size and its first `per_group` members
# in name order, so the answer is bounded by (groups × per_group) whatever the node's degree.
_EGO_STEP: dict[str, LiteralString] = {
    label: statement(
        f"network.ego.step.{label}",
        trusted(f"""UNWIND $keys AS key
MATCH (n:{label} {{{nt.key}: key}})-[r]-(m)
WHERE {_IN_FORCE}
WITH key, n, r, m
ORDER BY coalesce(m.name, m.code, m.pid), coalesce(m.code, m.pid), coalesce(r.key, ''), coalesce(r.source, '')
WITH key, type(r) AS rel, startNode(r) = n AS outgoing, [l IN labels(m) WHERE l <> 'PartyMember'][0] AS label,
     count(*) AS total, collect([m, r])[..$per_group] AS sample
RETURN key, rel, outgoing, label, total, sample
ORDER BY key, rel, outgoing, label"""),
        f"{nt.zh}的邻居：按关系类型、方向和标签分组计数，每组只取前若干个",
        origin=__name__,
    )
    for label, nt in NODES.items()
}


@dataclass
class _Group:
    source: str  # node id of the expanded node
    rel: str
    outgoing: bool
    label: str
    total: int
    sample: list[tuple[GNode, dict[str, Any]]]  # (neighbour, relationship properties)


def _step(store: Store, label: str, keys: list[str], as_of: str, per_group: int) -> list[_Group]:
    rows = store.read(_EGO_STEP[label], {"keys": keys, "as_of": as_of, "per_group": per_group}).rows
    out = []
    for key, rel, outgoing, nlabel, total, sample in rows:
        pairs = [(_gnode(m), dict((r or {}).get("properties") or {})) for m, r in sample]
        out.append(_Group(node_id(label, key), rel, bool(outgoing), nlabel or "", int(total), pairs))
    return out


def _fair_shares(sizes: list[int], budget: int) -> list[int]:
    """Split `budget` over groups max-min fairly: small groups whole, the big ones an equal share of the
    rest."""
    shares = [0] * len(sizes)
    left, remaining = len(sizes), max(0, budget)
    for i in sorted(range(len(sizes)), key=lambda j: sizes[j]):
        give = min(sizes[i], remaining // left)
        shares[i], remaining, left = give, remaining - give, left - 1
    return shares


def _attach(g: Graph, anchor: str, grp: _Group, node: GNode, rprops: dict[str, Any]) -> None:
    src, dst = (anchor, node.id) if grp.outgoing else (node.id, anchor)
    g.link(src, dst, grp.rel, rprops)


def ego_network(
    store: Store,
    key: str,
    *,
    depth: int = 1,
    as_of: str | None = None,
    cap: int = NODE_CAP,
    fold: bool = True,
) -> Graph:
    """The node `key` names, its neighbours and (depth 2) theirs, at most `cap` nodes, the rest counted.

    With `fold` (the default) the second step's households, office colleagues, 双报到 members and residents
    are one counted group node each (FOLDED). A grid also gets the leaders who contact its community: they
    cover it too (inherited), and its page would otherwise not show them."""
    as_of = check_as_of(as_of)
    if depth not in (1, 2):
        raise ScopeError("depth 只能是 1 或 2", 422)
    ref = resolve_key(store, key, with_regions=False)
    g = Graph()
    center = g.add(fetch_node(store, ref))
    g.center = center.id

    # Step one: one slot kept per group for its group node, the rest shared fairly.
    groups = _step(store, ref.label, [ref.key], as_of, per_group=cap)
    shares = _fair_shares([len(x.sample) for x in groups], cap - 1 - len(groups))
    for grp, share in zip(groups, shares, strict=False):
        for node, rprops in grp.sample[:share]:
            node.level, node.parent = 1, center.id
            node.via = node.via or f"{grp.rel}:{'out' if grp.outgoing else 'in'}:{grp.label}"
            _attach(g, center.id, grp, g.add(node), rprops)
        if grp.total > share:
            g.add_group(center.id, grp.rel, grp.outgoing, grp.label, grp.total - share, 1)
    if ref.label == "Grid":
        _inherited_leaders(store, g, ref.key, as_of, cap)
    if depth == 1:
        return g

    # Step two, from every real first-step neighbour, with what room is left spread over them.
    sources = [
        n for n in g.nodes.values() if n.level == 1 and n.label != "Group" and not n.flags.get("inherited")
    ]
    room = cap - len(g.nodes)
    if not sources:
        return g
    if room <= 0:
        g.notes.append(f"第一层已有 {len(g.nodes):,} 个节点，达到上限，未展开第二层。")
        return g
    per = max(1, min(SECOND_STEP_PER_GROUP, room // len(sources)))
    by_label: dict[str, list[str]] = {}
    for n in sources:
        by_label.setdefault(n.label, []).append(str(n.key))
    second: list[_Group] = []
    for label, keys in by_label.items():
        second += _step(store, label, keys, as_of, per_group=per)
    order = {n.id: i for i, n in enumerate(sources)}
    second.sort(key=lambda x: (order.get(x.source, 0), x.rel, x.outgoing, x.label))
    folded = [x for x in second if fold and folds(x.rel, x.label, x.outgoing, x.total)]
    second = [x for x in second if not (fold and folds(x.rel, x.label, x.outgoing, x.total))]
    reserve = min(len(folded), max(0, room - 1))  # a place kept for each folded group's counted node
    left = {id(x): x.total for x in second}  # per group: neighbours neither drawn nor already present
    # Round robin over groups, so the cap cuts evenly instead of starving the last sources.
    for i in range(per):
        for grp in second:
            if i >= len(grp.sample):
                continue
            node, rprops = grp.sample[i]
            if node.id in g.nodes:
                _attach(g, grp.source, grp, g.nodes[node.id], rprops)
                left[id(grp)] -= 1
            elif len(g.nodes) < cap - reserve:
                node.level, node.parent = 2, grp.source
                _attach(g, grp.source, grp, g.add(node), rprops)
                left[id(grp)] -= 1
    for grp in second:
        rest = left[id(grp)]
        if rest <= 0:
            continue
        if len(g.nodes) < cap - reserve:
            g.add_group(grp.source, grp.rel, grp.outgoing, grp.label, rest, 2)
        else:
            g.omitted += rest
    for grp in folded:  # after the rest is drawn: members drawn by another way are linked, not counted
        rest = grp.total
        for node, rprops in grp.sample:
            if node.id in g.nodes:
                _attach(g, grp.source, grp, g.nodes[node.id], rprops)
                rest -= 1
        if rest <= 0:
            continue
        if len(g.nodes) < cap:
            g.add_group(grp.source, grp.rel, grp.outgoing, grp.label, rest, 2).flags["folded"] = True
        else:
            g.omitted += rest
    if g.omitted:
        g.notes.append(
            f"节点已达上限 {cap:,}：另有 {g.omitted:,} 个第二层邻居未显示，可点击邻居进入其关系图。"
        )
    return g


_GRID_LEADERS = statement(
    "network.ego.grid_inherited_leaders",
    f"""MATCH (:Grid {{code: $key}})-[:PART_OF]->(c:Community)<-[r:CONTACTS]-(p:Person)
WHERE {_IN_FORCE}
WITH c, p, r ORDER BY p.name, p.pid, coalesce(r.key, '')
RETURN c, collect([p, r])[..$limit] AS leaders""",
    "网格所在社区的在期联系领导（经社区覆盖本网格）",
    origin=__name__,
)


def _inherited_leaders(store: Store, g: Graph, key: str, as_of: str, cap: int) -> None:
    """The leaders whose contact point is the grid's community, linked to it as drawn (level 1,
    `inherited`)."""
    room = cap - len(g.nodes)
    if room <= 0:
        return
    for c, leaders in store.read(_GRID_LEADERS, {"key": key, "as_of": as_of, "limit": min(room, 50)}).rows:
        comm = g.add(_gnode(c, level=1))
        if comm.parent is None and comm.id != g.center:
            comm.parent, comm.via = g.center, comm.via or "PART_OF:out:Community"
        for m, r in leaders:
            p = _gnode(m, level=1)
            if p.id not in g.nodes:
                p.parent, p.via = comm.id, "CONTACTS:inherited"
                p.flags["inherited"] = True
            g.link(g.add(p).id, comm.id, "CONTACTS", dict((r or {}).get("properties") or {}))


# ----------------------------------------------------------------------------------- one group, paged
_GROUP_COUNT: dict[tuple[str, bool], LiteralString] = {}
_GROUP_PAGE: dict[tuple[str, bool], LiteralString] = {}
for _label, _nt in NODES.items():
    for _out in (True, False):
        if not any(_label in (rt.start if _out else rt.end) for rt in RELS.values()):
            continue  # no relationship goes that way (a district has no outgoing one)
        _pat = f"(n:{_label} {{{_nt.key}: $key}})" + ("-[r]->(m)" if _out else "<-[r]-(m)")
        _d = "out" if _out else "in"
        _GROUP_COUNT[(_label, _out)] = statement(
            f"network.group.count.{_label}.{_d}",
            trusted(f"""MATCH {_pat}
WHERE type(r) = $rel AND $mlabel IN labels(m) AND {_IN_FORCE}
RETURN count(*) AS total"""),
            f"{_nt.zh}的一组邻居（按关系类型、方向和标签）有多少个",
            origin=__name__,
        )
        _GROUP_PAGE[(_label, _out)] = statement(
            f"network.group.page.{_label}.{_d}",
            trusted(f"""MATCH {_pat}
WHERE type(r) = $rel AND $mlabel IN labels(m) AND {_IN_FORCE}
RETURN m, r
ORDER BY coalesce(m.name, m.code, m.pid), coalesce(m.code, m.pid), coalesce(r.key, ''), coalesce(r.source, '')
SKIP $offset LIMIT $limit"""),
            f"{_nt.zh}的一组邻居，按名称排序分页",
            origin=__name__,
        )

_GROUP_KIND_ERROR = (
    "kind 应为「关系类型:in|out:标签」，例如 LIVES_IN:in:Person；请从关系图的合并节点展开，不要手写"
)


def parse_group_kind(kind: str) -> tuple[str, bool, str]:
    """ "REL:in|out:Label" (a group node's `via`) → (relationship, outgoing, label); ScopeError 422
    otherwise."""
    parts = kind.split(":")
    if len(parts) != 3 or parts[1] not in ("in", "out") or parts[2] not in NODES or not parts[0].isupper():
        raise ScopeError(_GROUP_KIND_ERROR, 422)
    if parts[0] not in RELS:
        raise ScopeError(_GROUP_KIND_ERROR, 422)
    return parts[0], parts[1] == "out", parts[2]


def group_members(
    store: Store, key: str, kind: str, *, offset: int = 0, limit: int = 50, as_of: str | None = None
) -> tuple[Graph, int]:
    """One counted group's members, paged in name order: a Graph of the anchor and `limit` members (level 2,
    linked to it), and the group's size. What a group node stands for, opened in place on the page."""
    as_of = check_as_of(as_of)
    rel, outgoing, mlabel = parse_group_kind(kind)
    limit = max(1, min(GROUP_PAGE_MAX, limit))
    offset = max(0, offset)
    ref = resolve_key(store, key, with_regions=False)
    g = Graph()
    anchor = g.add(fetch_node(store, ref))
    g.center = anchor.id
    if (ref.label, outgoing) not in _GROUP_COUNT:
        return g, 0
    params = {"key": ref.key, "rel": rel, "mlabel": mlabel, "as_of": as_of}
    total = int(store.read(_GROUP_COUNT[(ref.label, outgoing)], params).rows[0][0])
    grp = _Group(anchor.id, rel, outgoing, mlabel, total, [])
    rows = store.read(_GROUP_PAGE[(ref.label, outgoing)], {**params, "offset": offset, "limit": limit}).rows
    for m, r in rows:
        node = _gnode(m, level=2)
        node.parent, node.via = anchor.id, kind
        _attach(g, anchor.id, grp, g.add(node), dict((r or {}).get("properties") or {}))
    return g, total


# ------------------------------------------------------------------------------------ co-building network
# The communities of a scope, one MATCH per kind of scope (labels cannot be parameters).
_COMMUNITIES: dict[str, str] = {
    "": "MATCH (c:Community)",
    "District": "MATCH (:District {code: $scope})<-[:PART_OF]-(:Street)<-[:PART_OF]-(c:Community)",
    "Street": "MATCH (:Street {code: $scope})<-[:PART_OF]-(c:Community)",
    "Community": "MATCH (c:Community {code: $scope})",
}


def _scope_name(kind: str) -> str:
    return kind.lower() or "all"


_COB_COUNT = {
    kind: statement(
        f"network.cobuilding.count.{_scope_name(kind)}",
        trusted(f"""{m}
OPTIONAL MATCH (u:Unit)-[r:CO_BUILDS]->(c)
WHERE {_IN_FORCE}
RETURN count(DISTINCT c) AS communities, count(DISTINCT u) AS units"""),
        "范围内社区数和在期共建单位数（决定画明细还是按街道汇总）",
        origin=__name__,
    )
    for kind, m in _COMMUNITIES.items()
}

_COB_DETAIL = {
    kind: statement(
        f"network.cobuilding.detail.{_scope_name(kind)}",
        trusted(f"""{m}
OPTIONAL MATCH (c)-[:PART_OF]->(s:Street)
OPTIONAL MATCH (u:Unit)-[r:CO_BUILDS]->(c)
WHERE {_IN_FORCE}
WITH c, s, u, r
ORDER BY u.name, u.code, coalesce(r.key, ''), coalesce(r.source, '')
WITH c, s, count(u) AS total, collect(CASE WHEN u IS NULL THEN NULL ELSE [u, r] END)[..$per] AS links
RETURN c, s.code AS street, s.name AS street_name, total, links
ORDER BY street, c.code
LIMIT $limit"""),
        "范围内每个社区及其在期共建单位（每个社区最多取若干个）",
        origin=__name__,
    )
    for kind, m in _COMMUNITIES.items()
}

_COB_STREETS = {
    kind: statement(
        f"network.cobuilding.streets.{_scope_name(kind)}",
        trusted(f"""{m}
MATCH (c)-[:PART_OF]->(s:Street)
OPTIONAL MATCH (u:Unit)-[r:CO_BUILDS]->(c)
WHERE {_IN_FORCE}
WITH s, c, count(r) AS links
RETURN s.code AS code, s.name AS name, count(c) AS communities,
       count(CASE WHEN links > 0 THEN 1 END) AS covered
ORDER BY code
LIMIT $limit"""),
        "按街道汇总联建共建：社区数、有在期共建的社区数",
        origin=__name__,
    )
    for kind, m in _COMMUNITIES.items()
}

_COB_KINDS = {
    kind: statement(
        f"network.cobuilding.kinds.{_scope_name(kind)}",
        trusted(f"""{m}
MATCH (c)-[:PART_OF]->(s:Street)
MATCH (u:Unit)-[r:CO_BUILDS]->(c)
WHERE {_IN_FORCE}
RETURN s.code AS street, coalesce(u.kind, '其他') AS kind, count(DISTINCT u) AS units, count(r) AS links
ORDER BY street, kind"""),
        "按街道和单位类型汇总在期共建单位",
        origin=__name__,
    )
    for kind, m in _COMMUNITIES.items()
}


def cobuilding_network(
    store: Store, scope: str | None = None, *, as_of: str | None = None, cap: int = NODE_CAP
) -> Graph:
    """Units ↔ the communities they co-build with, in a scope; past `cap` nodes, streets ↔ unit kinds."""
    as_of = check_as_of(as_of)
    sref = resolve_scope(store, scope)
    kind = sref.label if sref else ""
    params: dict[str, Any] = {"scope": sref.key if sref else None, "as_of": as_of}
    communities, units = store.read(_COB_COUNT[kind], params).rows[0]
    g = Graph()
    if communities + units > cap and kind != "Community":
        return _cobuilding_summary(store, kind, params, cap, communities, units, g)
    rows = store.read(_COB_DETAIL[kind], {**params, "per": cap, "limit": cap}).rows
    budget = cap - len(rows)
    for c, _street, street_name, total, links in rows:
        comm = g.add(_gnode(c))
        comm.flags["street_name"] = street_name
        comm.flags["partners"] = int(total)
        if not total:
            comm.flags["uncovered"] = True
        shown = 0
        for u, r in links:
            unit = _gnode(u)
            if unit.id not in g.nodes:
                if budget <= 0:
                    continue
                budget -= 1
            g.add(unit)
            g.link(unit.id, comm.id, "CO_BUILDS", dict((r or {}).get("properties") or {}))
            shown += 1
        if total > shown:
            g.add_group(comm.id, "CO_BUILDS", False, "Unit", int(total) - shown, 1)
    if communities > len(rows):
        g.notes.append(f"只显示前 {len(rows):,} 个社区（共 {communities:,} 个）。")
    return g


def _cobuilding_summary(
    store: Store, kind: str, params: dict[str, Any], cap: int, communities: int, units: int, g: Graph
) -> Graph:
    g.mode = "summary"
    streets = store.read(_COB_STREETS[kind], {**params, "limit": max(1, cap - len(_UNIT_KIND_ORDER))}).rows
    for code, name, n, covered in streets:
        s = g.add(GNode(node_id("Street", code), "Street", code, {"code": code, "name": name}))
        s.flags.update(communities=int(n), covered=int(covered))
        if covered < n:
            s.flags["uncovered"] = True
    for street, ukind, n_units, n_links in store.read(_COB_KINDS[kind], params).rows:
        sid = node_id("Street", street)
        if sid not in g.nodes:
            continue
        kid = f"kind:{ukind}"
        k = g.add(GNode(kid, "Group", None, {}, count=0, of_label="Unit", noun=ukind))
        k.flags["unit_kind"] = ukind
        k.count += int(n_units)  # units co-building in several streets count once per street
        g.link(kid, sid, "CO_BUILDS", {"units": int(n_units), "links": int(n_links)})
    g.notes.append(
        f"范围内有 {communities:,} 个社区、{units:,} 家共建单位，超过 {cap:,} 个节点：按街道和单位类型汇总；"
        "点击街道查看其共建明细。"
    )
    return g


_UNIT_KIND_ORDER = ("党政机关", "事业单位", "国有企业", "民营企业", "社会组织", "其他")


# --------------------------------------------------------------------------------- party organization tree
# The party organizations of a scope: those based in it (on it or any region below it, or on a unit sitting
# in it) and every organization above those, so the tree has its roots.
_ORG_BASED: dict[str, tuple[str, ...]] = {
    "District": (
        "MATCH (:District {code: $scope})<-[:PART_OF*0..4]-(b)<-[:BASED_IN]-(:PartyOrg)",
        "MATCH (:District {code: $scope})<-[:PART_OF]-(s:Street) MATCH (u:Unit {street: s.code})<-[:"
        "BASED_IN]-(:PartyOrg)",
    ),
    "Street": (
        "MATCH (:Street {code: $scope})<-[:PART_OF*0..3]-(b)<-[:BASED_IN]-(:PartyOrg)",
        "MATCH (u:Unit {street: $scope})<-[:BASED_IN]-(:PartyOrg)",
    ),
    "Community": ("MATCH (:Community {code: $scope})<-[:PART_OF*0..2]-(b)<-[:BASED_IN]-(:PartyOrg)",),
}


def _org_set(kind: str) -> str:
    if not kind:
        return "MATCH (o:PartyOrg)"
    branches = "\n  UNION\n  ".join(
        f"{m}-[:SUBORDINATE_TO*0..5]->(o:PartyOrg) RETURN o" for m in _ORG_BASED[kind]
    )
    return f"CALL {{\n  {branches}\n}}"


_ORG_COUNT = {
    kind: statement(
        f"network.orgtree.count.{_scope_name(kind)}",
        trusted(f"""{_org_set(kind)}
RETURN o.kind AS kind, count(DISTINCT o) AS n"""),
        "范围内各类党组织的个数（决定画到哪一级）",
        origin=__name__,
    )
    for kind in ("", *_ORG_BASED)
}

# Each pattern comprehension names its own variables: FalkorDB gives wrong answers when two comprehensions of
# one projection reuse a name (`members` counted 0 for every organization once `m` had been used above).
_ORG_FETCH = {
    kind: statement(
        f"network.orgtree.fetch.{_scope_name(kind)}",
        trusted(f"""{_org_set(kind)}
WITH DISTINCT o
WHERE o.kind IN $kinds
RETURN o,
  [(o)-[:SUBORDINATE_TO]->(p:PartyOrg) | p.code][..1] AS parent,
  [(s:Person)-[:SECRETARY_OF]->(o) | s][..2] AS secretaries,
  [(m:Person)-[r:PART_TIME_MEMBER_OF]->(o) WHERE {_IN_FORCE} | [m, r]] AS part_time,
  size([(m2:Person)-[r2:PART_TIME_MEMBER_OF]->(o) WHERE {in_force("r2")} | m2]) AS part_time_total,
  size([(m3:Person)-[:MEMBER_OF]->(o) | m3]) AS members,
  [(c:PartyOrg)-[:SUBORDINATE_TO]->(o) WHERE NOT c.kind IN $kinds | c.kind] AS hidden_children
ORDER BY o.code
LIMIT $limit"""),
        "范围内指定类型的党组织：上级、书记、在期兼职委员、党员数、未显示的下级",
        origin=__name__,
    )
    for kind in ("", *_ORG_BASED)
}

_KIND_RANK = {k: i for i, k in enumerate(ORG_KINDS)}

# Grids of a scope with no party organization based in them or in one of their buildings
# (网格党组织覆盖的缺口),
# per community, with the organizations based in that community (where the org tree shows them).
_GRIDS_WITHOUT_ORG = {
    kind: statement(
        f"network.orgtree.grids_without_org.{_scope_name(kind)}",
        trusted(f"""{m}
MATCH (c)<-[:PART_OF]-(g:Grid)
WHERE NOT (g)<-[:BASED_IN]-(:PartyOrg) AND NOT (g)<-[:PART_OF]-(:Building)<-[:BASED_IN]-(:PartyOrg)
WITH c, g ORDER BY g.code
WITH c, count(g) AS total, collect([g.code, g.name])[..$per] AS grids
OPTIONAL MATCH (o:PartyOrg)-[:BASED_IN]->(c)
RETURN c.code AS community, c.name AS name, total, grids, collect(o.code) AS orgs
ORDER BY community
LIMIT $limit"""),
        "范围内未建党组织的网格（按社区，附依托该社区的党组织）",
        origin=__name__,
    )
    for kind, m in _COMMUNITIES.items()
}
GRIDS_LISTED = 30  # grids without a party organization named per community (the rest counted)


def grids_without_party_org(
    store: Store, scope: str | None, *, limit: int = NODE_CAP
) -> list[dict[str, Any]]:
    """Per community of the scope with such grids: {"community", "name", "total", "grids": [(code, name)],
    "orgs": [codes of the organizations based in the community]}, at most `limit` communities."""
    sref = resolve_scope(store, scope)
    kind = sref.label if sref else ""
    rows = store.read(
        _GRIDS_WITHOUT_ORG[kind], {"scope": sref.key if sref else None, "per": GRIDS_LISTED, "limit": limit}
    ).rows
    return [
        {"community": c, "name": n, "total": int(t), "grids": [tuple(x) for x in grids], "orgs": sorted(orgs)}
        for c, n, t, grids, orgs in rows
    ]


def org_tree(
    store: Store, scope: str | None = None, *, as_of: str | None = None, cap: int = NODE_CAP
) -> Graph:
    """党工委 → 党委 → 党总支 → 党支部 → 党小组 of a scope, with secretaries and part-time members, at most
    `cap` nodes.

    Kinds are drawn from the top down while they fit; the first kind that does not fit is counted per
    parent ("+12 党小组"), and part-time members are drawn while room is left, otherwise counted.
    """
    as_of = check_as_of(as_of)
    sref = resolve_scope(store, scope)
    kind = sref.label if sref else ""
    params: dict[str, Any] = {"scope": sref.key if sref else None, "as_of": as_of}
    counts = {k: int(n) for k, n in store.read(_ORG_COUNT[kind], params).rows}
    ordered = sorted(counts, key=lambda k: _KIND_RANK.get(k, len(ORG_KINDS)))
    kinds: list[str] = []
    used = 0
    for k in ordered:
        if kinds and used + counts[k] > cap:
            break
        kinds.append(k)
        used += counts[k]
    if not counts:
        return Graph()
    # The lowest kind drawn also brings one counted node per parent of what is hidden below it: if that
    # goes past the cap, draw one kind fewer (each try is one bounded read).
    while True:
        g, fetched = _org_graph(store, kind, params, kinds, cap)
        if len(g.nodes) <= cap or len(kinds) == 1:
            break
        used -= counts[kinds.pop()]
    hidden = [k for k in ordered if k not in kinds]
    if hidden:
        g.notes.append(
            f"共 {sum(counts.values()):,} 个党组织，超过 {cap:,} 个节点："
            f"{'、'.join(hidden)}按上级组织合并计数，可缩小范围查看。"
        )
    if fetched < used:
        g.notes.append(f"只显示前 {fetched:,} 个党组织。")
    return g


def _org_graph(
    store: Store, kind: str, params: dict[str, Any], kinds: list[str], cap: int
) -> tuple[Graph, int]:
    """The organizations of `kinds` with their secretaries, counted groups for the kinds below and part-time
    members while room is left; and how many organizations were read."""
    g = Graph()
    rows = store.read(_ORG_FETCH[kind], {**params, "kinds": kinds, "limit": cap}).rows
    pending_members: list[tuple[GNode, list[Any], int]] = []
    for o, parent, secretaries, part_time, pt_total, members, hidden_children in rows:
        org = g.add(_gnode(o))
        org.flags.update(members=int(members), part_time=int(pt_total))
        org.flags["parent"] = node_id("PartyOrg", parent[0]) if parent else None
        org.flags["secretaries"] = [_gnode(s) for s in secretaries]
        for k, n in sorted(Counter(hidden_children).items(), key=lambda kv: _KIND_RANK.get(kv[0], 9)):
            org.flags.setdefault("hidden_children", {})[k] = n
        # A pattern comprehension's order is each store's own: the first PART_TIME_PER_ORG by name are drawn.
        part_time = sorted(part_time, key=_by_name)[:PART_TIME_PER_ORG]
        pending_members.append((org, part_time, int(pt_total)))
    for org in list(g.nodes.values()):
        parent_id = org.flags.get("parent")
        if parent_id in g.nodes:
            g.link(org.id, parent_id, "SUBORDINATE_TO")
    _levels(g)
    # Hidden lower levels as one counted node per parent and kind.
    for org in list(g.nodes.values()):
        for k, n in (org.flags.get("hidden_children") or {}).items():
            g.add_group(org.id, "SUBORDINATE_TO", False, "PartyOrg", n, org.level + 1, noun=k)
    room = cap - len(g.nodes)
    for org, part_time, total in pending_members:
        shown = 0
        for m, r in part_time:
            if room <= 1:  # keep a place for the counted node of the rest
                break
            p = _gnode(m)
            if p.id not in g.nodes:
                room -= 1
                p.level = org.level + 1
                p.flags["part_time"] = True
            g.add(p)
            g.link(p.id, org.id, "PART_TIME_MEMBER_OF", dict((r or {}).get("properties") or {}))
            shown += 1
        if total > shown and room > 0:  # with no room left the count stays in the organization's panel
            g.add_group(org.id, "PART_TIME_MEMBER_OF", False, "Person", total - shown, org.level + 1)
            room -= 1
    return g, len(rows)


def _by_name(pair: list[Any]) -> tuple[str, str, str]:
    """Sort key of a [person, relationship] pair: name, pid, start date."""
    m, r = pair
    props, rprops = m.get("properties") or {}, (r or {}).get("properties") or {}
    return (str(props.get("name") or ""), str(props.get("pid") or ""), str(rprops.get("since") or ""))


def _levels(g: Graph) -> None:
    """Depth of each organization from its root, following SUBORDINATE_TO edges within the drawing."""
    parent = {e.source: e.target for e in g.edges if e.type == "SUBORDINATE_TO"}
    for n in g.nodes.values():
        depth, cur, seen = 0, n.id, {n.id}
        while cur in parent and parent[cur] not in seen:
            cur = parent[cur]
            seen.add(cur)
            depth += 1
        n.level = depth


# ------------------------------------------------------------------------------------------------ names
_NAMES: dict[str, LiteralString] = {
    label: statement(
        f"network.names.{label}",
        trusted(f"UNWIND $keys AS key MATCH (n:{label} {{{nt.key}: key}}) RETURN key, n.name AS name"),
        f"一批{nt.zh}的名称（短板清单等列表用）",
        origin=__name__,
    )
    for label, nt in NODES.items()
    if label != "Household"
}


def names(store: Store, label: str, keys: list[str]) -> dict[str, str | None]:
    """{key: name} for keys of one label (a page shows at most a few hundred at once)."""
    if label not in _NAMES or not keys:
        return {}
    return dict(store.read(_NAMES[label], {"keys": list(keys)}).rows)


# ------------------------------------------------------------------------------------------ contact path
def path_graph(store: Store, from_key: str, to_key: str, *, as_of: str | None = None) -> Graph:
    """The shortest contact path (queries/contacts.py) as a Graph whose node levels are their places on the
    path.

    A path has at most a dozen nodes, so each is read whole (properties for the click panel).
    """
    result = contact_path(store, from_key, to_key, as_of)
    g = Graph()
    if not result.get("found"):
        if result.get("exhaustive", True):
            g.notes.append(f"在 {result.get('max_len', '')} 步之内，这两个节点之间没有在期的联系路径。")
        else:
            g.notes.append(
                "这两个节点相距很远（途经关系极多的枢纽），查询在读取一定数量的关系后停止，没有找到路径："
                "请换一个更近的起点或终点（如同一街道内的节点）。"
            )
        return g
    ids = []
    for i, n in enumerate(result["nodes"]):
        node = g.add(fetch_node(store, NodeRef(n["label"], n["key"], n.get("name"))))
        node.level = i
        ids.append(node.id)
    for i, e in enumerate(result["edges"]):
        src, dst = (ids[i], ids[i + 1]) if e.get("forward", True) else (ids[i + 1], ids[i])
        g.link(src, dst, e["type"], {"role": e["role"]} if e.get("role") else {})
    if not result.get("exhaustive", True):
        g.notes.append("途经的节点中有关系极多的枢纽，查询只看了其中一部分：可能还有更短的路径。")
    return g
