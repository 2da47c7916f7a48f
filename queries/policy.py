"""The one access policy: what a user may ask about and see, and how answers are masked for them.

The API routes (`orggraph.api`) and the pages (`orggraph.viz`, served or exported) both ask this module; it
knows roles, jurisdictions and phones, and nothing of HTTP (refusals are `ScopeError`s with a status).

- **Roles and capabilities** (`Role`, `Capability`, `ROLE_CAPABILITIES`): what each role may do at all.
- **Keys** (`node_for`): a key outside a scoped user's jurisdiction answers exactly like a key that names
  nothing — the same 404, the same message (no name), after the same store work, so neither the status, the
  text nor the time tells whether someone is registered elsewhere. A role without the `people` capability
  (viewer) may not name a person by pid at all: 403 for every pid, before any lookup.
- **People** (`person_for`): the same for a person found by ID number: unknown and elsewhere alike.
- **Scopes** (`scope_for`): a district, street or community asked about must lie inside the user's own
  (403 naming it otherwise: the administrative divisions are public); by default the user's own.
- **What is shown** (`Jurisdiction`, `hide_outside`): nodes outside the jurisdiction (other than the regions
  above it) are left out or shown as anonymous steps; for a viewer people are anonymous steps too.
- **Phones** (`present`, `present_rows`): the graph keeps only the masked number in `phone`
  and the full one sealed in `phone_sealed` (`orggraph.loaders.phones`); only a role with the `phones`
  capability (admin) gets it opened, and nobody gets `phone_sealed` in an answer except inside ad-hoc Cypher
  values, where it is an opaque string.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from orggraph.graph.cypher import statement
from orggraph.graph.schema import display_name
from orggraph.graph.store import Store
from orggraph.loaders.idcodes import mask_phone
from orggraph.loaders.phones import PhoneSeal
from orggraph.queries.network import GNode, Graph
from orggraph.queries.people import people_regions, person
from orggraph.queries.scope import (
    PID_RE,
    RESOLVE,
    NodeRef,
    ScopeError,
    in_scope,
    not_found,
    regions_of,
    resolve_key,
    resolve_scope,
)

__all__ = [
    "Role",
    "Capability",
    "ROLE_CAPABILITIES",
    "ROLE_ZH",
    "CAPABILITY_ZH",
    "Access",
    "node_for",
    "person_for",
    "scope_for",
    "page_scope",
    "outside",
    "Jurisdiction",
    "hide_outside",
    "present",
    "present_rows",
]


class Role(StrEnum):
    admin = "admin"  # everything; full phones; manages tokens; reads the audit log
    analyst = "analyst"  # every read, ad-hoc Cypher; phones masked
    street = "street"  # only its street's subtree; masked; named queries with the scope forced; no Cypher
    community = "community"  # the same for one community
    viewer = (
        "viewer"  # coverage, gaps, contacts/reach/path and the pages; optionally scoped; no person lookup,
    )
    # no named queries, no Cypher, nothing asked by pid, people shown without their personal details


class Capability(StrEnum):
    aggregates = "aggregates"  # coverage, gaps, contacts, reach, path and the pages: every role
    people = "people"  # finding people (by ID number, by name, by pid) and the named queries
    cypher = "cypher"  # ad-hoc Cypher over the whole graph
    phones = "phones"  # phone numbers in full
    admin = "admin"  # tokens and the audit log


ROLE_CAPABILITIES: dict[Role, frozenset[Capability]] = {
    Role.admin: frozenset(Capability),
    Role.analyst: frozenset({Capability.aggregates, Capability.people, Capability.cypher}),
    Role.street: frozenset({Capability.aggregates, Capability.people}),
    Role.community: frozenset({Capability.aggregates, Capability.people}),
    Role.viewer: frozenset({Capability.aggregates}),
}

ROLE_ZH = {
    "admin": "管理员",
    "analyst": "分析员",
    "street": "街道",
    "community": "社区",
    "viewer": "只读查看",
}
CAPABILITY_ZH = {
    "aggregates": "查看覆盖率、短板和联系关系",
    "people": "按身份证号、姓名或人员标识查找人员、运行命名查询",
    "cypher": "运行自定义 Cypher 查询",
    "phones": "查看完整手机号",
    "admin": "管理令牌和查看审计日志",
}

_PHONE_KEY = re.compile(r"(?i).*phone$|手机号")
_PHONE_EXACT = re.compile(r"1[3-9]\d{9}")


@dataclass(frozen=True)
class Access:
    """Who is asking, as far as seeing goes: the role, the jurisdiction (None = everything) and, only for a
    role that may see full phone numbers, what opens the sealed ones."""

    role: Role
    scope: str | None = None
    seal: PhoneSeal | None = None

    @classmethod
    def of(cls, role: str | Role | None, scope: str | None = None, seal: PhoneSeal | None = None) -> Access:
        """The access of a role (None = viewer, the least); the seal is kept only where phones may be
        opened."""
        r = Role(role or Role.viewer)
        return cls(r, scope or None, seal if Capability.phones in ROLE_CAPABILITIES[r] else None)

    def can(self, capability: Capability) -> bool:
        return capability in ROLE_CAPABILITIES[self.role]

    @property
    def people(self) -> bool:
        return self.can(Capability.people)

    @property
    def phones(self) -> bool:
        return self.can(Capability.phones)

    @property
    def role_zh(self) -> str:
        return ROLE_ZH[self.role.value]


# ------------------------------------------------------------------------------------------------ keys
def _no_pids(access: Access) -> ScopeError:
    return ScopeError(
        f"您的角色（{access.role.value}，{access.role_zh}）不能按人员标识查询人员：请用网格、社区等编码，"
        "或向管理员申请有人员查询权限的令牌。",
        403,
    )


def node_for(store: Store, access: Access, key: str) -> NodeRef | None:
    """The node a key names, if this user may ask about it.

    - A role without `people` naming a pid: 403, the same for every pid (no lookup, so nothing is learnt).
    - A scoped user: the node (with its regions), or 404 with the unknown-key message when the key names
      nothing *or* something outside the jurisdiction. Both paths make the same two store calls (what the
      key names, then where it lies — for an unknown key, where a real person lies), so they also take about
      the same time.
    - An unscoped user: None; the query layer resolves the key itself (404 when unknown).
    """
    if not access.people and PID_RE.fullmatch(key):
        raise _no_pids(access)
    if access.scope is None:
        return None
    rows = store.read(RESOLVE, {"key": key}).rows
    # For a key that names nothing, ask where a real person lies instead: the same statement over a similar
    # neighbourhood, so the unknown answer costs what the one about someone registered elsewhere does.
    label, name = rows[0] if rows else ("Person", None)
    regions = regions_of(store, label, key if rows else _decoy(store))
    if not rows or access.scope not in regions:
        raise not_found(key)
    return NodeRef(label, key, name, regions)


_DECOY = statement(
    "policy.decoy_person",
    "MATCH (p:Person)-[:LIVES_IN]->(:Household) RETURN p.pid AS pid LIMIT 1",  # the first found: no sort
    "一名有住址的人员：未知的键也按他走一遍同样的查询，使两种 404 耗时相同",
    origin=__name__,
)
_decoys: dict[int, str] = {}


def _decoy(store: Store) -> str:
    """A pid whose regions an unknown key's answer computes in its place (found once per store)."""
    pid = _decoys.get(id(store))
    if pid is None:
        rows = store.read(_DECOY).rows
        pid = _decoys[id(store)] = str(rows[0][0]) if rows else "0" * 20
    return pid


