"""The list pages on both stores: overview cards link to uncovered lists as long as their counts, the gaps
page says where and why, search results and the path page take names, tables export to .xlsx, and the scope
and date pickers offer exactly the viewer's jurisdiction."""

from __future__ import annotations

import io
import re

import pytest
from fixtures.small_district import AS_OF, C11, C12, EXPECTED_COVERAGE, G111, G212, S1, S2, pid
from openpyxl import load_workbook


@pytest.fixture
def sd(small_district, make_api):
    return make_api(small_district)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.mark.parametrize("scope", [None, S1, C11])
def test_every_overview_card_links_to_a_list_of_its_count(sd, scope) -> None:
    params = {"as_of": AS_OF, **({"scope": scope} if scope else {})}
    html = sd.get("/pages/overview", params=params).text
    links = re.findall(r'<a href="([^"]+)" data-uncovered="([^"]+)" data-n="(\d+)">', html)
    cov = EXPECTED_COVERAGE[(scope, AS_OF)]
    want = {}
    for head, m in cov.items():
        for sub, v in ({"": m} if "total" in m else m).items():
            mid = f"{head}.{sub}" if sub else head
            if mid != "fulltime_share" and v["total"] - v["covered"] > 0:
                want[mid] = v["total"] - v["covered"]
    assert {mid: int(n) for _, mid, n in links} == want
    assert "contact_points.Grid" in want or scope == C11
    for href, mid, n in links:
        page = sd.get(href.replace("&amp;", "&")).text
        rows = re.findall(r"<tr><td>", page)
        assert len(rows) == int(n), (mid, href)
        assert f'data-count="{n}"' in page


@pytest.mark.parametrize("scope", [None, S1, C11])
def test_every_figure_of_the_gaps_page_is_the_length_of_its_list(sd, scope) -> None:
    """The gap page's own figures: each gap table's count is its number of rows, and each measure's uncovered
    count is the overview card's and links to a list that long (the cards' gap links lead here)."""
    params = {"as_of": AS_OF, **({"scope": scope} if scope else {})}
    overview = sd.get("/pages/overview", params=params).text
    cards = {
        mid: int(n)
        for _, mid, n in re.findall(r'<a href="([^"]+)" data-uncovered="([^"]+)" data-n="(\d+)">', overview)
    }
    assert re.findall(
        r'<li><a href="[^"]*/pages/gaps[^"]*#(\w+)">', overview
    )  # the cards link into this page
    html = sd.get("/pages/gaps", params=params).text
    sections = re.findall(r'<section class="tbl[^"]*" id="(\w+)">(.*?)</section>', html, re.S)
    assert len(sections) == 6
    for sid, body in sections:
        count = int(re.search(r'data-count="(\d+)"', body).group(1))  # type: ignore[union-attr]
        assert len(re.findall(r"<tr><td>", body)) == count, sid
    measures = re.findall(r'<a href="([^"]+)" data-measure="([^"]+)"><span class="n">([\d,]+)</span>', html)
    assert {mid: int(n.replace(",", "")) for _, mid, n in measures} == cards
    for href, mid, n in measures:
        page = sd.get(href.replace("&amp;", "&")).text
        assert len(re.findall(r"<tr><td>", page)) == int(n.replace(",", "")), (mid, href)


def test_gaps_page_says_where_and_why_and_is_in_the_menu(sd) -> None:
    html = sd.get("/pages/gaps", params={"as_of": AS_OF}).text
    assert ">短板清单</a>" in html and 'class="here">短板清单' in html
    text = _text(html)
    assert "应联系" in text and "实际" in text  # a rule violation explains itself
    assert "唯一的直接联系人" in text
    assert "工业园专属网格 仁山街道 / 冲广坪社区" in text
    assert 'href="/pages/gaps.xlsx?as_of=' in html
    assert "各项覆盖率未覆盖的清单" in html and 'data-measure="household_links"' in html


