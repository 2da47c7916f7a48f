"""Validate and transform each ledger's rows into graph writes: one function per ledger, pure but for the
shared `Checker`, which remembers what earlier ledgers defined so references can be checked.

A transform never writes: it hands `(write name, row)` pairs to `emit`, and records problems as
`LedgerIssue`s. The importer decides whether anything is written at all (only when there is no error).

Length (about 670 lines): one transform per ledger, eleven in all, kept together because they share the
Checker's state and must run in order.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from orggraph.graph.schema import (
    BUILDING_ROLES,
    CONTACT_CATEGORIES,
    GRID_KINDS,
    ORG_KINDS,
    PARTY_POLITICS,
    POLITICS,
    STAFF_ROLES,
    UNIT_KINDS,
)
from orggraph.loaders.idcodes import (
    id_birth_year,
    id_gender,
    mask_id,
    validate_credit_code,
    validate_resident_id,
)
from orggraph.loaders.phones import PhoneSeal, phone_props, phone_seal
from orggraph.loaders.read import LedgerIssue, LedgerSource
from orggraph.loaders.values import parse_count, parse_date, parse_enum, parse_phone, split_tags
from orggraph.loaders.writes import node_write, rel_write, unlink_write

__all__ = ["Checker", "TRANSFORMS", "LEDGER_ORDER", "Emit", "VOCABULARIES", "GENDERS", "REPORT_TYPES"]

Emit = Callable[[str, dict[str, object]], None]

# Ledgers are read in this order so that every reference points at something already read; references
# to people are checked after the people ledger (it is the big one and comes last).
LEDGER_ORDER = (
    "grids",
    "buildings",
    "units",
    "party_orgs",
    "grid_staff",
    "cobuilding",
    "part_time_members",
    "contact_points",
    "dual_reporting",
    "household_links",
    "people",
)

GENDERS = ("男", "女")
REPORT_TYPES = ("党员", "单位")
# Every closed vocabulary a ledger column is checked against, (ledger, column key) -> the allowed values: the
# transforms below validate with these, and `orggraph template` turns each into a drop-down list.
VOCABULARIES: dict[tuple[str, str], tuple[str, ...]] = {
    ("grids", "grid_kind"): GRID_KINDS,
    ("units", "unit_kind"): UNIT_KINDS,
    ("party_orgs", "org_kind"): ORG_KINDS,
    ("people", "gender"): GENDERS,
    ("people", "politics"): POLITICS,
    ("grid_staff", "role"): STAFF_ROLES,
    ("contact_points", "category"): CONTACT_CATEGORIES,
    ("dual_reporting", "report_type"): REPORT_TYPES,
}

KIND_ZH = {
    "Street": "街道",
    "Community": "社区",
    "Grid": "网格",
    "Building": "楼栋",
    "Unit": "单位",
    "PartyOrg": "党组织",
    "Person": "人员",
}


@dataclass
class PersonRef:
    """A reference to a person from a small ledger, resolved once the people ledger has been read."""

    file: str
    row: int
    column: str
    value: str
    name: str | None


@dataclass
class Checker:
    """What the import has seen so far, and the issues found."""

    pid_key: bytes
    issues: list[LedgerIssue] = field(default_factory=list)
    # code -> where it was defined ("file:row"); label-specific so a grid and a unit may share a code
    defined: dict[str, dict[str, str]] = field(
        default_factory=lambda: {
            k: {} for k in ("District", "Street", "Community", "Grid", "Building", "Unit", "PartyOrg")
        }
    )
    # codes that exist in the store already (incremental imports of one ledger)
    existing: dict[str, set[str]] = field(default_factory=dict)
    street_info: dict[str, tuple[str, str, int]] = field(
        default_factory=dict
    )  # code -> (name, district, row)
    community_info: dict[str, tuple[str, str, int]] = field(
        default_factory=dict
    )  # code -> (name, street, row)
    org_parent: dict[str, tuple[str, int]] = field(default_factory=dict)  # org -> (parent, row)
    person_refs: dict[str, list[PersonRef]] = field(default_factory=dict)  # pid -> references
    people_seen: dict[str, int] = field(default_factory=dict)  # pid -> row in the people ledger
    households: set[str] = field(default_factory=set)
    rel_keys: dict[tuple[str, str, str, str], int] = field(default_factory=dict)  # (write, a, b, key) -> row
    rows_read: dict[str, int] = field(default_factory=dict)

    # ------------------------------------------------------------------ helpers
    def pid(self, id18: str) -> str:
        return hmac.digest(self.pid_key, id18.upper().encode("utf-8"), "sha256").hex()[
            :20
        ]  # one-shot: C, no objects

    @property
    def seal(self) -> PhoneSeal:
        return phone_seal(self.pid_key)

    def has(self, label: str, code: str) -> bool:
        return code in self.defined[label] or code in self.existing.get(label, ())

    @property
    def incremental(self) -> bool:
        """The store held data before this import: a reference a row leaves empty may have one to remove."""
        return bool(self.existing)

    def error_count(self) -> int:
        return sum(1 for i in self.issues if i.level == "error")


class Row:
    """One spreadsheet row with the checks every ledger uses; problems go to the checker's issues."""

    __slots__ = ("chk", "src", "n", "cells", "ok")

    def __init__(self, chk: Checker, src: LedgerSource, n: int, cells: dict[str, str]) -> None:
        self.chk, self.src, self.n, self.cells, self.ok = chk, src, n, cells, True

    @property
    def where(self) -> str:
        return f"{self.src.file}:{self.n}"

    def header(self, key: str) -> str:
        return self.src.header(key)

    def error(self, key: str | None, value: str | None, reason: str) -> None:
        self.ok = False
        self.chk.issues.append(
            LedgerIssue(self.src.file, self.n, self.header(key) if key else None, value, reason)
        )

    def warn(self, key: str | None, value: str | None, reason: str) -> None:
        self.chk.issues.append(
            LedgerIssue(self.src.file, self.n, self.header(key) if key else None, value, reason, "warning")
        )

    def text(self, key: str, required: bool = False) -> str | None:
        v = self.cells.get(key, "")
        if not v:
            if required:
                self.error(key, v, "必填项为空，请填写")
            return None
        return v

    def count(self, key: str) -> int | None:
        raw = self.cells.get(key, "")
        v, why = parse_count(raw)
        if why:
            self.error(key, raw, why)
        return v

    def date(self, key: str) -> str | None:
        raw = self.cells.get(key, "")
        v, why = parse_date(raw)
        if why:
            self.error(key, raw, why)
        return v

    def term(self) -> tuple[str | None, str | None]:
        since, until = self.date("since"), self.date("until")
        if since and until and until < since:
            self.error("until", self.cells.get("until"), f"结束日期早于开始日期（{since}），请检查")
        return since, until

    def enum(self, key: str, allowed: tuple[str, ...], required: bool = False) -> str | None:
        raw = self.cells.get(key, "")
        if not raw:
            if required:
                self.error(key, raw, f"必填项为空，应为以下之一：{'、'.join(allowed)}")
            return None
        v, why = parse_enum(raw, allowed)
        if why:
            self.error(key, raw, why)
        return v

    def resident_id(self, key: str, required: bool = True) -> str | None:
        raw = self.cells.get(key, "")
        if not raw:
            if required:
                self.error(key, raw, "必填项为空，请填写 18 位身份证号")
            return None
        why = validate_resident_id(raw)
        if why:
            self.error(key, raw, why)
            return None
        return raw.upper()

    def ref(self, key: str, label: str, required: bool = False) -> str | None:
        """A code that must be defined by an earlier ledger (or exist in the store)."""
        code = self.text(key, required)
        if code is None:
            return None
        if not self.chk.has(label, code):
            self.error(
                key, code, f"找不到该{KIND_ZH[label]}编码：请先在{KIND_ZH[label]}台账中登记，或改正编码"
            )
            return None
        return code

    def person_ref(self, key: str, name_key: str | None = "name", required: bool = True) -> str | None:
        """A person by 身份证号; resolved against the people ledger after it has been read."""
        id18 = self.resident_id(key, required)
        if id18 is None:
            return None
        pid = self.chk.pid(id18)
        name = self.cells.get(name_key) if name_key else None
        self.chk.person_refs.setdefault(pid, []).append(
            PersonRef(self.src.file, self.n, self.header(key), mask_id(id18), name or None)
        )
        return pid

    def unique_rel(self, write: str, a: str, b: str, key: str = "") -> bool:
        k = (write, a, b, key)
        first = self.chk.rel_keys.get(k)
        if first is not None:
            self.error(None, None, f"与第 {first} 行重复（同一对象、同一岗位/期限），请删除重复行")
            return False
        self.chk.rel_keys[k] = self.n
        return True

    def unlink(self, emit: Emit, label: str, type_: str, key: str) -> None:
        """This row leaves a functional reference empty: remove the one an earlier import made (a newer ledger
        updates what changed, and an emptied cell is a change: a member who left the party, a new top
        organization). Nothing to remove on a first import into an empty store, so nothing is emitted then."""
        if self.chk.incremental:
            emit(unlink_write(label, type_), {"key": key})

    def define(self, label: str, code: str, key: str) -> bool:
        """Register a code this ledger defines; a second row with the same code is an error."""
        seen = self.chk.defined[label]
        if code in seen:
            self.error(key, code, f"编码重复：与 {seen[code]} 相同，请删除重复行或改正编码")
            return False
        seen[code] = self.where
        return True


