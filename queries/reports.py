"""The department's reports (`orggraph report coverage|gaps|analytics`): the coverage measures, the gap
lists or the network analytics (queries/analytics.py) of a scope on a day, as a print-ready workbook with
Chinese headers, as CSV files, or as JSON.

A report is built once as plain data (`build_report`), laid out as tables (`report_tables`: one per sheet),
then written in the format the output file's suffix asks for (`write_report`).

Length (about 650 lines): the three reports' builders and the layout of their tables, one section each.
"""

from __future__ import annotations

import csv
import datetime as _dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from orggraph.graph.cypher import statement, trusted
from orggraph.graph.schema import display_name
from orggraph.graph.store import Store
from orggraph.queries import analytics
from orggraph.queries.coverage import (
    GAP_LISTS,
    MEASURES,
    OVERLOAD_HOUSEHOLDS,
    coverage,
    coverage_breakdown,
    dual_reporting_tally,
    gap_details,
    gaps_of,
    grid_worker_load,
    open_scope,
    part_time_committee,
)

from orggraph.sheets import EMPTY, Column, Table, flat_rows, key, write_tables

__all__ = [
    "FORMATS",
    "KINDS",
    "Column",
    "ReportError",
    "Table",
    "build_report",
    "report_tables",
    "write_report",
]

KINDS = ("coverage", "gaps", "analytics")
KIND_TITLES = {"coverage": "覆盖率报表", "gaps": "短板清单", "analytics": "网络分析报表"}
FORMATS = (".xlsx", ".csv", ".json")

GAP_TITLES = {
    "communities_without_cobuilding": (
        "无共建社区",
        "没有在期联建共建单位的社区",
        "联系辖区单位签订共建协议，录入联建共建台账",
    ),
    "grids_without_fulltime": (
        "无专职网格员网格",
        "没有在期专职网格员的网格",
        "配备专职网格员，录入网格力量台账",
    ),
    "overloaded_grids": (
        "超负荷网格",
        f"专职网格员人均超过 {OVERLOAD_HOUSEHOLDS} 户的网格",
        "增配专职网格员或调整网格",
    ),
    "contact_rule_violations": ("联系点不合规", "在期联系点不符合规定的领导", "按联系人类别调整联系点"),
    "sole_contacts": ("唯一直接联系人", "是某网格唯一直接联系人的人员", "为相关网格增加第二名直接联系人"),
    "grids_without_direct_contact": (
        "无直接联系人网格",
        "没有网格力量或联系领导直接联系的网格",
        "安排网格员或联系领导直接联系",
    ),
}


class ReportError(ValueError):
    """A report that cannot be written as asked (unknown kind or file type); message in Chinese."""


# ------------------------------------------------------------------------------------------------- data
# A scope is printed by name, with the regions above it ("万山区 仁山街道"), and the whole graph as the
# districts it holds ("万山区、碧江区"), never as "全部".
_ANCESTRY = {
    label: statement(
        f"reports.scope_names.{label}",
        # The label comes from the fixed tuple below, never from input.
        trusted(
            f"MATCH p = (n:{label} {{code: $key}})-[:PART_OF*0..2]->(a) "
            "RETURN a.name AS name, a.code AS code, length(p) AS depth ORDER BY depth DESC"
        ),
        "一个区域及其上级区域的名称（报表标题用）",
        origin=__name__,
    )
    for label in ("District", "Street", "Community")
}
_DISTRICTS = statement(
    "reports.scope_names.all",
    "MATCH (d:District) RETURN d.name AS name, d.code AS code ORDER BY code LIMIT $limit",
    "图中区县的名称（全部范围的报表标题用）",
    origin=__name__,
)
_SHOWN_DISTRICTS = 5
# The names of the codes a report lists (grids, communities, streets, units), so that staff read names.
_NAMES = {
    label: statement(
        f"reports.names.{label}",
        trusted(f"UNWIND $codes AS c MATCH (n:{label} {{code: c}}) RETURN n.code AS code, n.name AS name"),
        "报表中编码对应的名称",
        origin=__name__,
    )
    for label in ("District", "Street", "Community", "Grid", "Unit")
}


