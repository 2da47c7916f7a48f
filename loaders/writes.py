"""The batched UNWIND … MERGE statements the loaders run, generated from the schema and registered for the
linter.

Every statement reads `$rows`, a list of maps; node rows are `{key, props}`, relationship rows `{a, b, props}`
(plus `key` for relationships that can exist several times between the same two nodes, e.g. two terms of
office). `SET x += row.props` makes a re-import idempotent and lets a newer ledger update what changed
(a null in props removes that property, e.g. an end date taken back). A reference a newer ledger leaves empty
removes the relationship it made (`UNLINK_WRITES`, rows `{key}` of the node whose cell is empty).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import LiteralString

from orggraph.graph.cypher import statement, trusted
from orggraph.graph.schema import NODES, RELS

__all__ = [
    "NodeWrite",
    "RelWrite",
    "NODE_WRITES",
    "REL_WRITES",
    "UNLINK_WRITES",
    "UnlinkWrite",
    "node_write",
    "rel_write",
    "unlink_write",
    "write_text",
]


@dataclass(frozen=True)
class NodeWrite:
    name: str
    label: str
    text: LiteralString


@dataclass(frozen=True)
class RelWrite:
    name: str
    type: str
    start: str
    end: str
    text: LiteralString


def _node(label: str, variant: str = "") -> NodeWrite:
    n = NODES[label]
    name = f"load.node.{label}" + (f".{variant}" if variant else "")
    # Label and key come from the schema, never from input.
    merge = f"MERGE (n:{label} {{{n.key}: row.key}}) SET n += row.props"
    if variant == "member":
        # Adding a label to many nodes in one statement is very slow in FalkorDB 4.16 (SET n:PartyMember on
        # 9,000 new people beside 90,000 others: 80 s), whereas MERGE with both labels creates them with
        # it (0.2 s). So: give the label first only to people already stored without it (a 群众 who joined),
        # then MERGE on both labels, which finds those and creates the rest.
        text = (
            f"UNWIND $rows AS row OPTIONAL MATCH (old:{label} {{{n.key}: row.key}}) WHERE NOT old:"
            "PartyMember "
            "FOREACH (_ IN CASE WHEN old IS NULL THEN [] ELSE [1] END | SET old:PartyMember) "
            f"WITH row MERGE (n:{label}:PartyMember {{{n.key}: row.key}}) SET n += row.props"
        )
    elif variant == "plain":
        text = f"UNWIND $rows AS row {merge} WITH n WHERE n:PartyMember REMOVE n:PartyMember"
    else:
        text = f"UNWIND $rows AS row {merge}"
    return NodeWrite(name, label, statement(name, trusted(text), f"写入{n.zh}", origin=__name__))


# Cardinality comes from the schema (RelType.one_per, RelType.keyed). Relationships a start node has at most
# one of: writing a new one removes the old, so a move in a newer ledger is a move, not a copy.
_FUNCTIONAL = frozenset(t for t, r in RELS.items() if r.one_per == "start")
# ... and those an end node has at most one of: an organization has one secretary (its 党组织 row names them).
_FUNCTIONAL_IN = frozenset(t for t, r in RELS.items() if r.one_per == "end")
# Relationships that may hold several times between the same two nodes (successive terms, several roles).
_KEYED = frozenset(t for t, r in RELS.items() if r.keyed)


def _rel(type_: str, start: str, end: str) -> RelWrite:
    r = RELS[type_]
    if start not in r.start or end not in r.end:
        raise ValueError(f"{start}-[{type_}]->{end} is not in the schema")
    sk, ek = NODES[start].key, NODES[end].key
    name = f"load.rel.{start}.{type_}.{end}"
    head = f"UNWIND $rows AS row MATCH (a:{start} {{{sk}: row.a}}) MATCH (b:{end} {{{ek}: row.b}}) "
    if type_ in _FUNCTIONAL:
        body = (
            f"OPTIONAL MATCH (a)-[old:{type_}]->(x) WHERE x <> b DELETE old "
            f"WITH DISTINCT a, b, row MERGE (a)-[r:{type_}]->(b) SET r += row.props"
        )
    elif type_ in _FUNCTIONAL_IN:
        body = (
            f"OPTIONAL MATCH (x)-[old:{type_}]->(b) WHERE x <> a DELETE old "
            f"WITH DISTINCT a, b, row MERGE (a)-[r:{type_}]->(b) SET r += row.props"
        )
    elif type_ in _KEYED:
        body = f"MERGE (a)-[r:{type_} {{key: row.key}}]->(b) SET r += row.props"
    else:
        body = f"MERGE (a)-[r:{type_}]->(b) SET r += row.props"
    return RelWrite(
        name, type_, start, end, statement(name, trusted(head + body), f"写入{r.zh}", origin=__name__)
    )


NODE_WRITES: dict[str, NodeWrite] = {
    w.name: w
    for w in (
        *(_node(label) for label in NODES if label != "Person"),
        _node("Person", "member"),
        _node("Person", "plain"),
    )
}

REL_WRITES: dict[str, RelWrite] = {
    w.name: w
    for w in (
        _rel("PART_OF", "Street", "District"),
        _rel("PART_OF", "Community", "Street"),
        _rel("PART_OF", "Grid", "Community"),
        _rel("PART_OF", "Building", "Grid"),
        _rel("PART_OF", "Household", "Building"),
        _rel("LIVES_IN", "Person", "Household"),
        _rel("SUBORDINATE_TO", "PartyOrg", "PartyOrg"),
        *(_rel("BASED_IN", "PartyOrg", end) for end in RELS["BASED_IN"].end),
        _rel("MEMBER_OF", "Person", "PartyOrg"),
        _rel("SECRETARY_OF", "Person", "PartyOrg"),
        _rel("WORKS_AT", "Person", "Unit"),
        _rel("SERVES", "Person", "Grid"),
        _rel("SERVES", "Person", "Building"),
        _rel("CO_BUILDS", "Unit", "Community"),
        _rel("PART_TIME_MEMBER_OF", "Person", "PartyOrg"),
        *(_rel("CONTACTS", "Person", end) for end in RELS["CONTACTS"].end),
        _rel("REPORTED_TO", "Person", "Community"),
        _rel("REPORTED_TO", "Unit", "Community"),
        _rel("LINKS_HOUSEHOLD", "Person", "Household"),
    )
}


@dataclass(frozen=True)
class UnlinkWrite:
    name: str
    label: str  # the node whose ledger cell is empty
    type: str
    text: LiteralString


def _unlink(label: str, type_: str) -> UnlinkWrite:
    """Remove the one `type_` relationship of the node a newer ledger row names with that cell now empty."""
    if type_ in _FUNCTIONAL and label in RELS[type_].start:
        pattern = f"(:{label} {{{NODES[label].key}: row.key}})-[old:{type_}]->()"
    elif type_ in _FUNCTIONAL_IN and label in RELS[type_].end:
        pattern = f"()-[old:{type_}]->(:{label} {{{NODES[label].key}: row.key}})"
    else:
        raise ValueError(f"a {label} may have many {type_}: an empty cell cannot tell which to remove")
    name = f"load.unlink.{label}.{type_}"
    text = f"UNWIND $rows AS row MATCH {pattern} DELETE old"
    text = statement(name, trusted(text), f"删除新版台账中已清空的{RELS[type_].zh}", origin=__name__)
    return UnlinkWrite(name, label, type_, text)


UNLINK_WRITES: dict[str, UnlinkWrite] = {
    w.name: w
    for w in (
        _unlink("Person", "LIVES_IN"),
        _unlink("Person", "MEMBER_OF"),
        _unlink("Person", "WORKS_AT"),
        _unlink("PartyOrg", "SUBORDINATE_TO"),
        _unlink("PartyOrg", "BASED_IN"),
        _unlink("PartyOrg", "SECRETARY_OF"),
    )
}


def node_write(label: str, variant: str = "") -> str:
    return f"load.node.{label}" + (f".{variant}" if variant else "")


def rel_write(start: str, type_: str, end: str) -> str:
    return f"load.rel.{start}.{type_}.{end}"


def unlink_write(label: str, type_: str) -> str:
    return f"load.unlink.{label}.{type_}"


def write_text(name: str) -> LiteralString:
    w = NODE_WRITES.get(name) or REL_WRITES.get(name) or UNLINK_WRITES[name]
    return w.text
