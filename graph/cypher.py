"""The register of every Cypher statement orggraph ships, so one test can lint them all with Neo4j's front end."""

from __future__ import annotations

from dataclasses import dataclass
from typing import LiteralString

__all__ = ["Statement", "statement", "registered", "DDL_BACKENDS"]

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


def registered() -> dict[str, Statement]:
    return dict(_REGISTRY)
