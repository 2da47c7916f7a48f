"""The tables under a node's network: "who contacts here" (grids, communities, streets, buildings, households,
party organizations) and "what this person or unit contacts, and what that covers" (people, units).

Built on `orggraph.queries.contacts` (`contacts_of`, `reach`), with each edge's term (since / until) and the
contact's phone added here, and shown as the API shows them (`orggraph.api.routes.contacts`): a scoped viewer
sees only contacts landing inside their jurisdiction (and the regions above it); phones are masked unless the
role may see them, and absent for a role without `people`; people are linked only for roles that may open
them.
"""

from __future__ import annotations

from typing import Any, LiteralString

from orggraph.graph.cypher import statement
from orggraph.graph.schema import display_name
from orggraph.graph.store import Store
from orggraph.queries.contacts import contacts_of, reach
from orggraph.queries.policy import Access, Jurisdiction, present
from orggraph.queries.scope import RESOLVE, NodeRef
from orggraph.queries.search import where_of
from orggraph.queries.terms import any_in_force
from orggraph.viz.lists import Table
from orggraph.viz.render import Links

__all__ = ["contact_tables", "short_summary", "CONTACT_LABELS", "REACH_LABELS"]

CONTACT_LABELS = ("Street", "Community", "Grid", "Building", "Household", "PartyOrg")
REACH_LABELS = ("Person", "Unit")

# The term of each listed edge (several terms on one node: the earliest start and latest end in force) and,
# for people, the phone. Rows: {i, key, edge, at} — `at` is where the edge lands (an organization for
# secretaries and part-time members).
_TERMS: dict[str, LiteralString] = {
    "Person": statement(
        "pages.contact_terms.person",
        "UNWIND $rows AS row\nMATCH (p:Person {pid: row.key})-[r]->(t)\n"
        f"WHERE type(r) = row.edge AND t.code = row.at AND {any_in_force()}\n"
        "RETURN row.i AS i, min(r.since) AS since, max(r.until) AS until, min(r.date) AS date,\n"
        "  head(collect(p.phone)) AS phone, head(collect(p.phone_sealed)) AS phone_sealed",
        "联系关系的起止日期和联系人手机号（页面的联系人表）",
        origin=__name__,
    ),
    "Unit": statement(
        "pages.contact_terms.unit",
        "UNWIND $rows AS row\nMATCH (u:Unit {code: row.key})-[r]->(t)\n"
        f"WHERE type(r) = row.edge AND t.code = row.at AND {any_in_force()}\n"
        "RETURN row.i AS i, min(r.since) AS since, max(r.until) AS until, min(r.date) AS date,\n"
        "  null AS phone, null AS phone_sealed",
        "单位联系关系的起止日期（页面的联系人表）",
        origin=__name__,
    ),
}


def _terms(store: Store, rows: list[dict[str, Any]], day: str) -> dict[int, dict[str, Any]]:
    """{row index: {since, until, date, phone, phone_sealed, pid}} for rows {i, label, key, edge, at}."""
    out: dict[int, dict[str, Any]] = {}
    for label, q in _TERMS.items():
        mine = [{k: r[k] for k in ("i", "key", "edge", "at")} for r in rows if r["label"] == label]
        if not mine:
            continue
        for i, since, until, date, phone, sealed in store.read(q, {"rows": mine, "as_of": day}).rows:
            out[int(i)] = {
                "since": since,
                "until": until,
                "date": date,
                "phone": phone,
                "phone_sealed": sealed,
                "pid": next(r["key"] for r in mine if r["i"] == i),
            }
    return out


def _names(store: Store, keys: set[str]) -> dict[str, tuple[str, str | None]]:
    out = {}
    for k in sorted(keys):
        rows = store.read(RESOLVE, {"key": k}).rows
        if rows:
            out[k] = (rows[0][0], rows[0][1])
    return out


def _term_text(t: dict[str, Any] | None) -> tuple[str, str]:
    if not t:
        return "", ""
    since = t.get("since") or t.get("date") or ""
    return str(since or "—"), str(t.get("until") or "至今")


def _phone(t: dict[str, Any] | None, viewer: Access) -> str:
    if not t or not viewer.people:
        return ""
    shown = present({"pid": t["pid"], "phone": t.get("phone"), "phone_sealed": t.get("phone_sealed")}, viewer)
    return str(shown.get("phone") or "")


