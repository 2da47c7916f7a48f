"""Saved what-if scenarios (`/api/scenarios`, the page 模拟调整) on both stores: owned by the token name,
admin sees all, 409 on a taken name, ID and phone numbers refused, jurisdiction of the scope, viewers
refused, every request audited; and the page itself, its menu entry and its network drawn from an answer."""

from __future__ import annotations

from api_city import C11, G111, G121, ID_A, PHONE_A, PID_A, S1, S2
from orggraph.api.scenario_store import ScenarioStore

END = {"op": "end", "person": PID_A, "target": G111, "role": "专职网格员", "date": "2026-12-01"}
BODY = {
    "name": "换届前检查",
    "description": "网格员调离的影响",
    "scope": S1,
    "as_of": "2026-12-03",
    "changes": [END, {"op": "remove", "unit": "91520603MA0000001X"}],
    "names": {PID_A: "甲", G111: "第1网格"},
}


def test_a_scenario_is_saved_listed_read_and_deleted_by_its_owner(api) -> None:
    r = api.post("/api/scenarios", BODY, role="analyst")
    assert r.status_code == 201, r.text
    saved = r.json()
    assert saved["owner"] and saved["created"] and saved["changes"] == BODY["changes"]
    assert saved["names"] == BODY["names"] and saved["scope"] == S1 and saved["as_of"] == "2026-12-03"
    again = api.post("/api/scenarios", BODY, role="analyst")
    assert again.status_code == 409 and "已有名为「换届前检查」的方案" in again.json()["detail"]
    listed = api.get("/api/scenarios", role="analyst").json()["scenarios"]
    assert [s["name"] for s in listed] == ["换届前检查"]
    one = api.get("/api/scenarios/换届前检查", role="analyst")
    assert one.status_code == 200 and one.json()["changes"][0] == END
    # On disk, under the data dir, as the console's saved queries are.
    assert ScenarioStore.of(api.settings.data_dir).get(saved["owner"], "换届前检查") is not None
    h = api.as_("analyst")
    assert api.client.delete("/api/scenarios/换届前检查", headers=h).status_code == 204
    gone = api.get("/api/scenarios/换届前检查", role="analyst")
    assert gone.status_code == 404 and "没有名为「换届前检查」的方案" in gone.json()["detail"]
    assert api.client.delete("/api/scenarios/换届前检查", headers=h).status_code == 404


def test_other_tokens_see_their_own_and_admin_sees_all(api) -> None:
    assert api.post("/api/scenarios", BODY, role="analyst").status_code == 201
    street = {**BODY, "scope": None, "name": "街道方案"}
    r = api.post("/api/scenarios", street, role="street", scope=S1)
    assert r.status_code == 201, r.text
    owner = api.get("/api/scenarios", role="analyst").json()["scenarios"][0]["owner"]
    assert [s["name"] for s in api.get("/api/scenarios", role="street", scope=S1).json()["scenarios"]] == [
        "街道方案"
    ]
    every = api.get("/api/scenarios", role="admin").json()["scenarios"]
    assert {s["name"] for s in every} == {"换届前检查", "街道方案"}
    # Someone else's by owner: admin only.
    assert api.get(f"/api/scenarios/换届前检查?owner={owner}", role="admin").status_code == 200
    refused = api.get(f"/api/scenarios/换届前检查?owner={owner}", role="street", scope=S1)
    assert refused.status_code == 403 and "只有管理员" in refused.json()["detail"]
    h = api.as_("admin")
    assert api.client.delete(f"/api/scenarios/换届前检查?owner={owner}", headers=h).status_code == 204
    assert api.get("/api/scenarios", role="analyst").json() == {"scenarios": []}


def test_bad_scenarios_are_refused_with_a_chinese_reason(api) -> None:
    cases = [
        ({**BODY, "description": f"联系 {PHONE_A}"}, 422, "身份证号或手机号"),
        ({**BODY, "names": {ID_A: "甲"}}, 422, "身份证号或手机号"),
        ({**BODY, "changes": [{**END, "person": ID_A}]}, 422, "身份证号或手机号"),
        ({**BODY, "changes": [END, {"op": "swap"}]}, 422, "第2项"),
        ({**BODY, "as_of": "2026-02-30"}, 422, "2026-02-30"),
        ({**BODY, "changes": []}, 422, None),
        ({**BODY, "name": "   "}, 422, "名称"),
    ]
    for body, status, words in cases:
        r = api.post("/api/scenarios", body, role="analyst")
        assert r.status_code == status, (body, r.text)
        if words:
            assert words in r.json()["detail"], r.text
    assert api.get("/api/scenarios", role="analyst").json() == {"scenarios": []}


