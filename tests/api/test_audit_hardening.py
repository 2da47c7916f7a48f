"""The audit log cannot be skipped (one line per request whatever the body or outcome) and no log keeps a raw
ID number or a secret: not the audit log, not api.log, not uvicorn's log; both files are private (0600)."""

from __future__ import annotations

import json
import logging
import os
import stat
from collections.abc import Iterator
from typing import Any

import pytest
from api_city import ID_A
from orggraph.api.audit import MAX_LOGGED_PARAMS_CHARS, AuditLog
from orggraph.api.server import MaskingFilter, PrivateRotatingFileHandler, configure_logging, mask_logs

RAW_ID = "520603198411268037"  # the ID number of the report (valid check character)
MASKED_ID = "5206**********8037"
OLD_ID = "520603841126803"  # a 15-digit ID of the old kind (born 1984-11-26)
TOKEN = "og_" + "Ab1_" * 10 + "xyz"  # shaped like a real token (og_ + 43 URL-safe characters)


def _mode(path: Any) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


# ------------------------------------------------------------------------------------ one line per request
def _requests(api: Any) -> list[tuple[str, str, dict[str, Any]]]:
    auth = api.as_("admin")
    json_type = {**auth, "Content-Type": "application/json"}
    return [
        ("GET", "/api/people?name=x", {"content": b"[" * 100_000, "headers": json_type}),  # the report's case
        ("POST", "/api/cypher", {"content": b"[" * 100_000, "headers": json_type}),
        (
            "POST",
            "/api/cypher",
            {
                "content": b'{"query": "RETURN 1", "params": {"m": ' + b"[" * 5000 + b"]" * 5000 + b"}}",
                "headers": json_type,
            },
        ),
        ("POST", "/api/cypher", {"content": b"\xff\xfe not utf-8 {", "headers": json_type}),
        (
            "POST",
            "/api/cypher",
            {"content": b"query=RETURN+1", "headers": {**auth, "Content-Type": "text/plain"}},
        ),
        (
            "POST",
            "/api/cypher",
            {
                "content": json.dumps({"query": "RETURN 1", "params": {"x": "a" * 300_000}}),
                "headers": json_type,
            },
        ),  # parsed by the app, too big to be kept in the line
        ("POST", "/api/cypher", {"content": b"x" * (2 << 20), "headers": json_type}),  # 413
        ("GET", "/api/coverage", {}),  # 401: no token
        ("GET", "/api/coverage", {"headers": {"Authorization": "Bearer og_revoked_or_never_made"}}),  # 401
        ("POST", "/api/cypher", {"json": {"query": "RETURN 1"}, "headers": api.as_("viewer")}),  # 403
        ("GET", "/api/nowhere", {"headers": auth}),  # 404
        ("DELETE", "/api/coverage", {"headers": auth}),  # 405
        ("GET", "/api/coverage?as_of=2025-02-30", {"headers": auth}),  # 422
        ("GET", "/api/health", {"content": b"{" * 50_000}),
    ]


def test_every_request_leaves_exactly_one_bounded_line(api) -> None:
    for method, url, kw in _requests(api):
        before = len(api.audit())
        r = api.client.request(method, url, **kw)
        assert r.status_code < 500 or r.status_code == 503, (url, r.status_code)
        lines = api.audit()
        assert len(lines) == before + 1, (method, url, r.status_code)
        assert lines[-1]["status"] == r.status_code and lines[-1]["method"] == method
    statuses = [x["status"] for x in api.audit()]
    assert {401, 403, 404, 405, 413, 422} <= set(statuses)
    assert (
        max(len(line) for line in api.settings.audit_path.read_text(encoding="utf-8").splitlines())
        < MAX_LOGGED_PARAMS_CHARS + 2000
    )


