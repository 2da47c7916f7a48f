"""Who contacts whom: `GET /api/contacts/{code}`, `GET /api/reach/{key}`, `GET /api/path?from=&to=`.

What a user may ask and see is `orggraph.queries.policy`'s: a scoped token asks only about nodes inside its
jurisdiction (404 otherwise, exactly as for a key that names nothing) and sees nothing outside it:
contacts that land outside (on the home of a person who lives elsewhere, on the street a unit sits in) are
left out, reach keeps only what lies inside (and what that covers), and a path shows the nodes outside the
jurisdiction as hidden steps (ancestors of the jurisdiction — its street, its district — stay visible).
A viewer (no `people` capability) names no person by pid (403), gets residents only as counts in a reach,
and sees the people on a path as anonymous steps.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from orggraph.api.audit import note_size
from orggraph.api.deps import DayDep, PagingDep, StoreDep, UserDep, check_node, json_of
from orggraph.api.models import ERRORS, ContactPath, Contacts, Reach
from orggraph.graph.store import Store
from orggraph.queries import contacts as cq
from orggraph.queries.policy import Jurisdiction
from orggraph.queries.terms import REGION_LEVELS

router = APIRouter(prefix="/api", tags=["contacts"])


@router.get("/contacts/{code}", response_model=Contacts, summary="谁联系这个节点", responses=ERRORS)
def contacts(
    request: Request, code: str, store: StoreDep, user: UserDep, day: DayDep, paging: PagingDep
) -> Response:
    """Every person and unit with a contact edge in force on the node `code` names (a household, building,
    grid, community, street, party organization or unit code, or a person's pid) or on one of its ancestors:
    role, the path up to where the edge lands (`via`), direct or inherited. Paged by `offset`/`limit`."""
    check_node(store, user, code)
    answer = cq.contacts_of(store, code, day)
    listed = answer["contacts"]
    if user.scope is not None:
        seen = Jurisdiction(store, user.access)
        kept = [c for c in listed if seen.sees(c["at"])]
        target = answer["target"]
        for k in ("household", "street"):
            if isinstance(target.get(k), str) and not seen.sees(target[k]):
                target[k] = None
        if isinstance(target.get("base"), dict) and not seen.sees(target["base"].get("key") or ""):
            target["base"] = None
        if len(kept) != len(listed):
            # The counts covered what is now left out: count what is shown instead (a lower bound when
            # truncated).
            by_role: dict[str, int] = defaultdict(int)
            for c in kept:
                by_role[c["role"]] += 1
            answer["by_role"], answer["total"] = dict(by_role), len(kept)
            listed = kept
    shown = paging.of(listed)
    note_size(request, len(shown))
    body = {
        **answer,
        "contacts": shown,
        "listed": len(listed),
        "offset": paging.offset,
        "limit": paging.limit,
    }
    return json_of(Contacts(**body), user)


def _covers_within(store: Store, direct: list[dict[str, Any]], cap: int = cq.LIST_CAP) -> dict[str, Any]:
    """What the region targets in `direct` cover, counted once (as queries.contacts.reach does for all
    targets)."""
    wanted = {d["key"] for d in direct if d["label"] in REGION_LEVELS}
    by_label: dict[str, list[str]] = defaultdict(list)
    for d in direct:
        if d["label"] in REGION_LEVELS and d["key"] not in by_label[d["label"]]:
            by_label[d["label"]].append(d["key"])
    covers: dict[str, dict[str, Any]] = {
        k: {"count": 0, "items": []} for k in ("grids", "buildings", "households", "residents")
    }
    for label, codes in by_label.items():
        # PART_OF is a tree: a target under another target adds nothing.
        tops = [
            c
            for c, chain in cq.ancestors(store, label, codes).items()
            if not any(a in wanted for _, a, _ in chain[1:])
        ]
        if not tops:
            continue
        row = store.read(cq._COVERS[label], {"codes": sorted(tops), "cap": cap}).rows[0]
        for i, k in enumerate(covers):
            covers[k]["count"] += int(row[2 * i] or 0)
            items = row[2 * i + 1]
            covers[k]["items"] = (
                None if items is None or covers[k]["items"] is None else covers[k]["items"] + items
            )
    for k, v in covers.items():
        if v["items"] is not None and v["count"] > cap:
            v["items"] = None
        elif v["items"] is not None:
            v["items"] = (
                sorted(({"pid": p, "name": n} for p, n in v["items"]), key=lambda r: r["pid"])
                if k == "residents"
                else sorted(v["items"])
            )
    return covers


@router.get("/reach/{key}", response_model=Reach, summary="一个人或单位联系到哪些对象", responses=ERRORS)
def reach(request: Request, key: str, store: StoreDep, user: UserDep, day: DayDep) -> Response:
    """What a person (pid) or unit (code) contacts directly on the day, and the grids, buildings, households
    and residents that covers (lists when at most 200). A scoped token sees only what lies inside its
    jurisdiction, and what that covers."""
    check_node(store, user, key)
    answer = cq.reach(store, key, day)
    if user.scope is not None:
        seen = Jurisdiction(store, user.access)
        kept = [d for d in answer["direct"] if seen.inside(d["key"])]
        if len(kept) != len(answer["direct"]):
            answer["direct"], answer["covers"] = kept, _covers_within(store, kept)
    if not user.access.people:  # residents only as a count
        answer["covers"]["residents"]["items"] = None
    note_size(request, len(answer["direct"]))
    return json_of(Reach(**answer), user)


@router.get("/path", response_model=ContactPath, summary="两个节点之间最短的联系路径", responses=ERRORS)
def path(
    request: Request,
    store: StoreDep,
    user: UserDep,
    day: DayDep,
    from_: Annotated[str, Query(alias="from", min_length=1, max_length=64, description="a code or pid")],
    to: Annotated[str, Query(min_length=1, max_length=64, description="a code or pid")],
    max_len: Annotated[int, Query(ge=1, le=cq.MAX_PATH_LEN, description="longest path to look for")] = 8,
) -> Response:
    """The shortest chain of relationships in force (contact, organizational and structural ones) between two
    nodes. A scoped token needs both ends inside its jurisdiction (404 otherwise); nodes of the path outside
    it are shown as hidden steps (label only), and so are people for a viewer."""
    check_node(store, user, from_)
    check_node(store, user, to)
    answer = cq.contact_path(store, from_, to, day, max_len)
    answer.setdefault("max_len", max_len)
    access = user.access
    if (access.scope is not None or not access.people) and answer.get("found"):
        seen = Jurisdiction(store, access)
        hidden = set()
        for n in answer["nodes"]:
            if not seen.sees_node(n["label"], n["key"]):
                hidden.add(n["key"])
                n.update(key=None, name=None, hidden=True)
        for e in answer["edges"]:
            e["from"] = None if e["from"] in hidden else e["from"]
            e["to"] = None if e["to"] in hidden else e["to"]
    note_size(request, len(answer.get("nodes") or []))
    return json_of(ContactPath(as_of=day, **answer), user)
