"""The pages in a real browser: headless Chromium against a live server, every request to another host blocked and recorded.

Each page must ask nothing of any other host, raise no JavaScript error, draw its canvas (a screenshot
with real ink in it) and settle: physics off, positions still. Screenshots are kept under
`ORGGRAPH_SCREENSHOTS` when that is set. Without Chromium these tests skip locally and FAIL under CI=true.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from live import serving  # tests/viz/live.py
from orggraph.graph.store import Store
from orggraph.queries.network import NODE_CAP
from pngcheck import ink  # tests/viz/pngcheck.py
from support.viz_district import TEST_PID_KEY  # tests/support/viz_district.py

pytestmark = pytest.mark.browser

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SETTLE_BOUND_MS = 20_000  # a 500-node page settles in a few seconds; this only catches a page that never does
LOCAL_HOSTS = ("127.0.0.1", "localhost")


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI 上必须能运行浏览器测试：{reason}")
    pytest.skip(reason)


def _chromium() -> str:
    path = os.environ.get("ORGGRAPH_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        _unavailable("找不到 Chromium（Debian 的 chromium 包；./dev test 会安装）")
    return path


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("未安装 playwright（pip 包）")
    path = _chromium()
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield b
        b.close()


@dataclass
class Live:
    url: str
    token: str  # a viewer's token, sent as the login cookie


@pytest.fixture(scope="module")
def server(demo_store: Store, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """uvicorn on 127.0.0.1 (random port) serving the whole app (API, login, pages) over the demo district."""
    from orggraph.api.app import create_app
    from orggraph.api.auth import Role, TokenRegistry, tokens_path

    from orggraph.settings import Settings

    settings = Settings(data_dir=tmp_path_factory.mktemp("viz-app"), pid_key=TEST_PID_KEY.decode())
    token, _ = TokenRegistry(tokens_path(settings.data_dir)).create(Role.viewer, None, "browser-tests")
    with serving(create_app(settings, store=demo_store)) as url:
        yield Live(url, token)


@dataclass
class Visit:
    url: str
    blocked: list[str] = field(default_factory=list)  # requests to other hosts (aborted)
    errors: list[str] = field(default_factory=list)  # page errors and console errors
    csp: list[str] = field(default_factory=list)  # Content-Security-Policy violations the page reported
    csp_header: str | None = None  # the policy the server sent with the page
    state: dict[str, Any] = field(default_factory=dict)
    png: bytes = b""
    page: Any = None


def visit(
    browser: Any,
    url: str,
    *,
    name: str,
    login: Live | None = None,
    allow_local: bool = True,
    keep_open: bool = False,
) -> Visit:
    v = Visit(url)
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    if login is not None:
        context.add_cookies([{"name": "orggraph_session", "value": login.token, "url": login.url}])
    context.add_init_script(_CSP_WATCH)
    page = context.new_page()
    page.on("pageerror", lambda e: v.errors.append(f"pageerror: {e}"))
    page.on("console", lambda m: v.errors.append(f"console: {m.text}") if m.type == "error" else None)

    def route(r: Any) -> None:
        u = r.request.url
        parts = urlsplit(u)
        if parts.scheme in ("data", "blob", "about") or u == url:
            r.continue_()
        elif (
            allow_local and parts.scheme in ("http", "https", "ws") and (parts.hostname or "") in LOCAL_HOSTS
        ):
            r.continue_()
        else:
            v.blocked.append(u)
            r.abort()

    page.route("**/*", route)
    resp = page.goto(url)
    if url.startswith("http"):
        assert resp is not None and resp.status == 200, f"{url}: HTTP {resp.status if resp else None}"
        v.csp_header = resp.headers.get("content-security-policy")
    if page.locator("#graph").count():  # a network page (the overview and gaps pages are plain HTML)
        page.wait_for_function(
            "() => window.orggraph && window.orggraph.ready", timeout=SETTLE_BOUND_MS + 10_000
        )
        v.state = page.evaluate(
            "({ms: orggraph.ms, nodes: orggraph.nodes, edges: orggraph.edges,"
            " physics: orggraph.network.physics.physicsEnabled})"
        )
        v.png = page.locator("#graph canvas").screenshot()
    shots = os.environ.get("ORGGRAPH_SCREENSHOTS")
    if shots:
        Path(shots).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(shots) / f"{name}.png"))
    v.csp = csp_violations(page)
    v.page = page
    if not keep_open:
        context.close()
    return v


# Every Content-Security-Policy violation the page meets, kept where the test can read it.
_CSP_WATCH = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.effectiveDirective} blocked ${e.blockedURI || "inline"} (${e.sourceFile}:${e.lineNumber})`);
});
"""


def csp_violations(page: Any) -> list[str]:
    return list(page.evaluate("window.__cspViolations || []"))