def test_deep_body_is_described_not_parsed_into_the_line(api) -> None:
    r = api.client.request("GET", "/api/people?name=x", content=b"[" * 100_000, headers=api.as_("admin"))
    assert r.status_code == 200  # the route takes no body: it answers, and its line says what came
    line = api.audit()[-1]
    assert line["route"] == "/api/people" and line["params"]["body"] == "<100000 bytes, not kept>"
    api.client.request("GET", "/api/people?name=x", content=b"[" * 50_000, headers=api.as_("admin"))
    assert api.audit()[-1]["params"] == {"name": "x", "body": "<50000 bytes, JSON nested too deeply>"}
    # Deep but parseable: kept down to a bounded depth, the rest summarized.
    api.post("/api/cypher", {"query": "RETURN 1 AS one", "params": {"m": json.loads("[" * 60 + "]" * 60)}})
    line = api.audit()[-1]
    assert line["status"] == 422  # nesting past what a parameter may have
    assert "nested deeper than" in json.dumps(line["params"])


def test_a_failing_audit_description_still_leaves_one_line(api, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*a: Any, **k: Any) -> Any:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr("orggraph.api.audit._params", broken)
    r = api.get(f"/api/coverage?{RAW_ID}=1")
    line = api.audit()[-1]
    assert line["status"] == r.status_code and line["audit_error"] == "RecursionError"
    assert line["params"] == "<not recorded>" and line["route"] == "/api/coverage"


# --------------------------------------------------------------------------------- masking in the audit log
def test_ids_and_tokens_are_masked_in_keys_values_and_paths(api) -> None:
    api.get(f"/api/coverage?{RAW_ID}=1&access_token={TOKEN}&q={OLD_ID}")
    api.get(f"/api/nowhere/{RAW_ID}/{TOKEN}")
    api.post(
        "/api/cypher",
        {
            "query": f"MATCH (p) WHERE p.x = '{RAW_ID}' RETURN p LIMIT 1",
            "params": {"m": {RAW_ID: TOKEN, "token_hint": "x"}},
        },
    )
    text = api.settings.audit_path.read_text(encoding="utf-8")
    for raw in (RAW_ID, OLD_ID, TOKEN, TOKEN[3:]):
        assert raw not in text
    first, second, third = api.audit()[-3:]
    assert first["params"] == {MASKED_ID: "1", "access_token": "***", "q": "5206*******6803"}
    assert second["route"] == f"/api/nowhere/{MASKED_ID}/og_***"
    assert third["params"]["body"]["params"] == {"m": {MASKED_ID: "og_***", "token_hint": "***"}}
    assert MASKED_ID in third["params"]["body"]["query"]


def test_an_id_number_as_a_map_key_is_a_422_not_a_503(api) -> None:
    for key in (RAW_ID + "`", "", "`"):
        r = api.post("/api/cypher", {"query": "RETURN $m AS m", "params": {"m": {key: 1}}}, role="analyst")
        assert r.status_code == 422, (key, r.text)
        assert "反引号" in r.json()["detail"] and RAW_ID not in r.text and "Value error" not in r.text
        r = api.post("/api/queries/contacts.of_grid", {"params": {"code": {key: 1}}}, role="analyst")
        assert r.status_code == 422 and RAW_ID not in r.text
    # An ID number as a plain key is a fine value for the store; the log masks it all the same.
    r = api.post("/api/cypher", {"query": "RETURN $m AS m", "params": {"m": {RAW_ID: 1}}}, role="analyst")
    assert r.status_code == 200 and r.json()["rows"] == [[{RAW_ID: 1}]]
    # A 422 names the bad place without echoing an ID number used as a key.
    r = api.post("/api/people/lookup", {RAW_ID: 1}, role="analyst")
    assert r.status_code == 422 and RAW_ID not in r.text and MASKED_ID in r.text
    text = api.settings.audit_path.read_text(encoding="utf-8")
    assert RAW_ID not in text and '"error"' not in text


# ------------------------------------------------------------------------------------------ api.log, modes
@pytest.fixture
def api_log(settings) -> Iterator[Any]:
    """configure_logging for this test's data folder, its handlers removed afterwards."""
    logger = logging.getLogger("orggraph")
    before = list(logger.handlers)
    path = configure_logging(settings)
    yield path
    for h in logger.handlers[:]:
        if h not in before:
            logger.removeHandler(h)
            h.close()


