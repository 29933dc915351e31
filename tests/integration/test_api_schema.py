"""Property-based requests against the app's own OpenAPI document (schemathesis):
for every operation, requests generated from its declared parameters and bodies,
sent to the real app on loopback as an administrator and as a supervisor (the
administrator is refused most case routes, so the supervisor reaches their
validation and storage), never get a 5xx, and every answer of a documented
status conforms to the declared response schema.

Bounded (a few examples per operation) so it runs in well under a minute.
"""

from __future__ import annotations

import asyncio
import warnings
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from korgoo.api.auth import COOKIE, CSRF_HEADER
from tests.net import serving

from .api_world import World, world_fixture

__all__ = ["world_fixture"]

MAX_EXAMPLES = 4
# Left out, with the reason:
EXCLUDED = {
    ("DELETE", "/api/v1/session"),  # logs the test's own session out
    ("GET", "/api/v1/events/stream"),  # a stream that never ends
    ("GET", "/app/api/v1/stream"),  # a stream that never ends
}
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


def run_operations(url: str, openapi: dict[str, object], headers: dict[str, str]) -> list[str]:
    """Every operation's examples (blocking: run off the event loop serving the app)."""
    schema = schemathesis.openapi.from_dict(openapi)
    tried = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in EXCLUDED:
            continue

        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(), _=st.just(None))
        def probe(case: schemathesis.Case, _: None) -> None:
            case.call_and_validate(base_url=url, headers=dict(headers), checks=CHECKS)

        probe()
        tried.append(f"{operation.method.upper()} {operation.path}")
    return tried


@pytest.mark.parametrize("username", ["admin", "supervisor"])
async def test_generated_requests_get_no_5xx_and_answers_match_the_schema(
    w: World, username: str
) -> None:
    client = await w.login(username)
    token = client.cookies.get(COOKIE)
    assert token is not None
    headers = {"Cookie": f"{COOKIE}={token}", CSRF_HEADER: client.headers[CSRF_HEADER]}
    await client.aclose()
    openapi = w.app.openapi()  # type: ignore[attr-defined]
    async with serving(w.app) as url:
        tried = await asyncio.to_thread(run_operations, url, openapi, headers)
    assert len(tried) > 40, tried


def _named(schema: dict[str, Any]) -> bool:
    """A schema naming a declared model (or a list of them), not a bare object."""
    if "$ref" in schema:
        return True
    if schema.get("type") == "array":
        return _named(schema.get("items", {}))
    choices = schema.get("anyOf") or schema.get("oneOf") or []
    return bool(choices) and all(_named(c) for c in choices)


def undeclared_answers(openapi: dict[str, Any]) -> list[str]:
    """The /api/ and /app/api/ operations whose success answer is neither a named
    model, nor empty (204), nor a declared non-JSON content type."""
    out = []
    for path, operations in openapi["paths"].items():
        if not path.startswith(("/api/", "/app/api/")):
            continue
        for method, op in operations.items():
            success = sorted(code for code in op["responses"] if code.startswith("2"))
            if not success:
                out.append(f"{method.upper()} {path}: no success answer")
                continue
            answer = op["responses"][success[0]]
            content = answer.get("content", {})
            if success[0] == "204" and not content:
                continue
            if set(content) - {"application/json"}:
                continue
            if not _named(content.get("application/json", {}).get("schema", {})):
                out.append(f"{method.upper()} {path}")
    return out


async def test_every_api_route_declares_what_it_answers(w: World) -> None:
    """Each operation of /api/ and /app/api/ answers a declared pydantic model, no
    body (204), or a declared non-JSON content type (files, streams); and the
    OpenAPI document is built without a warning (e.g. a duplicate operationId)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        w.app.openapi_schema = None  # type: ignore[attr-defined]
        openapi = w.app.openapi()  # type: ignore[attr-defined]
    operations = [op for ops in openapi["paths"].values() for op in ops.values()]
    assert len(operations) > 60
    missing = undeclared_answers(openapi)
    assert missing == [], "\n".join(missing)
    ids = [op["operationId"] for op in operations]
    assert len(ids) == len(set(ids))
