"""Response and request models of the HTTP API: every field documented, so the OpenAPI page explains the
answers.

Length (about 700 lines): one documented model per answer shape of some forty routes; split by area, the
shared pieces (Page, Rows, ERRORS) would be scattered.
"""

from __future__ import annotations

from typing import Annotated, Any, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

__all__ = [
    "ErrorBody",
    "Health",
    "CypherRequest",
    "CypherResult",
    "ParamInfo",
    "QueryInfo",
    "QueryCatalog",
    "NamedQueryRequest",
    "NamedQueryResult",
    "TokenInfo",
    "TokenCreate",
    "TokenCreated",
    "TokenList",
    "AuditEntry",
    "AuditPage",
    "Person",
    "PersonLookup",
    "PeoplePage",
    "LoginRequest",
    "Me",
    "ERRORS",
]


class ErrorBody(BaseModel):
    detail: str = Field(description="what went wrong and what to do, in Chinese")


class ValidationErrorItem(BaseModel):
    loc: list[str | int] = Field(description="where the bad value is: query/path/body and the parameter name")
    msg: str = Field(description="why it is refused")
    type: str = Field(description="pydantic error type")


class ValidationErrorBody(BaseModel):
    detail: str = Field(description="Chinese summary of every bad parameter")
    errors: list[ValidationErrorItem] = Field(
        description="one entry per bad parameter (the values are not echoed)"
    )


# The error answers every route can give, for the OpenAPI page.
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "no token, or an invalid or revoked one"},
    403: {
        "model": ErrorBody,
        "description": "the role may not do this, or the node lies outside the token's scope",
    },
    404: {"model": ErrorBody, "description": "a code or pid that names nothing"},
    422: {"model": ValidationErrorBody, "description": "a malformed parameter"},
    503: {
        "model": ErrorBody,
        "description": "the graph store cannot be reached (or an unexpected server error)",
    },
}


class Health(BaseModel):
    status: str = Field(
        description="`ok` when the store answers; `recovering` while `serve` restarts a dead or hung "
        "embedded store; else `unavailable`"
    )
    backend: str = Field(description="falkordb-embedded, falkordb or neo4j")
    version: str = Field(description="orggraph version")


class Page(BaseModel):
    """Paging of a long list: the list holds items offset … offset+limit-1 of `total`."""

    offset: int = Field(description="index of the first item returned")
    limit: int = Field(description="most items returned")
    total: int = Field(description="items there are in all")


# ------------------------------------------------------------------------------------------------ cypher
# A parameter name as Cypher writes it after `$` (letters, digits, underscore; not starting with a digit).
ParamName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")]
MAX_PARAM_DEPTH = 32  # lists and maps inside a parameter value


def _check_param_values(params: dict[str, Any]) -> dict[str, Any]:
    """Values the stores can take: map keys non-empty and without a backtick (FalkorDB's parameter header
    cannot quote them; its client raised an error holding the key, which could be an ID number, and the
    request failed as a 503), nesting bounded. The messages never repeat the key."""
    stack: list[tuple[Any, int]] = [(v, 1) for v in params.values()]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, (dict, list)) and depth > MAX_PARAM_DEPTH:
            raise ValueError(f"参数值的列表或映射嵌套超过 {MAX_PARAM_DEPTH} 层，请简化参数")
        if isinstance(value, dict):
            for key, item in value.items():
                if not key or "`" in key:
                    raise ValueError(
                        "参数值里映射的键不能为空，也不能含反引号 `（图数据库不接受），请改用普通的键名"
                    )
                stack.append((item, depth + 1))
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)
    return params


QueryParams = Annotated[dict[ParamName, Any], AfterValidator(_check_param_values)]


class CypherRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    query: str = Field(min_length=1, max_length=100_000, description="one read-only Cypher statement")
    params: QueryParams = Field(
        default_factory=dict,
        description="values for `$name` parameters in the query (names: letters, digits, _)",
    )


class CypherResult(BaseModel):
    columns: list[str] = Field(description="column names, in RETURN order")
    rows: list[list[Any]] = Field(
        description="rows as arrays; nodes are {labels, properties, id}, relationships "
        "{type, properties, id, start, end} (id: the store's own identity, the same for the same node or "
        "relationship in every row and query; start/end: its nodes' ids), paths {nodes, relationships}; "
        "phones masked unless the role is admin"
    )
    truncated: bool = Field(description="more rows existed than the row cap (ORGGRAPH_MAX_ROWS) allowed")


