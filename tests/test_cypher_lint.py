"""Every Cypher statement orggraph ships passes Neo4j's own front end (tools/cypherlint), offline.

What fails a statement: any ERROR (syntax, semantics, a function or procedure Neo4j does not have,
more than one statement in a text), and the WARNINGS that mean it disagrees with our schema or uses
a form Neo4j is removing (`BLOCKING_WARNING_KINDS`: unknown label / relationship type / property, a
pattern the model does not allow, deprecated syntax or functions). Our schema is authoritative, so a
name it does not know is a typo, not "maybe present in someone's database". Other warnings
(cartesian products, unbounded shortest paths) are printed, not failed.

Without Node.js or the npm package the tests skip locally and FAIL under CI=true.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import tomllib
from pathlib import Path

import pytest
from orggraph.graph.cypher import registered
from orggraph.graph.lint import LinterUnavailable, LintResult, lint_statements

ROOT = Path(__file__).resolve().parents[1]


def _packages() -> list[str]:
    """The packages pyproject.toml maps (graph/ is orggraph.graph, ...), so none is forgotten."""
    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return list(cfg["tool"]["setuptools"]["packages"])


def _import_everything() -> dict[str, str]:
    """Import every module of the orggraph package (they register their statements at import); {module:
    error}."""
    failures: dict[str, str] = {}
    seen: set[str] = set()
    for pkg_name in _packages():
        try:
            pkg = importlib.import_module(pkg_name)
        except Exception as e:  # every failure is reported by the test
            failures[pkg_name] = f"{type(e).__name__}: {e}"
            continue
        for info in pkgutil.walk_packages(pkg.__path__, prefix=pkg_name + ".", onerror=lambda n: None):
            # __main__ runs the command line when imported.
            if info.name in seen or info.name.rsplit(".", 1)[-1] == "__main__":
                continue
            seen.add(info.name)
            try:
                importlib.import_module(info.name)
            except Exception as e:
                failures[info.name] = f"{type(e).__name__}: {e}"
    return failures


IMPORT_FAILURES = _import_everything()


def _cypher_files() -> list[tuple[str, str]]:
    """`.cypher` files under queries/ whose text is not already a registered statement."""
    import orggraph.queries

    texts = {s.text.strip() for s in registered().values()}
    out = []
    for d in orggraph.queries.__path__:
        for f in sorted(Path(d).rglob("*.cypher")):
            text = f.read_text(encoding="utf-8")
            if text.strip() not in texts:
                out.append((f"queries/{f.relative_to(d).as_posix()}", text))
    return out


def _lint(statements: list[tuple[str, str]]) -> list[LintResult]:
    try:
        return lint_statements(statements)
    except LinterUnavailable as e:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI 上必须能运行 Neo4j 的 Cypher 检查器：{e}")
        pytest.skip(f"Neo4j 的 Cypher 检查器不可用：{e}")


def _report(results: list[LintResult]) -> str:
    lines = []
    for r in results:
        for d in r.errors:
            lines.append(f"{r.name}: ERROR {d.format()}")
        for d in r.warnings:
            lines.append(f"{r.name}: {'WARNING(blocking)' if d in r.blocking else 'warning'} {d.format()}")
    return "\n".join(lines)


def test_every_orggraph_module_imports() -> None:
    assert not IMPORT_FAILURES, (
        "modules that failed to import (their statements were not linted):\n"
        + "\n".join(f"  {m}: {e}" for m, e in sorted(IMPORT_FAILURES.items()))
    )


@pytest.mark.timeout(1200)  # a few minutes of Neo4j's JavaScript front end over every statement on 2 cores
def test_every_shipped_statement_passes_neo4j_front_end() -> None:
    stmts = [(s.name, s.text) for s in sorted(registered().values(), key=lambda s: s.name) if s.neo4j]
    stmts += _cypher_files()
    results = _lint(stmts)

    print(f"linted {len(results)} statements")
    print(_report(results))  # shown with -s or on failure: hints included
    assert [r.name for r in results] == [n for n, _ in stmts]
    assert len(results) > 0
    assert any(r.name.startswith("ddl.neo4j.") for r in results), "the Neo4j DDL was not linted"
    bad = [r for r in results if not r.ok]
    assert not bad, f"{len(bad)} of {len(results)} statements fail Neo4j's front end:\n" + _report(bad)


def test_linter_catches_what_it_must() -> None:
    """The harness can fail: each of these must be reported, and the clean one must not."""
    cases = {
        "syntax": "MATCH (n RETURN n",
        # FalkorDB-only things Neo4j does not have
        "falkordb_procedure": "CALL db.idx.fulltext.queryNodes('Person', $q) YIELD node RETURN node.name",
        "falkordb_function": "MATCH (p:Person) RETURN toJSON(p)",
        "apoc": "MATCH (p:Person) RETURN apoc.coll.sum([1, 2])",
        "two_statements": "MATCH (p:Person) RETURN p; // trailing",
        "semicolon": "MATCH (p:Person) RETURN p.name;\n",
        "unknown_label": "MATCH (p:Persn) RETURN p.name",
        "unknown_rel_type": "MATCH (p:Person)-[:WORKS_FOR]->(u:Unit) RETURN u.name",
        "unknown_property": "MATCH (p:Person) RETURN p.nmae",
        "against_model": "MATCH (u:Unit)-[:WORKS_AT]->(p:Person) RETURN p.name",
        "deprecated": "MATCH (p:Person) WHERE id(p) = $id RETURN p.name",
        # Deprecated in Neo4j, but FalkorDB has no `CALL (n) { ... }`: a hint, not blocking.
        "old_call_scope": "MATCH (n:Person) CALL { WITH n RETURN n.name AS name } RETURN name",
        "clean": "MATCH (m:PartyMember)-[:MEMBER_OF]->(o:PartyOrg {code: $code}) "
        "RETURN m.name, date() AS today, coalesce(o.name, '') AS org, size(collect(m)) AS n",
    }
    results = {r.name: r for r in _lint(list(cases.items()))}

    clean = results.pop("clean")
    assert clean.ok, _report([clean])
    assert clean.parameters == ("code",)
    old_call = results.pop("old_call_scope")
    assert old_call.ok and [w.kind for w in old_call.warnings] == ["hint"], _report([old_call])
    for name, r in results.items():
        assert not r.ok, f"{name} was not reported: {cases[name]!r}"
    kinds = {name: {d.kind for d in r.blocking} for name, r in results.items()}
    assert "error" in kinds["syntax"]
    assert "multiple-statements" in kinds["two_statements"]
    assert kinds["semicolon"] == {"multiple-statements"}
    assert kinds["unknown_label"] == {"unknown-name"}
    assert kinds["unknown_rel_type"] >= {"unknown-name"}
    assert kinds["unknown_property"] == {"unknown-property"}
    assert kinds["against_model"] == {"schema-path"}
    assert kinds["deprecated"] == {"deprecated"}
    assert any("toJSON" in d.message for d in results["falkordb_function"].errors)
    assert any("db.idx.fulltext.queryNodes" in d.message for d in results["falkordb_procedure"].errors)
