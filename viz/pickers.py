"""The bar under the header of every page: a scope picker (district / street / community inside the viewer's
jurisdiction) and a real date picker for `as_of`; plus the regions list it is built from."""

from __future__ import annotations

from typing import Any

from orggraph.graph.cypher import statement
from orggraph.graph.store import Store
from orggraph.queries.cache import cached
from orggraph.queries.policy import Access
from orggraph.viz.render import Links

__all__ = ["pickers", "scope_options"]

_REGIONS = statement(
    "pickers.regions",
    "MATCH (d:District) RETURN 'District' AS label, d.code AS code, d.name AS name, null AS parent\n"
    "UNION ALL MATCH (s:Street) OPTIONAL MATCH (s)-[:PART_OF]->(d:District)\n"
    "RETURN 'Street' AS label, s.code AS code, s.name AS name, d.code AS parent\n"
    "UNION ALL MATCH (c:Community) OPTIONAL MATCH (c)-[:PART_OF]->(s:Street)\n"
    "RETURN 'Community' AS label, c.code AS code, c.name AS name, s.code AS parent",
    "区县、街道、社区及其上级（页面的范围选择）",
    origin=__name__,
)
_DEPTH = {"District": 0, "Street": 1, "Community": 2}


def scope_options(store: Store, viewer: Access) -> list[dict[str, Any]]:
    """[{"code", "name", "depth"}] in tree order: every district, street and community the viewer may choose
    (their own scope and what lies in it; everything for an unscoped viewer). Cached until the data
    changes."""

    def read() -> list[tuple[str, str, str, str | None]]:
        return [(r[0], r[1], r[2], r[3]) for r in store.read(_REGIONS).rows]

    rows = cached(store, ("pickers.regions",), read).value
    kids: dict[str | None, list[tuple[str, str, str]]] = {}
    for label, code, name, parent in rows:
        kids.setdefault(parent if label != "District" else None, []).append((label, code, name or code))
    out: list[dict[str, Any]] = []

    def walk(parent: str | None) -> None:
        for label, code, name in sorted(kids.get(parent, []), key=lambda r: r[1]):
            out.append({"code": code, "name": name, "depth": _DEPTH[label], "label": label})
            walk(code)

    if viewer.scope is None:
        walk(None)
        return out
    own = next(((label, code, name) for label, code, name, _p in rows if code == viewer.scope), None)
    if own is None:
        return []
    out.append({"code": own[1], "name": own[2], "depth": _DEPTH[own[0]], "label": own[0]})
    walk(own[1])
    return out


def pickers(
    store: Store,
    viewer: Access,
    links: Links,
    path: str,
    day: str,
    *,
    scope: str | None = None,
    with_scope: bool = True,
    keep: dict[str, Any] | None = None,
) -> dict[str, Any] | None:
    """What base.html draws as the scope and date pickers of a served page (None for a standalone file)."""
    if not links.enabled:
        return None
    options = scope_options(store, viewer) if with_scope else []
    base = min((o["depth"] for o in options), default=0)
    return {
        "action": (links.base or "").rstrip("/") + path,
        "scopes": [
            {**o, "indent": "　" * (o["depth"] - base), "selected": o["code"] == scope} for o in options
        ],
        "everything": viewer.scope is None,
        "with_scope": with_scope,
        "as_of": day,
        "keep": {k: v for k, v in (keep or {}).items() if v not in (None, "")},
    }