class ExplainResult(BaseModel):
    plan: list[str] = Field(description="the store's plan, one operator a line, top first")
    full_scans: list[str] = Field(description="the plan's lines that read a whole label or the whole graph")
    warning: str | None = Field(default=None, description="what to change when the plan scans a whole label")


class SavedQueryRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100, description="the query's name, unique per token name")
    query: str = Field(min_length=1, max_length=100_000, description="the Cypher text")
    params: QueryParams = Field(default_factory=dict, description="values for its `$name` parameters")
    description: str = Field(default="", max_length=2000, description="what it answers (free text)")


class SavedQuery(BaseModel):
    owner: str = Field(description="the token name that saved it")
    name: str
    query: str
    params: dict[str, Any]
    description: str
    created: str = Field(description="when it was saved (UTC, ISO 8601)")


class SavedQueryList(BaseModel):
    queries: list[SavedQuery]


class HistoryEntry(BaseModel):
    query: str = Field(description="the Cypher text (ID and phone numbers masked)")
    params: Any = Field(description="its parameters (ID and phone numbers masked)")
    at: str = Field(description="when it ran (UTC, ISO 8601)")
    ok: bool = Field(description="it answered (false: refused by the store, timed out...)")
    rows: int | None = Field(default=None, description="rows answered")


class HistoryList(BaseModel):
    runs: list[HistoryEntry] = Field(description="the token's own runs, newest first (at most 100)")


# ----------------------------------------------------------------------------------------- named queries
class ParamInfo(BaseModel):
    name: str = Field(description="parameter name (`$name` in the query)")
    type: str = Field(description="string, date, integer; a trailing ? means optional")
    description: str = Field(description="what the value means (Chinese)")
    required: bool = Field(description="must be given")
    default: Any = Field(default=None, description="value used when it is not given")


class QueryInfo(BaseModel):
    name: str = Field(description="the name to POST to /api/queries/{name}")
    purpose: str = Field(description="one line on what it answers (Chinese)")
    params: list[ParamInfo] = Field(description="its parameters")
    scoped: bool = Field(
        description="takes a `scope` (district/street/community code); forced for scoped tokens"
    )
    text: str = Field(
        description="the Cypher it runs (read-only); with `variants`, the one run without a scope"
    )
    variants: dict[str, str] = Field(
        default_factory=dict,
        description="for a scoped query declared per scope level: the Cypher run for a scope of each level "
        "(`all` = no scope, `District`, `Street`, `Community`), each anchored on the scope's code",
    )


class QueryCatalog(BaseModel):
    queries: list[QueryInfo] = Field(description="the named queries this token may run")


class NamedQueryRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    params: QueryParams = Field(default_factory=dict, description="parameter values by name")


class NamedQueryResult(CypherResult):
    name: str = Field(description="the named query that ran")
    params: dict[str, Any] = Field(
        description="the parameters it ran with (defaults and forced scope filled in)"
    )


# ------------------------------------------------------------------------------------------------ tokens
class TokenInfo(BaseModel):
    name: str = Field(description="token name (shown in the audit log)")
    role: str = Field(description="admin, analyst, street, community or viewer")
    scope: str | None = Field(
        description="jurisdiction: a district, street or community code; null = everything"
    )
    created: str = Field(description="when it was made (UTC, ISO 8601)")


class TokenList(BaseModel):
    tokens: list[TokenInfo] = Field(description="every token (their secrets are not kept, only hashes)")


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: str = Field(description="admin, analyst, street, community or viewer")
    scope: str | None = Field(
        default=None,
        description="street code (street), community code (community), "
        "optional district/street/community code (viewer); none for admin and analyst",
    )
    name: str | None = Field(
        default=None, max_length=64, description="unique name; made up from role and scope if absent"
    )


class TokenCreated(TokenInfo):
    token: str = Field(description="the token itself: shown this once, only its hash is kept")


class Me(BaseModel):
    name: str = Field(description="the token's name")
    role: str = Field(description="its role")
    scope: str | None = Field(description="its jurisdiction (null = everything)")
    capabilities: list[str] = Field(
        description="what the role may do: aggregates, people, cypher, phones, admin"
    )


