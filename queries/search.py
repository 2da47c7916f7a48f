"""Search by name, 拼音首字母 or code: people, grids, communities, streets, buildings, units and party
organizations.

Every lookup is a range on an indexed property (`name`, `py`, or the key), `>= q AND <` q with its last
character's successor (exactly the strings starting with q), which both stores answer from their range index
(a `STARTS WITH` is a label scan in FalkorDB; an upper bound of q + U+FFFF misses values in FalkorDB's index
when ASCII follows the prefix), with a LIMIT: the cost does not grow with the city (1M residents
search like 1,000). What a user may find is decided as everywhere else by `orggraph.queries.policy`:

- a role without `people` (viewer) finds no people;
- a scoped user finds only what lies inside their jurisdiction (and the regions above it), checked per
  candidate with the same jurisdiction test the pages use; candidates are read a few times over the limit
  so that a scoped search still fills its answer in the usual case.

Answer rows: {"kind", "key", "name", "where"}; `where` is "街道 / 社区" of the node (a person's home, or
for someone living elsewhere the first region they serve or contact).
"""

from __future__ import annotations

import re
from typing import Any, LiteralString

from orggraph.graph.cypher import statement, trusted
from orggraph.graph.store import Store
from orggraph.queries.policy import Access, Jurisdiction
from orggraph.queries.scope import PID_RE

__all__ = ["KINDS", "KIND_ZH", "MAX_LIMIT", "search", "where_of"]

# kind of the answer -> (label, key property)
KINDS: dict[str, tuple[str, str]] = {
    "person": ("Person", "pid"),
    "grid": ("Grid", "code"),
    "community": ("Community", "code"),
    "street": ("Street", "code"),
    "building": ("Building", "code"),
    "unit": ("Unit", "code"),
    "party_org": ("PartyOrg", "code"),
}
KIND_ZH = {
    "person": "人员",
    "grid": "网格",
    "community": "社区",
    "street": "街道",
    "building": "楼栋",
    "unit": "单位",
    "party_org": "党组织",
}
MAX_LIMIT = 50
_RANK = {"street": 0, "community": 1, "grid": 2, "party_org": 3, "unit": 4, "building": 5, "person": 6}
_ASCII = re.compile(r"^[0-9A-Za-z]+$")
_CODE = re.compile(r"^[0-9A-Za-z_\-]+$")

# (kind, field) -> statement: candidates whose field starts with $lo (range on the index), at most $n.
_FIND: dict[tuple[str, str], LiteralString] = {}
for _kind, (_label, _key) in KINDS.items():
    for _field in ("name", "py", _key):
        _FIND[(_kind, _field)] = statement(
            f"search.{_kind}.{_field}",
            # Label and properties come from the fixed table above, never from input.
            trusted(
                f"MATCH (n:{_label}) WHERE n.{_field} >= $lo AND n.{_field} < $hi "
                f"RETURN n.{_key} AS key, n.name AS name LIMIT $n"
            ),
            f"按名称、拼音首字母或编码的前缀查找{KIND_ZH[_kind]}（走索引，有上限）",
            origin=__name__,
        )

# The street and community names above nodes of each kind, for a page of results (keys of one kind).
_UP = "OPTIONAL MATCH (t)-[:PART_OF*0..4]->(a) WHERE a:Street OR a:Community\n"
_WHERE: dict[str, LiteralString] = {
    **{
        kind: statement(
            f"search.where.{kind}",
            # The label comes from the fixed table above, never from input.
            trusted(
                f"UNWIND $keys AS k\nMATCH (t:{label} {{code: k}})\n"
                "OPTIONAL MATCH (t)-[:PART_OF*1..4]->(a) WHERE a:Street OR a:Community\n"
                "RETURN k AS key, collect(DISTINCT [labels(a)[0], a.name]) AS up"
            ),
            f"{KIND_ZH.get(kind, '户')}所在的街道、社区（搜索结果和短板清单显示位置用）",
            origin=__name__,
        )
        for kind, label in (
            ("street", "Street"),
            ("community", "Community"),
            ("grid", "Grid"),
            ("building", "Building"),
            ("household", "Household"),
        )
    },
    "party_org": statement(
        "search.where.party_org",
        "UNWIND $keys AS k\nMATCH (o:PartyOrg {code: k})\nOPTIONAL MATCH (o)-[:BASED_IN]->(t)\n"
        + _UP
        + "RETURN k AS key, collect(DISTINCT [labels(a)[0], a.name]) AS up",
        "党组织依托对象所在的街道、社区",
        origin=__name__,
    ),
    "unit": statement(
        "search.where.unit",
        "UNWIND $keys AS k\nMATCH (u:Unit {code: k})\nOPTIONAL MATCH (a:Street {code: u.street})\n"
        "RETURN k AS key, collect(DISTINCT [labels(a)[0], a.name]) AS up",
        "单位所在街道",
        origin=__name__,
    ),
    "person": statement(
        "search.where.person",
        "UNWIND $keys AS k\nMATCH (p:Person {pid: k})\n"
        "OPTIONAL MATCH (p)-[:LIVES_IN]->(t)\n"
        + _UP
        + "WITH k, p, collect(DISTINCT [labels(a)[0], a.name]) AS home\n"
        "OPTIONAL MATCH (p)-[:SERVES|CONTACTS|LINKS_HOUSEHOLD]->(t)\n"
        + _UP
        + "WITH k, home, t, collect(DISTINCT [labels(a)[0], a.name]) AS up ORDER BY t.code\n"
        "RETURN k AS key, home, collect(up)[0] AS work",
        "人员所在的街道、社区：居住地，没有则为其服务或联系的第一个区域",
        origin=__name__,
    ),
}


