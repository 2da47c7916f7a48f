"""Deterministic generator of valid demo ledgers (台账) modeled on 万山区, streamed to CSV at any size.

The default demo reproduces the figures of the 万山区 case (background/000): one district, 16
communities, 65 grids of 200-300 households, 107 co-building units, 53 leaders in the 联系点 system,
10 street and 98 community part-time committee members, 2,061 reporting party members and a 58 %
share of full-time grid workers. Larger `residents` add grids, communities, streets and districts in
the same proportions. Residents are generated one grid at a time and written at once, so memory stays
flat however many there are.

Length (about 1,040 lines): one generator that builds a district level by level; its steps share one random
stream, so their order is the output and they stay together. The name pools are in loaders/demo_names.py, the
writer in loaders/demo_write.py.
"""

from __future__ import annotations

import calendar
import math
import random
import shutil
import tempfile
from array import array
from bisect import bisect
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from orggraph.loaders.demo_names import (
    _BUSINESS_TRADES,
    _CITY,
    _CONGRESS_TITLES,
    _CORE_OFFICES,
    _DEPT_TITLES,
    _ESTATE_SUFFIX,
    _FEMALE_CHARS,
    _GOV_DEPARTMENTS,
    _GOV_TITLES,
    _INSTITUTIONS,
    _MALE_CHARS,
    _MOBILE_PREFIXES,
    _OTHER_DISTRICTS,
    _OTHER_PREFIXES,
    _PLACE_A,
    _PLACE_B,
    _POSTS,
    _PROJECTS,
    _REPORTING_WEIGHT,
    _SOCIAL_ORGS,
    _STATE_ENTERPRISES,
    _STREET_TITLES,
    _SURNAME_POOL,
    _UNIT_KIND_WEIGHTS,
    _WANSHAN_COMMUNITY,
    _WANSHAN_STREETS,
)
from orggraph.loaders.demo_write import (
    _XLSX_MAX_ROWS,
    LEDGER_HEADERS,
    WORKBOOK_NAME,
    _Out,
    _refuse_mixed_output,
    _write_workbook,
    written_message,
)
from orggraph.loaders.idcodes import CREDIT_CHARSET, credit_check_char, id_check_char, orgcode_check_char

__all__ = [
    "DEFAULT_RESIDENTS",
    "LEDGER_HEADERS",
    "WANSHAN",
    "WORKBOOK_NAME",
    "generate",
    "written_message",
]


# The 万山区 case's figures; the default demo reproduces them and larger ones scale them.
WANSHAN: dict[str, int] = {
    "grids": 65,
    "communities": 16,
    "streets": 4,
    "units": 107,
    "leaders": 53,
    "street_members": 10,
    "community_members": 98,
    "reporting_members": 2061,
}
FULLTIME_SHARE = 0.58  # 专职网格员 among all grid workers (the case)
_PERSONS_PER_GRID = 700  # ~250 households of ~2.8 people
# 65 grids of ~700 residents: the default `residents` is what 万山区's grids hold, not a round number.
DEFAULT_RESIDENTS = WANSHAN["grids"] * _PERSONS_PER_GRID
_RESIDENTS_PER_DISTRICT = 250_000
MIN_RESIDENTS = 1000

# The demo world's "today": ages, terms and report dates are relative to it, so output never depends
# on the day it is generated.
_TODAY = date(2025, 6, 30)
_FIRST_BIRTH, _LAST_BIRTH = 1940, 2015


# --------------------------------------------------------------------------------------------- helpers
def _apportion(total: int, weights: list[float]) -> list[int]:
    """Split `total` into integers proportional to `weights` (largest remainder), deterministically."""
    s = sum(weights)
    if s <= 0:
        return [0] * len(weights)
    raw = [total * w / s for w in weights]
    out = [int(x) for x in raw]
    order = sorted(range(len(raw)), key=lambda i: (out[i] - raw[i], i))
    for i in order[: total - sum(out)]:
        out[i] += 1
    return out


def _compose(rng: random.Random, total: int, parts: int) -> list[int]:
    """`total` split into `parts` positive integers of moderately varying size."""
    return [1 + n for n in _apportion(total - parts, [rng.uniform(0.6, 1.4) for _ in range(parts)])]


def _day(rng: random.Random, lo: date, hi: date) -> date:
    return date.fromordinal(lo.toordinal() + int(rng.random() * ((hi - lo).days + 1)))


def _iso(rng: random.Random, lo: date, hi: date) -> str:
    return _day(rng, lo, hi).isoformat()


def _year(rng: random.Random, lo: int, hi: int) -> int:
    return min(_LAST_BIRTH, max(_FIRST_BIRTH, lo + int(rng.random() * (hi - lo + 1))))


def _place_names(rng: random.Random, suffix: str, taken: set[str]) -> list[str]:
    """Distinct place names in random order, those not `taken` yet first (reused only once all are)."""
    names = [a + b + suffix for a in _PLACE_A for b in _PLACE_B if a != b]
    rng.shuffle(names)
    return [n for n in names if n not in taken] + [n for n in names if n in taken]


class _IdMaker:
    """Unique, valid resident IDs without remembering the IDs: one counter per (region, birth day)."""

    _BASE = date(_FIRST_BIRTH, 1, 1).toordinal()

    def __init__(self) -> None:
        last = date(_LAST_BIRTH, 12, 31).toordinal()
        self._days = last - self._BASE + 1
        self._ymd = [date.fromordinal(o).strftime("%Y%m%d") for o in range(self._BASE, last + 1)]
        self._year_start = {
            y: date(y, 1, 1).toordinal() - self._BASE for y in range(_FIRST_BIRTH, _LAST_BIRTH + 1)
        }
        self._counters: dict[str, array[int]] = {}

    def make(self, rng: random.Random, prefix: str, year: int, male: bool) -> str:
        day = self._year_start[year] + int(rng.random() * (366 if calendar.isleap(year) else 365))
        counters = self._counters.get(prefix)
        if counters is None:
            counters = self._counters[prefix] = array("H", bytes(2 * self._days))
        while counters[day] >= 500:  # 500 sequence numbers per day and region; spill to the next day
            day = (day + 1) % self._days
        k = counters[day]
        counters[day] = k + 1
        # k -> 37k+day mod 500 is a bijection for a fixed day, so numbers stay unique but look unordered.
        seq = ((k * 37 + day) % 500) * 2 + (1 if male else 0)
        body = f"{prefix}{self._ymd[day]}{seq:03d}"
        return body + id_check_char(body)


