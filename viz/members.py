"""The page behind a counted group node ("+47 户"): the anchor's neighbours of one kind, paged, as a table.

One statement per (anchor label, relationship, direction, member label) the schema allows: members by key,
with the relationship's term; only relationships in force on the day (those without terms always are).
"""

from __future__ import annotations

from typing import LiteralString

from orggraph.graph.cypher import statement, trusted
from orggraph.graph.schema import NODES, RELS, display_name
from orggraph.graph.store import Store
from orggraph.queries.network import group_noun, unnamed
from orggraph.queries.policy import Access, Jurisdiction
from orggraph.queries.scope import ScopeError, check_as_of
from orggraph.queries.search import where_of
from orggraph.queries.terms import REGION_LEVELS, any_in_force
from orggraph.viz.access import check_node_access, viewer_or_default
from orggraph.viz.lists import Table, page_links
from orggraph.viz.pickers import pickers
from orggraph.viz.render import Links, render

__all__ = ["MEMBERS", "MEMBER_PAGE", "build_members", "members_href"]

MEMBER_PAGE = 100
_KIND = {
    "Street": "street",
    "Community": "community",
    "Grid": "grid",
    "Building": "building",
    "Household": "household",
    "Unit": "unit",
    "PartyOrg": "party_org",
    "Person": "person",
}


def _pairs() -> list[tuple[str, str, str]]:
    out = []
    for t, r in RELS.items():
        for s in r.start:
            for e in r.end:
                if t == "PART_OF" and REGION_LEVELS.index(s) != REGION_LEVELS.index(e) + 1:
                    continue  # PART_OF goes one level up only
                out.append((s, t, e))
    return out


# (anchor label, rel, "in"|"out", member label) -> statement: total and one page of (key, name, since, until)
MEMBERS: dict[tuple[str, str, str, str], LiteralString] = {}
for _s, _t, _e in _pairs():
    for _dir, _anchor, _member in (("out", _s, _e), ("in", _e, _s)):
        _ak, _mk = NODES[_anchor].key, NODES[_member].key
        _arrow = f"-[r:{_t}]->" if _dir == "out" else f"<-[r:{_t}]-"
        MEMBERS[(_anchor, _t, _dir, _member)] = statement(
            f"pages.members.{_anchor}.{_t}.{_dir}.{_member}",
            # Labels, types and keys come from the schema, never from input.
            trusted(
                f"MATCH (a:{_anchor} {{{_ak}: $key}}){_arrow}(m:{_member}) WHERE {any_in_force()}\n"
                f"WITH m, min(r.since) AS since, max(r.until) AS until ORDER BY m.{_mk}\n"
                f"WITH collect([m.{_mk}, m.name, since, until]) AS ms\n"
                "RETURN size(ms) AS total, ms[$offset..$offset + $limit] AS page"
            ),
            f"{NODES[_anchor].zh}的{RELS[_t].zh}{NODES[_member].zh}（合并节点的完整名单，分页）",
            origin=__name__,
        )


def members_href(links: Links, anchor_key: str, via: str | None) -> str | None:
    """Where a group node links: its member list (via = "REL:in|out:Label", as queries.network sets it)."""
    if not via:
        return None
    rel, _, rest = via.partition(":")
    direction, _, label = rest.partition(":")
    return links.href("/pages/members", of=anchor_key, rel=rel, dir=direction, label=label)


def build_members(
    store: Store,
    key: str,
    rel: str,
    direction: str,
    label: str,
    *,
    offset: int = 0,
    as_of: str | None = None,
    viewer: Access | None = None,
    links: Links | None = None,
    inline_assets: bool = False,
) -> str:
    day = check_as_of(as_of)
    links = links if links is not None else Links(as_of=as_of)
    who = viewer_or_default(viewer)
    ref = check_node_access(store, key, viewer)
    q = MEMBERS.get((ref.label, rel, direction, label))
    if q is None:
        raise ScopeError(
            f"{display_name(ref.label)}「{ref.name or key}」没有“{rel}”这类关系的名单："
            "请从关系图的合并节点进入。",
            422,
        )
    if label == "Person" and not who.people:
        raise ScopeError(f"您的角色（{who.role_zh}）不查看具体人员，只能看到人数。", 403)
    rows = store.read(q, {"key": ref.key, "as_of": day, "offset": offset, "limit": MEMBER_PAGE}).rows
    total, page = (int(rows[0][0] or 0), rows[0][1] or []) if rows else (0, [])
    noun = group_noun(rel, label, direction == "out")
    seen = Jurisdiction(store, who)
    page = [m for m in page if seen.sees(str(m[0]))] if who.scope else page
    where = where_of(store, _KIND.get(label, ""), [str(m[0]) for m in page])
    t = Table(
        f"{ref.name or key} 的{noun}",
        ["名称", "位置（街道 / 社区）", "开始", "结束"],
        id="members",
        total=total,
    )
    for k, name, since, until in page:
        text = name or unnamed(label, str(k))
        t.rows.append(
            [{"text": text, "href": links.ego(str(k))}, where.get(str(k), ""), since or "", until or ""]
        )
    pages = page_links(
        links, "/pages/members", total, offset, MEMBER_PAGE, of=key, rel=rel, dir=direction, label=label
    )
    return render(
        "list_table.html",
        title=f"{ref.name or key} 的{noun}",
        subtitle=f"{display_name(ref.label)} · 共 {total:,} 个{noun}"
        + (f"，本页第 {offset + 1:,}–{offset + len(page):,} 个" if total > MEMBER_PAGE else ""),
        links=links,
        inline_assets=inline_assets,
        as_of=day,
        here="",
        tables=[t],
        page_links=pages,
        pickers=pickers(
            store,
            who,
            links,
            "/pages/members",
            day,
            with_scope=False,
            keep={"of": key, "rel": rel, "dir": direction, "label": label},
        ),
        export_href=None,
        back_href=None,
        back_ego=links.ego(key),
    )