# ------------------------------------------------------------------------------------------------- audit
class AuditEntry(BaseModel):
    model_config = ConfigDict(extra="allow")
    time: str | None = Field(default=None, description="when the request arrived (UTC, ISO 8601)")
    token: str | None = Field(default=None, description="name of the token used (null: none or invalid)")
    role: str | None = Field(default=None, description="its role")
    method: str | None = Field(default=None, description="HTTP method")
    route: str | None = Field(default=None, description="route template, e.g. /api/contacts/{code}")
    params: Any = Field(
        default=None, description="query, path and body parameters; ID numbers and phones masked"
    )
    size: int | None = Field(default=None, description="rows or items in the answer")
    status: int | None = Field(default=None, description="HTTP status of the answer")
    ms: float | None = Field(default=None, description="time taken, milliseconds")


class AuditPage(BaseModel):
    entries: list[AuditEntry] = Field(description="audit lines, newest first")
    offset: int = Field(description="lines skipped from the newest")
    limit: int = Field(description="most lines returned")
    more: bool = Field(description="older lines remain")


# ------------------------------------------------------------------------------------------------ people
class Person(BaseModel):
    model_config = ConfigDict(extra="allow")
    pid: str = Field(description="keyed hash of the ID number: the person's key in the graph")
    name: str | None = Field(default=None, description="name")
    id_masked: str | None = Field(
        default=None, description="ID number with all but the first and last 4 characters starred"
    )
    gender: str | None = Field(default=None, description="男 / 女")
    birth_year: int | None = Field(default=None, description="year of birth")
    phone: str | None = Field(
        default=None, description="mobile number; masked (138****1234) unless the role is admin"
    )
    politics: str | None = Field(default=None, description="political status (政治面貌)")
    tags: list[str] | None = Field(default=None, description="tags from the people ledger")
    party_member: bool = Field(description="a (probationary) Party member")
    households: list[str] = Field(description="codes of the households the person lives in")


