"""Networks, the org tree, login and the token page in a real browser (headless Chromium, as test_viz_browser.py):
expand in place without moving what is drawn, legend filters, PNG export, collapse and search in the org tree,
the styled login form, and creating, showing once and revoking a token from the admin page.

Without Chromium these tests skip locally and FAIL under CI=true (test_viz_browser's `browser` fixture).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from orggraph.graph.cypher import statement
from orggraph.graph.store import Store
from pngcheck import ink  # tests/viz/pngcheck.py
from support.viz_district import TEST_PID_KEY  # tests/support/viz_district.py
from test_viz_browser import Live, assert_drawn_offline, browser, serving, visit  # noqa: F401

pytestmark = pytest.mark.browser

_BUSY_GRID = statement(
    "tests.viz.busiest_grid_households",
    "MATCH (g:Grid)<-[:PART_OF]-(:Building)<-[:PART_OF]-(h:Household) RETURN g.code, count(h) AS n ORDER BY n DESC, g.code LIMIT 1",
    "测试：户数最多的网格",
    origin=__name__,
)


@dataclass
class Site:
    url: str
    viewer: Live
    admin: Live


@pytest.fixture(scope="module")
def site(demo_store: Store, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    from orggraph.api.app import create_app
    from orggraph.api.auth import Role, TokenRegistry, tokens_path

    from orggraph.settings import Settings

    settings = Settings(data_dir=tmp_path_factory.mktemp("viz-net"), pid_key=TEST_PID_KEY.decode())
    reg = TokenRegistry(tokens_path(settings.data_dir))
    viewer, _ = reg.create(Role.viewer, None, "browser-viewer")
    admin, _ = reg.create(Role.admin, None, "browser-admin")
    with serving(create_app(settings, store=demo_store)) as url:
        yield Site(url, Live(url, viewer), Live(url, admin))


def _grid(store: Store) -> str:
    return str(store.read(_BUSY_GRID).rows[0][0])


def _positions(page: Any) -> dict[str, dict[str, float]]:
    return page.evaluate("orggraph.network.getPositions()")  # type: ignore[no-any-return]


def _click_node(page: Any, node_id: str) -> Any:
    xy = page.evaluate(
        "(id) => orggraph.network.canvasToDOM(orggraph.network.getPositions([id])[id])", node_id
    )
    box = page.locator("#graph").bounding_box()
    page.mouse.click(box["x"] + xy["x"], box["y"] + xy["y"])
    panel = page.locator("#panel")
    panel.wait_for(state="visible", timeout=5000)
    return panel


def test_a_group_node_expands_in_place_without_moving_anything(
    browser: Any, site: Site, demo_store: Store
) -> None:
    v = visit(
        browser,
        f"{site.url}/pages/ego/{_grid(demo_store)}?depth=2",
        name="expand-group",
        login=site.admin,
        keep_open=True,
    )
    page = v.page
    try:
        assert_drawn_offline(v)
        group = page.evaluate(
            "orggraph.nodeSet.get({filter: n => n.info && n.info.expand && n.info.expand.kind === 'PART_OF:in:Household'})"
            ".sort((a, b) => b.info.expand.count - a.info.expand.count)[0]"
        )
        assert group, "a two-step grid page folds its households into counted nodes"
        count = group["info"]["expand"]["count"]
        before = _positions(page)
        panel = _click_node(page, group["id"])
        button = panel.locator("button.expand")
        assert "在图上展开" in button.inner_text()
        button.click()
        page.wait_for_function(
            "() => document.documentElement.getAttribute('data-expanded') === '1'", timeout=15000
        )
        after = _positions(page)
        added = page.evaluate("orggraph.lastAdded")
        assert len(added) == min(50, count)
        assert all(a.startswith("Household:") for a in added)
        moved = [k for k in before if k in after and before[k] != after[k]]
        assert moved == [], f"expanding moved {len(moved)} nodes that were already drawn"
        if count > 50:
            label = page.evaluate("(id) => orggraph.nodeSet.get(id).label", group["id"])
            assert label.startswith(f"+{count - 50:,}".replace(",", ","))
        else:
            assert page.evaluate("(id) => orggraph.nodeSet.get(id)", group["id"]) is None
        # A household just added expands in turn (its residents, anonymous steps for nobody here: admin).
        page.evaluate("(id) => orggraph.expand(id)", added[0])
        page.wait_for_function(
            "() => document.documentElement.getAttribute('data-expanded') === '2'", timeout=15000
        )
        assert page.evaluate("orggraph.lastAdded.length") >= 1
        assert v.errors == []
    finally:
        page.context.close()


def test_the_legend_hides_and_shows_a_kind(browser: Any, site: Site, demo_store: Store) -> None:
    v = visit(
        browser,
        f"{site.url}/pages/ego/{_grid(demo_store)}?depth=2",
        name="legend",
        login=site.viewer,
        keep_open=True,
    )
    page = v.page
    try:
        hidden = "(k) => orggraph.nodeSet.get({filter: n => n.kind_key === k}).map(n => !!n.hidden)"
        edges_hidden = "(k) => orggraph.edgeSet.get({filter: e => e.kind_key === k}).map(e => !!e.hidden)"
        assert set(page.evaluate(hidden, "node:Building")) == {False}
        page.locator('#legend li[data-key="node:Building"]').click()
        assert set(page.evaluate(hidden, "node:Building")) == {True}
        assert page.locator('#legend li[data-key="node:Building"]').get_attribute("aria-pressed") == "false"
        page.locator('#legend li[data-key="edge:PART_OF"]').click()
        assert set(page.evaluate(edges_hidden, "edge:PART_OF")) == {True}
        page.locator('#legend li[data-key="node:Building"]').click()
        assert set(page.evaluate(hidden, "node:Building")) == {False}
        assert v.errors == []
    finally:
        page.context.close()


def test_png_export_downloads_the_drawing(browser: Any, site: Site, demo_store: Store) -> None:
    v = visit(
        browser, f"{site.url}/pages/ego/{_grid(demo_store)}", name="png", login=site.viewer, keep_open=True
    )
    page = v.page
    try:
        with page.expect_download(timeout=15000) as dl:
            page.locator("#png").click()
        d = dl.value
        assert d.suggested_filename.endswith("的关系图.png")
        data = open(d.path(), "rb").read()
        drawn = ink(data)
        assert drawn.width >= 600 and drawn.colours > 20 and drawn.inked > 0.005
        assert v.errors == []
    finally:
        page.context.close()


def test_org_tree_collapses_and_finds_within_itself(browser: Any, site: Site) -> None:
    v = visit(browser, f"{site.url}/pages/org-tree", name="org-tree", login=site.viewer, keep_open=True)
    page = v.page
    try:
        assert v.errors == [] and v.blocked == []
        roots = page.locator("#tree > li.org")
        assert (
            roots.count() >= 4
        )  # the district opens at street level: one 党工委 per street and the two 工委
        assert page.locator("#tree > li.org > details[open]").count() == 0
        visible = page.locator("#tree li.org:visible").count()
        assert visible == roots.count()  # folded: only the top level shows, each with its counts
        assert "下级" in roots.first.inner_text()
        name = page.locator("#tree li.org ul li.org .name").nth(5).text_content()
        page.fill("#tree-search", name)
        page.wait_for_function("() => orggraph.hits >= 1")
        hit = page.locator("#tree li.hit").first
        assert hit.is_visible() and name in hit.inner_text()
        assert page.locator("#tree li.org:visible").count() < page.locator("#tree li.org").count()
        page.fill("#tree-search", "没有这个组织名称")
        assert "没有找到" in page.locator("#found").inner_text()
        page.locator("#close-all").click()
        assert page.locator("#tree li.org:visible").count() == roots.count()
        page.locator("#open-all").click()
        assert page.locator("#tree li.org:visible").count() == page.locator("#tree li.org").count()
        page.locator("#close-all").click()
        page.check("#only-flags")
        flagged = page.locator("#tree li:visible .flag")
        assert flagged.count() >= 1  # the demo has grids without a party organization
        assert v.errors == []
    finally:
        page.context.close()


def test_login_page_is_styled_and_sends_nobody_to_a_command_line(browser: Any, site: Site) -> None:
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    try:
        page.goto(f"{site.url}/pages/overview")
        assert "/login" in page.url
        assert page.locator(".card h1").inner_text() == "登录"
        text = page.locator("body").inner_text()
        assert "orggraph" not in text.replace("党建引领基层治理关系图谱", "") and "命令" not in text
        assert "系统管理员" in text
        page.fill("#token", "og_wrong")
        page.locator("button").click()
        assert "令牌无效" in page.locator(".error").inner_text()
        page.fill("#token", site.viewer.token)
        page.locator("button").click()
        page.wait_for_url("**/pages/overview*")
    finally:
        context.close()


def test_the_admin_creates_shows_once_and_revokes_a_token(browser: Any, site: Site) -> None:
    v = visit(browser, f"{site.url}/pages/tokens", name="tokens", login=site.admin, keep_open=True)
    page = v.page
    try:
        page.wait_for_function("() => window.orggraph && orggraph.ready")
        assert page.locator('#tokens tr[data-name="browser-admin"]').inner_text().endswith("当前使用")
        page.fill("input[name=name]", "网页创建-张三")
        page.select_option("#role", "street")
        page.locator("form#create button[type=submit]").click()
        page.locator("#create-msg .msg.error").wait_for()
        assert "必须" in page.locator("#create-msg").inner_text()  # a street token needs a street code
        page.select_option("#role", "viewer")
        page.fill("input[name=name]", "网页创建-张三")
        page.locator("form#create button[type=submit]").click()
        page.locator("#new-token").wait_for(state="visible")
        token = page.locator("#new-token-value").inner_text()
        assert token.startswith("og_") and len(token) > 40
        page.locator('#tokens tr[data-name="网页创建-张三"]').wait_for()
        assert (
            page.request.get(f"{site.url}/api/me", headers={"Authorization": f"Bearer {token}"}).status == 200
        )
        page.on("dialog", lambda d: d.accept())
        page.locator('#tokens tr[data-name="网页创建-张三"] button').click()
        page.locator('#tokens tr[data-name="网页创建-张三"]').wait_for(state="detached")
        assert (
            page.request.get(f"{site.url}/api/me", headers={"Authorization": f"Bearer {token}"}).status == 401
        )
        assert token not in page.content().replace(page.locator("#new-token-value").inner_text(), "")
        assert [
            e for e in v.errors if "status of 422" not in e
        ] == []  # the refused street token: a 422 on purpose
    finally:
        page.context.close()
    context = browser.new_context()
    context.add_cookies([{"name": "orggraph_session", "value": site.viewer.token, "url": site.url}])
    page = context.new_page()
    try:
        resp = page.goto(f"{site.url}/pages/tokens")
        assert resp is not None and resp.status == 403 and "只对管理员开放" in page.content()
    finally:
        context.close()
