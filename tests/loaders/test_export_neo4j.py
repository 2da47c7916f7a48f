"""`orggraph export --neo4j-admin`, verified on a real Neo4j, and a Neo4j that stops and comes back.

Once per session (module fixture): `orggraph load` a generated city into the test Neo4j (A) and add the graph
whose values are meant to break CSV (quotes, commas, line breaks, blanks, `tags: []`); `orggraph export
--neo4j-admin DIR` from A; run DIR/import.sh exactly as written — with NEO4J_ADMIN naming this repository's
tool (tools/neo4j/neo4jctl.py admin) on a second, never started Neo4j folder (B); start B (a free port) and
run DIR/schema.cypher statement by statement, as cypher-shell would. Then B must hold what A holds: every node
with its labels and properties, every relationship with its properties, the same constraints and indexes, and
the same coverage / breakdown / gaps answers. That second server is the one stopped and started again by the
last test (an unreachable Neo4j is a 503 with a Chinese message; the API recovers once it is back).
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from faults.content import TEST_PID_KEY, hostile_graph, snapshot
from orggraph.api.app import create_app
from orggraph.api.auth import Role, TokenRegistry, tokens_path
from orggraph.api.cli import main as cli_main
from orggraph.graph.cypher import trusted
from orggraph.graph.neo4j_store import Neo4jStore
from orggraph.graph.store import NEO4J_DDL, Store, StoreUnavailable
from orggraph.loaders.demo import generate
from orggraph.loaders.export import EMPTY_LIST_MARKER, schema_cypher_statements, store_counts
from orggraph.queries import coverage
from support.stores import SharedGraphs, need_neo4j, point_env_at

from orggraph.settings import Settings

# One load, one export, one neo4j-admin import and two server starts: minutes on a busy machine.
pytestmark = pytest.mark.timeout(1200)
ROOT = Path(__file__).resolve().parents[2]
CTL = ROOT / "tools" / "neo4j" / "neo4jctl.py"
AS_OF = "2026-06-30"


def ctl(*args: str) -> str:
    r = subprocess.run([sys.executable, str(CTL), *args], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, f"neo4jctl {args[0]} failed:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    return r.stdout


class SecondNeo4j:
    """A Neo4j folder of the test's own (B): imported into while stopped, then started on a free port."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.env: dict[str, str] = {}

    def start(self) -> Neo4jStore:
        port = self.env.get("ORGGRAPH_URI", ":0").rsplit(":", 1)[1]  # the same port again after a stop
        out = ctl("start", "--data", str(self.home), "--port", port, "--heap", "512m", "--pagecache", "64m")
        self.env = dict(
            ln.removeprefix("export ").split("=", 1) for ln in out.splitlines() if ln.startswith("export ")
        )
        return self.store()

    def store(self) -> Neo4jStore:
        return Neo4jStore(
            self.env["ORGGRAPH_URI"], self.env["ORGGRAPH_NEO4J_USER"], self.env["ORGGRAPH_NEO4J_PASSWORD"]
        )

    def stop(self) -> None:
        ctl("stop", "--data", str(self.home))


@dataclass
class Imported:
    a: Store  # loaded by `orggraph load`
    b: Neo4jStore  # imported by neo4j-admin from the export of a
    server: SecondNeo4j
    export_out: str
    import_out: str
    out_dir: Path


def run_schema_cypher(store: Neo4jStore, path: Path) -> int:
    """Each statement of the file in its own auto-commit transaction (cypher-shell -f does the same)."""
    statements = schema_cypher_statements(path.read_text(encoding="utf-8"))
    with store._driver.session(database=store.database) as session:  # a file of DDL, not a query of ours
        for stmt in statements:
            session.run(trusted(stmt)).consume()
        session.run("CALL db.awaitIndexes(300)").consume()
    return len(statements)


