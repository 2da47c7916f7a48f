"""Interactive network pages (overview, gaps, co-building, org tree, ego, path): served under /pages and
exportable as one offline file."""

from orggraph.viz.pages import (
    build_cobuilding,
    build_ego,
    build_gaps,
    build_org_tree,
    build_overview,
    build_path,
)

__all__ = ["build_overview", "build_gaps", "build_cobuilding", "build_org_tree", "build_ego", "build_path"]
