"""The register of every Cypher statement orggraph ships, so one test can lint them all with Neo4j's front
end."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, LiteralString

__all__ = ["Statement", "statement", "trusted", "registered", "DDL_BACKENDS"]

DDL_BACKENDS = ("neo4j", "falkordb")


@dataclass(frozen=True)
class Statement:
    name: str
    text: str
    purpose: str
    origin: str  # module that declared it
    neo4j: bool = True  # False: FalkorDB-only DDL, not for Neo4j's linter


_REGISTRY: dict[str, Statement] = {}


def statement(
    name: str, text: LiteralString, purpose: str = "", *, origin: str = "", neo4j: bool = True
) -> LiteralString:
    """Register a shipped Cypher statement under a unique name and return its text unchanged.

    Generated statements (from the schema) register too, so the linter sees exactly what runs.
    """
    old = _REGISTRY.get(name)
    if old is not None and old.text != text:
        raise ValueError(f"two different Cypher statements named {name!r}")
    _REGISTRY[name] = Statement(name, text, purpose, origin, neo4j)
    return text


def trusted(text: str) -> LiteralString:
    """Vouch that a Cypher text built at run time is as safe as a literal, and return it unchanged.

    The stores and `statement` take `LiteralString`, so that a value from input can never become Cypher text
    by accident (a type checker that knows PEP 675, e.g. pyright, refuses a plain `str`). Some statements are
    built in code: one per label or relationship type, from names in `orggraph.graph.schema` or the module's
    own constant tables, or from literal fragments. Wrap such a text in `trusted(...)` — the one greppable
    mark (`grep -rn "trusted(" graph loaders queries api viz`) of Cypher that is not a literal — and only
    when:

    - every name spliced in comes from the schema or a fixed table in the code, never from a request, a ledger
      or a file; values always go in as `$parameters`; or
    - it is an analyst's statement that already passed the read-only containment checks
      (`orggraph.queries.adhoc_guard`), as `POST /api/cypher` does.
    """
    vouched: Any = text  # the one place a str becomes a LiteralString
    return vouched


def registered() -> dict[str, Statement]:
    return dict(_REGISTRY)
