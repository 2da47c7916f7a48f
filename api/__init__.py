"""The HTTP API (FastAPI), its command line and its server."""

# This folder is the package orggraph.api (pyproject.toml's package-dir). Imported under another name
# (e.g. as `api` from the repository root) it would load a second time, with a second register of Cypher
# statements.
if __name__ != "orggraph.api":
    raise ImportError(f"import orggraph.api, not {__name__} (pip install -e . installs it)")