def outside(ref: NodeRef, access: Access) -> ScopeError:
    """Refusal of a *scope* outside the jurisdiction (regions are public: naming one leaks nothing)."""
    return ScopeError(f"「{ref.name or ref.key}」不在您的管辖范围（{access.scope}）内", 403)


def scope_for(store: Store, access: Access, scope: str | None) -> str | None:
    """The scope a question is about: the one asked for (a district, street or community code; 404/422
    otherwise), which must lie inside the user's own (403); by default the user's own (None = everything)."""
    scope = scope or None
    if access.scope is None:
        return scope  # nothing to check against: the query layer resolves the scope itself (404/422), once
    if scope is None or scope == access.scope:
        return access.scope
    ref = page_scope(store, access, scope)
    assert ref is not None
    return ref.key


def page_scope(store: Store, access: Access, scope: str | None) -> NodeRef | None:
    """The same as `scope_for`, resolved (pages show its name); by default the user's own, or everything."""
    if access.scope is None or not scope:
        return resolve_scope(store, scope or access.scope)
    ref = resolve_scope(store, scope)
    assert ref is not None
    if not in_scope(resolve_key(store, ref.key), access.scope):
        raise outside(ref, access)
    return ref


def person_for(store: Store, access: Access, pid: str) -> dict[str, Any] | None:
    """The person with this pid as this user may see them (`present`), or None when unknown *or* outside a
    scoped user's jurisdiction — after the same store work either way (where a real person lies is asked even
    when the pid names nobody), so the time of the answer does not tell whether someone is registered
    elsewhere."""
    found = person(store, pid)
    if access.scope is not None:
        regions = people_regions(store, [pid if found is not None else _decoy(store)]).get(pid, frozenset())
        if access.scope not in regions:
            found = None
    return None if found is None else present(found, access)


# -------------------------------------------------------------------------------------- what is shown
class Jurisdiction:
    """Which nodes a user may see: inside their scope, or above it (their own street and district)."""

    def __init__(self, store: Store, access: Access) -> None:
        self.store = store
        self.access = access
        self.above = resolve_key(store, access.scope).regions if access.scope else frozenset()
        self._inside: dict[str, bool] = {}

    @property
    def everything(self) -> bool:
        return self.access.scope is None

    def inside(self, key: str) -> bool:
        if self.everything:
            return True
        if key not in self._inside:
            try:
                self._inside[key] = in_scope(resolve_key(self.store, key), self.access.scope)
            except ScopeError:
                self._inside[key] = False
        return self._inside[key]

    def sees(self, key: str) -> bool:
        return self.everything or key in self.above or self.inside(key)

    def sees_node(self, label: str, key: str | None) -> bool:
        """Whether a node on a graph or path is shown with its name: inside (or above) the jurisdiction, and
        for a role without `people` not a person."""
        if label == "Person" and not self.access.people:
            return False
        return key is None or self.sees(key)