@pytest.fixture(scope="module")
def imported(
    shared_graphs: SharedGraphs, falkor_data_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Imported]:
    need_neo4j()
    tmp = tmp_path_factory.mktemp("export-neo4j")
    a = shared_graphs.fresh("neo4j")
    ledgers = tmp / "ledgers"
    generate(ledgers, residents=1000)
    out_dir = tmp / "admin"
    with pytest.MonkeyPatch.context() as mp:
        point_env_at(a, mp, falkor_data_dir)
        mp.setenv("ORGGRAPH_PID_KEY", TEST_PID_KEY.decode())
        assert cli_main(["load", str(ledgers)]) == 0
        hostile_graph(a)  # values that break CSV and Cypher, and a person with tags: []
        r = subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys; from orggraph.api.cli import main; sys.exit(main())",
                "export",
                "--neo4j-admin",
                str(out_dir),
            ],
            env={**os.environ},
            capture_output=True,
            text=True,
            timeout=600,
        )
    assert r.returncode == 0, r.stderr[-3000:]
    server = SecondNeo4j(tmp / "neo4j-b")
    # import.sh as written, with this repository's neo4j-admin (the Maven classpath of the pinned Neo4j) on
    # B's
    # folder; B was never started, so its database `neo4j` does not exist yet (no --overwrite-destination).
    admin = (
        f"{shlex.quote(sys.executable)} {shlex.quote(str(CTL))} admin --data {shlex.quote(str(server.home))}"
    )
    imp = subprocess.run(
        ["sh", str(out_dir / "import.sh"), "--max-off-heap-memory=256m"],
        env={**os.environ, "NEO4J_ADMIN": admin},
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert imp.returncode == 0, f"import.sh failed:\n{imp.stdout[-4000:]}\n{imp.stderr[-4000:]}"
    b = server.start()
    try:
        run_schema_cypher(b, out_dir / "schema.cypher")
        yield Imported(a, b, server, r.stdout + r.stderr, imp.stdout + imp.stderr, out_dir)
    finally:
        b.close()
        server.stop()


def test_the_printed_command_says_how_to_run_it_here(imported: Imported) -> None:
    out = imported.export_out
    assert "neo4j-admin database import full neo4j" in out
    assert "NEO4J_ADMIN='./dev neo4j admin --data" in out and "--overwrite-destination=true" in out
    assert "IMPORT DONE" in imported.import_out


def test_imported_database_holds_exactly_the_loaded_graph(imported: Imported) -> None:
    a, b = imported.a, imported.b
    nodes, rels = store_counts(a)
    assert nodes > 1000 and rels > 1000
    assert store_counts(b) == (nodes, rels)
    sa, sb = snapshot(a), snapshot(b)
    assert sb == sa, sa.diff(sb)


def test_empty_lists_arrive_as_empty_lists(imported: Imported) -> None:
    """The README's former known limit: `tags: []` is [] after schema.cypher, as after `orggraph load`."""
    q = "MATCH (p:Person {pid: $pid}) RETURN p.tags, size(p.tags)"
    for store in (imported.a, imported.b):
        assert store.read(q, {"pid": "b" * 20}).rows == [[[], 0]]
    empty = "MATCH (p:Person) WHERE p.tags = [] RETURN count(p)"
    assert imported.b.read(empty).scalar() == imported.a.read(empty).scalar() > 1
    marker = EMPTY_LIST_MARKER.format("tags")
    assert imported.b.read(f"MATCH (p:Person) WHERE p.{marker} IS NOT NULL RETURN count(p)").scalar() == 0
    # The marker column is what carried them: the CSV has it, with `true` on b's row.
    rows = (imported.out_dir / "nodes" / "Person.csv").read_text(encoding="utf-8").splitlines()
    header = (imported.out_dir / "nodes" / "Person.header.csv").read_text(encoding="utf-8")
    assert f"{marker}:boolean" in header and any(
        r.startswith('"' + "b" * 20 + '"') and ",true," in r for r in rows
    )


def _schema(store: Neo4jStore, what: str) -> set[tuple[str, str]]:
    rows = store.read(trusted(f"SHOW {what} YIELD name, type RETURN name, type")).rows
    return {(r[0], r[1]) for r in rows}


def test_constraints_and_indexes_are_the_loaded_ones(imported: Imported) -> None:
    expected = {m[1] for m in (re.match(r"CREATE (?:CONSTRAINT|INDEX) (\w+)", d) for d in NEO4J_DDL) if m}
    for store in (imported.a, imported.b):
        constraints, indexes = _schema(store, "CONSTRAINTS"), _schema(store, "INDEXES")  # type: ignore[arg-type]
        assert expected <= {n for n, _ in constraints} | {n for n, _ in indexes}
    assert _schema(imported.b, "CONSTRAINTS") == _schema(imported.a, "CONSTRAINTS")  # type: ignore[arg-type]
    assert _schema(imported.b, "INDEXES") == _schema(imported.a, "INDEXES")  # type: ignore[arg-type]


def test_coverage_and_gaps_answers_are_the_same(imported: Imported) -> None:
    a, b = imported.a, imported.b
    district = a.read(
        "MATCH (d:District)<-[:PART_OF]-(:Street) RETURN d.code ORDER BY d.code LIMIT 1"
    ).scalar()
    for scope in (None, district):
        ca = coverage.coverage(a, scope, AS_OF)
        assert ca == coverage.coverage(b, scope, AS_OF)
        assert coverage.coverage_breakdown(a, scope, AS_OF) == coverage.coverage_breakdown(b, scope, AS_OF)
        assert coverage.gaps(a, scope, AS_OF) == coverage.gaps(b, scope, AS_OF)
    assert any(coverage.gaps(b, None, AS_OF).values())  # the comparison is of something


def test_stopped_neo4j_is_503_in_chinese_and_the_api_recovers(imported: Imported, tmp_path: Path) -> None:
    """The API on B: answers; B stops → 503 naming Neo4j, health says so; B starts again → answers again."""
    settings = Settings(
        data_dir=tmp_path / "data", pid_key=TEST_PID_KEY.decode(), query_timeout=10.0, max_rows=100
    )
    token, _ = TokenRegistry(tokens_path(settings.data_dir)).create(Role("admin"), None, "ops")
    auth = {"Authorization": f"Bearer {token}"}
    store = imported.server.store()
    try:
        with TestClient(create_app(settings, store), raise_server_exceptions=False) as client:
            ok = client.get("/api/coverage", headers=auth)
            assert ok.status_code == 200, ok.text
            imported.server.stop()
            with pytest.raises(StoreUnavailable):
                store.ping()
            for url in ("/api/coverage", "/api/gaps"):
                down = client.get(url, headers=auth)
                assert down.status_code == 503, down.text
                assert "Neo4j" in down.json()["detail"] and re.search(
                    r"[\u4e00-\u9fff]", down.json()["detail"]
                )
                assert "Traceback" not in down.text
            cypher = client.post("/api/cypher", json={"query": "MATCH (n) RETURN count(n)"}, headers=auth)
            assert cypher.status_code == 503, cypher.text
            imported.server.start().close()  # same folder, same port
            again = client.get("/api/coverage", headers=auth)
            assert again.status_code == 200, again.text
            assert again.json() == ok.json()
    finally:
        store.close()
