"""The ledgers' column specification: every ledger, its columns, their kinds and every accepted header alias.

`LEDGERS` is the input contract of docs/ledgers.md in code: `loaders/read.py` maps a file's headers to these
keys, `loaders/ledgers.py` validates the cells by them, `loaders/template.py` writes the templates from them.
Moved out of loaders/read.py (issue 13); read.py re-exports every name.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

__all__ = [
    "ColumnSpec",
    "LedgerSpec",
    "LEDGERS",
    "KINDS",
    "ledger_for_name",
]

# Every whitespace character (ASCII, full-width U+3000, NBSP, ...) plus the zero-width space and a stray
# BOM: str.strip with an explicit set is one C call, which matters on millions of cells.
_BLANKS = "".join(chr(c) for c in range(0x10000) if chr(c).isspace()) + "\u200b\ufeff"


def _match_key(header: str) -> str:
    """How headers are compared: NFKC, no blanks anywhere ('姓  名'), case- and '_'/'-'-insensitive."""
    t = unicodedata.normalize("NFKC", header).lower()
    return "".join(ch for ch in t if not ch.isspace() and ch not in "_-\u200b\ufeff")


def _clean_header(raw: str) -> str:
    # People copy the template's required marker along with the header: '身份证号*', '*身份证号'.
    return raw.strip(_BLANKS).strip("*＊").strip(_BLANKS)


# ------------------------------------------------------------------------------------------ the ledgers
# Column kinds: "id" = 18-character identifiers (身份证号, 统一社会信用代码) that a number cell can never
# hold exactly; "code" = other codes and numbers-as-text; "date"; "int" = counts; "text" = free text.
KINDS = ("id", "code", "date", "int", "text")


@dataclass(frozen=True)
class ColumnSpec:
    key: str  # canonical English key used by every layer above this one
    zh: str  # the header the template uses
    aliases: tuple[str, ...] = ()  # other headers real ledgers use for this column
    required: bool = False
    kind: str = "text"

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind!r}")


@dataclass(frozen=True)
class LedgerSpec:
    name: str  # canonical English ledger name
    zh: str
    columns: tuple[ColumnSpec, ...]
    # normalised header -> key, from zh, aliases and the key itself
    lookup: dict[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        lookup: dict[str, str] = {}
        for col in self.columns:
            for h in (col.key, col.zh, *col.aliases):
                m = _match_key(h)
                if lookup.get(m, col.key) != col.key:
                    raise ValueError(f"{self.name}: header {h!r} names both {lookup[m]} and {col.key}")
                lookup[m] = col.key
        object.__setattr__(self, "lookup", lookup)

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(c.key for c in self.columns)

    def column(self, key: str) -> ColumnSpec:
        for c in self.columns:
            if c.key == key:
                return c
        raise KeyError(f"{self.name} has no column {key!r}")

    def column_for(self, header: str) -> ColumnSpec | None:
        """The column a header names (its template header or an alias), else None."""
        key = self.lookup.get(_match_key(_clean_header(header)))
        return self.column(key) if key else None


def _col(key: str, zh: str, *aliases: str, required: bool = False, kind: str = "text") -> ColumnSpec:
    return ColumnSpec(key, zh, tuple(aliases), required, kind)


_ID_ALIASES = ("公民身份号码", "证件号码", "身份证号码", "身份证", "居民身份证号")
_CREDIT_ALIASES = ("统一社会信用代码", "社会信用代码", "信用代码")


def _person_id(required: bool = True) -> ColumnSpec:
    return _col("id_number", "身份证号", *_ID_ALIASES, required=required, kind="id")


_NAME = _col("name", "姓名", "名字")
_SINCE = _col("since", "开始日期", "起始日期", "开始时间", "任职日期", "任期开始", kind="date")
_UNTIL = _col("until", "结束日期", "截止日期", "结束时间", "离任日期", "任期结束", kind="date")

LEDGERS: dict[str, LedgerSpec] = {
    s.name: s
    for s in (
        LedgerSpec(
            "grids",
            "网格",
            (
                _col("district_name", "区县", "区", "县区", "区县名称", "所属区县", required=True),
                _col("street_code", "街道编码", "街道代码", "乡镇街道编码", required=True, kind="code"),
                _col("street_name", "街道", "街道名称", "乡镇街道", "所属街道", required=True),
                _col("community_code", "社区编码", "社区代码", required=True, kind="code"),
                _col("community_name", "社区", "社区名称", "社区居委会", "所属社区", required=True),
                _col("grid_code", "网格编码", "网格编号", "网格代码", required=True, kind="code"),
                _col("grid_name", "网格名称", "网格名"),
                _col("grid_kind", "网格类型", "网格类别"),
                _col("households", "户数", "总户数", kind="int"),
                _col("population", "人口", "常住人口", "人口数", "总人口", kind="int"),
            ),
        ),
        LedgerSpec(
            "buildings",
            "楼栋",
            (
                _col("building_code", "楼栋编码", "楼栋编号", "楼栋代码", required=True, kind="code"),
                _col("building_name", "楼栋名称", "楼栋名", "楼栋"),
                _col("grid_code", "网格编码", "网格编号", "所属网格编码", required=True, kind="code"),
                _col("households", "户数", "总户数", kind="int"),
            ),
        ),
        LedgerSpec(
            "units",
            "单位",
            (
                _col("unit_code", "单位编码", *_CREDIT_ALIASES, required=True, kind="id"),
                _col("unit_name", "单位名称", "单位全称", required=True),
                _col("unit_kind", "单位类型", "单位性质", "单位类别", required=True),
                _col("street_code", "所在街道编码", "所属街道编码", "街道编码", kind="code"),
            ),
        ),
        LedgerSpec(
            "party_orgs",
            "党组织",
            (
                _col(
                    "org_code", "组织编码", "党组织编码", "组织代码", "党组织代码", required=True, kind="code"
                ),
                _col("org_name", "组织名称", "党组织名称", required=True),
                _col("org_kind", "组织类型", "党组织类型", "组织类别", required=True),
                _col("parent_code", "上级组织编码", "上级党组织编码", kind="code"),
                _col("base_code", "依托对象编码", "依托单位编码", kind="code"),
                _col("secretary_id", "书记身份证号", "书记公民身份号码", "书记证件号码", kind="id"),
            ),
        ),
        LedgerSpec(
            "people",
            "人员",
            (
                _person_id(),
                _col("name", "姓名", "名字", required=True),
                _col("gender", "性别"),
                _col("phone", "手机号", "联系电话", "手机号码", "手机", "电话", kind="code"),
                _col("politics", "政治面貌"),
                _col("party_org_code", "党组织编码", "所在党组织编码", "所属党组织编码", kind="code"),
                _col("unit_code", "工作单位编码", "单位编码", "工作单位统一社会信用代码", kind="id"),
                _col("building_code", "居住楼栋编码", "楼栋编码", "所住楼栋编码", kind="code"),
                _col("household_no", "户号", "房号", "房间号", kind="code"),
                _col("tags", "标签", "人员标签", "人员类别"),
            ),
        ),
        LedgerSpec(
            "grid_staff",
            "网格力量",
            (
                _person_id(),
                _NAME,
                _col("role", "岗位", "岗位类型", "角色", required=True),
                _col("target_code", "负责对象编码", "负责网格编码", "负责对象", required=True, kind="code"),
                _SINCE,
                _UNTIL,
            ),
        ),
        LedgerSpec(
            "cobuilding",
            "联建共建",
            (
                _col("unit_code", "单位编码", *_CREDIT_ALIASES, "共建单位编码", required=True, kind="id"),
                _col("community_code", "社区编码", "共建社区编码", required=True, kind="code"),
                _SINCE,
                _UNTIL,
                _col("project", "共建项目", "项目", "共建内容"),
            ),
        ),
        LedgerSpec(
            "part_time_members",
            "兼职委员",
            (
                _person_id(),
                _NAME,
                _col("org_code", "任职组织编码", "任职党组织编码", required=True, kind="code"),
                _col("source_unit_code", "来源单位编码", "原单位编码", "所在单位编码", kind="id"),
                _SINCE,
                _UNTIL,
            ),
        ),
        LedgerSpec(
            "contact_points",
            "联系点",
            (
                _person_id(),
                _NAME,
                _col("title", "职务", "职位"),
                _col("category", "联系人类别", "联系人类型", "类别", required=True),
                _col("target_code", "联系对象编码", "联系点编码", "联系对象", required=True, kind="code"),
                _SINCE,
                _UNTIL,
            ),
        ),
        LedgerSpec(
            "dual_reporting",
            "双报到",
            (
                _col("report_type", "报到类型", "类型", required=True),
                _col("subject_code", "报到主体编码", "报到主体", required=True, kind="id"),
                _col("community_code", "报到社区编码", "社区编码", required=True, kind="code"),
                _col("date", "报到日期", "报到时间", kind="date"),
                _col("post", "认领岗位", "认领项目", "服务岗位"),
            ),
        ),
        LedgerSpec(
            "household_links",
            "联户",
            (
                _person_id(),
                _col("building_code", "楼栋编码", "楼栋编号", required=True, kind="code"),
                _col("household_no", "户号", "房号", required=True, kind="code"),
                _SINCE,
                _UNTIL,
            ),
        ),
    )
}

_ALLOWED_NAMES = "、".join(f"{s.zh}({s.name})" for s in LEDGERS.values())


def ledger_for_name(name: str) -> str | None:
    """The canonical ledger for a file stem or sheet name ('人员', 'People', '人员台账'), else None."""
    t = unicodedata.normalize("NFKC", name).strip(_BLANKS).lower()
    if t.endswith("台账") and len(t) > 2:
        t = t[:-2].strip(_BLANKS)
    for spec in LEDGERS.values():
        if t in (spec.zh, spec.name):
            return spec.name
    return None