@dataclass(slots=True)
class _Person:
    id: str
    name: str
    male: bool
    year: int
    phone: str = ""
    politics: str = "群众"
    org: str = ""
    unit: str = ""
    building: str = ""
    hh: str = ""
    tags: list[str] | None = None

    def tag(self, t: str) -> None:
        if self.tags is None:
            self.tags = [t]
        elif t not in self.tags:
            self.tags.append(t)

    def row(self) -> list[str]:
        return [
            self.id, self.name, "男" if self.male else "女", self.phone, self.politics, self.org, self.unit,
            self.building, self.hh, "、".join(self.tags) if self.tags else "",
        ]  # fmt: skip


@dataclass(slots=True)
class _Building:
    code: str
    name: str
    units: int
    floors: int
    rooms: int

    @property
    def households(self) -> int:
        return self.units * self.floors * self.rooms


@dataclass(slots=True)
class _Grid:
    code: str
    name: str
    kind: str
    buildings: list[_Building]
    residents: int = 0
    reporting: int = 0

    @property
    def households(self) -> int:
        return sum(b.households for b in self.buildings)


@dataclass(slots=True)
class _Community:
    code: str
    name: str
    street_name: str
    grids: list[_Grid] = field(default_factory=list)


@dataclass(slots=True)
class _Street:
    code: str
    name: str
    communities: list[_Community] = field(default_factory=list)


@dataclass(slots=True)
class _Leader:
    person: _Person
    category: str
    title: str
    street: str  # the street whose 党工委 a 街道党工委班子 member sits on
    contacts: list[tuple[str, str, str]]  # (target code, since, until)


@dataclass(slots=True)
class _Unit:
    code: str
    name: str
    kind: str
    street: str
    org: str = ""
    secretary: _Person | None = None


# (units, floors, rooms per floor) of the residential buildings a grid is made of; weights in the pool.
_LAYOUTS = (
    (2, 6, 2),
    (3, 6, 2),
    (2, 7, 2),
    (4, 6, 2),
    (2, 11, 2),
    (2, 18, 2),
    (1, 18, 4),
    (1, 6, 2),
    (3, 9, 2),
)
_LAYOUT_POOL = tuple(
    lay for lay, w in zip(_LAYOUTS, (4, 4, 3, 2, 2, 1, 1, 2, 2), strict=False) for _ in range(w)
)


@dataclass
class _Residents:
    """One grid's residents while the grid is generated; indexes into `people` stand for persons."""

    rng: random.Random
    homes: list[tuple[_Building, str]]  # (building, 户号)
    people: list[_Person] = field(default_factory=list)
    home_range: list[tuple[int, int]] = field(default_factory=list)  # per home: its people
    building_range: dict[str, tuple[int, int]] = field(default_factory=dict)
    unit_range: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict)  # (building, 单元)
    adults: list[int] = field(default_factory=list)
    working: list[int] = field(default_factory=list)  # of working age (23-59)
    in_service: set[int] = field(default_factory=set)  # in-service party members who report here
    party_local: list[int] = field(default_factory=list)  # full party members whose organization is here
    home_org: str = ""  # the party organization residents' membership is kept in
    used: set[int] = field(default_factory=set)  # already given a role in this grid

    def pick(self, candidates: Iterable[int], lo: int, hi: int) -> _Person | None:
        """A random person not yet given a role, born between `lo` and `hi`."""
        pool = [i for i in candidates if i not in self.used and lo <= self.people[i].year <= hi]
        if not pool:
            return None
        i = pool[int(self.rng.random() * len(pool))]
        self.used.add(i)
        return self.people[i]

    def party_pick(self, lo: int, hi: int) -> _Person:
        """A party member for a secretary's post, making an adult one if the grid has none left."""
        p = self.pick(self.party_local, lo, hi) or self.pick(self.adults, _FIRST_BIRTH, _TODAY.year - 18)
        if p is None:
            raise ValueError("网格居民太少，选不出党组织书记，请增加居民人数")
        if not p.politics.startswith("中共"):
            p.politics, p.org = "中共党员", self.home_org
        return p


def _org(code: str) -> str:
    """Party organization code of the organization built on a region or unit code."""
    return "D" + code


# ------------------------------------------------------------------------------------------- generator
_HEAD, _SPOUSE, _CHILD, _ELDER = 0, 1, 2, 3  # household member roles, used to pick surnames