def _scope_name(store: Store, ref: Any) -> str:
    if ref is not None:
        rows = store.read(_ANCESTRY[ref.label], {"key": ref.key}).rows if ref.label in _ANCESTRY else []
        names = [str(name or code) for name, code, _ in rows]
        return " ".join(names) or str(ref.name or ref.key)
    rows = store.read(_DISTRICTS, {"limit": _SHOWN_DISTRICTS + 1}).rows
    names = [str(name or code) for name, code in rows]
    if not names:
        return "全部区域"
    if len(names) > _SHOWN_DISTRICTS:
        return "、".join(names[:_SHOWN_DISTRICTS]) + " 等全部区县"
    return "、".join(names)


def _codes_in(report: dict[str, Any]) -> set[str]:
    """Every code a report's tables list without a name beside it."""
    codes: set[str] = set()
    if report["kind"] == "gaps":
        d = report["details"]
        for x in d["sole_contacts"]:
            codes.update(x["grids"])
        for x in d["contact_rule_violations"]:
            for targets in x["targets"].values():
                codes.update(targets)
    elif report["kind"] == "analytics":
        a = report["analytics"]
        for c in a["critical_people"]["critical"]:
            codes.update(c["through"])
        fl = a["fulltime_load"]
        for w in [*fl["top"], *fl["overloaded"]]:
            codes.update(w["grids"])
        cb = a["community_bridges"]
        for u in cb["bridging_units"]:
            codes.update(u["communities"])
        for g in cb["groups"]:
            codes.update(g["communities"])
            codes.update(g["units"])
        codes.update(cb["isolated"])
    return codes


def _names_of(store: Store, codes: set[str]) -> dict[str, str]:
    names: dict[str, str] = {}
    wanted = sorted(codes)
    for text in _NAMES.values():
        for i in range(0, len(wanted), 1000):
            for code, name in store.read(text, {"codes": wanted[i : i + 1000]}).rows:
                if name:
                    names.setdefault(str(code), str(name))
    return names


def build_report(
    store: Store, kind: str, scope: str | None = None, as_of: str | None = None
) -> dict[str, Any]:
    """The report's data: {"kind", "scope": {label, code, name} | None, "scope_title", "as_of", "generated",
    "names": {code: name}, …}.

    scope_title names the scope for print ("万山区 仁山街道"; the districts when the scope is everything).
    names: the names of the codes the tables list (grids, communities, streets, units).
    coverage: "coverage", "breakdown", "grid_worker_load", "dual_reporting", "part_time_committee".
    gaps: "gaps" (api.md's lists), "details" (one list of rows per gap), "grid_worker_load".
    analytics: "analytics", what queries.analytics.analyze() returns (the scope at most MAX_HOUSEHOLDS
    households: ScopeError 422 otherwise).
    ScopeError for an unknown scope or bad date, ReportError for an unknown kind.
    """
    if kind not in KINDS:
        raise ReportError(
            f"报表类型「{kind}」不存在，应为 coverage（覆盖率）、gaps（短板清单）或 analytics（网络分析）"
        )
    sc = open_scope(store, scope, as_of)
    head: dict[str, Any] = {
        "kind": kind,
        "scope": {"label": sc.ref.label, "code": sc.ref.key, "name": sc.ref.name} if sc.ref else None,
        "scope_title": _scope_name(store, sc.ref),
        "as_of": sc.as_of,
        "generated": _dt.datetime.now().isoformat(timespec="seconds"),
    }
    body: dict[str, Any]
    if kind == "analytics":
        # The bound read when asked, not when imported (a deployment or test may lower it).
        bound = analytics.MAX_HOUSEHOLDS
        body = {"analytics": analytics.analyze(store, sc.code, sc.as_of, max_households=bound)}
    elif kind == "coverage":
        body = {
            "coverage": coverage(store, sc.code, sc.as_of),
            "breakdown": coverage_breakdown(store, sc.code, sc.as_of),
            "grid_worker_load": grid_worker_load(store, sc),
            "dual_reporting": dual_reporting_tally(store, sc),
            "part_time_committee": part_time_committee(store, sc),
        }
    else:
        details = gap_details(store, sc)
        body = {"gaps": gaps_of(details), "details": details, "grid_worker_load": grid_worker_load(store, sc)}
    report = {**head, **body}
    report["names"] = _names_of(store, _codes_in(report))
    return report