def _district_code(street_code: str, district_name: str) -> str:
    # GB/T 2260 / 统计用区划代码: a street's 9- or 12-digit code starts with its county's 6 digits.
    if street_code.isdigit() and len(street_code) >= 9:
        return street_code[:6]
    return district_name


# ---------------------------------------------------------------------------------------------- ledgers
def grids(r: Row, emit: Emit) -> None:
    district = r.text("district_name", True)
    street, street_name = r.text("street_code", True), r.text("street_name", True)
    comm, comm_name = r.text("community_code", True), r.text("community_name", True)
    grid = r.text("grid_code", True)
    kind = r.enum("grid_kind", GRID_KINDS) or "居民网格"
    households, population = r.count("households"), r.count("population")
    if not r.ok or not (district and street and street_name and comm and comm_name and grid):
        return
    chk = r.chk
    dcode = _district_code(street, district)
    known = chk.street_info.get(street)
    if known is None:
        chk.street_info[street] = (street_name, dcode, r.n)
        if dcode not in chk.defined["District"]:
            chk.defined["District"][dcode] = r.where
            emit(node_write("District"), {"key": dcode, "props": {"name": district, "source": r.where}})
        chk.defined["Street"][street] = r.where
        emit(node_write("Street"), {"key": street, "props": {"name": street_name, "source": r.where}})
        emit(
            rel_write("Street", "PART_OF", "District"),
            {"a": street, "b": dcode, "props": {"source": r.where}},
        )
    elif known[0] != street_name:
        r.error(
            "street_name",
            street_name,
            f"同一街道编码 {street} 在第 {known[2]} 行名为「{known[0]}」，此处不一致",
        )
        return
    cknown = chk.community_info.get(comm)
    if cknown is None:
        chk.community_info[comm] = (comm_name, street, r.n)
        chk.defined["Community"][comm] = r.where
        emit(node_write("Community"), {"key": comm, "props": {"name": comm_name, "source": r.where}})
        emit(
            rel_write("Community", "PART_OF", "Street"),
            {"a": comm, "b": street, "props": {"source": r.where}},
        )
    elif cknown[0] != comm_name or cknown[1] != street:
        r.error(
            "community_code",
            comm,
            f"同一社区编码在第 {cknown[2]} 行为「{cknown[0]}」（街道 {cknown[1]}），此处不一致",
        )
        return
    if not r.define("Grid", grid, "grid_code"):
        return
    props = {
        "name": r.text("grid_name"),
        "kind": kind,
        "households": households,
        "population": population,
        "source": r.where,
    }
    emit(node_write("Grid"), {"key": grid, "props": props})
    emit(rel_write("Grid", "PART_OF", "Community"), {"a": grid, "b": comm, "props": {"source": r.where}})