class _Generator:
    """Writes one district after another; only one grid's residents are in memory at a time."""

    def __init__(self, out: _Out, seed: int) -> None:
        self.out = out
        self.rng = random.Random(seed)
        self.ids = _IdMaker()
        self.credit_codes: set[str] = set()
        self.place_names: set[str] = set()
        # Running totals across all grids keep the full-time share on target wherever the output stops.
        self.fulltime = 0
        self.parttime = 0
        self.grids_done = 0
        self.sole_grids: set[str] = (
            set()
        )  # grids whose one full-time worker is also their 网格长: a sole contact

    # ---------------------------------------------------------------- people
    def person(self, year: int, male: bool, prefix: str, surname: str | None = None) -> _Person:
        rng = self.rng
        if rng.random() < 0.2:  # born and registered elsewhere
            prefix = _OTHER_PREFIXES[int(rng.random() * len(_OTHER_PREFIXES))]
        chars = _MALE_CHARS if male else _FEMALE_CHARS
        given = chars[int(rng.random() * len(chars))]
        if rng.random() < 0.75:
            given += chars[int(rng.random() * len(chars))]
        name = (surname or _SURNAME_POOL[int(rng.random() * len(_SURNAME_POOL))]) + given
        p = _Person(self.ids.make(rng, prefix, year, male), name, male, year)
        age = _TODAY.year - year
        if (14 <= age < 75) or (age >= 75 and rng.random() < 0.6) or (10 <= age < 14 and rng.random() < 0.4):
            p.phone = (
                _MOBILE_PREFIXES[int(rng.random() * len(_MOBILE_PREFIXES))] + f"{int(rng.random() * 1e8):08d}"
            )
        return p

    def official(self, prefix: str, unit: _Unit | None = None, lo: int = 1965, hi: int = 1988) -> _Person:
        """A cadre or unit staff member: a party member who need not live in the district's grids."""
        p = self.person(_year(self.rng, lo, hi), self.rng.random() < 0.7, prefix)
        p.politics = "中共党员"
        if unit is not None:
            p.unit, p.org = unit.code, unit.org
        return p

    # ---------------------------------------------------------------- layout
    def layout(self, dcode: str, grids: int, first: bool) -> list[_Street]:
        rng = self.rng
        n_comm = max(1, round(grids * WANSHAN["communities"] / WANSHAN["grids"]))
        n_street = max(1, round(n_comm * WANSHAN["streets"] / WANSHAN["communities"]))
        street_names = list(_WANSHAN_STREETS[:n_street]) if first else []
        street_names += [n for n in _place_names(rng, "街道", self.place_names) if n not in street_names][
            : n_street - len(street_names)
        ]
        comm_names = [_WANSHAN_COMMUNITY] if first else []
        comm_names += [n for n in _place_names(rng, "社区", self.place_names) if n not in comm_names][
            : n_comm - len(comm_names)
        ]
        self.place_names.update(street_names, comm_names)
        estates = [n.removesuffix("社区") for n in _place_names(rng, "社区", set())]
        streets = [_Street(f"{dcode}{i + 1:03d}", street_names[i]) for i in range(n_street)]
        comm_sizes = _compose(rng, n_comm, n_street)
        grid_sizes = _compose(rng, grids, n_comm)
        ci = gi = 0
        for street, n_c in zip(streets, comm_sizes, strict=False):
            for j in range(n_c):
                comm = _Community(f"{street.code}{j + 1:03d}", comm_names[ci], street.name)
                for k in range(grid_sizes[ci]):
                    code = f"{comm.code}{k + 1:03d}"
                    kind = "专属网格" if rng.random() < 0.05 else "居民网格"
                    estate = (
                        estates[gi % len(estates)] + _ESTATE_SUFFIX[int(rng.random() * len(_ESTATE_SUFFIX))]
                    )
                    gi += 1
                    comm.grids.append(
                        _Grid(code, f"{comm.name}第{k + 1}网格", kind, self.buildings(code, estate))
                    )
                street.communities.append(comm)
                ci += 1
        return streets

    def buildings(self, grid_code: str, estate: str) -> list[_Building]:
        """Buildings adding up to 200-300 households, the grid size of the case."""
        rng = self.rng
        target = 210 + int(
            rng.random() * 79
        )  # ≤ 288, so the smallest layout (12) always still fits under 300
        out: list[_Building] = []
        total = 0
        while total < target:
            fits = [lay for lay in _LAYOUT_POOL if lay[0] * lay[1] * lay[2] <= 300 - total]
            u, f, r = fits[int(rng.random() * len(fits))]
            n = len(out) + 1
            out.append(_Building(f"{grid_code}{n:02d}", f"{estate}{n}栋", u, f, r))
            total += u * f * r
        return out

    # ---------------------------------------------------------------- district
    def district(self, first: bool, dcode: str, dname: str, grids: int, residents: int) -> None:
        out = self.out
        full = _CITY + dname
        streets = self.layout(dcode, grids, first)
        communities = [c for s in streets for c in s.communities]
        all_grids = [g for c in communities for g in c.grids]
        scale = len(all_grids) / WANSHAN["grids"]
        for g, n in zip(all_grids, _apportion(residents, [g.households for g in all_grids]), strict=False):
            g.residents = n
        reporting = round(WANSHAN["reporting_members"] * residents / DEFAULT_RESIDENTS)
        for g, n in zip(all_grids, _apportion(reporting, [g.residents for g in all_grids]), strict=False):
            g.reporting = n

        for s in streets:
            for c in s.communities:
                for g in c.grids:
                    out.write("网格", [dname, s.code, s.name, c.code, c.name, g.code, g.name, g.kind,
                                      str(g.households), str(g.residents)])  # fmt: skip
                    for b in g.buildings:
                        out.write("楼栋", [b.code, b.name, g.code, str(b.households)])

        units = self.units(dcode, full, streets, scale)
        officials: list[_Person] = []
        leaders = self.leaders(dcode, streets, units, scale)
        officials += [ld.person for ld in leaders]
        self.party_tops(dcode, full, streets, units, leaders, officials)
        self.part_time_members(dcode, streets, units, officials)
        for p in officials:
            out.write("人员", p.row())
        for ld in leaders:
            for target, since, until in ld.contacts:
                out.write(
                    "联系点", [ld.person.id, ld.person.name, ld.title, ld.category, target, since, until]
                )
        self.cobuilding(communities, units)

        weights = [_REPORTING_WEIGHT[u.kind] for u in units]
        cum = [sum(weights[: i + 1]) for i in range(len(weights))]
        self.sole_grids = self.pick_sole_grids(all_grids, leaders)
        for c in communities:
            for gi, g in enumerate(c.grids):
                self.grid(c, g, gi == 0, units, cum)

    @staticmethod
    def _lacks_fulltime(n: int) -> bool:
        """Whether the n-th grid generated (from 1, across districts) has lost, or never had, a full-time
        worker."""
        return n % 23 == 11

    def pick_sole_grids(self, grids: list[_Grid], leaders: list[_Leader]) -> set[str]:
        """About one grid in 22 (3 of the case's 65) left with a single direct contact: no leader contacts it,
        and its only full-time worker doubles as 网格长 with no part-timer beside. Spread evenly over the
        grids no leader contacts and that keep a full-time worker; no random draw, so the rest of the demo is
        unchanged."""
        contacted = {t for ld in leaders for t, _, until in ld.contacts if not until}
        done = self.grids_done
        free = [
            g
            for i, g in enumerate(grids, done + 1)
            if g.code not in contacted and not self._lacks_fulltime(i)
        ]
        n = min(len(free), max(1, round(len(grids) * 3 / WANSHAN["grids"])))
        return {free[int((k + 0.5) * len(free) / n)].code for k in range(n)}

    # ---------------------------------------------------------------- units
    def credit_code(self, kind: str, dcode: str) -> str:
        rng = self.rng
        head = {"党政机关": "11", "事业单位": "12", "国有企业": "91", "民营企业": "91"}.get(kind)
        if head is None:  # 社会团体 or 民办非企业单位, registered with 民政
            head = "51" if rng.random() < 0.6 else "52"
        while True:
            if kind == "民营企业":  # codes issued since 2015 have no old organization code: MA + letters
                body = "MA" + "".join(CREDIT_CHARSET[int(rng.random() * 31)] for _ in range(6))
            else:
                body = f"{int(rng.random() * 1e8):08d}"
            code17 = head + dcode + body + orgcode_check_char(body)
            code = code17 + credit_check_char(code17)
            if code not in self.credit_codes:
                self.credit_codes.add(code)
                return code

    def units(self, dcode: str, full: str, streets: list[_Street], scale: float) -> list[_Unit]:
        rng = self.rng
        n = max(len(_CORE_OFFICES) + 3, round(WANSHAN["units"] * scale))
        counts = dict(
            zip(
                _UNIT_KIND_WEIGHTS,
                _apportion(n - len(_CORE_OFFICES), list(_UNIT_KIND_WEIGHTS.values())),
                strict=False,
            )
        )
        short = full.removeprefix(_CITY)  # branch offices name the district without the city
        # Offices and state enterprises are finite; a big district has more private firms instead.
        for kind, pool in (("党政机关", _GOV_DEPARTMENTS), ("国有企业", _STATE_ENTERPRISES)):
            extra = max(0, counts[kind] - len(pool))
            counts[kind] -= extra
            counts["民营企业"] += extra
        names: list[tuple[str, str]] = [(t.format(d=full), "党政机关") for t in _CORE_OFFICES]
        depts = list(_GOV_DEPARTMENTS)
        rng.shuffle(depts)
        names += [(t.format(d=full), "党政机关") for t in depts[: counts["党政机关"]]]
        inst = [t.format(d=short) for t in _INSTITUTIONS]
        i = 0
        while len(inst) < counts["事业单位"]:
            i += 1
            inst += [f"{short}第{i}{k}" for k in ("中学", "小学", "幼儿园")]
        names += [(t, "事业单位") for t in inst[: counts["事业单位"]]]
        states = list(_STATE_ENTERPRISES)
        rng.shuffle(states)
        names += [(t.format(d=short, s=short), "国有企业") for t in states[: counts["国有企业"]]]
        firms = [f"{_CITY}{a}{b}" for a in _PLACE_A for b in _PLACE_B if a != b]
        rng.shuffle(firms)
        for j in range(counts["民营企业"]):
            trade = _BUSINESS_TRADES[int(rng.random() * len(_BUSINESS_TRADES))]
            names.append((f"{firms[j % len(firms)]}{trade}有限公司", "民营企业"))
        socs = [f"{short}{s}" for s in _SOCIAL_ORGS]
        socs += [f"{short}{a}{b}志愿服务队" for a in _PLACE_A for b in _PLACE_B if a != b]
        names += [(t, "社会组织") for t in socs[: counts["社会组织"]]]

        seen: set[str] = set()
        units: list[_Unit] = []
        for name, kind in names:
            k = 1
            while name in seen:  # a firm name can come up twice
                k += 1
                name = name.removesuffix("有限公司") + f"{k}号有限公司"
            seen.add(name)
            street = (
                ""
                if kind == "党政机关" and rng.random() < 0.5
                else streets[int(rng.random() * len(streets))].code
            )
            code = self.credit_code(kind, dcode)
            units.append(_Unit(code, name, kind, street, _org(code)))
        for u in units:
            self.out.write("单位", [u.code, u.name, u.kind, u.street])
        return units

    # ---------------------------------------------------------------- party organizations above the grids
    def party_tops(
        self,
        dcode: str,
        full: str,
        streets: list[_Street],
        units: list[_Unit],
        leaders: list[_Leader],
        officials: list[_Person],
    ) -> None:
        rng, out = self.rng, self.out
        dept = [ld.person for ld in leaders if ld.category == "部务会成员"]
        organs, nonpublic = _org(dcode + "JG"), _org(dcode + "FG")
        out.write(
            "党组织", [organs, f"中共{full}直属机关工作委员会", "党工委", "", "", dept[0].id if dept else ""]
        )
        out.write("党组织", [nonpublic, f"中共{full}非公有制经济组织和社会组织工作委员会", "党工委", "",
                            "", dept[2].id if len(dept) > 2 else ""])  # fmt: skip
        for u in units:
            u.secretary = self.official(dcode, u)
            officials.append(u.secretary)
            r = rng.random()
            kind = (
                "党委"
                if u.kind in ("党政机关", "国有企业", "事业单位") and r < 0.25
                else ("党总支" if r < 0.45 else "党支部")
            )
            suffix = {"党委": "委员会", "党总支": "总支部委员会", "党支部": "支部委员会"}[kind]
            parent = nonpublic if u.kind in ("民营企业", "社会组织") else organs
            name = u.name if u.name.startswith("中共") else f"中共{u.name}"
            out.write("党组织", [u.org, name + suffix, kind, parent, u.code, u.secretary.id])
        heads = {ld.street: ld.person for ld in leaders if ld.street and ld.title == _STREET_TITLES[0]}
        for s in streets:
            head = heads.get(s.code)
            out.write(
                "党组织",
                [
                    _org(s.code),
                    f"中共{full}{s.name}工作委员会",
                    "党工委",
                    "",
                    s.code,
                    head.id if head else "",
                ],
            )

    # ---------------------------------------------------------------- 联系点
    def leaders(self, dcode: str, streets: list[_Street], units: list[_Unit], scale: float) -> list[_Leader]:
        """The 联系点 leaders and what each contacts, with one rule break of each kind per district."""
        rng = self.rng
        f = min(1.0, scale)
        plan: list[tuple[str, str, int, str]] = []  # (category, title, index of the office worked at, street)
        for t in _GOV_TITLES[: max(1, round(len(_GOV_TITLES) * f))]:
            plan.append(("区委区政府班子", t, 1 if "区长" in t else 0, ""))
        for t in _CONGRESS_TITLES[: max(1, round(len(_CONGRESS_TITLES) * f))]:
            plan.append(("区人大政协班子", t, 3 if "人大" in t else 4, ""))
        for t in _DEPT_TITLES[: max(1, round(len(_DEPT_TITLES) * f))]:
            plan.append(("部务会成员", t, 2, ""))
        for s in streets:
            plan += [("街道党工委班子", t, -1, s.code) for t in _STREET_TITLES]
        gov_total = sum(1 for p in plan if p[0] == "区委区政府班子")

        communities = [c for s in streets for c in s.communities]
        street_of = {c.code: s.code for s in streets for c in s.communities}
        own = {s.code: s.communities for s in streets}
        # Street leaders take their street's communities in turn (five leaders, about four communities:
        # each is covered); district leaders spread over the district in a shuffled round robin.
        order = communities[:]
        rng.shuffle(order)
        turn: dict[str, int] = {}
        used_grids: set[str] = set()
        leaders: list[_Leader] = []
        gov_seen = congress_seen = 0
        for cat, title, office, street in plan:
            p = self.official(dcode, units[office] if office >= 0 else None, 1962, 1985)
            if office < 0:
                p.org = _org(street)
            elif "政协副主席" in title and rng.random() < 0.4:
                p.politics, p.org = "民主党派", ""  # 政协 vice-chairs often come from the democratic parties
            if street:
                j = turn.get(street, 0)
                turn[street] = j + 1
                comm = own[street][j % len(own[street])]
            else:
                comm = order[(len(leaders) - sum(turn.values())) % len(order)]
            free = [g for g in comm.grids if g.code not in used_grids] or comm.grids
            grid = free[int(rng.random() * len(free))]
            used_grids.add(grid.code)
            since = _iso(rng, date(2022, 1, 1), date(2024, 12, 31))
            contacts = [(comm.code, since, ""), (grid.code, since, "")]
            if cat == "区委区政府班子":
                contacts.insert(0, (street_of[comm.code], since, ""))
                gov_seen += 1
                if gov_seen == gov_total and gov_total > 1:
                    contacts.pop()  # rule break: this member never got a grid
            elif cat == "区人大政协班子":
                congress_seen += 1
                others = [g for c in communities for g in c.grids if g.code != grid.code]
                if congress_seen == 1 and others:
                    contacts.append(
                        (others[int(rng.random() * len(others))].code, since, "")
                    )  # rule break: 2 grids
            if rng.random() < 0.15:  # a place contacted in the previous term
                prev = communities[int(rng.random() * len(communities))]
                if prev.code != comm.code:
                    start = _iso(rng, date(2019, 1, 1), date(2020, 12, 31))
                    end = _iso(rng, date(2021, 6, 1), date(2021, 12, 31))
                    prev_grid = prev.grids[int(rng.random() * len(prev.grids))]
                    contacts += [(prev.code, start, end), (prev_grid.code, start, end)]
            leaders.append(_Leader(p, cat, title, street, contacts))
        return leaders

    # ---------------------------------------------------------------- 兼职委员
    def part_time_members(
        self, dcode: str, streets: list[_Street], units: list[_Unit], officials: list[_Person]
    ) -> None:
        rng = self.rng
        # Members come from district departments, state and private enterprises (the case).
        eligible = [u for u in units if u.kind in ("党政机关", "国有企业", "民营企业")]
        communities = [c for s in streets for c in s.communities]
        n_street = round(WANSHAN["street_members"] * len(streets) / WANSHAN["streets"])
        n_comm = round(WANSHAN["community_members"] * len(communities) / WANSHAN["communities"])
        seats: list[tuple[str, bool]] = []  # (party organization, in force)
        for s, n in zip(streets, _apportion(n_street, [1.0] * len(streets)), strict=False):
            seats += [(_org(s.code), True)] * n
        seats += [(_org(s.code), False) for i, s in enumerate(streets) if i % 4 == 1]  # former members
        for c, n in zip(communities, _apportion(n_comm, [1.0] * len(communities)), strict=False):
            seats += [(_org(c.code), True)] * n
        seats += [(_org(c.code), False) for i, c in enumerate(communities) if i % 8 == 3]
        seated: set[str] = set()
        for org, current in seats:
            u = eligible[int(rng.random() * len(eligible))]
            # A unit's party secretary sits on one committee; further seats go to other staff.
            p = u.secretary
            if p is None or p.id in seated:
                p = self.official(dcode, u)
                officials.append(p)
            seated.add(p.id)
            if current:
                since, until = _iso(rng, date(2021, 7, 1), date(2024, 12, 31)), ""
            else:
                since, until = (
                    _iso(rng, date(2018, 1, 1), date(2019, 12, 31)),
                    _iso(rng, date(2021, 1, 1), date(2021, 6, 30)),
                )
            self.out.write("兼职委员", [p.id, p.name, org, u.code, since, until])

    # ---------------------------------------------------------------- 联建共建
    def cobuilding(self, communities: list[_Community], units: list[_Unit]) -> None:
        rng, out = self.rng, self.out

        def project() -> str:
            return _PROJECTS[int(rng.random() * len(_PROJECTS))]

        # Coverage stays below 100 %: of every 16 communities one has no partner and one only former ones.
        none = {c.code for i, c in enumerate(communities) if i % 16 == 7}
        ended_only = {c.code for i, c in enumerate(communities) if i % 16 == 12}
        active = [c for c in communities if c.code not in none and c.code not in ended_only] or communities
        order = units[:]
        rng.shuffle(order)
        primary: dict[str, str] = {}
        for i, u in enumerate(order):
            comm = active[i % len(active)]
            primary[u.code] = comm.code
            out.write(
                "联建共建",
                [u.code, comm.code, _iso(rng, date(2019, 3, 1), date(2024, 10, 31)), "", project()],
            )
            if rng.random() < 0.15 and len(active) > 1:
                other = active[(i + 1 + int(rng.random() * (len(active) - 1))) % len(active)]
                out.write(
                    "联建共建",
                    [u.code, other.code, _iso(rng, date(2022, 1, 1), date(2024, 12, 31)), "", project()],
                )
        for c in [c for c in communities if c.code in ended_only] + active[:3]:
            for u in rng.sample(order, min(2, len(order))):
                if primary[u.code] != c.code:
                    since = _iso(rng, date(2017, 1, 1), date(2018, 12, 31))
                    out.write(
                        "联建共建",
                        [u.code, c.code, since, _iso(rng, date(2020, 6, 1), date(2022, 12, 31)), project()],
                    )
        # Unit party organizations report to the community they co-build with (双报到 of type 单位).
        for u in units:
            if rng.random() < 0.6:
                day = _iso(rng, date(2019, 6, 1), date(2024, 12, 31))
                out.write("双报到", ["单位", u.code, primary[u.code], day, project()])

    # ---------------------------------------------------------------- one grid and its residents
    def family(self, size: int) -> tuple[list[tuple[int, bool, int]], bool]:
        """(birth year, male, role) of each member of a household of `size`, and whether the children are
        left behind (raised by grandparents while the parents work elsewhere)."""
        rng = self.rng
        r = rng.random()
        if size == 1:
            if r < 0.45:
                return [(_year(rng, 1940, 1962), rng.random() < 0.4, _HEAD)], False
            return [(_year(rng, 1975, 2004), rng.random() < 0.55, _HEAD)], False
        if r < 0.05 or (size == 2 and r < 0.08):
            gy = _year(rng, 1945, 1965)
            grand = [(gy, True, _HEAD), (_year(rng, gy - 3, gy + 3), False, _ELDER)][: max(1, size - 2)]
            kids = [(_year(rng, 2008, 2015), rng.random() < 0.52, _CHILD) for _ in range(size - len(grand))]
            return grand + kids, True
        if size == 2:
            if r < 0.5:
                y = _year(rng, 1940, 1964)
            elif r < 0.8:
                y = _year(rng, 1968, 2000)
            else:  # a parent and a grown-up child
                y = _year(rng, 1955, 1990)
                return [
                    (y, rng.random() < 0.4, _HEAD),
                    (_year(rng, y + 22, y + 34), rng.random() < 0.52, _CHILD),
                ], False
            return [(y, True, _HEAD), (_year(rng, y - 2, y + 4), False, _SPOUSE)], False
        y = _year(rng, 1962, 1993)
        members = [(y, True, _HEAD), (_year(rng, y - 2, y + 4), False, _SPOUSE)]
        elders = 2 if size >= 6 else 1 if size == 5 or (size == 4 and r < 0.3) else 0
        members += [
            (_year(rng, y + 22, y + 38), rng.random() < 0.52, _CHILD) for _ in range(size - 2 - elders)
        ]
        members += [(_year(rng, y - 32, y - 24), e == 0, _ELDER) for e in range(elders)]
        return members, False

    def grid(self, comm: _Community, g: _Grid, first: bool, units: list[_Unit], cum: list[int]) -> None:
        res = self.residents(g)
        self.party(comm, g, first, res, units, cum)
        self.grid_staff(g, res)
        self.household_links(res)
        self.out.write_many("人员", [p.row() for p in res.people])

    def residents(self, g: _Grid) -> _Residents:
        """The grid's households filled with `g.residents` people, families sharing a surname."""
        rng = self.rng
        homes = [(b, f"{u}-{fl}{r:02d}") for b in g.buildings for u in range(1, b.units + 1)
                 for fl in range(1, b.floors + 1) for r in range(1, b.rooms + 1)]  # fmt: skip
        sizes = [1] * len(homes)
        extra = g.residents - len(homes)
        while extra > 0:
            i = int(rng.random() * len(homes))
            if sizes[i] < 8:
                sizes[i] += 1
                extra -= 1
        res = _Residents(rng, homes)
        people = res.people
        for (b, hh), size in zip(homes, sizes, strict=False):
            start = len(people)
            surname = _SURNAME_POOL[int(rng.random() * len(_SURNAME_POOL))]
            members, left_behind = self.family(size)
            for year, male, role in members:
                shares = role in (_HEAD, _CHILD) or (role == _ELDER and male)
                p = self.person(year, male, g.code[:6], surname if shares else None)
                p.building, p.hh = b.code, hh
                age = _TODAY.year - year
                if left_behind and role == _CHILD and age < 16:
                    p.tag("留守儿童")
                if male and 1950 <= year <= 2000 and rng.random() < 0.035:
                    p.tag("退役军人")
                if 18 <= age <= 75 and rng.random() < 0.05:
                    p.tag("志愿者")
                if rng.random() < 0.012:
                    p.tag("残疾人")
                people.append(p)
            if size <= 2 and all(_TODAY.year - q.year >= 60 for q in people[start:]):
                for q in people[start:]:
                    q.tag("空巢老人")
            res.home_range.append((start, len(people)))
            res.building_range[b.code] = (res.building_range.get(b.code, (start, 0))[0], len(people))
            key = (b.code, hh.split("-", 1)[0])
            res.unit_range[key] = (res.unit_range.get(key, (start, 0))[0], len(people))
        res.adults = [i for i in range(len(people)) if people[i].year <= _TODAY.year - 18]
        res.working = [i for i in res.adults if _TODAY.year - 59 <= people[i].year <= _TODAY.year - 23]
        return res

    def party(
        self, comm: _Community, g: _Grid, first: bool, res: _Residents, units: list[_Unit], cum: list[int]
    ) -> None:
        """Politics of the grid's residents, their 双报到, and the party organizations built on the grid."""
        rng, out, people = self.rng, self.out, res.people
        # In-service party members of the district's units, reporting to the community they live in.
        reporting = rng.sample(res.working, min(g.reporting, len(res.working)))
        res.in_service = set(reporting)
        res.used |= res.in_service
        for i in reporting:
            p = people[i]
            u = units[bisect(cum, rng.random() * cum[-1])]
            p.politics, p.unit, p.org = "中共党员", u.code, u.org
            if rng.random() < 0.3:
                p.tag("志愿者")
            out.write("双报到", ["党员", p.id, comm.code, _iso(rng, date(2019, 6, 1), date(2024, 12, 31)),
                                _POSTS[int(rng.random() * len(_POSTS))]])  # fmt: skip

        has_branch = rng.random() < 0.92
        on_building = has_branch and rng.random() < 0.1
        if on_building:  # a branch built on the grid's biggest building (楼栋党支部)
            base = max(g.buildings, key=lambda b: b.households)
            branch, branch_name, branch_base = _org(base.code), f"{base.name}党支部", base.code
        else:
            branch, branch_name, branch_base = _org(g.code), f"{g.name}党支部", g.code
        res.home_org = branch if has_branch else _org(comm.code)
        target = max(len(reporting), round(len(people) * rng.uniform(0.075, 0.10)))
        rest = [i for i in res.adults if i not in res.in_service]
        local_members = rng.sample(rest, min(target - len(reporting), len(rest)))
        for i in local_members:
            p = people[i]
            p.politics = "中共预备党员" if p.year >= 1985 and rng.random() < 0.06 else "中共党员"
            p.org = res.home_org
        for i in rng.sample(res.working, min(len(res.working), max(1, len(people) // 40))):
            if (
                i not in res.in_service
            ):  # residents working at the district's units without being party members
                people[i].unit = units[int(rng.random() * len(units))].code
        for p in people:
            if p.politics == "群众":
                if 1997 <= p.year <= 2011 and rng.random() < 0.35:
                    p.politics = "共青团员"
                elif p.year <= _TODAY.year - 18 and rng.random() < 0.003:
                    p.politics = "民主党派"
        res.party_local = sorted(i for i in local_members if people[i].politics == "中共党员")

        if first:  # the community's 党委; its secretary lives in the community's first grid
            sec = res.party_pick(1965, 1990)
            sec.tag("社区工作者")
            out.write("党组织", [_org(comm.code), f"中共{comm.street_name}{comm.name}委员会", "党委",
                                _org(comm.code[:-3]), comm.code, sec.id])  # fmt: skip
        if not has_branch:
            return
        sec = res.party_pick(1950, 1990)
        out.write("党组织", [branch, branch_name, "党支部", _org(comm.code), branch_base, sec.id])
        if on_building:
            return
        for b in g.buildings:
            lo, hi = res.building_range[b.code]
            local = [i for i in res.party_local if lo <= i < hi and i not in res.used]
            if len(local) >= 2 and rng.random() < 0.35:
                leader = res.pick(local, _FIRST_BIRTH, _LAST_BIRTH)
                if leader:
                    out.write(
                        "党组织", [_org(b.code), f"{b.name}党小组", "党小组", branch, b.code, leader.id]
                    )

    def grid_staff(self, g: _Grid, res: _Residents) -> None:
        """A grid head, full-time and part-time workers at the case's full-time share, building heads."""
        rng = self.rng
        staff: list[list[str]] = []

        def since() -> str:
            return _iso(rng, date(2020, 1, 1), date(2024, 12, 31))

        sole = g.code in self.sole_grids
        head = None if sole else res.pick(res.adults, 1968, 1995)
        if head:
            head.tag("社区工作者")
            staff.append([head.id, head.name, "网格长", g.code, since(), ""])
        self.grids_done += 1
        no_fulltime = self._lacks_fulltime(
            self.grids_done
        )  # a few grids have lost, or never had, a full-time worker
        n_full = 0 if no_fulltime else (2 if g.households >= 285 and not sole else 1)
        want = round((self.fulltime + n_full) * (1 - FULLTIME_SHARE) / FULLTIME_SHARE) - self.parttime
        n_part = 0 if sole else max(1 if no_fulltime else 0, min(3, want))
        for _ in range(n_full):
            w = res.pick(res.adults, 1975, 2001)
            if w:
                w.tag("社区工作者")
                start = since()
                if sole:  # 专职网格员兼网格长: the grid's one direct contact
                    staff.append([w.id, w.name, "网格长", g.code, start, ""])
                staff.append([w.id, w.name, "专职网格员", g.code, start, ""])
                self.fulltime += 1
        if no_fulltime and rng.random() < 0.5:
            w = res.pick(res.adults, 1975, 2001)
            if w:  # the one who left
                start = _iso(rng, date(2019, 1, 1), date(2021, 12, 31))
                staff.append(
                    [
                        w.id,
                        w.name,
                        "专职网格员",
                        g.code,
                        start,
                        _iso(rng, date(2023, 1, 1), date(2025, 3, 31)),
                    ]
                )
        for _ in range(n_part):
            w = res.pick(res.adults, 1955, 2002)
            if w:
                staff.append([w.id, w.name, "兼职网格员", g.code, since(), ""])
                self.parttime += 1
        for b in g.buildings:
            lo, hi = res.building_range[b.code]
            r = rng.random()
            if r >= 0.92:
                continue  # no building head
            w = res.pick(range(lo, hi), 1950, 1995)
            if w is None:
                continue
            if r < 0.04:  # the head stepped down and nobody has taken over
                start = _iso(rng, date(2019, 1, 1), date(2021, 12, 31))
                staff.append(
                    [w.id, w.name, "楼栋长", b.code, start, _iso(rng, date(2024, 1, 1), date(2025, 5, 31))]
                )
                continue
            staff.append([w.id, w.name, "楼栋长", b.code, since(), ""])
            if b.units >= 3:
                for unit_no in range(1, b.units + 1):
                    if rng.random() < 0.3:
                        ulo, uhi = res.unit_range[(b.code, str(unit_no))]
                        x = res.pick(range(ulo, uhi), 1950, 1995)
                        if x:
                            staff.append([x.id, x.name, "单元长", b.code, since(), ""])
        self.out.write_many("网格力量", staff)

    def household_links(self, res: _Residents) -> None:
        """党员中心户: a party member looks after a run of neighbouring households in the same building."""
        rng, homes, people = self.rng, res.homes, res.people
        links: list[list[str]] = []
        h = 0
        while h < len(homes):
            run = 8 + int(rng.random() * 8)
            chunk = [k for k in range(h, min(h + run, len(homes))) if homes[k][0] is homes[h][0]]
            h += len(chunk)
            if rng.random() >= 0.45:
                continue
            lo, hi = res.home_range[chunk[0]][0], res.home_range[chunk[-1]][1]
            local = [i for i in range(lo, hi) if people[i].politics == "中共党员" and i not in res.in_service]
            if not local:
                continue
            p = people[local[int(rng.random() * len(local))]]
            p.tag("党员中心户")
            start = _iso(rng, date(2020, 1, 1), date(2024, 6, 30))
            end = _iso(rng, date(2024, 7, 1), date(2025, 6, 1)) if rng.random() < 0.03 else ""
            links += [[p.id, homes[k][0].code, homes[k][1], start, end] for k in chunk]
        self.out.write_many("联户", links)


# ------------------------------------------------------------------------------------------ public API
def _district_name(k: int) -> str:
    if k == 0:
        return "万山区"
    return _OTHER_DISTRICTS[k - 1] if k - 1 < len(_OTHER_DISTRICTS) else f"示范{k}区"


def generate(
    out_dir: Path,
    *,
    residents: int = DEFAULT_RESIDENTS,
    seed: int = 2026,
    districts: int = 1,
    xlsx: bool = False,
) -> dict[str, int]:
    """Write the eleven demo ledgers as `<ledger>.csv` (UTF-8 with BOM) into `out_dir`.

    `residents` people live in the grids (leaders and unit staff come on top); the default reproduces
    the 万山区 case. More residents add grids, communities, streets and — every 250,000 residents, or
    when `districts` asks for more — districts. The same arguments always give byte-identical files.
    With `xlsx`, the same rows go instead into one workbook `out_dir/台账.xlsx` with a sheet per ledger
    (and no CSV file), so that `orggraph load out_dir` and `orggraph load out_dir/台账.xlsx` both load it.

    Returns the rows written per ledger (by ledger name, as in the file names). Raises ValueError with
    a message for the user when the arguments cannot make a sensible district, or when `out_dir` already
    holds the other form (CSV files beside a workbook would make every ledger count twice in a load).
    """
    if districts < 1:
        raise ValueError("区县数至少为 1")
    n_districts = max(districts, math.ceil(residents / _RESIDENTS_PER_DISTRICT))
    if residents < max(MIN_RESIDENTS, 300 * n_districts):
        raise ValueError(
            f"居民人数太少：至少 {max(MIN_RESIDENTS, 300 * n_districts):,} 人（每个区县至少 300 人）"
        )
    if xlsx and residents + 10_000 > _XLSX_MAX_ROWS:
        raise ValueError("居民超过约 100 万人时无法写入一个 Excel 工作表，请去掉 --xlsx（CSV 不受此限）")
    out_dir = Path(out_dir)
    _refuse_mixed_output(out_dir, xlsx)
    grids = max(n_districts, round(residents / _PERSONS_PER_GRID))
    grids_per = _apportion(grids, [1.0] * n_districts)
    residents_per = _apportion(residents, [float(g) for g in grids_per])
    out_dir.mkdir(parents=True, exist_ok=True)
    # The workbook is made from CSVs written first to a hidden folder (skipped by a load if ever left behind).
    csv_dir = Path(tempfile.mkdtemp(prefix=".demo-csv-", dir=out_dir)) if xlsx else out_dir
    try:
        out = _Out(csv_dir)
        try:
            gen = _Generator(out, seed)
            for k in range(n_districts):
                gen.district(k == 0, str(520603 + k), _district_name(k), grids_per[k], residents_per[k])
        finally:
            out.close()
        if xlsx:
            _write_workbook(csv_dir, out_dir / WORKBOOK_NAME)
    finally:
        if xlsx:
            shutil.rmtree(csv_dir, ignore_errors=True)
    return dict(out.counts)
