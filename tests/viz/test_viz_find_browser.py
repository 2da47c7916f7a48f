"""Finding and listing in a real browser (headless Chromium, the demo district, a live server): the header
search box with suggestions, the path page's pickers, overview figures that equal the lengths of their lists,
the scope and date pickers, and the .xlsx exports. Without Chromium these tests skip locally and FAIL under
CI=true, as tests/viz/test_viz_browser.py does."""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from orggraph.graph.cypher import statement
from orggraph.graph.store import Store
from orggraph.loaders.pinyin import initials
from orggraph.queries.coverage import sole_contacts
from orggraph.queries.policy import Access
from orggraph.queries.terms import in_force
from orggraph.viz.pickers import scope_options
from support.browser import LOCAL_HOSTS
from support.viz_city import TEST_PID_KEY
from test_viz_browser import _click_node, _ready

pytestmark = pytest.mark.browser
PORTS = range(18110, 18120)  # where a developer's servers may listen; any free port otherwise


def _port() -> int:
    for port in PORTS:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def live(demo_store: Store, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """The whole app on 127.0.0.1 over the demo district, and a token per role (sent as the login cookie)."""
    import uvicorn
    from orggraph.api.app import create_app
    from orggraph.api.auth import Role, TokenRegistry, tokens_path

    from orggraph.settings import Settings

    settings = Settings(data_dir=tmp_path_factory.mktemp("find-app"), pid_key=TEST_PID_KEY.decode())
    reg = TokenRegistry(tokens_path(settings.data_dir))
    tokens = {r: reg.create(Role(r), None, f"find-{r}")[0] for r in ("analyst", "viewer")}
    street = scope_options(demo_store, Access.of("admin"))[1]["code"]
    tokens["street"] = reg.create(Role.street, street, "find-street")[0]
    srv = uvicorn.Server(
        uvicorn.Config(
            create_app(settings, store=demo_store),
            host="127.0.0.1",
            port=_port(),
            log_level="warning",
            lifespan="off",
        )
    )
    t = threading.Thread(target=srv.run, daemon=True)
    t.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{srv.config.port}", tokens
    srv.should_exit = True
    t.join(timeout=10)


def _page(
    browser: Any, live: tuple[str, dict[str, str]], role: str = "analyst", size: tuple[int, int] = (1440, 900)
) -> Any:
    url, tokens = live
    ctx = browser.new_context(viewport={"width": size[0], "height": size[1]}, accept_downloads=True)
    ctx.add_cookies([{"name": "orggraph_session", "value": tokens[role], "url": url}])
    page = ctx.new_page()
    page.errors = []  # type: ignore[attr-defined]
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)

    def route(r: Any) -> None:
        host = urlsplit(r.request.url).hostname or ""
        r.continue_() if host in LOCAL_HOSTS or r.request.url.startswith(("data:", "blob:")) else r.abort()

    page.route("**/*", route)
    return page


def _shot(page: Any, name: str) -> None:
    shots = os.environ.get("ORGGRAPH_SCREENSHOTS")
    if shots:
        Path(shots).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(shots) / f"{name}.png"), full_page=False)


def test_header_search_suggests_by_name_and_initials_and_opens_the_node(browser, live, demo_store) -> None:
    community = scope_options(demo_store, Access.of("admin"))[2]
    assert community["label"] == "Community"
    page = _page(browser, live)
    page.goto(live[0] + "/pages/overview")
    page.wait_for_selector("html[data-find-ready]")
    box = page.locator("input.find-q")
    box.fill(community["name"][:2])
    page.wait_for_selector(f"ul.find-list li[data-key='{community['code']}']", timeout=10_000)
    _shot(page, "find-suggestions")
    box.fill("")
    box.type(initials(community["name"]), delay=20)
    hit = page.locator(f"ul.find-list li[data-key='{community['code']}']")
    hit.wait_for(timeout=10_000)
    hit.dispatch_event("mousedown")
    page.wait_for_url(re.compile(r"/pages/ego/" + community["code"]))
    page.wait_for_function("() => window.orggraph && window.orggraph.ready", timeout=30_000)
    assert page.locator("#contact-tables").count() == 1
    # Enter without choosing: the results page
    box = page.locator("input.find-q")
    box.fill(community["name"])
    box.press("Enter")
    page.wait_for_url(re.compile(r"/pages/find\?q="))
    assert page.locator("table.list a", has_text=community["name"]).count() >= 1
    assert page.errors == []