class PersonLookup(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id_number: str = Field(
        min_length=1,
        max_length=64,
        description="the 18-character 身份证号; it never appears in a URL, answer or log",
    )


class PeoplePage(Page):
    people: list[Person] = Field(
        description="people whose name starts with the text asked for, exact matches first"
    )
    capped: bool = Field(
        description="so many people bear this name that some were not looked at: give more of it"
    )


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    token: str = Field(
        min_length=1, max_length=200, description="an API token; answered with the login cookie"
    )


# ---------------------------------------------------------------------------------------------- coverage
class Measure(BaseModel):
    covered: int = Field(description="nodes (or people) that meet the measure")
    total: int = Field(description="nodes (or people) it is measured over; 0 when the scope has none")
    ratio: float = Field(description="covered / total; 0.0 when total is 0")


class ContactPoints(BaseModel):
    Street: Measure = Field(description="streets with at least one CONTACTS in force")
    Community: Measure = Field(description="communities with at least one CONTACTS in force")
    Grid: Measure = Field(description="grids with at least one CONTACTS in force")


class CoverageMeasures(BaseModel):
    model_config = ConfigDict(extra="allow")
    cobuilding: Measure = Field(description="communities with at least one CO_BUILDS in force")
    contact_points: ContactPoints = Field(description="contact-point coverage per level")
    grid_party_org: Measure = Field(
        description="grids with a PartyOrg BASED_IN the grid or one of its buildings"
    )
    fulltime_share: Measure = Field(
        description="covered = people serving a grid as 专职网格员, total = as 专职网格员 or 兼职网格员"
    )
    building_heads: Measure = Field(description="buildings with a 楼栋长 in force")
    household_links: Measure = Field(description="households with at least one LINKS_HOUSEHOLD in force")


class Coverage(CoverageMeasures):
    scope: str | None = Field(description="the district/street/community code measured; null = everything")
    as_of: str = Field(description="the day measured (YYYY-MM-DD)")


class ChildCoverage(BaseModel):
    label: str = Field(description="District, Street, Community or Grid")
    code: str = Field(description="its code")
    name: str | None = Field(description="its name")
    coverage: CoverageMeasures = Field(description="its coverage measures")


class CoverageBreakdown(Page):
    scope: str | None = Field(description="the scope broken down; null = everything")
    as_of: str = Field(description="the day measured")
    children: list[ChildCoverage] = Field(description="one entry per region one level down, by code")


class Gaps(BaseModel):
    scope: str | None = Field(description="the scope; null = everything")
    as_of: str = Field(description="the day")
    communities_without_cobuilding: list[str] = Field(
        description="community codes with no CO_BUILDS in force"
    )
    grids_without_fulltime: list[str] = Field(description="grid codes with no 专职网格员 in force")
    overloaded_grids: list[str] = Field(description="grid codes with more than 300 households per 专职网格员")
    contact_rule_violations: list[str] = Field(
        description="pids of contact leaders breaking their category's rule"
    )
    sole_contacts: list[str] = Field(description="pids of people who are a grid's only direct contact")
    grids_without_direct_contact: list[str] = Field(
        description="grid codes with no SERVES or CONTACTS in force"
    )
    offset: int = Field(description="index of the first item returned in each list")
    limit: int = Field(description="most items returned per list")
    total: dict[str, int] = Field(description="items in all, per list")


class PersonRef(BaseModel):
    model_config = ConfigDict(extra="allow")
    pid: str = Field(description="the person's pid")
    name: str | None = Field(default=None, description="name")


class Broken(BaseModel):
    level: str = Field(description="Street, Community or Grid")
    required: int = Field(description="how many the rule asks for")
    actual: int = Field(description="how many are contacted in force")


class ContactRuleViolation(PersonRef):
    category: str = Field(description="联系人类别")
    titles: list[str] = Field(description="职务 on the contact edges")
    counts: dict[str, int] = Field(description="streets, communities, grids contacted in force")
    targets: dict[str, list[str]] = Field(description="their codes, per level")
    required: dict[str, int | None] = Field(
        description="what the rule asks for per level (null: not checked)"
    )
    broken: list[Broken] = Field(description="the levels where the count differs from the rule")
    rule: str = Field(description="the rule and what was found, in Chinese")


class SoleContact(PersonRef):
    grids: list[str] = Field(description="codes of the grids this person alone contacts directly")


class GridLoad(BaseModel):
    model_config = ConfigDict(extra="allow")
    code: str = Field(description="grid code")
    name: str | None = Field(default=None, description="grid name")
    kind: str | None = Field(default=None, description="居民网格 / 专属网格")
    community: str | None = Field(default=None, description="its community's code")
    community_name: str | None = Field(default=None, description="its community's name")
    households: int = Field(description="households (the ledger's 户数, else those in the graph)")
    households_source: str = Field(description="ledger or counted")
    fulltime: int = Field(description="专职网格员 in force")
    workers: list[PersonRef] = Field(description="those workers")
    load: float | None = Field(description="households per full-time worker; null without one")
    overloaded: bool = Field(description="load above 300")


class ReportingUnit(BaseModel):
    model_config = ConfigDict(extra="allow")
    code: str = Field(description="unit code")
    name: str | None = Field(default=None, description="unit name")
    post: str | None = Field(default=None, description="认领岗位")
    date: str | None = Field(default=None, description="报到日期")


class DualReporting(BaseModel):
    model_config = ConfigDict(extra="allow")
    code: str = Field(description="community code")
    name: str | None = Field(default=None, description="community name")
    members: int = Field(description="party members reported by the day")
    units: int = Field(description="units reported by the day")
    unit_list: list[ReportingUnit] = Field(description="those units")


class PartTimeMember(PersonRef):
    source_unit: str | None = Field(default=None, description="code of the unit the member comes from")
    source_unit_name: str | None = Field(default=None, description="its name")
    since: str | None = Field(default=None, description="start of term")
    until: str | None = Field(default=None, description="end of term")


class UnitRef(BaseModel):
    code: str = Field(description="unit code")
    name: str | None = Field(default=None, description="unit name")


class PartTimeCommittee(BaseModel):
    model_config = ConfigDict(extra="allow")
    code: str = Field(description="party organization code")
    name: str | None = Field(default=None, description="its name")
    kind: str | None = Field(default=None, description="党工委, 党委 …")
    base: str | None = Field(default=None, description="code of the street/community it is based in")
    base_name: str | None = Field(default=None, description="its name")
    members: int = Field(description="part-time members in force")
    member_list: list[PartTimeMember] = Field(description="those members")
    source_units: list[UnitRef] = Field(description="the units they come from")


T = TypeVar("T")


class Rows(Page, Generic[T]):
    """A long list of records, paged."""

    scope: str | None = Field(description="the scope; null = everything")
    as_of: str = Field(description="the day")
    items: list[T] = Field(description="the records, in a stable order")


# ---------------------------------------------------------------------------------------------- contacts
class Contact(BaseModel):
    model_config = ConfigDict(extra="allow")
    kind: str = Field(description="person or unit")
    key: str = Field(description="pid of a person, code of a unit")
    name: str | None = Field(default=None, description="name")
    role: str = Field(
        description="the role of the contact edge, in Chinese (专职网格员, 联系点:街道党工委班子, 联建共建 …)"
    )
    direct: bool = Field(description="the edge lands on the node itself (false: on an ancestor, inherited)")
    via: list[str] = Field(description="codes from the node up to where the edge lands")
    edge: str = Field(
        description="relationship type: CONTACTS, SERVES, LINKS_HOUSEHOLD, REPORTED_TO, CO_BUILDS, "
        "SECRETARY_OF, PART_TIME_MEMBER_OF"
    )
    at: str = Field(description="code of the node the edge lands on")
    detail: str | None = Field(default=None, description="title, project or post on the edge")
    org: str | None = Field(
        default=None, description="party organization code, for secretaries and part-time members"
    )


class Target(BaseModel):
    model_config = ConfigDict(extra="allow")
    label: str = Field(
        description="what the key names: Household, Building, Grid, Community, Street, District, "
        "PartyOrg, Unit or Person"
    )
    key: str = Field(description="its code (pid for a person)")
    name: str | None = Field(default=None, description="its name")


class Contacts(BaseModel):
    target: Target = Field(
        description="the node asked about (with its household, base or street where that applies)"
    )
    as_of: str = Field(description="the day")
    contacts: list[Contact] = Field(description="the contacts, nearest first (direct ones first), paged")
    total: int = Field(description="contacts in all, including those not listed in a large group")
    listed: int = Field(description="entries in the full list before paging")
    by_role: dict[str, int] = Field(description="contacts per role")
    truncated: bool = Field(description="some group (one role on one node) had more contacts than are listed")
    offset: int = Field(description="index of the first contact returned")
    limit: int = Field(description="most contacts returned")


class ReachTarget(BaseModel):
    model_config = ConfigDict(extra="allow")
    label: str = Field(description="label of the node contacted")
    key: str = Field(description="its code")
    name: str | None = Field(default=None, description="its name")
    role: str = Field(description="the role, in Chinese")
    edge: str = Field(description="relationship type")
    detail: str | None = Field(default=None, description="title, project or post")
    org: str | None = Field(
        default=None, description="party organization code, for secretaries and part-time members"
    )


class Covered(BaseModel):
    count: int = Field(description="how many are covered")
    items: list[Any] | None = Field(
        description="codes (residents: {pid, name}); null when there are more than 200, and residents always "
        "for a viewer"
    )


class Reach(BaseModel):
    source: Target = Field(description="the person or unit asked about")
    as_of: str = Field(description="the day")
    direct: list[ReachTarget] = Field(description="what it contacts directly, in force on the day")
    covers: dict[str, Covered] = Field(description="grids, buildings, households and residents that covers")


class PathNode(BaseModel):
    label: str = Field(description="node label")
    key: str | None = Field(
        description="its code or pid; null when hidden (outside the token's jurisdiction)"
    )
    name: str | None = Field(default=None, description="its name; null when hidden")
    hidden: bool = Field(
        default=False,
        description="outside the token's jurisdiction (or a person, for a viewer): shown only as a step",
    )


class PathEdge(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)
    type: str = Field(description="relationship type")
    name: str = Field(description="its Chinese name")
    role: str | None = Field(default=None, description="role, category, post or project on the relationship")
    forward: bool = Field(description="the relationship points along the path")
    direction: str = Field(description="-> or <-")
    from_: str | None = Field(alias="from", description="key of the node it starts at (null when hidden)")
    to: str | None = Field(description="key of the node it ends at (null when hidden)")


class ContactPath(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    found: bool = Field(description="a path exists within max_len steps")
    length: int | None = Field(default=None, description="steps on the path")
    nodes: list[PathNode] = Field(default_factory=list, description="the nodes, from `from` to `to`")
    edges: list[PathEdge] = Field(default_factory=list, description="the relationships, in path order")
    exhaustive: bool = Field(
        description="every neighbour was looked at (false: a hub was cut, a path may be missed)"
    )
    max_len: int = Field(description="the longest path looked for")
    as_of: str = Field(description="the day")


# --------------------------------------------------------------------------------------------- analytics
class CriticalPerson(PersonRef):
    households: int = Field(
        description="households that would be cut off from every party organization without them"
    )
    household_list: list[str] = Field(
        description="those households' codes, sorted; at most 200 (`households` is exact)"
    )
    through: list[str] = Field(
        description="codes where this person's contact edges land above those households"
    )


class Analysed(BaseModel):
    """What an analysis is of: the scope and the day."""

    scope: str | None = Field(description="the district/street/community code analysed; null = everything")
    as_of: str = Field(description="the day analysed (YYYY-MM-DD)")


class CriticalPeople(Analysed):
    households: int = Field(description="households in the scope")
    linked: int = Field(description="households linked to the Party through at least one person")
    unlinked: int = Field(description="households linked to the Party through nobody")
    unlinked_list: list[str] = Field(description="their codes, sorted; at most 200 (`unlinked` is exact)")
    critical: list[CriticalPerson] = Field(
        description="people who are the only party link of some households (articulation points between "
        "households and party organizations), most households first"
    )


class LoadBucket(BaseModel):
    range: str = Field(description="the bucket as text: 0–100, 100–200, 200–300, >300 households per worker")
    min: int = Field(description="lower bound (exclusive, except that 0 counts in the first bucket)")
    max: int | None = Field(description="upper bound (inclusive); null for the open-ended last bucket")
    workers: int = Field(description="full-time workers whose load falls in the bucket")


class WorkerLoad(PersonRef):
    load: float = Field(
        description="households on this worker: over their grids, households ÷ the grid's full-time workers"
    )
    grids: list[str] = Field(description="codes of the grids they serve full-time")


class FulltimeLoad(Analysed):
    workers: int = Field(description="full-time grid workers (专职网格员) in force")
    grids: int = Field(description="grids in the scope")
    grids_without_fulltime: int = Field(description="grids with no full-time worker in force")
    households_served: int = Field(description="households of the grids that have a full-time worker")
    mean: float | None = Field(description="mean load (households per worker); null without workers")
    median: float | None = Field(description="median load; null without workers")
    min: float | None = Field(description="lightest load; null without workers")
    max: float | None = Field(description="heaviest load; null without workers")
    p90: float | None = Field(description="90th-percentile load; null without workers")
    gini: float = Field(
        description="Gini coefficient of the loads: 0 all equal, towards 1 all on one (0.0 without workers)"
    )
    histogram: list[LoadBucket] = Field(description="workers per load bucket")
    top: list[WorkerLoad] = Field(description="the 20 most loaded workers, heaviest first")
    overloaded: list[WorkerLoad] = Field(
        description="every worker with more than 300 households, heaviest first"
    )


class CommunityPair(BaseModel):
    communities: list[str] = Field(description="the two community codes, sorted")
    names: list[str | None] = Field(description="their names, in the same order")
    units: list[UnitRef] = Field(
        description="the units they share (co-building in force, or reported to both)"
    )


class BridgingUnit(UnitRef):
    communities: list[str] = Field(description="codes of the two or more communities of the scope it joins")


class CommunityGroup(BaseModel):
    communities: list[str] = Field(description="codes of two or more communities joined through units")
    units: list[str] = Field(description="codes of the units joining them")


class CommunityBridges(Analysed):
    communities: int = Field(description="communities in the scope")
    pairs: list[CommunityPair] = Field(description="pairs of communities that share a unit, by code")
    bridging_units: list[BridgingUnit] = Field(
        description="units joining two or more communities, most first"
    )
    groups: list[CommunityGroup] = Field(
        description="connected sets of two or more communities, largest first"
    )
    isolated: list[str] = Field(
        description="codes of communities with no co-building or reported unit at all"
    )
    cut_units: list[UnitRef] = Field(description="units whose loss would split a group (articulation points)")


class Analytics(Analysed):
    critical_people: CriticalPeople = Field(description="whom the households' tie to the Party hangs on")
    fulltime_load: FulltimeLoad = Field(
        description="how evenly households are spread over full-time grid workers"
    )
    community_bridges: CommunityBridges = Field(description="communities linked through shared units")
