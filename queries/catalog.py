"""The named, parameterized queries orggraph ships for analysts and the API (`GET /api/queries`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, LiteralString

from orggraph.graph.cypher import statement
from orggraph.queries.terms import SCOPE_LEVELS

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
    """A named query. A scoped one either takes `$scope` in `text` or, with `variants`, is one statement per
    scope level (SCOPE_LEVELS: "all", District, Street, Community), each anchored on the scope's indexed code:
    `text` is then the whole-graph one and `text_for` picks the one to run."""

    name: str
    purpose: str  # one line, Chinese
    text: LiteralString
    params: tuple[Param, ...]
    scoped: bool = False  # has a $scope parameter (district/street/community code or null)
    variants: Mapping[str, LiteralString] = field(default_factory=dict)  # scope level -> statement

    def text_for(self, level: str) -> LiteralString:
        """The statement to run for a scope of `level` ("all" when there is none)."""
        return self.variants[level] if self.variants else self.text


CATALOG: dict[str, NamedQuery] = {}


def named_query(
    name: str,
    purpose: str,
    text: LiteralString | Mapping[str, LiteralString],
    params: tuple[Param, ...] = (),
    *,
    scoped: bool = False,
) -> NamedQuery:
    """Declare a named query: registered for the linter and listed in the catalog.

    `text` is one statement, or (scoped) one per scope level, already registered under their own names:
    a `$scope`-taking statement that serves every level is planned by FalkorDB with a scan of the whole
    level even when a scope is given, so scoped queries are declared per level.
    """
    if name in CATALOG:
        raise ValueError(f"named query {name!r} declared twice")
    if isinstance(text, Mapping):
        if not scoped or set(text) != set(SCOPE_LEVELS):
            raise ValueError(f"named query {name!r}: variants must be scoped and cover {SCOPE_LEVELS}")
        q = NamedQuery(name, purpose, text["all"], params, scoped, dict(text))
    else:
        q = NamedQuery(
            name,
            purpose,
            statement(f"named.{name}", text, purpose, origin="orggraph.queries"),
            params,
            scoped,
        )
    CATALOG[name] = q
    return q


def load_catalog() -> dict[str, NamedQuery]:
    """CATALOG with every shipped named query in it: imports the modules that declare them (coverage,
    contacts)."""
    from orggraph.queries import contacts, coverage  # noqa: F401 - declaring is their import side effect

    return CATALOG