def buildings(r: Row, emit: Emit) -> None:
    code = r.text("building_code", True)
    grid = r.ref("grid_code", "Grid", True)
    households = r.count("households")
    if not r.ok or not code or not grid or not r.define("Building", code, "building_code"):
        return
    emit(
        node_write("Building"),
        {
            "key": code,
            "props": {"name": r.text("building_name"), "households": households, "source": r.where},
        },
    )
    emit(rel_write("Building", "PART_OF", "Grid"), {"a": code, "b": grid, "props": {"source": r.where}})


def units(r: Row, emit: Emit) -> None:
    raw = r.text("unit_code", True)
    code = None
    if raw:
        why = validate_credit_code(raw)
        if why:
            r.error("unit_code", raw, why)
        else:
            code = raw.upper()
    name = r.text("unit_name", True)
    kind = r.enum("unit_kind", UNIT_KINDS, True)
    street = r.ref("street_code", "Street")
    if not r.ok or not code or not r.define("Unit", code, "unit_code"):
        return
    emit(
        node_write("Unit"),
        {"key": code, "props": {"name": name, "kind": kind, "street": street, "source": r.where}},
    )


def party_orgs(r: Row, emit: Emit) -> None:
    code = r.text("org_code", True)
    name = r.text("org_name", True)
    kind = r.enum("org_kind", ORG_KINDS, True)
    parent = r.text("parent_code")
    base = r.text("base_code")
    base_label = None
    if base:
        base_label = next(
            (lb for lb in ("Street", "Community", "Grid", "Building", "Unit") if r.chk.has(lb, base)), None
        )
        if base_label is None:
            r.error("base_code", base, "找不到依托对象：应为已登记的街道、社区、网格、楼栋或单位编码")
    secretary = r.person_ref("secretary_id", None, required=False)
    if not r.ok or not code or not r.define("PartyOrg", code, "org_code"):
        return
    emit(node_write("PartyOrg"), {"key": code, "props": {"name": name, "kind": kind, "source": r.where}})
    if parent:
        # Checked after the whole ledger is read (a parent may come later in the file): see finish_party_orgs.
        r.chk.org_parent[code] = (parent, r.n)
        emit(
            rel_write("PartyOrg", "SUBORDINATE_TO", "PartyOrg"),
            {"a": code, "b": parent, "props": {"source": r.where}},
        )
    else:
        r.unlink(emit, "PartyOrg", "SUBORDINATE_TO", code)
    if base and base_label:
        emit(
            rel_write("PartyOrg", "BASED_IN", base_label),
            {"a": code, "b": base, "props": {"source": r.where}},
        )
    else:
        r.unlink(emit, "PartyOrg", "BASED_IN", code)
    if secretary:
        emit(
            rel_write("Person", "SECRETARY_OF", "PartyOrg"),
            {"a": secretary, "b": code, "props": {"source": r.where}},
        )
    else:
        r.unlink(emit, "PartyOrg", "SECRETARY_OF", code)