def assert_no_csp_violation(v: Visit) -> None:
    """Served pages carry a strict policy (scripts from the server only, no framing) and break none of it."""
    if v.url.startswith("http"):
        assert (
            v.csp_header and "default-src 'self'" in v.csp_header and "frame-ancestors 'none'" in v.csp_header
        )
        assert "'unsafe-inline'" not in v.csp_header.split("script-src")[1].split(";")[0]
    assert v.csp == [], f"Content-Security-Policy violations: {v.csp}"


def assert_drawn_offline(v: Visit) -> None:
    assert v.blocked == [], f"requests to other hosts: {v.blocked}"
    assert v.errors == [], f"JavaScript errors: {v.errors}"
    assert_no_csp_violation(v)
    assert v.state["physics"] is False, "physics still running after the page said it was ready"
    drawn = ink(v.png)
    assert drawn.width > 600 and drawn.height > 300
    assert drawn.colours > 20 and drawn.inked > 0.005, f"canvas looks blank: {drawn}"


def _top_community(store: Store) -> str:
    from orggraph.graph.cypher import statement

    q = statement(
        "tests.viz.top_reporting_community",
        "MATCH (c:Community)<-[r:REPORTED_TO]-(:Person) RETURN c.code AS code, count(r) AS n ORDER BY n DESC, code LIMIT 1",
        "测试：双报到党员最多的社区",
        origin=__name__,
    )
    return str(store.read(q).rows[0][0])


def _street(store: Store) -> str:
    from orggraph.graph.cypher import statement

    q = statement(
        "tests.viz.first_street",
        "MATCH (s:Street) RETURN s.code ORDER BY s.code LIMIT 1",
        "测试：第一个街道",
        origin=__name__,
    )
    return str(store.read(q).rows[0][0])


# ------------------------------------------------------------------------------------------------- tests
def test_chinese_font_is_installed() -> None:
    """Without a CJK font Chromium draws every label as boxes."""
    if not shutil.which("fc-list"):
        _unavailable("没有 fontconfig（fc-list）")
    out = subprocess.run(
        ["fc-list", ":lang=zh", "family"], capture_output=True, text=True, check=False
    ).stdout
    if not out.strip():
        _unavailable("没有中文字体：apt-get install fonts-wqy-zenhei（./dev test 会安装）")
    assert out.strip()


@pytest.mark.parametrize(
    "page", ["cobuilding", "ego", "ego2"]
)  # the org tree is HTML: test_viz_browser_net.py
def test_page_draws_offline(browser: Any, server: Live, demo_store: Store, page: str) -> None:
    street = _street(demo_store)
    url = (
        server.url
        + {
            "cobuilding": "/pages/cobuilding",
            "ego": f"/pages/ego/{street}",
            "ego2": f"/pages/ego/{_top_community(demo_store)}?depth=2",
        }[page]
    )
    v = visit(browser, url, name=page, login=server)
    assert_drawn_offline(v)
    assert v.state["nodes"] >= 5


def test_a_500_node_ego_page_settles(browser: Any, server: Live, demo_store: Store) -> None:
    v = visit(
        browser,
        f"{server.url}/pages/ego/{_top_community(demo_store)}?depth=2",
        name="ego-500",
        login=server,
        keep_open=True,
    )
    try:
        assert (
            v.state["nodes"] >= 0.8 * NODE_CAP
        )  # the demo's busiest community, two steps out: about the cap
        assert v.state["ms"] < SETTLE_BOUND_MS
        before = v.page.evaluate("JSON.stringify(orggraph.network.getPositions())")
        v.page.wait_for_timeout(700)
        after = v.page.evaluate("JSON.stringify(orggraph.network.getPositions())")
        assert before == after, "nodes still moving after the page said it settled"
        assert_drawn_offline(v)
    finally:
        v.page.context.close()


def test_clicking_a_node_shows_its_properties_and_links(
    browser: Any, server: Live, demo_store: Store
) -> None:
    code = _top_community(demo_store)
    v = visit(browser, f"{server.url}/pages/ego/{code}", name="ego-click", login=server, keep_open=True)
    try:
        page = v.page
        xy = page.evaluate(
            f"(() => {{ const p = orggraph.network.getPositions(['Community:{code}'])['Community:{code}'];"
            " return orggraph.network.canvasToDOM(p); })()"
        )
        box = page.locator("#graph").bounding_box()
        page.mouse.click(box["x"] + xy["x"], box["y"] + xy["y"])
        panel = page.locator("#panel")
        panel.wait_for(state="visible", timeout=5000)
        assert panel.locator("h2").inner_text().endswith("社区")
        assert "编码" in panel.locator("table").inner_text()
        hrefs = panel.locator("a").evaluate_all("els => els.map(a => a.getAttribute('href'))")
        assert f"/pages/ego/{code}?depth=1" in hrefs
        assert v.errors == []
        shots = os.environ.get("ORGGRAPH_SCREENSHOTS")
        if shots:
            page.screenshot(path=str(Path(shots) / "ego-click-panel.png"))
    finally:
        page.context.close()


