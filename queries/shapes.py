"""The shapes of the query layer's answers, as TypedDicts: what `queries.coverage` returns, read by the API's
models (`api/models.py` validates them into the documented response models), the reports and the pages.

TypedDicts rather than dataclasses: the answers are JSON as they are (the API and `--json` print them), and
mypy checks every key a producer writes and a consumer reads.
"""

from __future__ import annotations

from typing import TypedDict

__all__ = [
    "Ratio",
    "PersonRef",
    "RegionChild",
    "GridLoad",
    "ReportedUnit",
    "DualReporting",
    "PartTimeMember",
    "SourceUnit",
    "PartTimeCommittee",
    "SoleContact",
]


class Ratio(TypedDict):
    """api.md's M: covered of total; the ratio of an empty set is 0.0 (total 0 tells it apart)."""

    covered: int
    total: int
    ratio: float


class PersonRef(TypedDict):
    pid: str
    name: str | None


class RegionChild(TypedDict):
    """A region one level down (coverage breakdowns)."""

    label: str
    code: str
    name: str | None


class GridLoad(TypedDict):
    """A grid's households and full-time workers in force (`coverage.grid_worker_load`)."""

    code: str
    name: str | None
    kind: str | None
    community: str | None
    community_name: str | None
    households: int
    households_source: str  # "ledger" (the grid ledger's 户数) or "counted" (households in the graph)
    fulltime: int
    workers: list[PersonRef]
    load: float | None  # households per full-time worker; None without one
    overloaded: bool


class ReportedUnit(TypedDict):
    code: str
    name: str | None
    post: str | None
    date: str | None


class DualReporting(TypedDict):
    """A community's 双报到 by the day (`coverage.dual_reporting_tally`)."""

    code: str
    name: str | None
    members: int
    units: int
    unit_list: list[ReportedUnit]


class PartTimeMember(TypedDict):
    pid: str
    name: str | None
    source_unit: str | None
    source_unit_name: str | None
    since: str | None
    until: str | None


class SourceUnit(TypedDict):
    code: str
    name: str | None


class PartTimeCommittee(TypedDict):
    """A street or community party organization's part-time members in force
    (`coverage.part_time_committee`)."""

    code: str
    name: str | None
    kind: str | None
    base: str | None
    base_name: str | None
    members: int
    member_list: list[PartTimeMember]
    source_units: list[SourceUnit]


class SoleContact(TypedDict):
    """A person who alone serves or contacts some grids directly (`coverage.sole_contacts`)."""

    pid: str
    name: str | None
    grids: list[str]
