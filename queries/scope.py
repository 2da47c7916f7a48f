"""What a key names (a code of any node, or a person's pid) and which regions it belongs to — for scopes and
jurisdiction."""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field

from orggraph.graph.cypher import statement, trusted
from orggraph.graph.store import Store

__all__ = [
    "NodeRef",
    "resolve_key",
    "resolve_scope",
    "regions_of",
    "in_scope",
    "today",
    "check_as_of",
    "ScopeError",
    "not_found",
    "RESOLVE",
    "SCOPE_LABELS",
    "PID_RE",
]

SCOPE_LABELS = ("District", "Street", "Community")
PID_RE = re.compile(r"^[0-9a-f]{20}$")


class ScopeError(ValueError):
    """A key or scope that names nothing (404) or the wrong kind of thing (422); message in Chinese."""

    def __init__(self, message: str, status: int = 404) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class NodeRef:
    label: str  # District, Street, Community, Grid, Building, Household, PartyOrg, Unit, Person
    key: str  # code, or pid for a Person
    name: str | None
    regions: frozenset[str] = field(
        default_factory=frozenset
    )  # codes of the regions it belongs to (itself included)


RESOLVE = statement(
    "scope.resolve",
    """CALL {
  MATCH (n:District {code: $key}) RETURN n, 'District' AS label
  UNION MATCH (n:Street {code: $key}) RETURN n, 'Street' AS label
  UNION MATCH (n:Community {code: $key}) RETURN n, 'Community' AS label
  UNION MATCH (n:Grid {code: $key}) RETURN n, 'Grid' AS label
  UNION MATCH (n:Building {code: $key}) RETURN n, 'Building' AS label
  UNION MATCH (n:Household {code: $key}) RETURN n, 'Household' AS label
  UNION MATCH (n:PartyOrg {code: $key}) RETURN n, 'PartyOrg' AS label
  UNION MATCH (n:Unit {code: $key}) RETURN n, 'Unit' AS label
  UNION MATCH (n:Person {pid: $key}) RETURN n, 'Person' AS label
}
RETURN label, n.name AS name
LIMIT 1""",
    "一个编码（或人员 pid）指的是什么节点",
    origin=__name__,
)

# The regions (District … Household) a node lies in, itself included. A party organization lies where it
# (or an organization above it) is based; a person where they live or anything they contact lies; a unit
# where it co-builds or reports, and the street it sits in.
_REGIONS = {
    **{
        label: statement(
            f"scope.regions.{label}",
            # The label comes from the fixed tuple below, never from input.
            trusted(
                f"MATCH (n:{label} {{code: $key}})-[:PART_OF*0..5]->(a) RETURN collect(DISTINCT "
                "a.code) AS regions"
            ),
            "一个区域节点及其上级区域",
            origin=__name__,
        )
        for label in ("District", "Street", "Community", "Grid", "Building", "Household")
    },
    "PartyOrg": statement(
        "scope.regions.party_org",
        """MATCH (o:PartyOrg {code: $key})
OPTIONAL MATCH (o)-[:SUBORDINATE_TO*0..8]->(:PartyOrg)-[:BASED_IN]->(b)-[:PART_OF*0..5]->(a)
RETURN collect(DISTINCT a.code) AS regions""",
        "党组织所在的区域（依托对象及上级组织的依托对象）",
        origin=__name__,
    ),
    "Person": statement(
        "scope.regions.person",
        """MATCH (p:Person {pid: $key})
OPTIONAL MATCH (p)-[:LIVES_IN|SERVES|CONTACTS|LINKS_HOUSEHOLD|REPORTED_TO]->(t)-[:PART_OF*0..5]->(a)
WITH p, collect(DISTINCT a.code) AS direct
OPTIONAL MATCH (p)-[:MEMBER_OF|SECRETARY_OF|PART_TIME_MEMBER_OF]->(:PartyOrg)
      -[:BASED_IN]->(b)-[:PART_OF*0..5]->(a2)
WITH direct, collect(DISTINCT a2.code) AS more
RETURN direct + more AS regions""",
        "人员所在的区域：居住地，以及其联系、服务、报到的对象所在区域",
        origin=__name__,
    ),
    "Unit": statement(
        "scope.regions.unit",
        """MATCH (u:Unit {code: $key})
OPTIONAL MATCH (u)-[:CO_BUILDS|REPORTED_TO]->(c:Community)-[:PART_OF*0..2]->(a)
WITH u, collect(DISTINCT a.code) AS via
OPTIONAL MATCH (s:Street {code: u.street})-[:PART_OF*0..1]->(a2)
WITH via, collect(DISTINCT a2.code) AS more
RETURN via + more AS regions""",
        "单位所在的区域：所在街道，以及其共建、报到的社区",
        origin=__name__,
    ),
}


def today() -> str:
    return _dt.date.today().isoformat()


def check_as_of(as_of: str | None) -> str:
    """`as_of` as ISO date (default today); ScopeError(422) when malformed."""
    if as_of is None or as_of == "":
        return today()
    try:
        return _dt.date.fromisoformat(as_of).isoformat()
    except (TypeError, ValueError):
        raise ScopeError(f"日期「{as_of}」格式不对，应为 YYYY-MM-DD，例如 2025-06-30", 422) from None


def regions_of(store: Store, label: str, key: str) -> frozenset[str]:
    q = _REGIONS[label]
    rows = store.read(q, {"key": key}).rows
    return frozenset(c for c in (rows[0][0] if rows else []) or [] if c is not None)


def not_found(key: str) -> ScopeError:
    """The answer to a key that names nothing — and, for a scoped user, to one outside their jurisdiction."""
    return ScopeError(
        f"找不到编码或人员标识「{key}」：请检查是否输入正确，或数据是否已导入（范围受限的令牌只能查到本辖区内的）"
    )


def resolve_key(store: Store, key: str, *, with_regions: bool = True) -> NodeRef:
    """The node a key names; ScopeError(404) when nothing has that code or pid."""
    rows = store.read(RESOLVE, {"key": key}).rows
    if not rows:
        raise not_found(key)
    label, name = rows[0]
    regions = regions_of(store, label, key) if with_regions else frozenset()
    return NodeRef(label, key, name, regions)


def resolve_scope(store: Store, scope: str | None) -> NodeRef | None:
    """A scope is the whole graph (None) or a district, street or community code."""
    if scope is None or scope == "":
        return None
    ref = resolve_key(store, scope, with_regions=False)
    if ref.label not in SCOPE_LABELS:
        raise ScopeError(f"范围「{scope}」是{ref.label}，范围只能是区县、街道或社区编码", 422)
    return ref


def in_scope(ref: NodeRef, scope: str | None) -> bool:
    """Whether a node lies inside a jurisdiction (None = everything)."""
    return scope is None or scope in ref.regions
