"""`orggraph viz PAGE ... --out FILE.html`: one page as a standalone file (vis-network inlined, nothing
fetched)."""

from __future__ import annotations

import argparse
from pathlib import Path

from orggraph.graph.store import Store
from orggraph.loaders.phones import PhoneSeal
from orggraph.queries.policy import Access
from orggraph.queries.scope import ScopeError
from orggraph.viz import pages
from orggraph.viz.render import Links

__all__ = ["export_page", "PAGE_HELP"]

PAGE_HELP = {
    "overview": "覆盖率概览（--scope）",
    "gaps": "短板清单（--scope）",
    "cobuilding": "联建共建网络（--scope）",
    "org-tree": "党组织架构（--scope）",
    "ego": "节点关系图（--key，--depth 1|2）",
    "path": "联系路径（--from、--to）",
}


def export_page(store: Store, args: argparse.Namespace, seal: PhoneSeal | None = None) -> str:
    """The page's HTML for the command's arguments; ScopeError (Chinese message) when they do not fit. Shown
    as `--role` would see it (`orggraph.queries.policy`); `seal` opens phones when that role is admin."""
    viewer = Access.of(args.role, None, seal)
    links = Links(base=args.base_url.rstrip("/") if args.base_url else None, as_of=args.as_of)
    common = {"as_of": args.as_of, "viewer": viewer, "links": links, "inline_assets": True}
    page = args.page
    if page == "ego":
        if not args.key:
            raise ScopeError("ego 页面需要 --key（节点编码或人员标识）", 422)
        return pages.build_ego(store, args.key, depth=args.depth, **common)
    if page == "path":
        if not (getattr(args, "from_key", None) and args.to_key):
            raise ScopeError("path 页面需要 --from 和 --to（节点编码或人员标识）", 422)
        return pages.build_path(store, args.from_key, args.to_key, **common)
    build = {
        "overview": pages.build_overview,
        "gaps": pages.build_gaps,
        "cobuilding": pages.build_cobuilding,
        "org-tree": pages.build_org_tree,
    }[page]
    return build(store, args.scope, **common)


def write_page(store: Store, args: argparse.Namespace, seal: PhoneSeal | None = None) -> Path:
    out = Path(args.out)
    html = export_page(store, args, seal)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html, encoding="utf-8")
    return out
