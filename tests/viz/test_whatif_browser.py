"""The page 模拟调整 in a real browser (headless Chromium, every request to another host blocked),
against the real `POST /api/what-if`: pick a person by typing a name, add an "end" change, run, see the
card drop and the gap appear on the list and on the network, export (an .xlsx openpyxl reads), save,
reopen, a share link that fills the page without running, and an error shown next to the change it names.
Screenshots at 1440×900 and 1366×768 go under `ORGGRAPH_SCREENSHOTS` when set. Without Chromium these
tests skip locally and FAIL under CI=true."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from live import serving  # tests/viz/live.py
from openpyxl import load_workbook
from orggraph.graph.store import Store
from support.viz_city import G1, G2, TEST_PID_KEY, WORKER, pid
from test_console_browser import BOUND_MS, Console, Session, console  # noqa: F401 - a fixture

pytestmark = pytest.mark.browser


class Page(Session):
    """A logged-in browser on /pages/what-if that records every call of the what-if route."""

    def __init__(self, b: Any, c: Console, role: str, size: tuple[int, int] = (1440, 900)) -> None:
        super().__init__(b, c, role, size)
        self.runs: list[str] = []
        self.page.on("request", lambda r: self.runs.append(r.url) if "/api/what-if" in r.url else None)

    def open(self, fragment: str = "", via_menu: bool = False) -> None:
        if via_menu:
            self.page.get_by_role("link", name="模拟调整").click()
        else:
            self.page.goto(f"{self.c.url}/pages/what-if{fragment}")
        self.page.wait_for_selector("html[data-whatif-ready]", timeout=BOUND_MS)

    def pick(self, field: str, typed: str, want: str) -> None:
        """Type into a picker and choose the suggestion showing `want`."""
        self.page.fill(f"#{field}", "")
        self.page.type(f"#{field}", typed, delay=30)
        item = self.page.locator(f"#{field} ~ ul.find-list li", has_text=want).first
        item.wait_for(timeout=BOUND_MS)
        item.dispatch_event("mousedown")

    def add_end_of_worker(self) -> None:
        self.page.select_option("#op", "end")
        self.page.select_option("#kind", "SERVES")
        self.page.select_option("#role", "专职网格员")
        self.pick("who", "网格员", "网格员丙")
        self.pick("target", "旺家第1", "旺家第1网格")
        self.page.click("#add")

    def run(self, timeout: int = BOUND_MS) -> None:
        self.page.click("#run")
        self.page.wait_for_function("() => !orggraphWhatIf.busy", timeout=timeout)

    def lines(self) -> list[str]:
        return [t.strip() for t in self.page.locator("#changes li .line").all_inner_texts()]


def test_done_when_ending_the_only_full_time_worker(browser: Any, console: Console) -> None:  # noqa: F811 - the fixtures
    s = Page(browser, console, "analyst")
    s.open(via_menu=True)
    assert s.page.url.endswith("/pages/what-if")
    s.add_end_of_worker()
    assert s.lines() == ["网格员丙 调离 旺家第1网格（专职网格员）"]
    assert s.runs == []
    s.run()
    assert s.page.locator("#message").get_attribute("class") == "ok", s.page.inner_text("#message")
    card = s.page.locator('.card[data-measure="fulltime_worker"]')
    assert "worse" in (card.get_attribute("class") or "")
    assert "1/2 → 0/2" in card.inner_text() and "变化 -1" in card.inner_text()
    gap = s.page.locator("#gap-grids_without_fulltime tr.appeared")
    assert gap.count() == 1 and "旺家第1网格" in gap.inner_text()
    # The network: the grid drawn with the new gap's red border, the ended term dashed, with a legend.
    s.page.wait_for_function("() => window.orggraph && window.orggraph.ready", timeout=BOUND_MS)
    node = s.page.evaluate(f"orggraph.nodeSet.get('Grid:{G1}')")
    assert node["color"]["border"] == "#d62828" and node["borderWidth"] == 5
    worker = s.page.evaluate(f"orggraph.edgeSet.get().filter(e => e.from === 'Person:{pid(WORKER)}')")
    assert any(e["dashes"] is True for e in worker), worker
    legend = s.page.locator("#legend li").all_inner_texts()
    assert "新出现的短板（红框）" in legend and "调整后不再有的关系（虚线）" in legend
    s.shot("whatif-1440x900")
    # Export: the same scenario as a workbook.
    with s.page.expect_download(timeout=BOUND_MS) as dl:
        s.page.click("#export")
    wb = load_workbook(io.BytesIO(Path(dl.value.path()).read_bytes()))
    assert len(wb.sheetnames) >= 3 and "旺家第1网格" in str([list(ws.values) for ws in wb.worksheets])
    # Printed: the cards and lists, without the builder, the buttons or the drawing.
    s.page.emulate_media(media="print")
    assert s.page.locator("#builder").is_hidden() and s.page.locator("#net-box").is_hidden()
    assert s.page.locator(".card").first.is_visible() and gap.is_visible()
    s.shot("whatif-print")
    s.close()


def test_save_reopen_and_share_never_run_by_themselves(browser: Any, console: Console) -> None:  # noqa: F811 - the fixtures
    s = Page(browser, console, "analyst")
    s.open()
    s.add_end_of_worker()
    s.page.click("#save")
    s.page.fill("#save-name", "网格员调离")
    s.page.fill("#save-description", "换届前")
    s.page.click("#save-ok")
    saved = s.page.locator("#saved li", has_text="网格员调离")
    saved.wait_for(timeout=BOUND_MS)
    assert "1 项调整" in saved.inner_text() and "换届前" in saved.inner_text()
    # Reopen after clearing: the change comes back, readable, and nothing runs.
    s.page.click("#clear")
    assert s.lines() == []
    saved.locator("button.open").click()
    assert s.lines() == ["网格员丙 调离 旺家第1网格（专职网格员）"]
    assert "已打开方案「网格员调离」" in s.page.inner_text("#message")
    # Share: a link with the scenario in the fragment; opening it fills the page in and runs nothing.
    s.page.click("#share")
    link = s.page.input_value("#share-url")
    assert "#s=" in link and G1 in link.replace("%22", '"')
    other = Page(browser, console, "admin")
    other.page.goto(link)
    other.page.wait_for_selector("html[data-whatif-ready]", timeout=BOUND_MS)
    assert other.lines() == ["网格员丙 调离 旺家第1网格（专职网格员）"]
    assert "已按分享链接填好方案" in other.page.inner_text("#message")
    other.page.wait_for_timeout(500)
    assert s.runs == [] and other.runs == []
    assert other.page.locator("#answer .card").count() == 0
    # Then it runs when asked, with the opener's own rights.
    other.run()
    assert other.page.locator('.card[data-measure="fulltime_worker"].worse').count() == 1
    # Delete the saved scenario.
    saved.locator("button.del").click()
    s.page.locator("#saved li", has_text="网格员调离").wait_for(state="detached", timeout=BOUND_MS)
    other.close()
    s.close()


def test_an_error_is_shown_next_to_the_change_it_names(browser: Any, console: Console) -> None:  # noqa: F811 - the fixtures
    s = Page(browser, console, "analyst")
    s.open()
    s.add_end_of_worker()
    # A grid typed but not chosen from the list: its text is taken as a code, which names nothing.
    s.page.select_option("#op", "add")
    s.page.select_option("#kind", "SERVES")
    s.pick("who", "网格员", "网格员丙")
    s.page.fill("#target", "不存在的网格")
    s.page.click("#add")
    assert len(s.lines()) == 2
    s.expected_4xx = 1
    s.run()
    bad = s.page.locator("#changes li.bad")
    assert bad.count() == 1 and "第2项" in bad.inner_text() and "不存在的网格" in bad.inner_text()
    assert s.page.locator("#message").get_attribute("class") == "error"
    s.shot("whatif-error-1440x900")
    # Removing the bad change clears the mark; the rest runs.
    bad.locator("button.del").click()
    s.run()
    assert s.page.locator("#changes li.bad").count() == 0
    assert s.page.locator('.card[data-measure="fulltime_worker"]').count() == 1
    s.close()


def test_viewers_are_refused_and_small_screens_fit(browser: Any, console: Console) -> None:  # noqa: F811 - the fixtures
    v = Page(browser, console, "viewer")
    assert v.page.get_by_role("link", name="模拟调整").count() == 0
    resp = v.page.goto(f"{console.url}/pages/what-if")
    assert resp is not None and resp.status == 403 and "不能使用模拟调整" in v.page.inner_text("body")
    v.expected_4xx = 1
    v.close()
    s = Page(browser, console, "analyst", size=(1366, 768))
    s.open()
    s.add_end_of_worker()
    s.run()
    s.page.wait_for_function("() => window.orggraph && window.orggraph.ready", timeout=BOUND_MS)
    # Nothing spills sideways: the builder and the results fit the window.
    assert s.page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    box = s.page.locator("#builder").bounding_box()
    assert box is not None and box["width"] >= 300
    s.shot("whatif-1366x768")
    s.close()


def test_units_leaving_co_building_leave_a_community_without_it(browser: Any, console: Console) -> None:  # noqa: F811 - the fixtures
    s = Page(browser, console, "analyst")
    s.open()
    s.page.select_option("#op", "end")
    s.page.select_option("#kind", "CO_BUILDS")
    assert s.page.inner_text("#who-text") == "单位" and s.page.locator("#role-row").is_hidden()
    s.pick("who", "万山供电", "万山供电局")
    s.pick("target", "旺家", "旺家社区")
    s.page.click("#add")
    s.page.select_option("#op", "remove")
    assert s.page.locator("#target-row").is_hidden()
    s.pick("who", "丰园物业", "丰园物业公司")
    s.page.click("#add")
    assert s.lines() == ["万山供电局 退出 旺家社区 共建", "丰园物业公司 退出（整体移除）"]
    s.run()
    gap = s.page.locator("#gap-communities_without_cobuilding tr.appeared")
    assert gap.count() == 1 and "旺家社区" in gap.inner_text()
    assert "worse" in (s.page.locator('.card[data-measure="cobuilding"]').get_attribute("class") or "")
    units = s.page.locator("#people tbody tr")
    texts = units.all_inner_texts()
    assert len(texts) == 2 and any("联建共建（结对帮扶）：社区 旺家社区" in t for t in texts), texts
    assert s.page.locator("#people span.ended").count() == 2  # both terms struck through: nothing after
    s.close()


def test_a_move_shows_the_gap_that_goes_in_green(browser: Any, console: Console) -> None:  # noqa: F811
    s = Page(browser, console, "analyst")
    s.open()
    s.page.select_option("#op", "move")
    assert s.page.locator("#from-row").is_visible() and s.page.locator("#kind-row").is_hidden()
    assert s.page.input_value("#role") == "专职网格员"
    s.pick("who", "网格员", "网格员丙")
    s.pick("from", "旺家第1", "旺家第1网格")
    s.pick("to", "冲广第1", "冲广第1网格")
    s.page.click("#add")
    assert s.lines() == ["网格员丙 从 旺家第1网格 调到 冲广第1网格（专职网格员）"]
    s.run()
    rows = s.page.locator("#gap-grids_without_fulltime tbody tr")
    assert rows.count() == 2
    assert "旺家第1网格" in s.page.inner_text("#gap-grids_without_fulltime tr.appeared")
    assert "冲广第1网格" in s.page.inner_text("#gap-grids_without_fulltime tr.disappeared")
    card = s.page.locator('.card[data-measure="fulltime_worker"]')
    assert "1/2 → 1/2" in card.inner_text() and "worse" not in (card.get_attribute("class") or "")
    s.page.wait_for_function("() => window.orggraph && window.orggraph.ready", timeout=BOUND_MS)
    ringed = s.page.evaluate("Object.fromEntries(orggraph.nodeSet.get().map(n => [n.id, n.color.border]))")
    assert ringed[f"Grid:{G1}"] == "#d62828" and ringed[f"Grid:{G2}"] == "#2d936c"
    assert ringed[f"Person:{pid(WORKER)}"] == "#e9a23b"  # now the only direct contact of 冲广第1网格
    s.close()


@pytest.fixture(scope="module")
def demo(demo_store: Store, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    """The whole app over the demo district (万山区, as `orggraph demo` builds it), an analyst logged in."""
    from orggraph.api.app import create_app
    from orggraph.api.auth import LoginCodes, Role, TokenRegistry, tokens_path

    from orggraph.settings import Settings

    data_dir = tmp_path_factory.mktemp("whatif-demo")
    settings = Settings(data_dir=data_dir, pid_key=TEST_PID_KEY.decode())
    token, _ = TokenRegistry(tokens_path(data_dir)).create(Role.analyst, None, "whatif-demo")
    codes = LoginCodes()
    with serving(create_app(settings, store=demo_store, login_codes=codes)) as url:
        yield Console(url, codes, {"analyst": token}, data_dir)


def test_done_when_on_the_demo_district(browser: Any, demo: Console, demo_store: Store) -> None:
    from orggraph.queries.coverage import grid_worker_load
    from orggraph.queries.scope import today

    grid = next(g for g in grid_worker_load(demo_store, None, today()) if g["fulltime"] == 1)
    worker = grid["workers"][0]
    for size in ((1440, 900), (1366, 768)):
        s = Page(browser, demo, "analyst", size)
        s.open()
        s.page.select_option("#kind", "SERVES")
        s.page.select_option("#role", "专职网格员")
        s.page.fill("#who", "")
        s.page.type("#who", worker["name"], delay=30)
        s.page.locator(f'#who ~ ul.find-list li[data-key="{worker["pid"]}"]').dispatch_event("mousedown")
        s.page.type("#target", grid["code"], delay=10)
        s.page.locator(f'#target ~ ul.find-list li[data-key="{grid["code"]}"]').dispatch_event("mousedown")
        s.page.click("#add")
        s.run(timeout=4 * BOUND_MS)  # a copy of the whole demo graph: seconds, more on a busy machine
        card = s.page.locator('.card[data-measure="fulltime_worker"]')
        assert "worse" in (card.get_attribute("class") or "") and "变化 -1（" in card.inner_text()
        gap = s.page.locator("#gap-grids_without_fulltime tr.appeared")
        assert gap.count() == 1 and grid["code"] in gap.inner_text()
        assert s.page.locator("#sole-contacts").count() == 1
        s.page.wait_for_function("() => window.orggraph && window.orggraph.ready", timeout=BOUND_MS)
        s.shot(f"whatif-demo-{size[0]}x{size[1]}")
        s.close()