def test_exported_file_draws_with_no_network_at_all(browser: Any, demo_store: Store, tmp_path: Path) -> None:
    from orggraph.viz.pages import build_ego
    from orggraph.viz.render import Links

    out = tmp_path / "ego.html"
    out.write_text(
        build_ego(demo_store, _street(demo_store), depth=2, links=Links(base=None), inline_assets=True),
        encoding="utf-8",
    )
    v = visit(browser, out.as_uri(), name="export-ego", allow_local=False)
    assert_drawn_offline(v)  # the file itself is all it loaded: anything else would be in v.blocked


def _click_node(page: Any, node_id: str) -> Any:
    """Click a node where the canvas draws it; returns the properties panel."""
    xy = page.evaluate(
        "(id) => orggraph.network.canvasToDOM(orggraph.network.getPositions([id])[id])", node_id
    )
    box = page.locator("#graph").bounding_box()
    page.mouse.click(box["x"] + xy["x"], box["y"] + xy["y"])
    panel = page.locator("#panel")
    panel.wait_for(state="visible", timeout=5000)
    return panel


def _ready(page: Any) -> None:
    # A function, not an expression: Playwright evaluates expression strings with eval, which the CSP forbids.
    page.wait_for_function("() => window.orggraph && window.orggraph.ready", timeout=SETTLE_BOUND_MS + 10_000)


def test_from_the_overview_to_a_path_from_a_unit_to_a_household(
    browser: Any, server: Live, demo_store: Store
) -> None:
    """The issue's walk: overview → a community's co-building network → a unit's ego network → the contact path
    from that unit to a household, all by clicking, with nothing fetched from any other host."""
    from orggraph.graph.cypher import statement

    q = statement(
        "tests.viz.unit_and_household",
        """MATCH (u:Unit)-[:CO_BUILDS]->(c:Community)<-[:PART_OF]-(:Grid)<-[:PART_OF]-(:Building)<-[:PART_OF]-(h:Household)
RETURN u.code AS unit, c.code AS community, h.code AS household ORDER BY unit, household LIMIT 1""",
        "测试：一个共建单位、它共建的社区和社区里的一户",
        origin=__name__,
    )
    unit, community, household = demo_store.read(q).rows[0]
    v = visit(
        browser,
        f"{server.url}/pages/overview?scope={community}",
        name="flow-overview",
        login=server,
        keep_open=True,
    )
    page = v.page
    try:
        page.locator('article[data-measure="cobuilding"] a', has_text="联建共建网络").click()
        _ready(page)
        assert "/pages/cobuilding" in page.url
        _click_node(page, f"Unit:{unit}").locator("a", has_text="查看其关系图（一步）").click()
        _ready(page)
        assert f"/pages/ego/{unit}" in page.url
        _click_node(page, f"Unit:{unit}").locator("button", has_text="设为联系路径的起点").click()
        page.goto(f"{server.url}/pages/ego/{household}")
        _ready(page)
        _click_node(page, f"Household:{household}").locator("a", has_text="到这里的联系路径").click()
        _ready(page)
        assert "/pages/path" in page.url
        ids = page.evaluate("orggraph.network.body.data.nodes.getIds()")
        assert f"Unit:{unit}" in ids and f"Household:{household}" in ids
        assert csp_violations(page) == []
        shots = os.environ.get("ORGGRAPH_SCREENSHOTS")
        if shots:
            page.screenshot(path=str(Path(shots) / "flow-path.png"))
        assert v.blocked == [] and v.errors == []
    finally:
        page.context.close()


@pytest.mark.parametrize("page", ["overview", "gaps"])
def test_dashboard_pages_render_offline(browser: Any, server: Live, demo_store: Store, page: str) -> None:
    v = visit(browser, f"{server.url}/pages/{page}", name=page, login=server, keep_open=True)
    try:
        png = v.page.screenshot(full_page=True)
        assert v.blocked == [] and v.errors == []
        assert_no_csp_violation(v)
        drawn = ink(png)
        assert drawn.colours > 20 and drawn.inked > 0.02, f"page looks blank: {drawn}"
        assert v.page.locator("a[href^='/pages/']").count() > 5  # links into the gaps and the other pages
    finally:
        v.page.context.close()


@pytest.mark.parametrize("page", ["docs", "redoc"])
def test_api_docs_render_offline_under_the_csp(browser: Any, server: Live, page: str) -> None:
    """Swagger UI and ReDoc come from this server (no CDN) and run under the pages' policy."""
    v = visit(browser, f"{server.url}/{page}", name=page, login=server, keep_open=True)
    try:
        p = v.page
        if page == "docs":
            p.locator(".opblock").first.wait_for(timeout=20_000)
            assert p.locator(".opblock").count() > 10  # every route, read from /openapi.json
        else:
            p.get_by_text("/api/coverage", exact=False).first.wait_for(timeout=20_000)
        assert v.blocked == [] and v.errors == [], (v.blocked, v.errors)
        v.csp = csp_violations(p)
        assert_no_csp_violation(v)
    finally:
        v.page.context.close()
