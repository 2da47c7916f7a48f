"""`orggraph` as a user runs it (each command a process of its own, ORGGRAPH_DATA_DIR in a tmp dir): cypher
parameters, what `demo` may clear, `demo-data --xlsx`, the development-key warning, load and export
messages."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from faults.city import stop_server
from faults.content import TEST_PID_KEY, write_ledgers
from faults.ledgers import small_ledgers
from orggraph.api.cli import build_parser
from orggraph.api.demo_store import MARKER_NAME
from orggraph.loaders.demo import LEDGER_HEADERS, WORKBOOK_NAME
from orggraph.loaders.importer import load_lock

CJK = re.compile(r"[\u4e00-\u9fff]")
DEV_KEY_WARNING = "未设置 ORGGRAPH_PID_KEY"
RESIDENTS = "1000"  # the smallest demo


def run(data: Path, *args: str, pid_key: bool = True, **env: str) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("ORGGRAPH_")}
    full.update(ORGGRAPH_DATA_DIR=str(data), **env)
    if pid_key:
        full["ORGGRAPH_PID_KEY"] = TEST_PID_KEY.decode()
    p = subprocess.run([sys.executable, "-m", "orggraph", *args], env=full, capture_output=True, text=True,
                       timeout=300, check=False)  # fmt: skip
    assert "Traceback" not in p.stderr, p.stderr
    return p


def rows(data: Path, query: str, *args: str) -> list[dict[str, Any]]:
    p = run(data, "cypher", query, "--json", *args)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def counts(data: Path) -> tuple[int, int]:
    (n,) = rows(data, "MATCH (n) RETURN count(n) AS n")
    (r,) = rows(data, "MATCH ()-[r]->() RETURN count(r) AS r")
    return n["n"], r["r"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, subprocess.CompletedProcess[str]]]:
    """`orggraph demo --no-serve` with ORGGRAPH_URI naming a Neo4j that is not there: it must not be used."""
    data = tmp_path_factory.mktemp("cli") / "data"
    try:
        yield (
            data,
            run(data, "demo", "--no-serve", "--residents", RESIDENTS, ORGGRAPH_URI="bolt://127.0.0.1:9"),
        )
    finally:
        stop_server(data)


# -------------------------------------------------------------------------------------------------- demo
def test_demo_uses_the_embedded_store_even_with_orggraph_uri(demo: tuple[Path, Any]) -> None:
    data, p = demo
    assert p.returncode == 0, p.stderr
    assert "ORGGRAPH_URI" in p.stderr and "内置存储" in p.stderr and str(data) in p.stderr
    assert (data / MARKER_NAME).exists()
    assert (
        rows(data, "MATCH (g:Grid) RETURN count(g) AS n")[0]["n"] >= 1
    )  # in the embedded store of the data dir


def test_demo_rebuilds_its_own_store_and_refuses_anyone_elses(tmp_path: Path) -> None:
    data = tmp_path / "data"
    try:
        first = run(data, "demo", "--no-serve", "--residents", RESIDENTS)
        assert first.returncode == 0, first.stderr
        demo_counts = counts(data)
        again = run(
            data, "demo", "--no-serve", "--residents", RESIDENTS
        )  # its own data: rebuilt, no question
        assert again.returncode == 0, again.stderr
        assert counts(data) == demo_counts

        loaded = run(data, "load", str(write_ledgers(tmp_path / "ledgers", small_ledgers())))
        assert loaded.returncode == 0, loaded.stderr
        assert not (data / MARKER_NAME).exists()
        mixed = counts(data)
        refused = run(data, "demo", "--no-serve", "--residents", RESIDENTS)
        assert refused.returncode == 2 and refused.stdout == ""
        assert (
            "ORGGRAPH_DATA_DIR" in refused.stderr
            and "--force" in refused.stderr
            and CJK.search(refused.stderr)
        )
        assert counts(data) == mixed  # nothing cleared

        forced = run(data, "demo", "--no-serve", "--residents", RESIDENTS, "--force")
        assert forced.returncode == 0, forced.stderr
        assert "--force" in forced.stderr and counts(data) == demo_counts

        # A restore puts the user's data there too (here: a backup of the demo itself, whatever it holds).
        backup = tmp_path / "demo.backup"
        assert run(data, "backup", str(backup)).returncode == 0
        assert run(data, "restore", str(backup)).returncode == 0
        assert run(data, "demo", "--no-serve", "--residents", RESIDENTS).returncode == 2
    finally:
        stop_server(data)


def test_demo_waits_for_no_load(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with load_lock(data):
        p = run(data, "demo", "--no-serve", "--residents", RESIDENTS)
    assert p.returncode == 1 and "另一个导入正在进行" in p.stderr
    assert not (data / "demo-ledgers").exists() and not (data / MARKER_NAME).exists()


# --------------------------------------------------------------------------------------------- demo-data
def test_demo_data_xlsx_is_a_workbook_that_loads_as_file_or_folder(tmp_path: Path) -> None:
    out, data = tmp_path / "out", tmp_path / "data"
    made = run(data, "demo-data", str(out), "--residents", RESIDENTS, "--xlsx")
    assert made.returncode == 0, made.stderr
    assert sorted(x.name for x in out.iterdir()) == [WORKBOOK_NAME]  # no CSV beside it, nothing left over
    assert f"orggraph load {shlex.quote(str(out / WORKBOOK_NAME))}" in made.stdout
    try:
        for path in (out, out / WORKBOOK_NAME):
            p = run(data, "load", str(path), "--dry-run")
            assert p.returncode == 0 and "检查通过" in p.stdout, p.stderr
    finally:
        stop_server(data)
    # CSVs next to the workbook (or the other way round) would count every ledger twice: refused, said why.
    p = run(data, "demo-data", str(out), "--residents", RESIDENTS)
    assert p.returncode == 2 and WORKBOOK_NAME in p.stderr and CJK.search(p.stderr)
    csvs = tmp_path / "csv"
    assert run(data, "demo-data", str(csvs), "--residents", RESIDENTS).returncode == 0
    assert sorted(x.name for x in csvs.iterdir()) == sorted(f"{n}.csv" for n in LEDGER_HEADERS)
    p = run(data, "demo-data", str(csvs), "--residents", RESIDENTS, "--xlsx")
    assert p.returncode == 2 and ".csv" in p.stderr and not (csvs / WORKBOOK_NAME).exists()


# ------------------------------------------------------------------------------------------------ cypher
def test_cypher_param_values_are_strings_and_colon_equals_is_json(demo: tuple[Path, Any]) -> None:
    data, _ = demo
    code = rows(data, "MATCH (g:Grid) RETURN min(g.code) AS code")[0]["code"]
    q = "MATCH (g:Grid {code: $code}) RETURN g.code AS code"
    assert rows(data, q, "--param", f"code={code}") == [{"code": code}]  # an all-digit code stays a string
    assert (
        rows(data, q, "--param", f"code:={code}") == []
    )  # the integer: what := is for, and it matches no code
    got = rows(data, "RETURN $n + 1 AS n, $xs AS xs, $t AS t, $z AS z, $s AS s",
               "--param", "n:=2", "--param", 'xs:=["a", 1]', "--param", "t:=true", "--param", "z:=null",
               "--param", "s=a=b:=c")  # fmt: skip
    assert got == [{"n": 3, "xs": ["a", 1], "t": True, "z": None, "s": "a=b:=c"}]
    for bad, hint in ((f"code:={code}x", f"--param code={code}x"), ("code", "code=520603001"), ("=1", ":=")):
        p = run(data, "cypher", q, "--param", bad)
        assert p.returncode == 2 and hint in p.stderr and p.stdout == "", (bad, p.stderr)
    assert ":=" in run(data, "cypher", "--help").stdout


def test_the_demo_hint_runs_as_printed(demo: tuple[Path, Any]) -> None:
    data, p = demo
    hints = [ln.strip() for ln in p.stdout.splitlines() if "--param" in ln]
    assert hints, p.stdout
    args = shlex.split(hints[0])
    assert args[0] == "orggraph"
    got = run(data, *args[1:], "--json")
    assert got.returncode == 0, got.stderr
    assert json.loads(got.stdout), "the example grid has people serving it"


# ----------------------------------------------------------------------------------- the development key
def test_every_command_that_touches_the_store_says_so_once(demo: tuple[Path, Any], tmp_path: Path) -> None:
    data, _ = demo
    street = rows(data, "MATCH (s:Street) RETURN min(s.code) AS code")[0]["code"]
    ledgers = str(write_ledgers(tmp_path / "ledgers", small_ledgers()))
    commands = [
        ["cypher", "RETURN 1 AS one", "--json"],
        ["load", ledgers, "--dry-run"],
        ["viz", "overview", "--out", str(tmp_path / "o.html")],
        ["report", "gaps", "--out", str(tmp_path / "g.json")],
        ["backup", str(tmp_path / "b.backup")],
        ["export", "--neo4j-admin", str(tmp_path / "e1")],
        ["export", "--neo4j-admin", str(tmp_path / "e2"), "--from-ledgers", ledgers],
        ["token", "create", "--role", "viewer", "--scope", street, "--json"],
    ]
    for args in commands:
        p = run(data, *args, pid_key=False)
        assert p.returncode == 0, (args, p.stderr)
        assert p.stderr.count(DEV_KEY_WARNING) == 1, (args, p.stderr)
        assert DEV_KEY_WARNING not in p.stdout
        if "--json" in args:
            json.loads(p.stdout)  # stdout stays pure JSON


def test_which_commands_warn_about_the_development_key() -> None:
    """Every command that opens the store (or computes pids) warns; token create does when --scope opens
    it."""
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    warns = {name for name, p in sub.choices.items() if p.get_default("uses_store")}  # type: ignore[union-attr]
    assert warns == {
        "load",
        "cypher",
        "export",
        "backup",
        "restore",
        "demo",
        "viz",
        "report",
        "serve",
        "diff",
        "what-if",
    }


# --------------------------------------------------------------------------------------- load and export
def test_load_warnings_have_one_prefix(demo: tuple[Path, Any], tmp_path: Path) -> None:
    data, _ = demo
    ledgers = small_ledgers()
    ledgers["人员"] = [{**r, "备注": "x"} for r in ledgers["人员"]]  # an unknown column: a warning
    p = run(data, "load", str(write_ledgers(tmp_path / "l", ledgers)), "--dry-run")
    assert p.returncode == 0, p.stderr
    warnings = [ln for ln in p.stderr.splitlines() if "备注" in ln]
    assert warnings and all(ln.startswith("警告：") and "警告：警告" not in ln for ln in warnings), p.stderr


def test_export_asks_for_create_database_only_for_another_database(
    demo: tuple[Path, Any], tmp_path: Path
) -> None:
    data, _ = demo
    default = run(data, "export", "--neo4j-admin", str(tmp_path / "a"))
    assert default.returncode == 0, default.stderr
    assert "CREATE DATABASE" not in default.stdout and "cypher-shell -d neo4j" in default.stdout
    other = run(data, "export", "--neo4j-admin", str(tmp_path / "b"), "--database", "city")
    assert other.returncode == 0, other.stderr
    assert "CREATE DATABASE city" in other.stdout and "cypher-shell -d city" in other.stdout


def test_viz_role_must_be_a_role(tmp_path: Path) -> None:
    r = run(tmp_path / "data", "viz", "overview", "--role", "boss", "--out", str(tmp_path / "x.html"))
    assert r.returncode == 2 and "--role" in r.stderr and "viewer" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "x.html").exists()