# ------------------------------------------------------------------------------------------------ tables
def _measure(result: dict[str, Any], mid: str) -> dict[str, Any]:
    head, _, sub = mid.partition(".")
    return result[head][sub] if sub else result[head]


def _name_and_definition(zh: str) -> tuple[str, str]:
    name, _, rest = zh.partition("（")
    return name, rest.rstrip("）")


def _namer(r: dict[str, Any]) -> Callable[[str], str]:
    names: dict[str, str] = r.get("names", {})

    def named(code: str) -> str:
        name = names.get(code)
        return f"{name}（{code}）" if name else code

    return named


def _person(name: str | None, pid: str) -> str:
    return name or f"（未登记姓名，编号 {pid}）"


PID_HEADER = "人员编号"
PID_NOTE = (
    "系统由身份证号加密生成的 20 位编号（不含身份证号本身），用于区分同名人员；"
    "有相应权限时，可用此编号打开此人的关系页面（/pages/ego/编号）"
)


def _workers(g: dict[str, Any]) -> list[str]:
    return [_person(w["name"], w["pid"]) for w in g["workers"]]


def _overloaded(g: dict[str, Any]) -> str:
    return "是" if g["overloaded"] else ("无专职网格员" if g["fulltime"] == 0 else "否")


# Each table is a list of columns, each saying how its cell comes from one row of the report's data.
_LOAD_COLUMNS = [
    Column("网格名称", 18, None, key("name")),
    Column("网格编码", 18, "@", key("code")),
    Column("所属社区", 14, None, key("community_name")),
    Column("网格类型", 10, None, key("kind")),
    Column("户数", 8, "#,##0", key("households")),
    Column(
        "户数来源", 13, None, lambda g: "台账户数" if g["households_source"] == "ledger" else "按已录入户数"
    ),
    Column("专职网格员人数", 9, "#,##0", key("fulltime")),
    Column("专职网格员", 22, None, _workers),
    Column("人均户数", 9, "#,##0.0", key("load")),
    Column("负担过重", 12, None, _overloaded),
]
_GRID_GAP_COLUMNS = [
    Column("网格名称", 18, None, key("name")),
    Column("网格编码", 18, "@", key("code")),
    Column("所属社区", 14, None, key("community_name")),
    Column("户数", 8, "#,##0", key("households")),
    Column("专职网格员人数", 9, "#,##0", key("fulltime")),
    Column("人均户数", 9, "#,##0.0", key("load")),
    Column("专职网格员", 24, None, _workers),
]
_DUAL_COLUMNS = [
    Column("社区名称", 14, None, key("name")),
    Column("社区编码", 16, "@", key("code")),
    Column("报到党员数", 10, "#,##0", key("members")),
    Column("报到单位数", 10, "#,##0", key("units")),
    Column(
        "报到单位（认领岗位）",
        50,
        None,
        lambda c: [
            f"{u['name']}（{u['post']}）" if u.get("post") else str(u["name"]) for u in c["unit_list"]
        ],
    ),
]
_PART_TIME_COLUMNS = [
    Column("组织名称", 24, None, key("name")),
    Column("组织编码", 14, "@", key("code")),
    Column("组织类型", 8, None, key("kind")),
    Column("依托对象", 14, None, key("base_name")),
    Column("在期兼职委员数", 10, "#,##0", key("members")),
    Column("兼职委员", 24, None, lambda o: [_person(m["name"], m["pid"]) for m in o["member_list"]]),
    Column("来源单位", 34, None, lambda o: [str(u["name"] or u["code"]) for u in o["source_units"]]),
]


def _ratio(v: dict[str, Any]) -> Any:
    return v["ratio"] if v["total"] else None


def _load_table(load: list[dict[str, Any]]) -> Table:
    return Table("网格员负担", "网格户数与专职网格员负担", _LOAD_COLUMNS).filled(load)


