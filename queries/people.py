"""Finding people: one person by pid (the API computes it from an ID number), and a bounded search by name.

Answers carry stored properties unmasked (`phone` in full); masking by role is the caller's job.
"""

from __future__ import annotations

from typing import Any

from orggraph.graph.cypher import statement
from orggraph.graph.store import Store

__all__ = ["person", "search_people", "people_regions", "SEARCH_CAP"]

SEARCH_CAP = 500  # candidates a name search looks at: a common name in a city has hundreds of bearers

PERSON = statement(
    "people.person",
    """MATCH (p:Person {pid: $pid})
OPTIONAL MATCH (p)-[:LIVES_IN]->(h:Household)
RETURN p AS person, 'PartyMember' IN labels(p) AS party_member, collect(DISTINCT h.code) AS households""",
    "按人员标识(pid)取一个人及其居住的户",
    origin=__name__,
)

SEARCH = statement(
    "people.search",
    """MATCH (p:Person)
WHERE p.name STARTS WITH $name
WITH p ORDER BY size(p.name), p.name, p.pid LIMIT $cap
OPTIONAL MATCH (p)-[:LIVES_IN]->(h:Household)
RETURN p AS person, 'PartyMember' IN labels(p) AS party_member, collect(DISTINCT h.code) AS households""",
    "按姓名（前缀）查找人员，先精确后前缀，有上限",
    origin=__name__,
)

# The same regions as scope.regions.person, for many people in one round trip.
REGIONS = statement(
    "people.regions",
    """UNWIND $pids AS pid
MATCH (p:Person {pid: pid})
OPTIONAL MATCH (p)-[:LIVES_IN|SERVES|CONTACTS|LINKS_HOUSEHOLD|REPORTED_TO]->(t)-[:PART_OF*0..5]->(a)
WITH p, collect(DISTINCT a.code) AS direct
OPTIONAL MATCH (p)-[:MEMBER_OF|SECRETARY_OF|PART_TIME_MEMBER_OF]->(:PartyOrg)
      -[:BASED_IN]->(b)-[:PART_OF*0..5]->(a2)
WITH p, direct, collect(DISTINCT a2.code) AS more
RETURN p.pid AS pid, direct + more AS regions""",
    "多名人员各自所在的区域（同 scope.regions.person，一次查询）",
    origin=__name__,
)


def _person(row: list[Any]) -> dict[str, Any]:
    node, party_member, households = row
    props = dict(node["properties"])
    props.pop("source", None)
    return {**props, "party_member": bool(party_member), "households": sorted(h for h in households if h)}


def person(store: Store, pid: str) -> dict[str, Any] | None:
    """The person with this pid (stored properties, `party_member`, `households`), or None."""
    rows = store.read(PERSON, {"pid": pid}).rows
    return _person(rows[0]) if rows else None


def people_regions(store: Store, pids: list[str]) -> dict[str, frozenset[str]]:
    """{pid: codes of the regions the person belongs to} (see scope.regions_of)."""
    if not pids:
        return {}
    rows = store.read(REGIONS, {"pids": pids}).rows
    return {pid: frozenset(c for c in regions or [] if c) for pid, regions in rows}


def search_people(store: Store, name: str, *, scope: str | None = None) -> tuple[list[dict[str, Any]], bool]:
    """People whose name starts with `name` (exact matches first), inside `scope` when given.

    Returns (people, capped): `capped` when more than SEARCH_CAP people matched the name, so some may be
    missing from the answer (ask with a longer name).
    """
    rows = store.read(SEARCH, {"name": name, "cap": SEARCH_CAP + 1}).rows
    capped = len(rows) > SEARCH_CAP
    found = sorted(
        (_person(r) for r in rows), key=lambda p: (len(p.get("name") or ""), p.get("name") or "", p["pid"])
    )
    found = found[:SEARCH_CAP]
    if scope is not None:
        regions = people_regions(store, [p["pid"] for p in found])
        found = [p for p in found if scope in regions.get(p["pid"], frozenset())]
    return found, capped
