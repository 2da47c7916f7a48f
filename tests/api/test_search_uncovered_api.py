"""/api/search and /api/gaps/uncovered on both stores: what is found by name, 拼音首字母 and code, as each
role and jurisdiction may see it; and every coverage measure's uncovered list adds up to total − covered."""

from __future__ import annotations

import pytest
from fixtures.small_district import AS_OF, BEFORE, C11, C12, D1, EXPECTED_COVERAGE, G111, G212, S1, S2, pid
from orggraph.queries.uncovered import uncovered_measures

MEASURE_IDS = [m.id for m in uncovered_measures()]


@pytest.fixture
def sd(small_district, make_api):
    return make_api(small_district)


def _pick(cov: dict, mid: str) -> dict:
    head, _, sub = mid.partition(".")
    return cov[head][sub] if sub else cov[head]


def assert_in_order(items: list[dict], scope: str | None) -> None:
    """By code; grids, buildings and households above a community: community after community (each once), by
    code within each."""
    keys = [it["key"] for it in items]
    if not items or items[0]["kind"] not in ("grid", "building", "household") or scope in (C11, C12):
        assert keys == sorted(keys)
        return
    blocks: dict[str, list[str]] = {}
    for it in items:
        assert it["where"] not in blocks or list(blocks)[-1] == it["where"], "a community listed twice"
        blocks.setdefault(it["where"], []).append(it["key"])
    assert all(b == sorted(b) for b in blocks.values()), blocks


# ------------------------------------------------------------------------------------------- uncovered
def test_every_measure_but_fulltime_share_has_a_list() -> None:
    assert set(MEASURE_IDS) == {
        "cobuilding",
        "contact_points.Street",
        "contact_points.Community",
        "contact_points.Grid",
        "grid_party_org",
        "building_heads",
        "household_links",
    }


@pytest.mark.parametrize(("scope", "as_of"), sorted(EXPECTED_COVERAGE, key=str))
def test_uncovered_adds_up_to_every_measure(sd, scope: str | None, as_of: str) -> None:
    base = {"as_of": as_of, **({"scope": scope} if scope else {})}
    cov = sd.get("/api/coverage", params=base).json()
    for mid in MEASURE_IDS:
        m = _pick(cov, mid)
        r = sd.get("/api/gaps/uncovered", params={**base, "measure": mid})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["total"] == m["total"] - m["covered"], (mid, scope, as_of)
        keys = [it["key"] for it in body["items"]]
        assert len(keys) == body["total"] == len(set(keys)), (mid, scope, as_of)
        assert_in_order(body["items"], scope)
        assert all(it["why"] and it["kind"] for it in body["items"])


def test_uncovered_is_paged_and_explains(sd) -> None:
    r = sd.get("/api/gaps/uncovered", params={"measure": "household_links", "as_of": AS_OF}).json()
    assert r["total"] >= 3
    first = sd.get(
        "/api/gaps/uncovered", params={"measure": "household_links", "as_of": AS_OF, "limit": 2}
    ).json()
    rest = sd.get(
        "/api/gaps/uncovered", params={"measure": "household_links", "as_of": AS_OF, "offset": 2}
    ).json()
    assert first["total"] == rest["total"] == r["total"]
    assert [i["key"] for i in first["items"] + rest["items"]] == [i["key"] for i in r["items"]]
    grids = sd.get("/api/gaps/uncovered", params={"measure": "contact_points.Grid", "as_of": AS_OF}).json()[
        "items"
    ]
    g = next(i for i in grids if i["key"] == G212)  # the 专属网格 with nobody
    assert g == {
        "kind": "grid",
        "key": G212,
        "name": "工业园专属网格",
        "where": "仁山街道 / 冲广坪社区",
        "why": "没有在期的联系领导",
    }


@pytest.mark.parametrize("limit", [1, 2, 3])
def test_pages_of_every_list_join_into_the_whole_list(sd, limit: int) -> None:
    """Above a street the lists are read street by street: pages that straddle two streets lose nothing and
    repeat nothing, for the whole graph and for a district."""
    for scope in (None, D1):
        base = {"as_of": AS_OF, **({"scope": scope} if scope else {})}
        for mid in MEASURE_IDS:
            whole = sd.get("/api/gaps/uncovered", params={**base, "measure": mid}).json()
            paged: list[str] = []
            for offset in range(0, whole["total"] + limit, limit):
                got = sd.get(
                    "/api/gaps/uncovered", params={**base, "measure": mid, "offset": offset, "limit": limit}
                ).json()
                assert got["total"] == whole["total"]
                assert len(got["items"]) == max(0, min(limit, whole["total"] - offset)), (mid, scope, offset)
                paged += [i["key"] for i in got["items"]]
            assert paged == [i["key"] for i in whole["items"]], (mid, scope)


