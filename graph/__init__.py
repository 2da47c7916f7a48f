"""The graph layer: the schema, the stores (embedded FalkorDB, Neo4j), the register of Cypher statements."""

# This folder is the package orggraph.graph (pyproject.toml's package-dir). Imported under another name
# (e.g. as `graph` from the repository root) it would load a second time, with a second register of Cypher
# statements.
if __name__ != "orggraph.graph":
    raise ImportError(f"import orggraph.graph, not {__name__} (pip install -e . installs it)")
