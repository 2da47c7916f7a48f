"""LOAD CSV is refused in ad-hoc Cypher (API 403, as for a write; CLI exit 2) whatever its case, spacing or
comments, while a string or a quoted name that merely says 'LOAD CSV' is fine."""

from __future__ import annotations

import pytest
from orggraph.api.cli import build_parser, cmd_cypher
from orggraph.queries.adhoc_guard import AdhocRefused, check_adhoc

from orggraph.settings import Settings

REFUSED = [
    "LOAD CSV FROM 'file:///etc/passwd' AS row RETURN row",
    "load csv with headers from 'file:///x.csv' AS r RETURN r",
    "LoAd\n\t CsV FROM 'http://example.invalid/a.csv' AS r RETURN r",
    "MATCH (n) WITH n LIMIT 1 LOAD/* hidden */CSV FROM 'file:///x' AS r RETURN r",
    "// a comment first\nLOAD // then one between\nCSV FROM 'file:///x' AS r RETURN r",
    "RETURN 'a' AS a UNION LOAD CSV FROM 'file:///x' AS r RETURN r[0] AS a",
    "CALL { LOAD CSV FROM 'file:///x' AS r RETURN r } RETURN r",
]
ALLOWED = [
    "RETURN 'LOAD CSV FROM x' AS s",
    'RETURN "load csv" AS s',
    "RETURN 'it\\'s LOAD CSV' AS s",
    "MATCH (n) RETURN n.name AS `LOAD CSV` LIMIT 1",
    "RETURN 1 AS one // LOAD CSV FROM 'file:///x'",
    "RETURN 1 AS one /* LOAD CSV */",
    "MATCH (n:Download) RETURN n.csv_file LIMIT 1",  # the words inside others
    "RETURN 1 AS payload, 2 AS csv",
]


@pytest.mark.parametrize("query", REFUSED)
def test_load_csv_is_refused(query: str) -> None:
    with pytest.raises(AdhocRefused, match="LOAD CSV") as e:
        check_adhoc(query)
    assert e.value.status == 403 and "orggraph load" in str(e.value)


@pytest.mark.parametrize("query", ALLOWED)
def test_strings_comments_and_names_are_not_code(query: str) -> None:
    check_adhoc(query)


def test_api_refuses_load_csv_with_403(api) -> None:
    for query in REFUSED[:4]:
        r = api.post("/api/cypher", {"query": query}, role="analyst")
        assert (
            r.status_code == 403
            and "LOAD CSV" in r.json()["detail"]
            and "orggraph load" in r.json()["detail"]
        )
    assert api.post("/api/cypher", {"query": ALLOWED[0]}, role="analyst").json()["rows"] == [
        ["LOAD CSV FROM x"]
    ]
    # Refused only for whoever may run Cypher at all: the role check comes first.
    assert api.post("/api/cypher", {"query": REFUSED[0]}, role="viewer").status_code == 403
    assert [x["status"] for x in api.audit()][-6:] == [403, 403, 403, 403, 200, 403]


def test_cli_refuses_load_csv_with_exit_2(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    # The check comes before the store is opened: no store exists under this data folder, none is made.
    settings = Settings(data_dir=tmp_path / "nothing")
    args = build_parser().parse_args(["cypher", REFUSED[1]])
    assert cmd_cypher(args, settings) == 2
    err = capsys.readouterr().err
    assert "LOAD CSV" in err and "orggraph load" in err
    assert not (tmp_path / "nothing").exists()
