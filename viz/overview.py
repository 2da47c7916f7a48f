"""The overview page (a scope's coverage measures as a small dashboard) and the gaps page (its short lists,
named and linked)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from orggraph.graph.schema import display_name
from orggraph.graph.store import Store
from orggraph.queries.cache import cached
from orggraph.queries.coverage import Scope, cached_coverage, coverage_breakdown, region_children
from orggraph.queries.policy import Access
from orggraph.queries.scope import NodeRef
from orggraph.viz.access import page_setup, scope_context, scope_title, viewer_or_default
from orggraph.viz.pickers import pickers
from orggraph.viz.render import RAG_COLORS, RAG_TEXT, THRESHOLDS, Links, rag, render

__all__ = ["build_overview", "build_gaps", "uncovered_summary", "MEASURES", "GAPS"]


@dataclass(frozen=True)
class Measure:
    id: str  # "cobuilding", "contact_points.Grid" ...
    zh: str
    covered_zh: str  # what "covered" counts
    gaps: tuple[str, ...] = ()  # gap lists that explain a shortfall
    page: str | None = None  # the network page that shows it


MEASURES: tuple[Measure, ...] = (
    Measure(
        "cobuilding",
        "联建共建覆盖率",
        "有在期共建单位的社区",
        ("communities_without_cobuilding",),
        "cobuilding",
    ),
    Measure("contact_points.Street", "联系点覆盖率 · 街道", "有联系领导的街道"),
    Measure("contact_points.Community", "联系点覆盖率 · 社区", "有联系领导的社区"),
    # Not linked to grids_without_direct_contact: that list (nobody at all, workers included) is not what this
    # card counts (no leader), and its "0" beside a 78% card was the confusion; the card links to its own
    # list.
    Measure("contact_points.Grid", "联系点覆盖率 · 网格", "有联系领导的网格"),
    Measure("grid_party_org", "网格党组织覆盖率", "建有党组织的网格", (), "org-tree"),
    Measure(
        "fulltime_share",
        "专职网格员占比",
        "专职网格员（占全部网格员）",
        ("grids_without_fulltime", "overloaded_grids"),
    ),
    Measure("building_heads", "楼栋长覆盖率", "有楼栋长的楼栋"),
    Measure("household_links", "联户覆盖率", "有党员联系的户"),
)


@dataclass(frozen=True)
class Gap:
    id: str
    zh: str
    label: str  # what the list holds
    hint: str  # what to do about it


GAPS: tuple[Gap, ...] = (
    Gap(
        "communities_without_cobuilding",
        "没有在期共建单位的社区",
        "Community",
        "联系辖区单位签订共建协议，录入联建共建台账",
    ),
    Gap("grids_without_fulltime", "没有专职网格员的网格", "Grid", "配备专职网格员，录入网格力量台账"),
    Gap(
        "overloaded_grids", "专职网格员负担过重的网格（每人超过 300 户）", "Grid", "增配专职网格员或调整网格"
    ),
    Gap(
        "contact_rule_violations", "联系点不符合规定的领导", "Person", "按联系人类别调整联系点（见台账说明）"
    ),
    Gap(
        "sole_contacts",
        "唯一直接联系人（其离开后有网格无人直接联系）",
        "Person",
        "为相关网格增加第二名直接联系人",
    ),
    Gap("grids_without_direct_contact", "没有直接联系人的网格", "Grid", "安排网格员或联系领导直接联系"),
)


def _unit(m: Measure) -> str:
    """What a measure counts, in one word: 社区, 网格, 楼栋, 街道, or 户."""
    tail = m.covered_zh[-2:]
    return tail if tail in ("社区", "网格", "街道", "楼栋") else "户"


def _pick(result: Mapping[str, Any], measure_id: str) -> Mapping[str, Any] | None:
    cur: Any = result
    for part in measure_id.split("."):
        if not isinstance(cur, Mapping) or part not in cur:
            return None
        cur = cur[part]
    return cur if isinstance(cur, Mapping) else None


def _cell(m: Mapping[str, Any] | None, measure: str) -> dict[str, Any]:
    """One measure for display: numbers, percentage, red/amber/green."""
    if m is None:
        return {"missing": True, "text": "—", "pct": 0, "rag": "none", "color": "#d5dae0"}
    covered, total = int(m.get("covered") or 0), int(m.get("total") or 0)
    ratio = m.get("ratio")
    ratio = float(ratio) if ratio is not None else (covered / total if total else None)
    r = rag(ratio, measure.split(".")[0]) if total else "none"
    return {
        "missing": False,
        "covered": covered,
        "total": total,
        "ratio": ratio,
        "text": f"{ratio:.0%}" if ratio is not None and total else "无数据",
        "pct": round(100 * ratio, 1) if ratio is not None and total else 0,
        "rag": r,
        "rag_text": RAG_TEXT.get(r, "无数据"),
        "color": RAG_COLORS.get(r, "#d5dae0"),
    }


def _children(breakdown: Any) -> list[dict[str, Any]]:
    """Rows of coverage_breakdown, whether it is a list of {code, name, ...measures} or {code: {...}}."""
    rows: list[dict[str, Any]] = []
    items = breakdown.items() if isinstance(breakdown, Mapping) else ((None, r) for r in breakdown or [])
    for code, row in items:
        row = dict(row)
        measures = row.get("coverage") or row.get("measures") or row
        rows.append(
            {
                "code": row.get("code") or row.get("key") or code,
                "name": row.get("name") or row.get("code") or code,
                "label": row.get("label"),
                "measures": measures,
            }
        )
    return rows


def _figures(store: Store, sc: Scope) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The scope's coverage and the breakdown the page shows: one level down, or two when the scope holds a
    single district (or street), whose own breakdown says more than a single row."""
    kids = region_children(store, sc)
    shown = sc
    if len(kids) == 1 and kids[0]["code"] and kids[0]["label"] != "Grid":
        shown = Scope(NodeRef(kids[0]["label"], kids[0]["code"], kids[0]["name"]), sc.as_of)
    return cached_coverage(store, sc), coverage_breakdown(store, shown)


