"""The Cypher fragments that say when a relationship is in force, and the scope chains every measure starts
from.

Fragments are joined into statements at import time from these fixed strings and the schema's labels —
never from input — and every resulting statement is registered (`statement`), so the linter sees exactly
what runs.
"""

from __future__ import annotations

from orggraph.graph.schema import REGION_LABELS

__all__ = [
    "CHILD_LEVEL",
    "REGION_LEVELS",
    "SCOPE_LEVELS",
    "any_in_force",
    "cypher_list",
    "in_force",
    "reported_by",
    "scope_chain",
]

# District … Household, top down: PART_OF points from each level to the one before it (graph/schema.py).
REGION_LEVELS = REGION_LABELS
# A scope is the whole graph ("all") or a district, street or community.
SCOPE_LEVELS = ("all", *REGION_LEVELS[:3])
# The level a scope breaks down into: the next one down.
CHILD_LEVEL = dict(zip(SCOPE_LEVELS, REGION_LEVELS[:4], strict=True))


def in_force(r: str = "r") -> str:
    """graph-model.md: in force on $as_of when begun (or no start) and not ended before (or no end)."""
    return f"({r}.since IS NULL OR {r}.since <= $as_of) AND ({r}.until IS NULL OR {r}.until >= $as_of)"


def reported_by(r: str = "r") -> str:
    """A REPORTED_TO (双报到) has a date, not a term: it counts from that day on (no date: always)."""
    return f"({r}.date IS NULL OR {r}.date <= $as_of)"


def any_in_force(r: str = "r") -> str:
    """For a variable that may be any relationship type: terms, report dates, or neither (always in force)."""
    return f"{in_force(r)} AND {reported_by(r)}"


def cypher_list(values: tuple[str, ...]) -> str:
    """A list literal of schema vocabulary (role names …); only for fixed constants, never for input."""
    for v in values:
        if "'" in v or "\\" in v:
            raise ValueError(f"not a plain vocabulary word: {v!r}")
    return "[" + ", ".join(f"'{v}'" for v in values) + "]"


def scope_chain(scope: str, target: str, group: str | None = None) -> tuple[str, str] | None:
    """A MATCH clause that binds `x` to every `target`-level node inside the scope, and the key expression.

    `scope` is a SCOPE_LEVELS entry; an anchored scope is `$scope` on its indexed code. With `group`,
    the chain also passes through the `group`-level node above each `x` and the key is its code (`x.code`
    when group is the target level itself); without, the key is "". None when the combination holds
    nothing: a target above the scope (streets inside a community) or above the group.
    """
    t = REGION_LEVELS.index(target)
    start = 0 if scope == "all" else REGION_LEVELS.index(scope)
    if t < start:
        return None
    if group is not None:
        g = REGION_LEVELS.index(group)
        if g > t or g < start:
            return None
    first = REGION_LEVELS.index(group) if (scope == "all" and group is not None) else start
    if scope == "all" and group is None:
        first = t
    parts = []
    for i in range(first, t + 1):
        label = REGION_LEVELS[i]
        var = "x" if i == t else ("k" if group is not None and REGION_LEVELS[i] == group else "")
        anchor = " {code: $scope}" if scope != "all" and i == start else ""
        parts.append(f"({var}:{label}{anchor})")
    key = ""
    if group is not None:
        key = "x.code" if group == target else "k.code"
    return "MATCH " + "<-[:PART_OF]-".join(parts), key


def descend(upper: str, target: str) -> str:
    """The PART_OF hops from a bound node of level `upper` down to `x` of level `target`:
    "<-[:PART_OF]-(…)(x:T)"."""
    i, t = REGION_LEVELS.index(upper), REGION_LEVELS.index(target)
    if t <= i:
        raise ValueError(f"{target} is not below {upper}")
    hops = [f"(:{REGION_LEVELS[j]})" for j in range(i + 1, t)] + [f"(x:{target})"]
    return "".join("<-[:PART_OF]-" + h for h in hops)
