"""The query layer: coverage, contacts, networks, reports, search, answered from the store."""

# This folder is the package orggraph.queries (pyproject.toml's package-dir). Imported under another name
# (e.g. as `queries` from the repository root) it would load a second time, with a second register of Cypher
# statements.
if __name__ != "orggraph.queries":
    raise ImportError(f"import orggraph.queries, not {__name__} (pip install -e . installs it)")