def _coverage_tables(r: dict[str, Any]) -> list[Table]:
    # Summary rows are measures; breakdown rows are (area, measure) pairs: numbers stay numbers, and the table
    # fits a page however many measures there are.
    summary = Table(
        "覆盖率汇总",
        "覆盖率汇总",
        [
            Column("指标", 22, None, lambda m: _name_and_definition(m.zh)[0]),
            Column("覆盖数", 9, "#,##0", lambda m: _measure(r["coverage"], m.id)["covered"]),
            Column("总数", 9, "#,##0", lambda m: _measure(r["coverage"], m.id)["total"]),
            Column("覆盖率", 9, "0.0%", lambda m: _ratio(_measure(r["coverage"], m.id))),
            Column("口径", 56, None, lambda m: _name_and_definition(m.zh)[1]),
        ],
    ).filled(MEASURES)
    child = display_name(r["breakdown"][0]["label"]) if r["breakdown"] else "下级区域"
    breakdown = Table(
        f"按{child}分列",
        f"覆盖率按{child}分列",
        [
            Column(f"{child}名称", 16, None, lambda am: am[0]["name"]),
            Column(f"{child}编码", 16, "@", lambda am: am[0]["code"]),
            Column("指标", 22, None, lambda am: _name_and_definition(am[1].zh)[0]),
            Column("覆盖数", 9, "#,##0", lambda am: _measure(am[0]["coverage"], am[1].id)["covered"]),
            Column("总数", 9, "#,##0", lambda am: _measure(am[0]["coverage"], am[1].id)["total"]),
            Column("覆盖率", 9, "0.0%", lambda am: _ratio(_measure(am[0]["coverage"], am[1].id))),
        ],
    ).filled((row, m) for row in r["breakdown"] for m in MEASURES)
    dual = Table("双报到", "各社区双报到情况", _DUAL_COLUMNS).filled(r["dual_reporting"])
    ptm = Table("兼职委员", "街道、社区党组织兼职委员", _PART_TIME_COLUMNS).filled(r["part_time_committee"])
    return [summary, breakdown, _load_table(r["grid_worker_load"]), dual, ptm]


def _region_table(key_: str, rows: list[dict[str, Any]], label: str, parent: str) -> Table:
    sheet, title, _ = GAP_TITLES[key_]
    columns = [
        Column(f"{label}名称", 20, None, key("name")),
        Column(f"{label}编码", 18, "@", key("code")),
        Column(f"所属{parent}", 16, None, lambda x: x.get("parent_name")),
    ]
    return Table(sheet, title, columns).filled(rows)


def _gap_tables(r: dict[str, Any]) -> list[Table]:
    details = r["details"]
    named = _namer(r)
    summary = Table(
        "短板汇总",
        "短板清单汇总",
        [
            Column("清单", 36, None, lambda k: GAP_TITLES[k][1]),
            Column("数量", 8, "#,##0", lambda k: len(r["gaps"][k])),
            Column("怎么办", 40, None, lambda k: GAP_TITLES[k][2]),
        ],
    ).filled(GAP_LISTS)
    tables = [
        summary,
        _region_table(
            "communities_without_cobuilding", details["communities_without_cobuilding"], "社区", "街道"
        ),
    ]
    for name in ("grids_without_fulltime", "overloaded_grids"):
        sheet, title, _ = GAP_TITLES[name]
        tables.append(Table(sheet, title, _GRID_GAP_COLUMNS).filled(details[name]))

    def targets(x: dict[str, Any]) -> str:
        lines = [
            f"{display_name(lv)}：{'、'.join(named(c) for c in codes)}"
            for lv, codes in x["targets"].items()
            if codes
        ]
        return "\n".join(lines) or EMPTY

    sheet, title, _ = GAP_TITLES["contact_rule_violations"]
    violations = [
        Column("姓名", 10, None, lambda x: _person(x["name"], x["pid"])),
        Column("职务", 16, None, lambda x: "、".join(x["titles"])),
        Column("联系人类别", 14, None, key("category")),
        Column("街道数", 7, "#,##0", lambda x: x["counts"]["Street"]),
        Column("社区数", 7, "#,##0", lambda x: x["counts"]["Community"]),
        Column("网格数", 7, "#,##0", lambda x: x["counts"]["Grid"]),
        Column("违反的规定", 36, None, key("rule")),
        Column("在期联系点", 40, None, targets),
        Column(PID_HEADER, 22, "@", key("pid")),
    ]
    tables.append(Table(sheet, title, violations).filled(details["contact_rule_violations"]))
    sheet, title, _ = GAP_TITLES["sole_contacts"]
    sole = [
        Column("姓名", 10, None, lambda x: _person(x["name"], x["pid"])),
        Column("网格数", 7, "#,##0", lambda x: len(x["grids"])),
        Column("唯一直接联系的网格", 50, None, lambda x: [named(g) for g in x["grids"]]),
        Column(PID_HEADER, 22, "@", key("pid")),
    ]
    tables += [
        Table(sheet, title, sole).filled(details["sole_contacts"]),
        _region_table(
            "grids_without_direct_contact", details["grids_without_direct_contact"], "网格", "社区"
        ),
        _load_table(r["grid_worker_load"]),
    ]
    return tables


