"""The graph's public vocabulary, declared once: labels, relationship types, keys, properties, Chinese names.

Constraints and indexes for each backend, the loaders' MERGE statements, the Neo4j linter's schema and
the pages' legends are all derived from these declarations, so a new property is one line here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "Prop",
    "NodeType",
    "RelType",
    "NODES",
    "RELS",
    "node",
    "rel",
    "CONTACT_RELS",
    "ORG_CONTACT_RELS",
    "REGION_LABELS",
    "ORG_RELS",
    "STRUCTURE_RELS",
    "PATH_RELS",
    "AtMostOne",
    "STAFF_ROLES",
    "GRID_WORKER_ROLES",
    "BUILDING_ROLES",
    "UNIT_KINDS",
    "ORG_KINDS",
    "POLITICS",
    "PARTY_POLITICS",
    "CONTACT_CATEGORIES",
    "linter_schema",
    "display_name",
]

PropType = Literal["STRING", "INTEGER", "FLOAT", "BOOLEAN", "LIST<STRING>"]


@dataclass(frozen=True)
class Prop:
    name: str
    zh: str
    type: PropType = "STRING"


@dataclass(frozen=True)
class NodeType:
    label: str
    zh: str
    key: str
    props: tuple[Prop, ...]
    extra_labels: tuple[str, ...] = ()  # labels some of these nodes also carry (PartyMember)
    indexed: tuple[str, ...] = ()  # non-key properties worth an index (lookups by name)

    @property
    def prop_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.props)


# How many of a relationship a node may have: "start" = a start node has at most one (a person lives in one
# household: writing a new one removes the old, so a move in a newer ledger is a move, not a copy); "end" =
# an end node has at most one (an organization has one secretary); None = any number.
AtMostOne = Literal["start", "end"]


@dataclass(frozen=True)
class RelType:
    type: str
    zh: str
    start: tuple[str, ...]
    end: tuple[str, ...]
    props: tuple[Prop, ...] = field(default_factory=tuple)
    one_per: AtMostOne | None = None

    @property
    def prop_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.props)

    @property
    def keyed(self) -> bool:
        """It may hold several times between the same two nodes (successive terms, several roles), each told
        apart by its `key` property."""
        return "key" in self.prop_names


_SOURCE = Prop("source", "来源", "STRING")
# 拼音首字母 of the name (orggraph.loaders.pinyin), written by the importer; indexed with the name for search.
_PY = Prop("py", "拼音首字母")
_SEARCH = ("name", "py")
_SINCE = Prop("since", "开始日期")
_UNTIL = Prop("until", "结束日期")
# Identity of a relationship that may hold several times between two nodes (role and start of term).
_KEY = Prop("key", "标识")

NODES: dict[str, NodeType] = {
    n.label: n
    for n in (
        NodeType(
            "District",
            "区县",
            "code",
            (Prop("code", "编码"), Prop("name", "名称"), _PY, _SOURCE),
            indexed=_SEARCH,
        ),
        NodeType(
            "Street",
            "街道",
            "code",
            (Prop("code", "编码"), Prop("name", "名称"), _PY, _SOURCE),
            indexed=_SEARCH,
        ),
        NodeType(
            "Community",
            "社区",
            "code",
            (Prop("code", "编码"), Prop("name", "名称"), _PY, _SOURCE),
            indexed=_SEARCH,
        ),
        NodeType(
            "Grid",
            "网格",
            "code",
            (
                Prop("code", "编码"),
                Prop("name", "名称"),
                Prop("kind", "网格类型"),
                Prop("households", "户数", "INTEGER"),
                Prop("population", "人口", "INTEGER"),
                _PY,
                _SOURCE,
            ),
            indexed=_SEARCH,
        ),
        NodeType(
            "Building",
            "楼栋",
            "code",
            (Prop("code", "编码"), Prop("name", "名称"), Prop("households", "户数", "INTEGER"), _PY, _SOURCE),
            indexed=_SEARCH,
        ),
        NodeType("Household", "户", "code", (Prop("code", "编码"), _SOURCE)),
        NodeType(
            "PartyOrg",
            "党组织",
            "code",
            (Prop("code", "编码"), Prop("name", "名称"), Prop("kind", "组织类型"), _PY, _SOURCE),
            indexed=_SEARCH,
        ),
        NodeType(
            "Unit",
            "单位",
            "code",
            (
                Prop("code", "统一社会信用代码"),
                Prop("name", "名称"),
                Prop("kind", "单位类型"),
                Prop("street", "所在街道编码"),
                _PY,
                _SOURCE,
            ),
            indexed=_SEARCH,
        ),
        NodeType(
            "Person",
            "人员",
            "pid",
            (
                Prop("pid", "人员标识"),
                Prop("name", "姓名"),
                Prop("id_masked", "身份证号（脱敏）"),
                Prop("gender", "性别"),
                Prop("birth_year", "出生年份", "INTEGER"),
                Prop("phone", "手机号（脱敏）"),
                Prop("phone_sealed", "手机号（密封）"),
                Prop("politics", "政治面貌"),
                Prop("tags", "标签", "LIST<STRING>"),
                _PY,
                _SOURCE,
            ),
            extra_labels=("PartyMember",),
            indexed=_SEARCH,
        ),
    )
}

_REGIONS = ("Street", "Community", "Grid")
_BASES = ("Street", "Community", "Grid", "Building", "Unit")

RELS: dict[str, RelType] = {
    r.type: r
    for r in (
        RelType(
            "PART_OF",
            "隶属",
            ("Street", "Community", "Grid", "Building", "Household"),
            ("District", "Street", "Community", "Grid", "Building"),
            (_SOURCE,),
            one_per="start",
        ),
        RelType("LIVES_IN", "居住", ("Person",), ("Household",), (_SOURCE,), one_per="start"),
        RelType("SUBORDINATE_TO", "上级组织", ("PartyOrg",), ("PartyOrg",), (_SOURCE,), one_per="start"),
        RelType("BASED_IN", "依托", ("PartyOrg",), _BASES, (_SOURCE,), one_per="start"),
        RelType("MEMBER_OF", "组织关系", ("Person",), ("PartyOrg",), (_SOURCE,), one_per="start"),
        RelType("SECRETARY_OF", "书记", ("Person",), ("PartyOrg",), (_SOURCE,), one_per="end"),
        RelType("WORKS_AT", "工作单位", ("Person",), ("Unit",), (_SOURCE,), one_per="start"),
        RelType(
            "SERVES",
            "网格力量",
            ("Person",),
            ("Grid", "Building"),
            (Prop("role", "岗位"), _SINCE, _UNTIL, _KEY, _SOURCE),
        ),
        RelType(
            "CO_BUILDS",
            "联建共建",
            ("Unit",),
            ("Community",),
            (_SINCE, _UNTIL, Prop("project", "共建项目"), _KEY, _SOURCE),
        ),
        RelType(
            "PART_TIME_MEMBER_OF",
            "兼职委员",
            ("Person",),
            ("PartyOrg",),
            (_SINCE, _UNTIL, Prop("source_unit", "来源单位"), _KEY, _SOURCE),
        ),
        RelType(
            "CONTACTS",
            "联系点",
            ("Person",),
            _REGIONS,
            (Prop("category", "联系人类别"), Prop("title", "职务"), _SINCE, _UNTIL, _KEY, _SOURCE),
        ),
        RelType(
            "REPORTED_TO",
            "双报到",
            ("Person", "Unit"),
            ("Community",),
            (Prop("date", "报到日期"), Prop("post", "认领岗位"), _SOURCE),
        ),
        RelType("LINKS_HOUSEHOLD", "联户", ("Person",), ("Household",), (_SINCE, _UNTIL, _KEY, _SOURCE)),
    )
}

# Direct contact edges (graph-model.md "Who contacts whom"); secretaries and part-time members contact
# what their organization is BASED_IN.
CONTACT_RELS = ("CONTACTS", "SERVES", "LINKS_HOUSEHOLD", "REPORTED_TO", "CO_BUILDS")
ORG_CONTACT_RELS = ("SECRETARY_OF", "PART_TIME_MEMBER_OF")
# The organizational relationships that are not contacts, and the structural ones (where things are).
ORG_RELS = ("MEMBER_OF", "SUBORDINATE_TO", "BASED_IN")
STRUCTURE_RELS = ("PART_OF", "LIVES_IN", "WORKS_AT")
# Every relationship, in the order paths and their errors list them: contacts first, then organization, then
# structure (a path between two nodes may use any of them).
PATH_RELS = (*CONTACT_RELS, *ORG_CONTACT_RELS, *ORG_RELS, *STRUCTURE_RELS)
# The regions from the top down: each level is PART_OF the one before it.
REGION_LABELS = ("District", "Street", "Community", "Grid", "Building", "Household")

STAFF_ROLES = ("网格长", "专职网格员", "兼职网格员", "网格指导员", "楼栋长", "单元长", "信息员", "社区民警")
GRID_WORKER_ROLES = ("专职网格员", "兼职网格员")
BUILDING_ROLES = ("楼栋长", "单元长")
UNIT_KINDS = ("党政机关", "事业单位", "国有企业", "民营企业", "社会组织", "其他")
ORG_KINDS = ("党工委", "党委", "党总支", "党支部", "党小组")
POLITICS = ("中共党员", "中共预备党员", "共青团员", "群众", "民主党派", "其他")
PARTY_POLITICS = ("中共党员", "中共预备党员")
CONTACT_CATEGORIES = ("区委区政府班子", "区人大政协班子", "部务会成员", "街道党工委班子", "其他")
GRID_KINDS = ("居民网格", "专属网格")


if sorted(PATH_RELS) != sorted(RELS):
    raise ValueError("PATH_RELS must name every relationship type exactly once")


def node(label: str) -> NodeType:
    return NODES[label]


def rel(type_: str) -> RelType:
    return RELS[type_]


def display_name(label_or_type: str) -> str:
    """Chinese display name of a label or relationship type (falls back to the name itself)."""
    if label_or_type in NODES:
        return NODES[label_or_type].zh
    if label_or_type in RELS:
        return RELS[label_or_type].zh
    return {"PartyMember": "党员"}.get(label_or_type, label_or_type)


def linter_schema() -> dict[str, Any]:
    """The schema in the shape `@neo4j-cypher/language-support`'s `lintCypherQuery` takes (its `DbSchema`).

    `graphSchema` lists every (start label, type, end label) the model allows, so a pattern against
    the model (wrong direction, wrong end) is reported; a node's extra labels (PartyMember) stand
    wherever its main label does. `functions` and `procedures` are left out on purpose: the harness
    (tools/cypherlint/lint.mjs) fills in Neo4j's own built-in catalogue from the pinned package.
    `parameters` stays empty: the harness reports parameter names instead of flagging them.
    """
    extra = {n.label: n.extra_labels for n in NODES.values()}
    labels = sorted({*NODES, *(x for xs in extra.values() for x in xs)})
    props = sorted(
        {p.name for n in NODES.values() for p in n.props} | {p.name for r in RELS.values() for p in r.props}
    )
    paths = sorted(
        {
            (a, r.type, b)
            for r in RELS.values()
            for start in r.start
            for a in (start, *extra.get(start, ()))
            for end in r.end
            for b in (end, *extra.get(end, ()))
        }
    )
    return {
        "labels": labels,
        "relationshipTypes": sorted(RELS),
        "propertyKeys": props,
        "graphSchema": [{"from": a, "relType": t, "to": b} for a, t, b in paths],
        "databaseNames": ["neo4j"],
        "aliasNames": [],
        "parameters": {},
        "defaultLanguage": "CYPHER 5",
    }
