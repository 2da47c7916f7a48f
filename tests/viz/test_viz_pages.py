"""The page builders' HTML: offline by construction, masked by role, scoped by jurisdiction, safe against odd names; the CLI export and the routes."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from orggraph.graph.schema import display_name
from orggraph.graph.store import Store
from orggraph.loaders.idcodes import mask_phone
from orggraph.loaders.phones import phone_seal
from orggraph.queries.network import GNode, Graph
from orggraph.queries.policy import Access
from orggraph.queries.scope import ScopeError
from orggraph.viz.pages import NodeStyle, build_cobuilding, build_ego, build_org_tree, build_path
from orggraph.viz.render import VIS_FILE, Links, base_options, render, vis_network
from orggraph.viz.routes import pages_router, static_router
from support.stores import point_env_at
from support.viz_district import (  # tests/support/viz_district.py
    C1,
    C2,
    G1,
    PHONE,
    SECRETARY,
    STREET,
    TEST_PID_KEY,
    U1,
    pid,
    small_district,
)

AS_OF = "2025-06-30"
_DATA = re.compile(r'<script type="application/json" id="graph-data">(.*?)</script>', re.S)


def graph_data(html: str) -> dict[str, Any]:
    m = _DATA.search(html)
    assert m, "page has no graph data"
    return json.loads(m.group(1))


def external_refs(html: str) -> list[str]:
    """src/href attributes that would make the browser fetch from another host."""
    return [
        u for u in re.findall(r'(?:src|href)\s*=\s*"([^"]*)"', html) if re.match(r"^(?:[a-z]+:)?//", u, re.I)
    ]


def all_ids() -> list[str]:
    return [r["身份证号"] for r in small_district()["人员"]]


# ---------------------------------------------------------------------------------------------- offline
def test_served_page_loads_vis_network_from_the_app_and_nothing_else(district: Store) -> None:
    html = build_ego(district, C1, as_of=AS_OF, links=Links(base=""))
    assert f'src="/pages/static/{VIS_FILE}?v=' in html
    assert external_refs(html) == []
    assert "<link" not in html  # no stylesheet from anywhere: styles are inline


def test_exported_page_inlines_vis_network_and_fetches_nothing(district: Store) -> None:
    html = build_ego(district, C1, as_of=AS_OF, links=Links(base=None), inline_assets=True)
    assert "<script src" not in html and "<link" not in html
    assert "vis.Network" in html or "Network=" in html  # the library itself is in the file
    assert len(html) > 500_000
    assert external_refs(html) == []
    assert "/pages/ego/" not in re.sub(r"<script>.*?</script>", "", html, flags=re.S)  # no links to a server


# --------------------------------------------------------------------------------------- content, masking
def test_ego_page_has_chinese_legend_and_every_node(district: Store) -> None:
    html = build_ego(district, C1, as_of=AS_OF)
    data = graph_data(html)
    ids = {n["id"] for n in data["nodes"]}
    assert f"Community:{C1}" in ids and f"Unit:{U1}" in ids
    for label in ("Community", "Unit", "Person", "PartyOrg", "Street"):
        assert f"</span>{display_name(label)}</li>" in html
    assert "旺家社区 的关系图" in html
    center = next(n for n in data["nodes"] if n["id"] == f"Community:{C1}")
    assert center["info"]["links"][0]["href"] == f"/pages/ego/{C1}?depth=1&as_of={AS_OF}"


ADMIN = Access.of("admin", None, phone_seal(TEST_PID_KEY))


def test_phone_is_masked_unless_admin_and_no_raw_id_anywhere(district: Store) -> None:
    viewer = build_ego(district, pid(SECRETARY), as_of=AS_OF, viewer=Access.of("analyst"))
    admin = build_ego(district, pid(SECRETARY), as_of=AS_OF, viewer=ADMIN)
    assert mask_phone(PHONE) in viewer and PHONE not in viewer
    assert PHONE in admin
    pages = [
        viewer,
        admin,
        build_ego(district, C1, depth=2, as_of=AS_OF, viewer=ADMIN),
        build_org_tree(district, STREET, as_of=AS_OF, viewer=ADMIN),
    ]
    for html in pages:
        for id18 in all_ids():
            assert id18 not in html


def test_group_nodes_say_how_many(district: Store) -> None:
    html = build_ego(district, C1, as_of=AS_OF, cap=10)
    labels = [n["label"] for n in graph_data(html)["nodes"]]
    grouped = [lb for lb in labels if lb.startswith("+")]
    assert grouped and any(lb.endswith(" 报到党员") for lb in grouped)
    assert len(labels) <= 10


def test_cobuilding_page_marks_communities_without_partners(district: Store) -> None:
    data = graph_data(build_cobuilding(district, STREET, as_of=AS_OF))
    by_id = {n["id"]: n for n in data["nodes"]}
    assert "无共建单位" in by_id[f"Community:{C2}"]["label"]
    assert "无共建单位" not in by_id[f"Community:{C1}"]["label"]
    assert by_id[f"Unit:{U1}"]["color"]["background"] != by_id[f"Community:{C1}"]["color"]["background"]


def test_cobuilding_page_past_the_cap_draws_streets_and_unit_kinds(district: Store) -> None:
    data = graph_data(build_cobuilding(district, None, as_of=AS_OF, cap=3, links=Links(base="")))
    by_id = {n["id"]: n for n in data["nodes"]}
    street = by_id[f"Street:{STREET}"]
    assert "1/2" in street["label"]  # one of its two communities has a partner
    assert f"/pages/cobuilding?scope={STREET}" in [lk.get("href") for lk in street["info"]["links"]]
    assert {n["id"] for n in data["nodes"] if n["id"].startswith("kind:")} == {
        "kind:国有企业",
        "kind:民营企业",
    }
    assert all("家" in e["title"] for e in data["edges"])  # how many units, on hover and as the edge's width


def test_org_tree_page_is_a_tree_not_a_canvas(district: Store) -> None:
    html = build_org_tree(district, STREET, as_of=AS_OF)
    assert 'id="graph-data"' not in html and '<ul class="tree" id="tree">' in html  # readable at any size


def test_names_cannot_break_out_of_the_page() -> None:
    evil = "</script><script>alert(1)</script><!--"
    g = Graph()
    g.add(GNode("Unit:X", "Unit", "X", {"code": "X", "name": evil}))
    net = vis_network(g, viewer=None, links=Links(), style=NodeStyle(Links(), g), options=base_options(False))
    html = render("graph.html", title=evil, links=Links(), inline_assets=False, as_of=AS_OF, net=net)
    assert "<script>alert(1)" not in html
    assert graph_data(html)["nodes"][0]["info"]["title"] == evil  # the data survives, as text


# -------------------------------------------------------------------------------------------- jurisdiction
def test_viewer_confined_to_a_community_cannot_open_another(district: Store) -> None:
    with pytest.raises(ScopeError) as e:
        build_cobuilding(district, C1, viewer=Access.of("viewer", C2))
    assert e.value.status == 403
    with pytest.raises(ScopeError) as e:
        build_ego(district, f"{G1}", viewer=Access.of("viewer", C2))
    assert e.value.status == 404 and "管辖" not in str(e.value)  # as if it did not exist
    # without a scope the page shows the viewer's own
    data = graph_data(build_cobuilding(district, None, viewer=Access.of("viewer", C1), as_of=AS_OF))
    assert {n["id"] for n in data["nodes"] if n["id"].startswith("Community:")} == {f"Community:{C1}"}


def test_path_page_without_keys_offers_a_form(district: Store) -> None:
    html = build_path(district, None, None, links=Links(base=""))
    assert 'name="from"' in html and 'name="to"' in html
    with pytest.raises(ScopeError):
        build_path(district, None, None, links=Links(base=None))


# ------------------------------------------------------------------------------------------------- CLI
def test_cli_writes_a_standalone_file(
    district: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, falkor_data_dir: Path
) -> None:
    from orggraph.api.cli import main

    from orggraph.settings import get_settings

    point_env_at(district, monkeypatch, falkor_data_dir)
    try:
        out = tmp_path / "ego.html"
        assert main(["viz", "ego", "--key", C1, "--depth", "2", "--as-of", AS_OF, "--out", str(out)]) == 0
        html = out.read_text(encoding="utf-8")
        assert "<script src" not in html and f"Community:{C1}" in html
        assert main(["viz", "org-tree", "--scope", STREET, "--out", str(tmp_path / "t.html")]) == 0
        assert main(["viz", "ego", "--out", str(tmp_path / "x.html")]) == 2  # no --key
        assert main(["viz", "cobuilding", "--scope", "nope", "--out", str(tmp_path / "y.html")]) == 2
        assert not (tmp_path / "y.html").exists()
    finally:
        get_settings.cache_clear()


def test_cli_pages_follow_the_role(
    district: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, falkor_data_dir: Path
) -> None:
    """--role viewer (the default) names nobody by pid; analyst masks the phone; admin opens the sealed one with
    the deployment's ORGGRAPH_PID_KEY (another key opens nothing, and the page stays masked)."""
    from orggraph.api.cli import main

    from orggraph.settings import get_settings

    point_env_at(district, monkeypatch, falkor_data_dir)
    monkeypatch.setenv("ORGGRAPH_PID_KEY", TEST_PID_KEY.decode())
    get_settings.cache_clear()
    key = ["viz", "ego", "--key", pid(SECRETARY), "--as-of", AS_OF]
    try:
        assert main([*key, "--out", str(tmp_path / "v.html")]) == 2 and not (tmp_path / "v.html").exists()
        assert main([*key, "--role", "analyst", "--out", str(tmp_path / "a.html")]) == 0
        analyst = (tmp_path / "a.html").read_text(encoding="utf-8")
        assert mask_phone(PHONE) in analyst and PHONE not in analyst
        assert main([*key, "--role", "admin", "--out", str(tmp_path / "ad.html")]) == 0
        assert PHONE in (tmp_path / "ad.html").read_text(encoding="utf-8")
        monkeypatch.setenv("ORGGRAPH_PID_KEY", "another-deployment-key")
        get_settings.cache_clear()
        assert main([*key, "--role", "admin", "--out", str(tmp_path / "other.html")]) == 0
        assert PHONE not in (tmp_path / "other.html").read_text(encoding="utf-8")
    finally:
        get_settings.cache_clear()