def test_api_log_masks_errors_and_tracebacks_and_is_private(
    api, api_log, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*a: Any, **k: Any) -> Any:
        raise KeyError(f"person {RAW_ID} with {TOKEN} and {ID_A}")

    monkeypatch.setattr("orggraph.queries.coverage.coverage", boom)
    r = api.client.get(
        f"/api/coverage?{RAW_ID}=1", headers={**api.as_("admin"), "Cookie": f"orggraph_session={TOKEN}"}
    )
    assert r.status_code == 503
    logging.getLogger("orggraph.api").warning(
        "store error on /api/people/%s: code=%s", OLD_ID, "A" * 8 + "b1" * 12
    )
    for h in logging.getLogger("orggraph").handlers:
        h.flush()
    text = api_log.read_text(encoding="utf-8")
    assert "Traceback" in text and "KeyError" in text and MASKED_ID in text
    for raw in (RAW_ID, TOKEN, ID_A, OLD_ID, "b1" * 12):
        assert raw not in text
    assert _mode(api_log) == 0o600
    line = api.audit()[-1]
    assert line["status"] == 503 and "KeyError" in line["error"] and MASKED_ID in line["error"]
    assert RAW_ID not in api.settings.audit_path.read_text(encoding="utf-8")
    assert _mode(api.settings.audit_path) == 0o600


def test_log_rotations_and_an_older_audit_file_are_private(tmp_path) -> None:
    path = tmp_path / "api.log"
    path.write_text("old\n")
    os.chmod(path, 0o644)
    handler = PrivateRotatingFileHandler(path, maxBytes=200, backupCount=2, encoding="utf-8")
    handler.addFilter(MaskingFilter())
    logger = logging.getLogger("orggraph.test_rotation")
    logger.addHandler(handler)
    try:
        for i in range(20):
            logger.warning("line %d about %s", i, RAW_ID)
    finally:
        logger.removeHandler(handler)
        handler.close()
    files = sorted(tmp_path.glob("api.log*"))
    assert len(files) == 3 and all(_mode(f) == 0o600 for f in files)
    assert all(RAW_ID not in f.read_text(encoding="utf-8") for f in files)
    audit = tmp_path / "audit.jsonl"
    audit.write_text("")
    os.chmod(audit, 0o644)
    log = AuditLog(audit)
    log.write({"x": 1})
    log.close()
    assert _mode(audit) == 0o600


def test_uvicorn_loggers_are_masked(caplog: pytest.LogCaptureFixture) -> None:
    mask_logs()
    with caplog.at_level(logging.ERROR, logger="uvicorn.error"):
        try:
            raise ValueError(f"bad key {RAW_ID}")
        except ValueError:
            logging.getLogger("uvicorn.error").exception(
                "Exception in ASGI application: %s", f"Bearer {TOKEN}"
            )
    record = caplog.records[-1]
    assert record.getMessage() == "Exception in ASGI application: Bearer og_***"
    assert MASKED_ID in record.exc_text and RAW_ID not in record.exc_text
    assert RAW_ID not in caplog.text and TOKEN not in caplog.text


def test_long_query_strings_and_paths_are_cut_after_masking(api) -> None:
    # An ID number right where the line would be cut, in the query string and in a path no route matches.
    filler = "x" * 16_370
    api.get(f"/api/coverage?a={filler}&b={RAW_ID}&c=1")
    api.get(f"/api/nowhere/{'y' * 1977}{RAW_ID}")  # the ID spans characters 1990-2008 of the path
    text = api.settings.audit_path.read_text(encoding="utf-8")
    assert RAW_ID[:10] not in text  # not even the part of it before a cut
    first, second = api.audit()[-2:]
    assert first["params"]["chars"] == len('{"a":""}') + len(filler)  # only the whole pair before the cut
    assert second["route"] == f"/api/nowhere/{'y' * 1977}{MASKED_ID[:10]}"
