"""A node's own gaps, as the banner at the top of its page says them: "本网格无专职网格员",
"该领导联系点不符合规定：…" with the rule and the counts, and the like.

Each check reuses the gap lists of `orggraph.queries.coverage` on the smallest scope that holds the node (its
community, or the street of a street-level contact point), so a banner and the 短板清单 never disagree, and
a page of a 1M-resident city still reads only one community's worth of rows.
"""

from __future__ import annotations

from typing import Any, LiteralString

from orggraph.graph.cypher import statement
from orggraph.graph.schema import display_name
from orggraph.graph.store import Store
from orggraph.queries.coverage import OVERLOAD_HOUSEHOLDS, contact_rule_violations, gap_details, sole_contacts
from orggraph.queries.scope import NodeRef, check_as_of
from orggraph.queries.terms import in_force

__all__ = ["banners"]

_IN_FORCE = in_force()

_COMMUNITY_OF: dict[str, LiteralString] = {
    "Community": statement(
        "banners.community_of.Community",
        "MATCH (c:Community {code: $key}) RETURN c.code AS community",
        "社区本身（短板横幅的范围）",
        origin=__name__,
    ),
    "Grid": statement(
        "banners.community_of.Grid",
        "MATCH (:Grid {code: $key})-[:PART_OF]->(c:Community) RETURN c.code AS community",
        "网格所在社区（短板横幅的范围）",
        origin=__name__,
    ),
}

_GRID_PARTY_ORG = statement(
    "banners.grid_party_org",
    """MATCH (g:Grid {code: $key})
OPTIONAL MATCH (o1:PartyOrg)-[:BASED_IN]->(g)
OPTIONAL MATCH (g)<-[:PART_OF]-(:Building)<-[:BASED_IN]-(o2:PartyOrg)
RETURN count(DISTINCT o1) + count(DISTINCT o2) AS orgs""",
    "依托网格或其楼栋建立的党组织数（网格党组织覆盖）",
    origin=__name__,
)

_BUILDING_HEADS = statement(
    "banners.building_heads",
    f"""MATCH (b:Building {{code: $key}})
OPTIONAL MATCH (b)<-[r:SERVES]-(:Person)
WHERE r.role = '楼栋长' AND {_IN_FORCE}
RETURN count(r) AS heads""",
    "楼栋在期的楼栋长人数",
    origin=__name__,
)

_ORG_SECRETARY = statement(
    "banners.org_secretary",
    "MATCH (o:PartyOrg {code: $key}) OPTIONAL MATCH (s:Person)-[:SECRETARY_OF]->(o) RETURN count(s) "
    "AS secretaries",
    "党组织的书记人数",
    origin=__name__,
)

_PERSON_SCOPES = statement(
    "banners.person_scopes",
    f"""MATCH (p:Person {{pid: $key}})-[r:CONTACTS|SERVES]->(t)
WHERE {_IN_FORCE}
OPTIONAL MATCH (t)-[:PART_OF*0..2]->(c:Community)
OPTIONAL MATCH (t)-[:PART_OF*0..3]->(s:Street)
RETURN DISTINCT type(r) AS rel, c.code AS community, s.code AS street
LIMIT 20""",
    "一名联系领导或网格力量在期联系对象所在的社区或街道（核对其联系点的范围）",
    origin=__name__,
)


def _level_counts(v: dict[str, Any]) -> str:
    return "、".join(
        f"{display_name(b['level'])}应为 {b['required']} 个、实为 {b['actual']} 个" for b in v["broken"]
    )


def banners(store: Store, ref: NodeRef, as_of: str | None = None) -> list[dict[str, str]]:
    """The gaps of the node `ref` names: [{"level": "red"|"amber", "text": Chinese}], the worst first."""
    day = check_as_of(as_of)
    out: list[dict[str, str]] = []
    if ref.label in ("Grid", "Community"):
        rows = store.read(_COMMUNITY_OF[ref.label], {"key": ref.key}).rows
        if not rows:
            return out
        details = gap_details(store, rows[0][0], day)
        if ref.label == "Grid":
            if any(g["code"] == ref.key for g in details["grids_without_fulltime"]):
                out.append(
                    {"level": "red", "text": "本网格无专职网格员：请配备专职网格员，并录入网格力量台账。"}
                )
            for g in details["overloaded_grids"]:
                if g["code"] == ref.key:
                    out.append(
                        {
                            "level": "amber",
                            "text": (
                                f"本网格专职网格员负担过重：{g['households']:,} 户由 "
                                f"{g['fulltime']} 名专职网格员负责，"
                                f"每人 {g['load']:.0f} 户（规定每人不超过 {OVERLOAD_HOUSEHOLDS} 户）。"
                            ),
                        }
                    )
            if any(g["code"] == ref.key for g in details["grids_without_direct_contact"]):
                out.append(
                    {
                        "level": "red",
                        "text": "本网格没有直接联系人：没有在期的网格员或联系领导直接联系本网格。",
                    }
                )
            if not int(store.read(_GRID_PARTY_ORG, {"key": ref.key}).rows[0][0]):
                out.append({"level": "amber", "text": "本网格未建党组织：没有依托本网格或其楼栋的党组织。"})
        else:
            if any(c["code"] == ref.key for c in details["communities_without_cobuilding"]):
                out.append(
                    {
                        "level": "red",
                        "text": "本社区没有在期共建单位：请联系辖区单位签订共建协议，录入联建共建台账。",
                    }
                )
            n = len(details["grids_without_fulltime"])
            if n:
                out.append({"level": "amber", "text": f"本社区有 {n} 个网格无专职网格员。"})
    elif ref.label == "Building":
        if not int(store.read(_BUILDING_HEADS, {"key": ref.key, "as_of": day}).rows[0][0]):
            out.append({"level": "amber", "text": "本楼栋无在期楼栋长：请录入网格力量台账（岗位 楼栋长）。"})
    elif ref.label == "PartyOrg":
        if not int(store.read(_ORG_SECRETARY, {"key": ref.key}).rows[0][0]):
            out.append({"level": "red", "text": "本党组织未录入书记：请在党组织台账中填写书记身份证号。"})
    elif ref.label == "Person":
        out += _person_banners(store, ref.key, day)
    return out


def _person_banners(store: Store, pid: str, day: str) -> list[dict[str, str]]:
    rows = store.read(_PERSON_SCOPES, {"key": pid, "as_of": day}).rows
    out: list[dict[str, str]] = []
    contacts = [(c, s) for rel, c, s in rows if rel == "CONTACTS"]
    if contacts:
        # Every CONTACTS of the person is counted whatever the scope (the rule is about the person): any
        # scope holding one of their contact points finds them.
        community, street = contacts[0]
        for v in contact_rule_violations(store, community or street, day):
            if v["pid"] == pid:
                out.append(
                    {"level": "red", "text": f"该领导联系点不符合规定：{v['rule']}（{_level_counts(v)}）。"}
                )
    grids: set[str] = set()
    for scope in sorted({c for _rel, c, _s in rows if c}):
        grids.update(g for s in sole_contacts(store, scope, day) if s["pid"] == pid for g in s["grids"])
    if grids:
        shown = sorted(grids)
        out.append(
            {
                "level": "amber",
                "text": (
                    f"该同志是 {len(shown)} 个网格唯一的直接联系人（"
                    f"{'、'.join(shown[:5])}{'等' if len(shown) > 5 else ''}）："
                    "其离开后这些网格无人直接联系。"
                ),
            }
        )
    return out