def test_a_viewer_is_offered_no_people(browser, live, demo_store) -> None:
    pid, name = next((p["pid"], p["name"]) for p in sole_contacts(demo_store))
    page = _page(browser, live, "viewer")
    page.goto(live[0] + "/pages/overview")
    page.wait_for_selector("html[data-find-ready]")
    page.locator("input.find-q").fill(name)
    page.wait_for_selector("ul.find-list li", timeout=10_000)
    assert page.locator(f"ul.find-list li[data-key='{pid}']").count() == 0


def test_path_page_takes_names_through_the_picker(browser, live, demo_store) -> None:
    pid, name, grids = next((p["pid"], p["name"], p["grids"]) for p in sole_contacts(demo_store))
    community = scope_options(demo_store, Access.of("admin"))[2]
    page = _page(browser, live)
    page.goto(live[0] + "/pages/path")
    page.wait_for_selector("html[data-find-ready]")
    for field, text, key in (("from", name, pid), ("to", community["name"], community["code"])):
        box = page.locator(f"input[name='{field}']")
        box.fill(text)
        hit = page.locator(f"ul.find-list li[data-key='{key}']")
        hit.wait_for(timeout=10_000)
        hit.dispatch_event("mousedown")
        assert page.locator(f"input[name='{field}_key']").input_value() == key
    page.locator("form.pick button[type=submit]").click()
    page.wait_for_url(re.compile(r"/pages/path\?"))
    q = parse_qs(urlsplit(page.url).query)
    assert q["from_key"] == [pid] and q["from"] == [name]
    assert page.locator("h1").inner_text().startswith("联系路径：")
    assert page.errors == []


def test_overview_counts_equal_the_lengths_of_their_lists(browser, live) -> None:
    page = _page(browser, live)
    page.goto(live[0] + "/pages/overview")
    links = page.locator("a[data-uncovered]")
    assert links.count() >= 3  # the demo district misses something on several measures
    found = [
        (links.nth(i).get_attribute("href"), int(links.nth(i).get_attribute("data-n") or -1))
        for i in range(links.count())
    ]
    for href, n in found:
        page.goto(live[0] + href)
        assert int(page.locator("section#uncovered h2 .n").get_attribute("data-count") or -1) == n, href
        rows = page.locator("section#uncovered tbody tr").count()
        pages = page.locator("nav.pages a, nav.pages .here").count()
        assert rows == min(n, 200) and (pages == 0) == (n <= 200), href
    # the card of grids without a leader contact: its list is the grids, not the gaps page's other list
    page.goto(live[0] + "/pages/overview")
    grid = page.locator("a[data-uncovered='contact_points.Grid']")
    if grid.count():
        grid.click()
        assert "未覆盖的网格" in page.locator("h1").inner_text()


def test_scope_and_date_pickers(browser, live, demo_store) -> None:
    street = scope_options(demo_store, Access.of("admin"))[1]
    page = _page(browser, live)
    page.goto(live[0] + "/pages/gaps")
    page.select_option("form.pickers select[name=scope]", street["code"])
    page.fill("form.pickers input[type=date]", "2024-06-30")
    page.locator("form.pickers button[type=submit]").click()
    page.wait_for_url(re.compile(r"scope=" + street["code"]))
    q = parse_qs(urlsplit(page.url).query)
    assert q["as_of"] == ["2024-06-30"] and street["name"] in page.locator("h1").inner_text()
    assert "数据日期 2024-06-30" in page.locator("footer").inner_text()
    # a street token is offered its street and what lies in it, nothing else
    page = _page(browser, live, "street")
    page.goto(live[0] + "/pages/overview")
    values = page.locator("form.pickers select[name=scope] option").evaluate_all("os => os.map(o => o.value)")
    options = scope_options(demo_store, Access.of("street", values[0]))
    assert values == [o["code"] for o in options] and "" not in values


def test_exports_download_workbooks_and_tables_print(browser, live, demo_store) -> None:
    page = _page(browser, live)
    page.goto(live[0] + "/pages/gaps")
    with page.expect_download() as d:
        page.locator("a.export").click()
    path = d.value.path()
    assert path and Path(path).read_bytes()[:2] == b"PK" and d.value.suggested_filename.endswith(".xlsx")
    page.emulate_media(media="print")
    assert page.locator("form.pickers").is_hidden() and page.locator("header nav").is_hidden()
    assert page.locator("table.list").first.is_visible()
    community = scope_options(demo_store, Access.of("admin"))[2]
    page.emulate_media(media="screen")
    page.goto(live[0] + f"/pages/ego/{community['code']}")
    with page.expect_download() as d:
        page.locator("#contact-tables a.export").click()
    assert Path(d.value.path()).read_bytes()[:2] == b"PK"


