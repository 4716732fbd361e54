"""Schemathesis against /api/v1/openapi.json in-process: generated requests (valid and invalid) never get a
5xx, and every response conforms to the documented schema. Requests carry initData signed for the test bot."""
from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance, response_schema_conformance, status_code_conformance,
)

from medsync.extensions import db
from medsync.services.seed import seed_demo_catalog
from tests.conftest import BOT_TOKEN
from tests.support.initdata import sign_init_data

FUZZED_PATIENT = {"id": 700_000_001, "first_name": "Taras", "last_name": "Shevchenko", "username": "taras"}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES_PER_OPERATION = 12


def test_generated_requests_get_documented_answers_and_never_a_server_error(app, app_context):
    seed_demo_catalog()
    db.session.commit()
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 18

    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            fuzz(operation, mode)


def fuzz(operation, mode: GenerationMode) -> None:
    """Run one operation's generated cases; a failure names the operation and the case."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck), database=None)
    def run(case) -> None:
        case.call_and_validate(
            headers={"Authorization": f"tma {sign_init_data(BOT_TOKEN, FUZZED_PATIENT)}"}, checks=CHECKS,
        )

    try:
        run()
    except Unsatisfiable:
        # An operation without parameters or body has no invalid variant to generate.
        if mode is not GenerationMode.NEGATIVE:
            raise


def test_the_spec_is_valid_openapi_3_with_both_security_schemes(client):
    from schemathesis.specs.openapi.definitions import OPENAPI_30_VALIDATOR

    spec = client.get("/api/v1/openapi.json").get_json()
    OPENAPI_30_VALIDATOR.validate(spec)  # raises on any violation of the OpenAPI 3.0 meta-schema
    assert spec["openapi"].startswith("3.0")
    assert set(spec["components"]["securitySchemes"]) >= {"tma", "bearer"}
    assert spec["paths"]["/api/v1/bookings"]["post"]["security"] == [{"tma": []}]
    error = spec["components"]["schemas"]["Error"]
    assert set(error["properties"]) == {"code", "status", "message", "errors"}