def _analytics_notes() -> list[list[Any]]:
    return [
        [
            "关键人员",
            "某户与党组织的联系只经过一个人：此人有在期关系落在该户或其上级区域（联户、网格力量、联系点、双报到，"
            "或是依托该区域的党组织的书记、在期兼职委员），本人又在党组织中（党员、书记或在期兼职委员）",
        ],
        ["人均户数", "专职网格员所服务的每个网格：网格户数 ÷ 该网格在期专职网格员人数，各网格相加"],
        ["基尼系数", "专职网格员人均户数的基尼系数：0 为完全均衡，越接近 1 越集中在少数人身上"],
        ["社区联结", "两个社区有同一在期联建共建单位，或同一单位向两个社区报到，即经该单位相连"],
        ["关键单位", "失去它，某个社区群就会分成互不相连的几部分"],
        ["列表上限", f"户的清单每项最多列出 {analytics.LIST_CAP} 户，户数为准确值"],
        ["规模上限", f"一次分析最多 {analytics.MAX_HOUSEHOLDS:,} 户；范围更大时请按区县或街道分别分析"],
    ]


def _yes(flag: bool) -> str:
    return "是" if flag else "否"


def _bin(b: dict[str, Any]) -> str:
    """A histogram bin as staff read it: bins are (min, max], the first one from 0 inclusive."""
    lo, hi = b["min"], b["max"]
    if hi is None:
        return f"超过 {lo} 户"
    if not lo:
        return f"{hi} 户及以下"
    return f"超过 {lo} 户，至多 {hi} 户"


