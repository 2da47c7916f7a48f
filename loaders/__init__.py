"""Loading ledgers (台账): reading, checking, writing to the store, templates, exports, demo ledgers."""

# This folder is the package orggraph.loaders (pyproject.toml's package-dir). Imported under another name
# (e.g. as `loaders` from the repository root) it would load a second time, with a second register of Cypher
# statements.
if __name__ != "orggraph.loaders":
    raise ImportError(f"import orggraph.loaders, not {__name__} (pip install -e . installs it)")
