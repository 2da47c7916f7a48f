"""The named, parameterized queries orggraph ships for analysts and the API (`GET /api/queries`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, LiteralString

from orggraph.graph.cypher import statement

__all__ = ["Param", "NamedQuery", "CATALOG", "named_query", "load_catalog"]


@dataclass(frozen=True)
class Param:
    name: str
    type: str  # "string", "date", "integer", "string?" (optional)
    description: str
    default: Any = None

    @property
    def required(self) -> bool:
        return not self.type.endswith("?") and self.default is None


@dataclass(frozen=True)
class NamedQuery:
    name: str
    purpose: str  # one line, Chinese
    text: LiteralString
    params: tuple[Param, ...]
    scoped: bool = False  # has a $scope parameter (district/street/community code or null)


CATALOG: dict[str, NamedQuery] = {}


def named_query(name: str, purpose: str, text: LiteralString, params: tuple[Param, ...] = (), *, scoped: bool = False) -> NamedQuery:
    """Declare a named query: registered for the linter and listed in the catalog."""
    if name in CATALOG:
        raise ValueError(f"named query {name!r} declared twice")
    q = NamedQuery(name, purpose, statement(f"named.{name}", text, purpose, origin="orggraph.queries"), params, scoped)
    CATALOG[name] = q
    return q


def load_catalog() -> dict[str, NamedQuery]:
    """CATALOG with every shipped named query in it: imports the modules that declare them (coverage, contacts)."""
    from orggraph.queries import contacts, coverage  # noqa: F401 - declaring is their import side effect

    return CATALOG