def _who_contacts(store: Store, ref: NodeRef, day: str, viewer: Access, links: Links) -> list[Table]:
    answer = contacts_of(store, ref.key, day)
    listed = answer["contacts"]
    seen = Jurisdiction(store, viewer)
    if viewer.scope is not None:
        listed = [c for c in listed if seen.sees(c["at"])]
    rows = [
        {
            "i": i,
            "label": "Person" if c["kind"] == "person" else "Unit",
            "key": c["key"],
            "edge": c["edge"],
            "at": c["org"] or c["at"],
        }
        for i, c in enumerate(listed)
    ]
    terms = _terms(store, rows, day)
    places = _names(store, {c["at"] for c in listed} | {c["org"] for c in listed if c["org"]})
    groups: dict[str, Table] = {}
    cols = ["姓名 / 单位", "直接或继承", "职务 / 备注", "开始", "结束"] + (
        ["手机号"] if viewer.people else []
    )
    for i, c in enumerate(listed):
        t = groups.get(c["role"])
        if t is None:
            t = groups[c["role"]] = Table(c["role"], cols, id=f"contacts-{len(groups)}")
        label, name = places.get(c["at"], ("", c["at"]))
        how = "直接联系" if c["direct"] else f"经{display_name(label)}「{name or c['at']}」继承"
        org_seen = not c["org"] or seen.sees(c["org"])
        if c["org"]:
            _olabel, oname = places.get(c["org"], ("", c["org"]))
            how += f"（{oname or c['org']}）" if org_seen else "（辖区外的党组织）"
        person = c["kind"] == "person"
        # As on the network pages: a role without `people` sees people only as "人员".
        name = (c["name"] or c["key"]) if (viewer.people or not person) else "人员"
        href = links.ego(c["key"]) if (not person or viewer.people) else None
        who = {"text": name, "href": href} if href else name
        since, until = _term_text(terms.get(i))
        detail = (c["detail"] or "") if org_seen else ""
        row = [who, how, detail, since, until]
        if viewer.people:
            row.append(_phone(terms.get(i), viewer) if person else "")
        t.rows.append(row)
    return list(groups.values())


def _reach(store: Store, ref: NodeRef, day: str, viewer: Access, links: Links) -> list[Table]:
    answer = reach(store, ref.key, day)
    direct = answer["direct"]
    if viewer.scope is not None:
        seen = Jurisdiction(store, viewer)
        direct = [d for d in direct if seen.inside(d["key"])]
    rows = [
        {"i": i, "label": ref.label, "key": ref.key, "edge": d["edge"], "at": d["org"] or d["key"]}
        for i, d in enumerate(direct)
    ]
    terms = _terms(store, rows, day)
    kinds = {
        "Street": "street",
        "Community": "community",
        "Grid": "grid",
        "Building": "building",
        "Household": "household",
        "Unit": "unit",
        "PartyOrg": "party_org",
    }
    where: dict[str, str] = {}
    for label in {d["label"] for d in direct}:
        where.update(where_of(store, kinds.get(label, ""), [d["key"] for d in direct if d["label"] == label]))
    t = Table(
        "联系的对象",
        ["角色", "对象", "类型", "位置（街道 / 社区）", "职务 / 备注", "开始", "结束"],
        id="reach",
    )
    for i, d in enumerate(direct):
        since, until = _term_text(terms.get(i))
        name = d["name"] or (f"户 {d['key']}" if d["label"] == "Household" else d["key"])
        t.rows.append(
            [
                d["role"],
                {"text": name, "href": links.ego(d["key"])},
                display_name(d["label"]),
                where.get(d["key"], ""),
                d["detail"] or "",
                since,
                until,
            ]
        )
    covers = answer["covers"]
    if len(direct) != len(answer["direct"]):
        from orggraph.api.routes.contacts import _covers_within  # the API's own count of what is left

        covers = _covers_within(store, direct)
    c = Table("覆盖范围", ["网格", "楼栋", "户", "居民"], id="covers")
    c.rows.append([f"{covers[k]['count']:,}" for k in ("grids", "buildings", "households", "residents")])
    return [t, c]


def contact_tables(store: Store, ref: NodeRef, day: str, viewer: Access, links: Links) -> list[Table]:
    """The tables a node's page shows under its network (none for a label that has neither)."""
    if ref.label in CONTACT_LABELS:
        return _who_contacts(store, ref, day, viewer, links)
    if ref.label in REACH_LABELS and (ref.label != "Person" or viewer.people):
        return _reach(store, ref, day, viewer, links)
    return []


def short_summary(tables: list[Table], label: str) -> str:
    """The click panel's one line: counts per role (who contacts here) or what is contacted and covered."""
    if label in REACH_LABELS:
        reach_t = next((t for t in tables if t.id == "reach"), None)
        cov = next((t for t in tables if t.id == "covers"), None)
        parts = [f"联系 {len(reach_t.rows)} 个对象" if reach_t else ""]
        if cov and cov.rows:
            g, b, h, r = cov.rows[0]
            parts.append(f"覆盖 {g} 个网格、{b} 个楼栋、{h} 户、{r} 名居民")
        return "，".join(p for p in parts if p)
    return "、".join(f"{t.title} {len(t.rows)}" for t in tables) or "没有在期的联系人"