def finish_party_orgs(chk: Checker, src: LedgerSource) -> None:
    """Parents must exist, and the 上级组织 chain must not loop."""
    for _code, (parent, n) in chk.org_parent.items():
        if not chk.has("PartyOrg", parent):
            chk.issues.append(
                LedgerIssue(
                    src.file,
                    n,
                    src.header("parent_code"),
                    parent,
                    "找不到上级组织编码：请先登记该组织，或改正编码",
                )
            )
    reported: set[str] = set()
    for start in chk.org_parent:
        seen: list[str] = []
        cur: str | None = start
        while cur is not None and cur in chk.org_parent and cur not in seen:
            seen.append(cur)
            cur = chk.org_parent[cur][0]
        if cur is not None and cur in seen and cur not in reported:
            loop = seen[seen.index(cur) :]
            reported.update(loop)
            n = chk.org_parent[cur][1]
            chk.issues.append(
                LedgerIssue(
                    src.file,
                    n,
                    src.header("parent_code"),
                    chk.org_parent[cur][0],
                    "上级组织形成循环：" + " → ".join([*loop, cur]) + "，请改正其中一个上级组织编码",
                )
            )


def people(r: Row, emit: Emit) -> None:
    chk = r.chk
    id18 = r.resident_id("id_number")
    name = r.text("name", True)
    gender = r.enum("gender", GENDERS)
    phone_raw = r.cells.get("phone", "")
    phone, why = parse_phone(phone_raw)
    if why:
        r.error("phone", phone_raw, why)
    politics = r.enum("politics", POLITICS)
    org = r.ref("party_org_code", "PartyOrg")
    if politics in PARTY_POLITICS and not r.cells.get("party_org_code"):
        r.error("party_org_code", "", f"政治面貌为{politics}时必须填写党组织编码")
    unit = r.ref("unit_code", "Unit")
    building = r.ref("building_code", "Building")
    household_no = r.text("household_no")
    if household_no and not r.cells.get("building_code"):
        r.error("building_code", "", "填写了户号时必须填写居住楼栋编码")
    if id18 is None or not r.ok:
        return
    pid = chk.pid(id18)
    first = chk.people_seen.get(pid)
    if first is not None:
        r.error("id_number", mask_id(id18), f"身份证号重复：与第 {first} 行是同一人，请合并为一行")
        return
    chk.people_seen[pid] = r.n
    derived = id_gender(id18)
    if gender and gender != derived:
        r.warn("gender", gender, f"性别与身份证号不符（身份证号显示为{derived}），按身份证号记为{derived}")
    refs = chk.person_refs.get(pid)
    if refs:
        for ref in refs:
            if ref.name and name and ref.name != name:
                chk.issues.append(
                    LedgerIssue(
                        ref.file,
                        ref.row,
                        "姓名",
                        ref.name,
                        f"与人员台账第 {r.n} 行的姓名「{name}」不一致",
                        "warning",
                    )
                )
    props = {
        "name": name,
        "id_masked": mask_id(id18),
        "gender": derived,
        "birth_year": id_birth_year(id18),
        **phone_props(chk.seal, pid, phone),  # masked in `phone`, full only sealed (loaders/phones.py)
        "politics": politics,
        "tags": split_tags(r.cells.get("tags", "")),
        "source": r.where,
    }
    member = politics in PARTY_POLITICS
    emit(node_write("Person", "member" if member else "plain"), {"key": pid, "props": props})
    if building and household_no:
        hh = _household(chk, building, household_no, r.where, emit)
        emit(rel_write("Person", "LIVES_IN", "Household"), {"a": pid, "b": hh, "props": {"source": r.where}})
    else:
        r.unlink(emit, "Person", "LIVES_IN", pid)
    if org:
        emit(rel_write("Person", "MEMBER_OF", "PartyOrg"), {"a": pid, "b": org, "props": {"source": r.where}})
    else:
        r.unlink(emit, "Person", "MEMBER_OF", pid)
    if unit:
        emit(rel_write("Person", "WORKS_AT", "Unit"), {"a": pid, "b": unit, "props": {"source": r.where}})
    else:
        r.unlink(emit, "Person", "WORKS_AT", pid)