def hide_outside(store: Store, g: Graph, access: Access) -> Graph:
    """The graph as this user may see it: nodes outside the jurisdiction (other than the regions above it) —
    and, for a role without `people`, every person — become anonymous steps that keep only their kind, and
    what hangs on them is dropped.

    Used by the ego and path pages, whose nodes can lie anywhere (a member's work unit, a leader's home).
    """
    if access.scope is None and access.people:
        return g
    seen = Jurisdiction(store, access)
    out = Graph(center=g.center, omitted=g.omitted, notes=list(g.notes), mode=g.mode)
    rename: dict[str, str] = {}
    hidden = people = 0
    for n in g.nodes.values():
        if n.label == "Group":
            continue
        if seen.sees_node(n.label, n.key):
            rename[n.id] = n.id
            out.add(n)
            continue
        zh = display_name(n.label)
        if n.label == "Person" and not access.people:
            people += 1
            rename[n.id] = f"person:{people}"
            name = "人员"
        else:
            hidden += 1
            rename[n.id] = f"hidden:{hidden}"
            name = f"辖区外的{zh}"
        out.add(
            GNode(
                rename[n.id],
                n.label,
                None,
                {"name": name},
                level=n.level,
                via=n.via,
                flags={"hidden": True, "zh": zh},
            )
        )
    anonymous = {v for k, v in rename.items() if k != v}
    for n in g.nodes.values():  # counted groups only where their anchor is visible
        if n.label == "Group" and n.parent in rename and rename[n.parent] not in anonymous:
            out.add(n)
            rename[n.id] = n.id
    for n in out.nodes.values():
        n.parent = rename.get(n.parent) if n.parent else None
    for e in g.edges:
        if e.source in rename and e.target in rename:
            hides = rename[e.source] != e.source or rename[e.target] != e.target
            out.link(rename[e.source], rename[e.target], e.type, {} if hides else e.props)
    if hidden:
        out.notes.append(
            f"有 {hidden:,} 个节点在您的管辖范围（{access.scope}）之外：只显示其类型，不显示名称和属性。"
        )
    if people:
        out.notes.append(f"有 {people:,} 名人员只显示为“人员”：您的角色（{access.role_zh}）不查看具体人员。")
    return out


# ------------------------------------------------------------------------------------------------ phones
def _open_phone(d: dict[str, Any], access: Access) -> dict[str, Any]:
    """A map holding a sealed phone (a person's properties): `phone` opened for a role that may see it, and
    `phone_sealed` left out for everyone."""
    sealed = d.get("phone_sealed")
    out = {k: v for k, v in d.items() if k != "phone_sealed"}
    if access.seal is not None and sealed is not None:
        full = access.seal.open(d.get("pid"), sealed)
        if full is not None:
            out["phone"] = full
    return out


def present(value: Any, access: Access) -> Any:
    """A JSON-able answer as this user may see it: in every map holding `phone_sealed` (a person's properties,
    with its `pid`) the phone is opened for admin and the sealed form is dropped; every `phone` field is
    masked for everyone else (the store holds masked numbers only; this also masks one that came from
    elsewhere)."""
    if isinstance(value, dict):
        if "phone_sealed" in value:
            value = _open_phone(value, access)
        return {
            k: (
                mask_phone(v)
                if not access.phones and isinstance(v, str) and _PHONE_KEY.fullmatch(str(k))
                else present(v, access)
            )
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [present(v, access) for v in value]
    return value


def present_rows(columns: Sequence[str], rows: list[list[Any]], access: Access) -> list[list[Any]]:
    """Ad-hoc and named query rows: `present` on every value, and for roles without phones every column named
    *phone and every bare string that is exactly a mobile number masked too (`RETURN p.phone AS x`). A full
    number is only in `phone_sealed`, which opens for admin in a map that also holds the `pid` (a node's
    properties, or `{pid: p.pid, phone_sealed: p.phone_sealed}`) and stays an opaque string otherwise."""
    if access.phones:
        return [[present(v, access) for v in r] for r in rows]
    phone_cols = {
        i for i, c in enumerate(columns) if "phone" in c.lower() and "sealed" not in c.lower() or "手机" in c
    }

    def cell(v: Any, phone_col: bool) -> Any:
        if isinstance(v, str):
            return mask_phone(v) if phone_col or _PHONE_EXACT.fullmatch(v) else v
        if isinstance(v, list):
            return [cell(x, phone_col) for x in v]
        if isinstance(v, dict):
            return {k: cell(x, phone_col) for k, x in present(v, access).items()}
        return v

    return [[cell(v, i in phone_cols) for i, v in enumerate(r)] for r in rows]