def test_gaps_export_is_a_workbook_of_what_is_shown(sd) -> None:
    r = sd.get("/pages/gaps.xlsx", params={"as_of": AS_OF})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(io.BytesIO(r.content))
    assert len(wb.sheetnames) == 6
    ws = wb[wb.sheetnames[5]]  # grids without a direct contact
    values = [[c.value for c in row] for row in ws.iter_rows()]
    assert values[1] == ["名称", "位置（街道 / 社区）", "原因"]
    assert ["工业园专属网格", "仁山街道 / 冲广坪社区", "没有在期的网格力量或联系领导直接联系"] in values
    r = sd.get("/pages/uncovered.xlsx", params={"as_of": AS_OF, "measure": "contact_points.Grid"})
    rows = list(load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True))
    cov = EXPECTED_COVERAGE[(None, AS_OF)]["contact_points"]["Grid"]
    assert len(rows) - 2 == cov["total"] - cov["covered"]
    assert sd.get("/pages/uncovered.xlsx", params={"measure": "nonsense"}).status_code == 422


def test_a_street_token_gets_its_own_lists_and_pickers(sd) -> None:
    html = sd.get("/pages/gaps", role="street", scope=S1).text
    options = re.findall(r'<option value="([^"]*)"', html)
    assert options[0] == S1 and C11 in options and C12 in options and S2 not in options and "" not in options
    assert 'type="date" name="as_of"' in html
    r = sd.get("/pages/uncovered", params={"measure": "cobuilding", "scope": S2}, role="street", scope=S1)
    assert r.status_code == 403
    page = sd.get(
        "/pages/uncovered", params={"measure": "cobuilding", "as_of": AS_OF}, role="street", scope=S1
    ).text
    assert "梅花社区" in page and "冲广坪" not in page


def test_find_page_and_viewer_limits(sd) -> None:
    html = sd.get("/pages/find", params={"q": "lm"}).text
    assert "龙门社区" in html and f"/pages/ego/{G111}" in html
    assert "没有找到" in sd.get("/pages/find", params={"q": "不存在"}).text
    viewer = sd.get("/pages/find", params={"q": "张"}, role="viewer").text
    assert "张秀英" not in viewer
    # the header box is on every page, with its script from this server
    for url in ("/pages/overview", f"/pages/ego/{G111}", "/pages/path"):
        page = sd.get(url).text
        assert 'class="find-q"' in page and "/pages/static/find.js?v=" in page, url
    assert sd.get("/pages/static/find.js").status_code == 200


def test_path_page_takes_names(sd) -> None:
    r = sd.get("/pages/path", params={"from": "张秀英", "to": "龙门社区", "as_of": AS_OF})
    assert r.status_code == 200, r.text
    assert "联系路径：张秀英 → 龙门社区" in r.text
    r = sd.get("/pages/path", params={"from": "谁也不是", "to": "龙门社区"})
    assert r.status_code == 404 and "谁也不是" in r.text
    assert 'data-picker="from_key"' in sd.get("/pages/path").text
    # reached by a click (keys in the address): the boxes show names, the keys ride along for the picker
    page = sd.get("/pages/path", params={"from": pid("R1"), "to": C11, "as_of": AS_OF}).text
    assert 'name="from" value="张秀英"' in page and f'name="from_key" value="{pid("R1")}"' in page
    assert f'name="to_key" value="{C11}"' in page and f'name="as_of" value="{AS_OF}"' in page


def test_print_css_and_uncovered_paging(sd) -> None:
    html = sd.get("/pages/uncovered", params={"measure": "household_links", "as_of": AS_OF}).text
    assert "@media print" in html and "data-print" in html
    assert sd.get("/pages/uncovered", params={"measure": G212}).status_code == 422