_LEADER_GRID = statement(
    "tests.viz.leader_grid_building",
    "MATCH (p:Person {pid: $pid})-[r:CONTACTS]->(g:Grid)<-[:PART_OF]-(b:Building)<-[:PART_OF]-(h:Household)\n"
    f"WHERE {in_force()}\n"
    "RETURN g.code AS grid, g.name AS grid_name, b.code AS building, h.code AS household\n"
    "ORDER BY grid, building, household LIMIT 1",
    "测试：一名领导联系的网格、其中一栋楼和一户",
    origin=__name__,
)


def _pick(page: Any, text: str, key: str) -> None:
    """Type into the header search box and choose the suggestion of `key`."""
    page.wait_for_selector("html[data-find-ready]")
    box = page.locator("header input.find-q")
    box.fill(text)
    hit = page.locator(f"ul.find-list li[data-key='{key}']")
    hit.wait_for(timeout=10_000)
    hit.dispatch_event("mousedown")


def _open_node(page: Any, node_id: str) -> Any:
    """Bring a node into view (the contact tables may have scrolled the canvas away), click it: its panel."""
    page.locator("#graph").scroll_into_view_if_needed()
    page.evaluate("(id) => orggraph.network.focus(id, {scale: 1.2, animation: false})", node_id)
    return _click_node(page, node_id)


def _download(page: Any, locator: Any) -> bytes:
    with page.expect_download() as d:
        locator.click()
    return Path(d.value.path()).read_bytes()


def test_done_when_from_typed_names_to_who_contacts_why_and_the_path(browser, live, demo_store) -> None:
    """The issue's "done when", by typing names and clicking only: a leader who breaks the contact rule (why,
    with the counts per level), a grid that leader contacts (who contacts it), and the contact path from the
    leader to
    a household of that grid; each exported."""
    from orggraph.queries.coverage import contact_rule_violations

    found = None
    for v in contact_rule_violations(demo_store):
        rows = demo_store.read(_LEADER_GRID, {"pid": v["pid"], "as_of": date.today().isoformat()}).records()
        if rows:
            found = (v, rows[0])
            break
    assert found, "the demo district has a leader breaking the rule who contacts a grid with households"
    leader, where = found
    page = _page(browser, live)
    page.goto(live[0] + "/pages/overview")
    # 1. the leader, by name: why the contact points break the rule
    _pick(page, leader["name"], leader["pid"])
    page.wait_for_url(re.compile(r"/pages/ego/" + leader["pid"]))
    _ready(page)
    banner = page.locator(".banner", has_text="联系点不符合规定").inner_text()
    assert "应" in banner and "实际" in banner, banner
    assert _download(page, page.locator("#contact-tables a.export"))[:2] == b"PK"
    _shot(page, "journey-leader")
    _open_node(page, f"Person:{leader['pid']}").locator("button", has_text="设为联系路径的起点").click()
    # 2. a grid the leader contacts, by name: who contacts it, the leader among them
    _pick(page, where["grid_name"], where["grid"])
    page.wait_for_url(re.compile(r"/pages/ego/" + where["grid"]))
    _ready(page)
    tables = page.locator("#contact-tables")
    assert leader["name"] in tables.inner_text()
    assert _download(page, tables.locator("a.export"))[:2] == b"PK"
    _shot(page, "journey-grid")
    # 3. down to a household by clicking (building, then household), and the path from the leader to it
    _open_node(page, f"Building:{where['building']}").locator("a", has_text="查看其关系图").first.click()
    page.wait_for_url(re.compile(r"/pages/ego/" + where["building"]))
    _ready(page)
    _open_node(page, f"Household:{where['household']}").locator("a", has_text="到这里的联系路径").click()
    page.wait_for_url(re.compile(r"/pages/path\?"))
    _ready(page)
    ids = page.evaluate("() => orggraph.network.body.data.nodes.getIds()")
    assert f"Person:{leader['pid']}" in ids and f"Household:{where['household']}" in ids
    png = _download(page, page.locator("#png"))
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    _shot(page, "journey-path")
    assert page.errors == []