# ----------------------------------------------------------------------------------------------- routes
def _client(store: Store, user: dict[str, Any]) -> TestClient:
    app = FastAPI()
    app.include_router(static_router())
    app.include_router(pages_router(lambda: store, lambda: user))
    return TestClient(app)


def test_routes_serve_pages_and_errors_as_html(district: Store) -> None:
    c = _client(district, {"role": "viewer", "scope": None})
    r = c.get(f"/pages/ego/{C1}", params={"depth": 2, "as_of": AS_OF})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert f"Community:{C1}" in r.text
    assert c.get(f"/pages/cobuilding?scope={STREET}").status_code == 200
    assert c.get(f"/pages/org-tree?scope={STREET}").status_code == 200
    assert c.get("/pages/path").status_code == 200
    missing = c.get("/pages/ego/nope")
    assert missing.status_code == 404 and "找不到" in missing.text
    assert c.get(f"/pages/cobuilding?scope={U1}").status_code == 422
    assert c.get(f"/pages/ego/{C1}?as_of=2025-13-01").status_code == 422
    assert c.get(f"/pages/ego/{C1}?depth=3").status_code == 422


def test_routes_respect_the_viewers_scope(district: Store) -> None:
    c = _client(district, {"role": "viewer", "scope": C2})
    assert c.get(f"/pages/cobuilding?scope={C1}").status_code == 403  # a region: public, named
    assert c.get(f"/pages/ego/{C1}").status_code == 404  # a key outside: as if it did not exist