def _analytics_tables(r: dict[str, Any]) -> list[Table]:
    cp, fl, cb = (r["analytics"][k] for k in ("critical_people", "fulltime_load", "community_bridges"))
    named = _namer(r)
    summary = Table(
        "分析汇总",
        "网络分析汇总",
        [Column("分析", 12), Column("指标", 26), Column("数值", 12, "#,##0.0##"), Column("说明", 56)],
    )

    def load(x: float | None) -> float | None:
        return None if x is None else round(x, 1)

    summary.rows = [
        ["关键人员", "户数", cp["households"], "范围内的户"],
        ["关键人员", "与党组织有联系的户", cp["linked"], "经至少一名在党组织中的人员与党组织相连"],
        ["关键人员", "与党组织没有联系的户", cp["unlinked"], "见「未联系户」表"],
        ["关键人员", "关键人员", len(cp["critical"]), "是某些户与党组织唯一联系的人员，见「关键人员」表"],
        ["负担均衡", "在期专职网格员", fl["workers"], ""],
        ["负担均衡", "网格数", fl["grids"], ""],
        ["负担均衡", "无专职网格员的网格", fl["grids_without_fulltime"], ""],
        ["负担均衡", "有专职网格员的网格的户数", fl["households_served"], ""],
        ["负担均衡", "人均户数：平均", load(fl["mean"]), "没有专职网格员时留空"],
        ["负担均衡", "人均户数：中位数", load(fl["median"]), ""],
        ["负担均衡", "人均户数：最少", load(fl["min"]), ""],
        ["负担均衡", "人均户数：最多", load(fl["max"]), ""],
        ["负担均衡", "人均户数：90% 分位", load(fl["p90"]), ""],
        ["负担均衡", "基尼系数", round(fl["gini"], 3), "0 为完全均衡，越接近 1 越集中在少数人身上"],
        [
            "负担均衡",
            f"负担过重（人均超过 {OVERLOAD_HOUSEHOLDS} 户）",
            len(fl["overloaded"]),
            "见「专职网格员负担」表",
        ],
        ["社区联结", "社区数", cb["communities"], ""],
        ["社区联结", "经共同单位相连的社区对", len(cb["pairs"]), "见「社区联结」表"],
        ["社区联结", "联结单位", len(cb["bridging_units"]), "联结两个及以上社区的单位，见「联结单位」表"],
        ["社区联结", "社区群", len(cb["groups"]), "经单位连成一片的两个及以上社区，见「社区群」表"],
        ["社区联结", "孤立社区", len(cb["isolated"]), "没有在期共建或报到单位的社区，见「孤立社区」表"],
        ["社区联结", "关键单位", len(cb["cut_units"]), "失去它社区群就会分裂的单位"],
    ]
    critical = Table(
        "关键人员",
        "关键人员（某些户与党组织的唯一联系）",
        [
            Column("姓名", 10, None, lambda c: _person(c["name"], c["pid"])),
            Column("唯一联系的户数", 10, "#,##0", key("households")),
            Column(f"这些户（最多 {analytics.LIST_CAP} 户）", 40, None, lambda c: list(c["household_list"])),
            Column("联系关系落在", 36, None, lambda c: [named(x) for x in c["through"]]),
            Column(PID_HEADER, 22, "@", key("pid")),
        ],
    ).filled(cp["critical"])
    unlinked = Table(
        "未联系户",
        f"与党组织没有联系的户（最多 {analytics.LIST_CAP} 户）",
        [Column("户编码", 26, "@", lambda h: h)],
    ).filled(cp["unlinked_list"])
    histogram = Table(
        "负担分布",
        "专职网格员人均户数分布",
        [Column("人均户数", 22, None, _bin), Column("专职网格员人数", 14, "#,##0", key("workers"))],
    ).filled(fl["histogram"])
    ranked = {w["pid"]: w for w in [*fl["top"], *fl["overloaded"]]}
    overloaded = {w["pid"] for w in fl["overloaded"]}
    workers = Table(
        "专职网格员负担",
        f"负担最重和负担过重（人均超过 {OVERLOAD_HOUSEHOLDS} 户）的专职网格员",
        [
            Column("姓名", 10, None, lambda w: _person(w["name"], w["pid"])),
            Column("人均户数", 9, "#,##0.0", key("load")),
            Column("网格数", 7, "#,##0", lambda w: len(w["grids"])),
            Column("服务的网格", 44, None, lambda w: [named(g) for g in w["grids"]]),
            Column("负担过重", 9, None, lambda w: _yes(w["pid"] in overloaded)),
            Column(PID_HEADER, 22, "@", key("pid")),
        ],
    ).filled(sorted(ranked.values(), key=lambda w: (-w["load"], w["pid"])))
    pairs = Table(
        "社区联结",
        "经共同单位相连的社区",
        [
            Column("社区名称", 14, None, lambda p: p["names"][0]),
            Column("社区编码", 16, "@", lambda p: p["communities"][0]),
            Column("相连社区名称", 14, None, lambda p: p["names"][1]),
            Column("相连社区编码", 16, "@", lambda p: p["communities"][1]),
            Column("共同单位数", 9, "#,##0", lambda p: len(p["units"])),
            Column("共同单位", 36, None, lambda p: [str(u["name"] or u["code"]) for u in p["units"]]),
        ],
    ).filled(cb["pairs"])
    cut = {u["code"] for u in cb["cut_units"]}
    bridging = Table(
        "联结单位",
        "联结两个及以上社区的单位",
        [
            Column("单位名称", 24, None, key("name")),
            Column("单位编码", 20, "@", key("code")),
            Column("联结社区数", 9, "#,##0", lambda u: len(u["communities"])),
            Column("联结的社区", 44, None, lambda u: [named(c) for c in u["communities"]]),
            Column("关键单位", 9, None, lambda u: _yes(u["code"] in cut)),
        ],
    ).filled(cb["bridging_units"])
    names = r.get("names", {})
    # One member per row (group number, group, 社区 or 单位, code): a group can hold dozens of units, which no
    # single cell prints.
    groups = Table(
        "社区群",
        "经单位连成一片的社区（每行一个社区或单位）",
        [
            Column("社区群", 8, "0", lambda m: m[0]),
            Column("社区数", 7, "#,##0", lambda m: len(m[1]["communities"])),
            Column("单位数", 7, "#,##0", lambda m: len(m[1]["units"])),
            Column("成员", 8, None, lambda m: m[2]),
            Column("名称", 30, None, lambda m: names.get(m[3], "")),
            Column("编码", 20, "@", lambda m: m[3]),
        ],
    ).filled(
        (i, g, kind, code)
        for i, g in enumerate(cb["groups"], start=1)
        for kind, codes in (("社区", g["communities"]), ("单位", g["units"]))
        for code in codes
    )
    isolated = Table(
        "孤立社区",
        "没有任何在期共建或报到单位的社区",
        [Column("社区名称", 20, None, lambda c: names.get(c, "")), Column("社区编码", 18, "@", lambda c: c)],
    ).filled(cb["isolated"])
    return [summary, critical, unlinked, histogram, workers, pairs, bridging, groups, isolated]