def build_overview(
    store: Store,
    scope: str | None = None,
    *,
    as_of: str | None = None,
    viewer: Access | None = None,
    links: Links | None = None,
    inline_assets: bool = False,
) -> str:
    """The coverage measures of a scope as figures and red/amber/green bars, with the same per street or
    community.

    The figures are cached (`orggraph.queries.cache`: until the store's data changes, in any process) per
    scope, day and viewer's scope; the page says when they were computed.
    """
    day, links, sref = page_setup(store, scope, as_of, viewer, links)
    code = sref.key if sref else None
    user_scope = viewer.scope if viewer else None
    figures = cached(store, ("overview", code, day, user_scope), lambda: _figures(store, Scope(sref, day)))
    result, breakdown = figures.value
    cards = []
    for m in MEASURES:
        cell = _cell(_pick(result, m.id), m.id)
        cards.append(
            {
                "m": m,
                "cell": cell,
                "gap_links": [
                    {
                        "text": g.zh,
                        "href": links.href("/pages/gaps", scope=code)
                        and f"{links.href('/pages/gaps', scope=code)}#{g.id}",
                    }
                    for g in GAPS
                    if g.id in m.gaps
                ],
                "page_href": links.href(f"/pages/{m.page}", scope=code) if m.page else None,
                "uncovered": None
                if m.id == "fulltime_share" or cell["missing"]
                else {
                    "n": cell["total"] - cell["covered"],
                    "href": links.href("/pages/uncovered", measure=m.id, scope=code),
                    "unit": _unit(m),
                },
            }
        )
    children = _children(breakdown)
    # A measure that counts nothing in any child (streets' contact points, per community) is no column.
    columns = [m for m in MEASURES if any((_pick(c["measures"], m.id) or {}).get("total") for c in children)]
    rows = [
        {
            "name": c["name"],
            "code": c["code"],
            "href": links.href("/pages/overview", scope=c["code"]) if c["code"] else None,
            "cells": [_cell(_pick(c["measures"], m.id), m.id) for m in columns],
        }
        for c in children
    ]
    child_zh = display_name(str(children[0]["label"])) if children and children[0].get("label") else "下级"
    thresholds = [
        (("专职网格员占比" if k == "fulltime_share" else "其余各项"), f"{g:.0%}", f"{a:.0%}")
        for k, (g, a) in THRESHOLDS.items()
    ]
    return render(
        "overview.html",
        title=f"覆盖率概览 · {scope_title(sref)}",
        subtitle=None,
        links=links,
        inline_assets=inline_assets,
        as_of=day,
        scope=scope_context(sref),
        here="概览",
        pickers=pickers(store, viewer_or_default(viewer), links, "/pages/overview", day, scope=code),
        cards=cards,
        columns=columns,
        rows=rows,
        child_zh=child_zh,
        thresholds=thresholds,
        computed_at=figures.computed_at.strftime("%Y-%m-%d %H:%M:%S"),
        rag_colors=RAG_COLORS,
        rag_text=RAG_TEXT,
        gaps_href=links.href("/pages/gaps", scope=code),
        api_links=[
            {"text": "/api/coverage", "href": links.href("/api/coverage", scope=code)},
            {"text": "/api/gaps", "href": links.href("/api/gaps", scope=code)},
        ]
        if links.enabled
        else [],
    )


def build_gaps(
    store: Store,
    scope: str | None = None,
    *,
    as_of: str | None = None,
    viewer: Access | None = None,
    links: Links | None = None,
    inline_assets: bool = False,
) -> str:
    """The gap lists of a scope, each entry with where it lies and why it is listed, and what each coverage
    measure leaves uncovered (counts linking to the paged lists); exported whole as .xlsx."""
    from orggraph.viz.lists import gap_tables

    day, links, sref = page_setup(store, scope, as_of, viewer, links)
    code = sref.key if sref else None
    who = viewer_or_default(viewer)
    tables = gap_tables(store, code, day, links, who)
    return render(
        "list_table.html",
        title=f"短板清单 · {scope_title(sref)}",
        subtitle="每一项都写明位置和原因；点击名称查看其关系图",
        links=links,
        inline_assets=inline_assets,
        as_of=day,
        scope=scope_context(sref),
        here="短板清单",
        tables=tables,
        measures=uncovered_summary(store, Scope(sref, day), links),
        pickers=pickers(store, who, links, "/pages/gaps", day, scope=code),
        export_href=links.href("/pages/gaps.xlsx", scope=code),
        back_href=links.href("/pages/overview", scope=code),
    )


def uncovered_summary(store: Store, sc: Scope, links: Links) -> list[dict[str, Any]]:
    """Per measure with an uncovered list: how many it leaves uncovered (total − covered) and the link to
    them."""
    result = cached_coverage(store, sc)
    out = []
    for m in MEASURES:
        if m.id == "fulltime_share":
            continue
        got = _pick(result, m.id) or {}
        total = int(got.get("total") or 0) - int(got.get("covered") or 0)
        out.append(
            {
                "id": m.id,
                "zh": m.zh,
                "unit": _unit(m),
                "total": total,
                "href": links.href("/pages/uncovered", measure=m.id, scope=sc.code),
            }
        )
    return out