def test_uncovered_differs_by_day(sd) -> None:
    for as_of in (AS_OF, BEFORE):
        cov = sd.get("/api/coverage", params={"as_of": as_of}).json()["cobuilding"]
        got = sd.get("/api/gaps/uncovered", params={"measure": "cobuilding", "as_of": as_of}).json()
        assert got["total"] == cov["total"] - cov["covered"]


def test_uncovered_refuses_what_it_cannot_answer(sd) -> None:
    r = sd.get("/api/gaps/uncovered", params={"measure": "fulltime_share"})
    assert r.status_code == 422 and "专职网格员占比" in r.json()["detail"]
    r = sd.get("/api/gaps/uncovered", params={"measure": "nonsense"})
    assert r.status_code == 422 and "cobuilding" in r.json()["detail"]
    assert sd.get("/api/gaps/uncovered").status_code == 422
    r = sd.get("/api/gaps/uncovered", params={"measure": "cobuilding", "scope": S2}, role="street", scope=S1)
    assert r.status_code == 403
    r = sd.get("/api/gaps/uncovered", params={"measure": "cobuilding"}, role="street", scope=S1).json()
    assert r["scope"] == S1 and [i["key"] for i in r["items"]] == [C12]


# ---------------------------------------------------------------------------------------------- search
def _search(sd, q: str, **kw) -> list[dict]:
    r = sd.get("/api/search", params={"q": q, **kw.pop("params", {})}, **kw)
    assert r.status_code == 200, r.text
    return r.json()["results"]


def test_search_finds_by_name_initials_and_code(sd) -> None:
    hits = _search(sd, "龙门")
    kinds = {(h["kind"], h["key"]) for h in hits}
    assert ("community", C11) in kinds and ("grid", G111) in kinds and ("building", "B1111") in kinds
    assert ("party_org", "PG111") in kinds
    assert hits[0]["kind"] == "community"  # regions before what lies in them
    lm = next(h for h in hits if h["key"] == G111)
    assert lm == {"kind": "grid", "key": G111, "name": "龙门一网格", "where": "谢桥街道 / 龙门社区"}
    # 拼音首字母: 张秀英 -> zxy; 谢桥街道 -> xqjd
    assert [h["key"] for h in _search(sd, "zxy")] == [pid("R1")]
    assert _search(sd, "ZXY")[0]["key"] == pid("R1")
    assert [(h["kind"], h["key"]) for h in _search(sd, "xqjd")] == [("street", S1)]
    assert [h["key"] for h in _search(sd, G111)] == [G111]
    person = _search(sd, "张秀英")[0]
    assert person["kind"] == "person" and person["where"] == "谢桥街道 / 龙门社区"
    assert _search(sd, "梁军")[0]["where"].startswith("谢桥街道")  # lives nowhere: where he serves
    assert _search(sd, "不存在的名字") == []
    assert _search(sd, "   ") == []


def test_search_respects_role_and_jurisdiction(sd) -> None:
    assert all(h["kind"] != "person" for h in _search(sd, "张", role="viewer"))
    assert _search(sd, "zxy", role="viewer") == []
    assert _search(sd, "张秀英", role="analyst")[0]["key"] == pid("R1")
    # 冲广坪 lies in 仁山街道: a 谢桥街道 token finds none of it, nor its people
    assert _search(sd, "冲广坪", role="street", scope=S1) == []
    assert _search(sd, "吴刚", role="street", scope=S1) == []
    assert _search(sd, "吴刚", role="street", scope=S2)[0]["key"] == pid("R10")
    found = {h["key"] for h in _search(sd, "龙门", role="community", scope=C11)}
    assert C11 in found and G111 in found
    assert {h["key"] for h in _search(sd, "梅花", role="community", scope=C11)} == set()


def test_search_limits_and_refuses_bad_input(sd) -> None:
    assert len(_search(sd, "龙", params={"limit": 2})) == 2
    assert sd.get("/api/search", params={"q": "x", "limit": 0}).status_code == 422
    assert sd.get("/api/search", params={"q": "x" * 51}).status_code == 422
    assert sd.get("/api/search", params={"q": "龙"}, role=None).status_code == 401
