"""schemathesis against the app in-process (WSGI, no network): every operation in /api/v1/openapi.json, with schema-
valid (positive) and schema-breaking (negative) requests, as a council contract manager and as a provider manager.
Every response must be no server error, have a status the document lists for the operation, carry the content type
it declares and match its response schema. Found problems are collected over the whole run and reported together.

Bounded for `make test`: EXAMPLES requests per operation and mode (a few thousand in all), generated from a fixed seed
(hypothesis' derandomize), no shrinking and no example database. Path ids are drawn from the schema and, for part of
the examples, fixed at 1 to 3 so the requests reach records that exist (the demo's cases, notices, complaints...)
and their bodies are read, not only refused as not found.
"""

from __future__ import annotations

import traceback
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

EXAMPLES = 15  # 20 took 85-120 s a role on each database; CI must stay under 30 minutes
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXISTING_IDS = (1, 2, 3)
ROOT = str(Path(__file__).resolve().parents[2])


@pytest.fixture
def world(app, demo):
    """The demo with its example cases, a notice, a complaint and a safeguarding concern (ids 1 and up)."""
    from models import db
    from models.demo import load_demo

    with app.app_context():
        load_demo(with_cases=True)
        db.session.commit()


def _where(exc: BaseException) -> str:
    """The innermost line of Remedy's own code in an exception's traceback."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if f.filename.startswith(ROOT) and "/.venv/" not in f.filename and "/tests/" not in f.filename]
    return f"{frames[-1].filename.removeprefix(ROOT + '/')}:{frames[-1].lineno}" if frames else "?"


def _cases(operation, mode):
    """The operation's cases in a mode: path parameters from the schema, or an id that exists."""
    strategy = operation.as_strategy(generation_mode=mode)
    if "{id}" not in operation.path:
        return strategy
    return st.one_of(strategy, *(operation.as_strategy(generation_mode=mode, path_parameters={"id": record_id})
                                 for record_id in EXISTING_IDS))


@pytest.mark.parametrize("role", ["contract_manager", "provider_manager"])
def test_every_operation_gives_no_server_error_and_matches_the_document(app, world, api_token, role):
    headers = {"Authorization": f"Bearer {api_token(role)}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    problems: dict[tuple[str, str], str] = {}  # (operation, problem) -> the first request that showed it
    sent = 0

    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
                      phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
            @given(case=_cases(operation, mode))
            def send(case):
                nonlocal sent
                sent += 1
                try:
                    response = case.call(headers=headers)
                except Exception as exc:  # TESTING propagates a view's exception: it would have been a 500
                    problem = f"500: {type(exc).__name__} at {_where(exc)}: {exc}"[:300]
                    problems.setdefault((case.operation.label, problem), case.as_curl_command(headers))
                    return
                try:
                    case.validate_response(response, checks=CHECKS, headers=headers)
                except FailureGroup as group:
                    for failure in group.exceptions:
                        problems.setdefault((case.operation.label, f"{failure.title}: {failure.message}"[:300]),
                                            case.as_curl_command(headers))

            try:
                send()
            except Unsatisfiable:  # nothing to break in a request without parameters (GET /health, negative)
                assert mode is GenerationMode.NEGATIVE and not operation.path_parameters and not operation.body
    assert sent > 1000
    assert not problems, "\n\n".join(f"{label}: {problem}\n  {curl}" for (label, problem), curl in problems.items())