# Which of a batch of region nodes lie inside a scope (itself or below it): one statement per kind, instead of
# the jurisdiction test's two reads per candidate (a street token's search over a city's codes looks at
# dozens).
_INSIDE: dict[str, LiteralString] = {
    kind: statement(
        f"search.inside.{kind}",
        # The label comes from the fixed table above, never from input.
        trusted(
            f"UNWIND $keys AS k\nMATCH (n:{label} {{code: k}})-[:PART_OF*0..3]->(a)\n"
            "WHERE a.code = $scope\nRETURN DISTINCT k AS key"
        ),
        f"一批{KIND_ZH[kind]}中位于某范围内的（搜索结果按管辖范围过滤）",
        origin=__name__,
    )
    for kind, label in (
        ("street", "Street"),
        ("community", "Community"),
        ("grid", "Grid"),
        ("building", "Building"),
    )
}
# The same for people, as policy's jurisdiction places them (scope.regions.person): where they live, serve,
# contact, link households or report, and where their party organizations are based.
_INSIDE["person"] = statement(
    "search.inside.person",
    """UNWIND $keys AS k
MATCH (p:Person {pid: k})
OPTIONAL MATCH (p)-[:LIVES_IN|SERVES|CONTACTS|LINKS_HOUSEHOLD|REPORTED_TO]->(t)-[:PART_OF*0..5]->(a)
WHERE a.code = $scope
WITH k, p, count(a) AS n1
OPTIONAL MATCH (p)-[:MEMBER_OF|SECRETARY_OF|PART_TIME_MEMBER_OF]->(:PartyOrg)
      -[:BASED_IN]->(b)-[:PART_OF*0..5]->(a2)
WHERE a2.code = $scope
WITH k, n1, count(a2) AS n2
WHERE n1 + n2 > 0
RETURN k AS key""",
    "一批人员中位于某范围内的（与权限判断的人员所在区域相同）",
    origin=__name__,
)


def _visible(store: Store, access: Access, found: list[dict[str, Any]]) -> set[tuple[str, str]]:
    """The (kind, key) of `found` a scoped user may see: inside the jurisdiction or a region above it."""
    seen = Jurisdiction(store, access)
    out: set[tuple[str, str]] = set()
    by_kind: dict[str, list[str]] = {}
    for r in found:
        by_kind.setdefault(r["kind"], []).append(r["key"])
    for kind, keys in by_kind.items():
        q = _INSIDE.get(kind)
        if q is not None:
            inside = {str(k) for (k,) in store.read(q, {"keys": keys, "scope": access.scope}).rows}
            out |= {(kind, k) for k in keys if k in inside or k in seen.above}
        else:
            out |= {(kind, k) for k in keys if seen.sees(k)}
    return out


def _path(up: list[Any] | None) -> str:
    got = {lab: name for lab, name in (up or []) if lab and name}
    return " / ".join(got[lab] for lab in ("Street", "Community") if lab in got)


def where_of(store: Store, kind: str, keys: list[str]) -> dict[str, str]:
    """{key: "街道 / 社区"} for keys of one kind (at most a page of them)."""
    if not keys:
        return {}
    if kind == "person":
        return {
            k: _path(home if home and any(a for _, a in home) else work)
            for k, home, work in store.read(_WHERE["person"], {"keys": keys}).rows
        }
    q = _WHERE.get(kind)
    if q is None:  # districts, people without a kind here: no street / community to show
        return {}
    return {k: _path(up) for k, up in store.read(q, {"keys": keys}).rows}


def _after(prefix: str) -> str:
    """The least string greater than every string that starts with `prefix`."""
    return prefix[:-1] + chr(min(ord(prefix[-1]) + 1, 0x10FFFF))


def _fields(kind: str, text: str, access: Access) -> list[tuple[str, str]]:
    """(field, prefix) pairs worth asking for a typed text."""
    label, key = KINDS[kind]
    out = [("name", text)]
    if _ASCII.fullmatch(text):
        out.append(("py", text.lower()))
    if kind == "person":
        if access.people and PID_RE.fullmatch(text):
            out.append(("pid", text))
    elif _CODE.fullmatch(text):
        out.append((key, text.upper() if kind == "unit" else text))
    return out


def search(store: Store, text: str, access: Access, *, limit: int = 10) -> list[dict[str, Any]]:
    """Up to `limit` nodes whose name, 拼音首字母 or code starts with `text`, as this user may see them.

    Order: exact names first, then regions before organizations before people, then shorter names.
    """
    text = (text or "").strip()
    limit = max(1, min(int(limit), MAX_LIMIT))
    if not text:
        return []
    per = limit * (4 if access.scope else 2)
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for kind in KINDS:
        if kind == "person" and not access.people:
            continue
        for field, prefix in _fields(kind, text, access):
            rows = store.read(_FIND[(kind, field)], {"lo": prefix, "hi": _after(prefix), "n": per}).rows
            for key, name in rows:
                if key is None or (kind, key) in found:
                    continue
                found[(kind, str(key))] = {"kind": kind, "key": str(key), "name": name or str(key)}
    ranked = sorted(
        found.values(),
        key=lambda r: (r["name"] != text, _RANK[r["kind"]], len(r["name"]), r["name"], r["key"]),
    )
    if access.scope is not None:
        visible = _visible(store, access, ranked)
        ranked = [r for r in ranked if (r["kind"], r["key"]) in visible]
    out = ranked[:limit]
    by_kind: dict[str, list[str]] = {}
    for r in out:
        by_kind.setdefault(r["kind"], []).append(r["key"])
    where: dict[tuple[str, str], str] = {}
    for kind, keys in by_kind.items():
        for k, w in where_of(store, kind, keys).items():
            where[(kind, k)] = w
    for r in out:
        r["where"] = where.get((r["kind"], r["key"]), "")
    return out
