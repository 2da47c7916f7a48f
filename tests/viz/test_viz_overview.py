"""The overview and gaps pages: the coverage figures of a scope, red/amber/green, links into the gaps, names
for the gap lists."""

from __future__ import annotations

import re
from typing import Any

import pytest
from orggraph.graph.store import Store
from orggraph.queries.coverage import coverage
from orggraph.viz.overview import build_gaps, build_overview
from orggraph.viz.render import RAG_COLORS, Links, rag
from support.viz_city import C1, C2, G1, STREET, small_district

AS_OF = "2025-06-30"


def card(html: str, measure: str) -> str:
    m = re.search(
        rf'<article class="card" style="--c: ([^"]+)" data-measure="{re.escape(measure)}">(.*?)</article>',
        html,
        re.S,
    )
    assert m, f"no card for {measure}"
    return m.group(1) + m.group(2)


def test_rag_thresholds() -> None:
    assert rag(1.0) == "green" and rag(0.9) == "green"
    assert rag(0.8) == "amber" and rag(0.7) == "amber"
    assert rag(0.5) == "red" and rag(None) == "red"
    assert rag(0.6, "fulltime_share") == "amber"


def test_overview_shows_each_measure_with_its_figures(district: Store) -> None:
    html = build_overview(district, STREET, as_of=AS_OF, links=Links(base="", as_of=AS_OF))
    expected = coverage(district, STREET, AS_OF)["cobuilding"]
    assert (expected["covered"], expected["total"]) == (1, 2)  # C1 has partners, C2 only a former one
    c = card(html, "cobuilding")
    assert "50%" in c and "1 / 2" in c
    assert c.startswith(RAG_COLORS["red"])
    assert f'href="/pages/gaps?scope={STREET}&amp;as_of={AS_OF}#communities_without_cobuilding"' in c
    assert f'href="/pages/cobuilding?scope={STREET}&amp;as_of={AS_OF}"' in c


def test_overview_has_a_row_per_community_linking_to_its_own_overview(district: Store) -> None:
    html = build_overview(district, STREET, as_of=AS_OF, links=Links(base="", as_of=AS_OF))
    assert f'<a href="/pages/overview?scope={C1}&amp;as_of={AS_OF}">旺家社区</a>' in html
    assert f'<a href="/pages/overview?scope={C2}&amp;as_of={AS_OF}">冲广社区</a>' in html


def test_gaps_page_names_the_entries_and_links_them(district: Store) -> None:
    html = build_gaps(district, STREET, as_of=AS_OF, links=Links(base="", as_of=AS_OF))
    section = re.search(
        r'<section class="tbl" id="communities_without_cobuilding">(.*?)</section>', html, re.S
    )
    assert section and f'<a href="/pages/ego/{C2}?depth=1&amp;as_of={AS_OF}">冲广社区</a>' in section.group(1)
    assert "旺家社区" not in section.group(1)
    assert G1 not in re.sub(r"<[^>]+>", "", html)  # names, not codes, are what people read


def test_overview_export_has_no_links_and_no_script(district: Store) -> None:
    html = build_overview(district, None, as_of=AS_OF, links=Links(base=None), inline_assets=True)
    assert "<script" not in html and "href=" not in html
    assert "联建共建覆盖率" in html


def test_overview_of_one_district_computes_its_figures_once_and_keeps_them(
    store: Store, load: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The whole graph holds one district: the page shows that district's streets, computed once (not the
    district's own single row first), and a second view reads nothing until the data changes (FalkorDB's
    data_version: a store of its own, since it writes; Neo4j keeps no such token and caches for 60 s)."""
    import orggraph.viz.overview as page

    load(store, small_district())
    district = store

    calls: list[str] = []
    for name in ("cached_coverage", "coverage_breakdown"):
        real = getattr(page, name)
        monkeypatch.setattr(
            page, name, lambda *a, _real=real, _name=name, **k: calls.append(_name) or _real(*a, **k)
        )

    def view() -> str:
        return build_overview(district, None, as_of=AS_OF, links=Links(base="", as_of=AS_OF))

    html = view()
    assert sorted(calls) == ["cached_coverage", "coverage_breakdown"]
    assert f'<a href="/pages/overview?scope={STREET}&amp;as_of={AS_OF}">' in html  # the district's street
    computed = re.search(r'data-computed-at="([^"]+)"', html)
    assert computed and f"以上数字计算于 {computed.group(1)}" in html
    assert view() == html and len(calls) == 2
    district.write("MATCH (s:Street {code: $code}) SET s.name = '新名字'", {"code": STREET})
    assert "新名字" in view() and len(calls) == 4