def _household(chk: Checker, building: str, number: str, where: str, emit: Emit) -> str:
    code = f"{building}-{number}"
    if code not in chk.households:
        chk.households.add(code)
        emit(node_write("Household"), {"key": code, "props": {"source": where}})
        emit(
            rel_write("Household", "PART_OF", "Building"),
            {"a": code, "b": building, "props": {"source": where}},
        )
    return code


def grid_staff(r: Row, emit: Emit) -> None:
    pid = r.person_ref("id_number")
    role = r.enum("role", STAFF_ROLES, True)
    target = r.text("target_code", True)
    since, until = r.term()
    label = None
    if target and role:
        label = "Building" if role in BUILDING_ROLES else "Grid"
        if not r.chk.has(label, target):
            what = "楼栋编码（楼栋长、单元长负责楼栋）" if label == "Building" else "网格编码"
            r.error("target_code", target, f"找不到该{what}，请先登记或改正编码")
    if not r.ok or not pid or not role or not target or not label:
        return
    write = rel_write("Person", "SERVES", label)
    key = f"{role}|{since or ''}"
    if r.unique_rel(write, pid, target, key):
        props = {"role": role, "since": since, "until": until, "source": r.where}
        emit(write, {"a": pid, "b": target, "key": key, "props": props})


def cobuilding(r: Row, emit: Emit) -> None:
    unit = r.ref("unit_code", "Unit", True)
    comm = r.ref("community_code", "Community", True)
    since, until = r.term()
    if not r.ok or not unit or not comm:
        return
    write = rel_write("Unit", "CO_BUILDS", "Community")
    key = since or ""
    if r.unique_rel(write, unit, comm, key):
        props = {"since": since, "until": until, "project": r.text("project"), "source": r.where}
        emit(write, {"a": unit, "b": comm, "key": key, "props": props})