def _about(r: dict[str, Any]) -> Table:
    t = Table("说明", "报表说明", [Column("项目", 16), Column("内容", 90)])
    t.rows = [
        ["报表", KIND_TITLES[r["kind"]]],
        ["范围", r["scope_title"]],
        ["截至日期", r["as_of"]],
        ["生成时间", r["generated"].replace("T", " ")],
        ["在期", "关系的开始日期不晚于截至日期、结束日期为空或不早于截至日期；双报到以报到日期为准"],
        [PID_HEADER, PID_NOTE],
    ]
    if r["kind"] == "analytics":
        t.rows += _analytics_notes()
        return t
    t.rows += [[_name_and_definition(m.zh)[0], _name_and_definition(m.zh)[1]] for m in MEASURES]
    t.rows.append(["覆盖率为空", "总数为 0（范围内没有应统计的对象）时，覆盖率一格留空"])
    return t


def report_tables(report: dict[str, Any]) -> list[Table]:
    """The report as tables, one per sheet, in reading order, ending with an explanation sheet."""
    build = {"coverage": _coverage_tables, "gaps": _gap_tables, "analytics": _analytics_tables}
    return [*build[report["kind"]](report), _about(report)]


# ------------------------------------------------------------------------------------------------ files
def write_report(report: dict[str, Any], out: Path) -> list[Path]:
    """Write the report as `out`'s suffix asks; the files written.

    .xlsx: one sheet per table, print-ready (orggraph.sheets). .csv: spreadsheets open one table per file, so
    `out` holds the first table and `<stem>-<sheet>.csv` beside it each further one (UTF-8 with BOM, which
    Excel reads as Chinese). .json: the report data itself.
    """
    out = Path(out)
    suffix = out.suffix.lower()
    writers: dict[str, Callable[[dict[str, Any], Path], list[Path]]] = {
        ".xlsx": _xlsx,
        ".csv": _csv,
        ".json": _json,
    }
    if suffix not in writers:
        raise ReportError(
            f"不支持的文件类型「{out.suffix or '（无扩展名）'}」：输出文件应以 .xlsx、.csv 或 .json 结尾"
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    return writers[suffix](report, out)


def _json(report: dict[str, Any], out: Path) -> list[Path]:
    out.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    return [out]


def _csv(report: dict[str, Any], out: Path) -> list[Path]:
    paths = []
    for i, t in enumerate(report_tables(report)):
        path = out if i == 0 else out.with_name(f"{out.stem}-{t.sheet}.csv")
        with open(path, "w", newline="", encoding="utf-8-sig") as f:
            w = csv.writer(f)
            w.writerow([c.header for c in t.columns])
            w.writerows(flat_rows(t))
        paths.append(path)
    return paths


def _xlsx(report: dict[str, Any], out: Path) -> list[Path]:
    generated = report["generated"].replace("T", " ")
    path = write_tables(
        out,
        report_tables(report),
        scope=report["scope_title"],
        as_of=report["as_of"],
        title=KIND_TITLES[report["kind"]],
        generated=generated,
    )
    return [path]