def test_vis_network_is_served_cached(district: Store) -> None:
    c = _client(district, {"role": "viewer", "scope": None})
    r = c.get(f"/pages/static/{VIS_FILE}")
    assert r.status_code == 200
    assert "javascript" in r.headers["content-type"]
    assert "max-age=31536000" in r.headers["cache-control"]
    assert r.content.startswith(b"/**\n * vis-network")
    assert b"sourceMappingURL" not in r.content


def test_a_scoped_viewer_sees_outside_nodes_only_as_their_kind(district: Store) -> None:
    """Two steps from C2 lie its street (above C2: shown), the street's other community C1 and the street's party
    committee (outside C2): for a C2 viewer those are anonymous steps, and nothing of them reaches the page."""
    html = build_ego(district, C2, depth=2, as_of=AS_OF, viewer=Access.of("viewer", C2))
    data = graph_data(html)
    ids = {n["id"] for n in data["nodes"]}
    assert f"Street:{STREET}" in ids
    assert f"Community:{C1}" not in html and "旺家社区" not in html and "仁山街道工作委员会" not in html
    hidden = [n for n in data["nodes"] if n["id"].startswith("hidden:")]
    assert len(hidden) == 2 and all(n["info"]["key"] is None and n["info"]["links"] == [] for n in hidden)
    assert "管辖范围" in html
    # a viewer of the whole street sees them
    street_viewer = Access.of("viewer", STREET)
    whole = {
        n["id"]
        for n in graph_data(build_ego(district, C2, depth=2, as_of=AS_OF, viewer=street_viewer))["nodes"]
    }
    assert f"Community:{C1}" in whole and "PartyOrg:D520603001" in whole