def part_time_members(r: Row, emit: Emit) -> None:
    pid = r.person_ref("id_number")
    org = r.ref("org_code", "PartyOrg", True)
    unit = r.ref("source_unit_code", "Unit")
    since, until = r.term()
    if not r.ok or not pid or not org:
        return
    write = rel_write("Person", "PART_TIME_MEMBER_OF", "PartyOrg")
    key = since or ""
    if r.unique_rel(write, pid, org, key):
        props = {"since": since, "until": until, "source_unit": unit, "source": r.where}
        emit(write, {"a": pid, "b": org, "key": key, "props": props})


def contact_points(r: Row, emit: Emit) -> None:
    pid = r.person_ref("id_number")
    category = r.enum("category", CONTACT_CATEGORIES, True)
    target = r.text("target_code", True)
    since, until = r.term()
    label = None
    if target:
        label = next((lb for lb in ("Street", "Community", "Grid") if r.chk.has(lb, target)), None)
        if label is None:
            r.error("target_code", target, "找不到联系对象：应为已登记的街道、社区或网格编码")
    if not r.ok or not pid or not target or not label:
        return
    write = rel_write("Person", "CONTACTS", label)
    key = since or ""
    if r.unique_rel(write, pid, target, key):
        props = {
            "category": category,
            "title": r.text("title"),
            "since": since,
            "until": until,
            "source": r.where,
        }
        emit(write, {"a": pid, "b": target, "key": key, "props": props})


def dual_reporting(r: Row, emit: Emit) -> None:
    kind = r.enum("report_type", REPORT_TYPES, True)
    comm = r.ref("community_code", "Community", True)
    date = r.date("date")
    subject: str | None = None
    if kind == "党员":
        subject = r.person_ref("subject_code", None)
    elif kind == "单位":
        raw = r.text("subject_code", True)
        if raw:
            why = validate_credit_code(raw)
            if why:
                r.error("subject_code", raw, why)
            elif not r.chk.has("Unit", raw.upper()):
                r.error("subject_code", raw, "找不到该单位编码：请先在单位台账中登记，或改正编码")
            else:
                subject = raw.upper()
    if not r.ok or not subject or not comm or not kind:
        return
    write = rel_write("Person" if kind == "党员" else "Unit", "REPORTED_TO", "Community")
    if r.unique_rel(write, subject, comm):
        emit(
            write,
            {"a": subject, "b": comm, "props": {"date": date, "post": r.text("post"), "source": r.where}},
        )


def household_links(r: Row, emit: Emit) -> None:
    pid = r.person_ref("id_number")
    building = r.ref("building_code", "Building", True)
    number = r.text("household_no", True)
    since, until = r.term()
    if not r.ok or not pid or not building or not number:
        return
    hh = _household(r.chk, building, number, r.where, emit)
    write = rel_write("Person", "LINKS_HOUSEHOLD", "Household")
    key = since or ""
    if r.unique_rel(write, pid, hh, key):
        emit(
            write,
            {"a": pid, "b": hh, "key": key, "props": {"since": since, "until": until, "source": r.where}},
        )


TRANSFORMS: dict[str, Callable[[Row, Emit], None]] = {
    "grids": grids,
    "buildings": buildings,
    "units": units,
    "party_orgs": party_orgs,
    "people": people,
    "grid_staff": grid_staff,
    "cobuilding": cobuilding,
    "part_time_members": part_time_members,
    "contact_points": contact_points,
    "dual_reporting": dual_reporting,
    "household_links": household_links,
}

FINISHERS: dict[str, Callable[[Checker, LedgerSource], None]] = {"party_orgs": finish_party_orgs}


def unresolved_people(chk: Checker) -> Iterable[tuple[str, list[PersonRef]]]:
    """Person references that the people ledger of this import did not define."""
    for pid, refs in chk.person_refs.items():
        if pid not in chk.people_seen:
            yield pid, refs