def test_roles_and_jurisdiction(api) -> None:
    viewer = api.get("/api/scenarios", role="viewer")
    assert viewer.status_code == 403
    assert api.post("/api/scenarios", BODY, role="viewer").status_code == 403
    # A street token saves only a scope inside its own street.
    outside = api.post("/api/scenarios", {**BODY, "scope": S2}, role="street", scope=S1)
    assert outside.status_code == 403, outside.text
    inside = api.post("/api/scenarios", {**BODY, "scope": C11}, role="street", scope=S1)
    assert inside.status_code == 201 and inside.json()["scope"] == C11
    assert api.get("/api/scenarios", role=None).status_code == 401


def test_every_request_is_audited(api) -> None:
    api.post("/api/scenarios", BODY, role="analyst")
    api.get("/api/scenarios", role="analyst")
    lines = [(e["method"], e["route"], e["status"]) for e in api.audit()]
    assert ("POST", "/api/scenarios", 201) in lines and ("GET", "/api/scenarios", 200) in lines


def test_the_page_is_in_the_menu_of_those_who_may_run_scenarios(api) -> None:
    page = api.get("/pages/what-if", role="analyst")
    assert page.status_code == 200 and "模拟调整" in page.text and "what-if.js" in page.text
    assert 'href="/pages/what-if"' in api.get("/pages/overview", role="street", scope=S1).text
    assert 'href="/pages/what-if"' not in api.get("/pages/overview", role="viewer").text
    refused = api.get("/pages/what-if", role="viewer")
    assert refused.status_code == 403 and "不能使用模拟调整" in refused.text
    src = next(p.split('"')[0] for p in page.text.split('src="') if p.startswith("/pages/static/what-if.js"))
    script = api.client.get(src)
    assert script.status_code == 200 and "orggraphWhatIf" in script.text


def test_the_network_shows_an_answers_people_and_new_gaps(api) -> None:
    answer = {
        "people": [
            {
                "kind": "person",
                "key": PID_A,
                "name": "甲",
                "before": [{"relationship": "SERVES", "role": "专职网格员", "code": G111, "name": "第1网格"}],
                "after": [{"relationship": "SERVES", "role": "专职网格员", "code": G121, "name": "第2网格"}],
            }
        ],
        "gaps": [
            {
                "list": "grids_without_fulltime",
                "label": "无专职网格员的网格",
                "appeared": [
                    {"kind": "grid", "key": G111, "name": "第1网格", "where": "仁山街道", "why": "无"}
                ],
                "disappeared": [],
            }
        ],
        "sole_contacts": {"appeared": [], "disappeared": []},
    }
    r = api.post("/pages/what-if/graph", answer, role="analyst")
    assert r.status_code == 200, r.text
    g = r.json()
    nodes = {n["id"]: n for n in g["data"]["nodes"]}
    assert set(nodes) == {f"Person:{PID_A}", f"Grid:{G111}", f"Grid:{G121}"}
    assert nodes[f"Grid:{G111}"]["color"]["border"] == "#d62828" and nodes[f"Grid:{G111}"]["borderWidth"] == 5
    assert nodes[f"Grid:{G121}"].get("borderWidth") != 5
    edges = {e["to"]: e for e in g["data"]["edges"]}
    assert edges[f"Grid:{G111}"]["dashes"] is True and edges[f"Grid:{G121}"]["color"] == "#2d936c"
    texts = [i["text"] for i in g["legend"]]
    assert "新出现的短板（红框）" in texts and "调整后不再有的关系（虚线）" in texts
    assert api.post("/pages/what-if/graph", answer, role="viewer").status_code == 403
    junk = api.post("/pages/what-if/graph", {"people": [{"key": 3, "before": [1, None]}], "gaps": [{}]})
    assert junk.status_code == 200 and junk.json()["counts"]["nodes"] == 1
    # What the page left out of a long answer (to keep the request small) is said on the drawing.
    cut = api.post("/pages/what-if/graph", {**answer, "omitted": 1200}, role="analyst").json()
    assert cut["counts"]["nodes"] == 3 and "另有约 1,200 个未画出" in cut["notes"][0]


def test_a_street_token_picks_scopes_inside_its_street_only(api) -> None:
    import json

    page = api.get("/pages/what-if", role="street", scope=S1).text
    config = json.loads(page.split('id="whatif-config">')[1].split("</script>")[0])
    codes = [o["code"] for o in config["scopes"]]
    assert codes[0] == S1 and S2 not in codes and all(c.startswith(S1) for c in codes)
    assert config["everything"] is False and config["own_scope"] == S1
    assert config["kinds"][0]["values"][1] == "专职网格员"  # the loader's own 岗位 list
