"""Interactive network pages (overview, gaps, co-building, org tree, ego, path): served under /pages and
exportable as one offline file."""

# This folder is the package orggraph.viz (pyproject.toml's package-dir). Imported under another name
# (e.g. as `viz` from the repository root) it would load a second time, with a second register of Cypher
# statements.
if __name__ != "orggraph.viz":
    raise ImportError(f"import orggraph.viz, not {__name__} (pip install -e . installs it)")


from orggraph.viz.pages import (
    build_cobuilding,
    build_ego,
    build_gaps,
    build_org_tree,
    build_overview,
    build_path,
)

__all__ = ["build_overview", "build_gaps", "build_cobuilding", "build_org_tree", "build_ego", "build_path"]
