"""Property test of the whole API against its own OpenAPI document: whatever schemathesis sends (valid and
invalid requests, with an admin token), nothing answers 5xx — not 500, and not the 503 an unexpected error
would be turned into. Bounded: a few examples per operation and generation mode."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from orggraph.api.app import create_app
from orggraph.api.auth import Role, TokenRegistry, tokens_path
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

EXAMPLES = 8  # per operation and mode: about 30 operations × 2 modes, a few hundred requests in all
# Operations whose generated inputs would undo the run itself (revoking the token it uses).
SKIP = {"DELETE /api/tokens/{name}", "POST /api/logout"}


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_input_makes_the_api_answer_5xx(city, settings: Any, mode: GenerationMode) -> None:
    settings.query_timeout = 2.0  # a generated Cypher text must not hold the run up
    app = create_app(settings, city)
    token, _ = TokenRegistry(tokens_path(settings.data_dir)).create(Role.admin, None, "schemathesis")
    headers = {"Authorization": f"Bearer {token}"}
    schema = schemathesis.openapi.from_asgi(
        "/openapi.json", app, headers=headers
    )  # the docs need a token too
    calls: dict[str, int] = {}
    for result in schema.get_all_operations():
        op = result.ok()
        if op.label in SKIP:
            continue

        @given(case=op.as_strategy(generation_mode=mode))
        @hypothesis_settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case: Any) -> None:
            calls[op.label] = calls.get(op.label, 0) + 1  # noqa: B023 - run() runs within this iteration
            case.call_and_validate(headers=headers, checks=[not_a_server_error])

        try:
            run()
        except Unsatisfiable:
            assert mode is GenerationMode.NEGATIVE  # an operation without parameters has no invalid input
    assert len(calls) >= (20 if mode is GenerationMode.POSITIVE else 10), calls  # it really exercised the API
    assert sum(calls.values()) >= 80, calls