def test_grid_page_shows_who_contacts_it_with_terms_and_exports(sd) -> None:
    html = sd.get(f"/pages/ego/{G111}", params={"as_of": AS_OF}).text
    assert 'id="contact-tables"' in html and "谁联系这里" in html
    # the steps are a choice, not free text; the date box shows the day drawn
    assert '<select name="depth"><option value="1" selected>一步邻居</option>' in html
    assert f'name="as_of" value="{AS_OF}"' in html
    text = _text(html)
    assert "直接联系" in text and "经社区「龙门社区」继承" in text  # leaders of the community cover the grid
    assert "至今" in text and "2022-01-01" in text  # since / until of each term
    assert re.search(r"138\d{8}", text)  # admin: phones opened
    analyst = _text(sd.get(f"/pages/ego/{G111}", params={"as_of": AS_OF}, role="analyst").text)
    assert "138****" in analyst and not re.search(r"138\d{8}", analyst)
    viewer = sd.get(f"/pages/ego/{G111}", params={"as_of": AS_OF}, role="viewer").text
    assert "手机号" not in re.sub(r"<script.*?</script>", "", viewer, flags=re.S)
    r = sd.get(f"/pages/contacts/{G111}.xlsx", params={"as_of": AS_OF})
    assert r.status_code == 200
    wb = load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames and all(ws.max_row >= 3 for ws in wb.worksheets)
    assert sd.get("/pages/contacts/nothing.xlsx").status_code == 404


def test_person_page_shows_what_they_contact_and_cover(sd) -> None:
    html = sd.get(f"/pages/ego/{pid('W8')}", params={"as_of": AS_OF}).text
    assert "联系的对象和覆盖范围" in html
    assert re.search(
        r"<td>\d+</td><td>\d+</td><td>\d+</td><td>\d+</td>", html
    )  # grids, buildings, households, residents


def test_group_nodes_link_to_a_paged_member_list(sd, small_district) -> None:
    from orggraph.viz.pages import build_ego
    from orggraph.viz.render import Links

    html = build_ego(small_district, C11, as_of=AS_OF, links=Links(base="", as_of=AS_OF), cap=4)
    hrefs = re.findall(r'"href": ?"(/pages/members\?[^"]+)"', html)
    assert hrefs and "完整名单请用 API" not in html
    page = sd.get(hrefs[0].replace("\\u0026", "&")).text
    m = re.search(r'data-count="(\d+)"', page)
    assert m and int(m.group(1)) >= 1 and len(re.findall(r"<tr><td>", page)) == int(m.group(1))
    r = sd.get(
        "/pages/members",
        params={"of": C11, "rel": "REPORTED_TO", "dir": "in", "label": "Person", "as_of": AS_OF},
    )
    assert r.status_code == 200 and "报到党员" in r.text and "苏明" in r.text
    assert (
        sd.get(
            "/pages/members",
            params={"of": C11, "rel": "REPORTED_TO", "dir": "in", "label": "Person"},
            role="viewer",
        ).status_code
        == 403
    )
    assert (
        sd.get(
            "/pages/members", params={"of": C11, "rel": "NOPE", "dir": "in", "label": "Person"}
        ).status_code
        == 422
    )


@pytest.mark.parametrize("page", ["overview", "gaps", "cobuilding", "org-tree", "uncovered"])
def test_scope_pages_have_the_scope_and_date_pickers(sd, page) -> None:
    html = sd.get(f"/pages/{page}", params={"scope": S1, "as_of": AS_OF}).text
    form = re.search(
        r'<form class="pickers" method="get" action="/pages/' + page + r'">(.*?)</form>', html, re.S
    )
    assert form, page
    assert f'<option value="{S1}" selected>' in form.group(1)
    assert f'<input type="date" name="as_of" value="{AS_OF}"' in form.group(1)


def test_admin_pages_keep_the_whole_top_menu(sd) -> None:
    """The token and change pages showed a top menu without 查询控制台 (their links were made without it)."""
    for url in ("/pages/tokens", "/pages/changes"):
        html = sd.get(url).text
        assert 'href="/pages/cypher"' in html, url
