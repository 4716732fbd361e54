"""The OpenAPI document says what the server does: a request valid by the document is never refused as malformed,
and what the schemas cannot state (rules between fields, rules on stored data) is written beside its status."""
from __future__ import annotations

import sys

import jsonschema_rs  # schemathesis's own validator
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from medsync.api.schemas import WHITESPACE
from medsync.extensions import db
from medsync.services import staff_tokens
from medsync.services.seed import seed_demo_catalog
from tests.conftest import BOT_TOKEN
from tests.support.initdata import sign_init_data
from tests.support.openapi import assert_listed_status

PATIENT = {"id": 700_000_002, "first_name": "Lesya", "last_name": "Ukrainka", "username": "lesya"}
EXAMPLES_PER_OPERATION = 15
# 422s that depend on stored data or on a second field, by operation: the fields they name. Each must be named in
# that operation's documented 422 description.
REFUSED_BY_DATA = {
    "POST /api/v1/bookings": {"clinic_id", "Idempotency-Key"},
    "GET /api/v1/doctors/{doctor_id}/slots": {"to"},
    "GET /api/v1/diagnostics/{diagnostic_id}/slots": {"to", "clinic_id"},
    "POST /api/v1/staff/bookings/{booking_id}/results": {"file"},
    "POST /api/v1/staff/bookings": {"clinic_id", "patient"},
    "POST /api/v1/staff/bookings/{booking_id}/status": {"reason"},
    "GET /api/v1/staff/patients": {"q"},
}


def test_whitespace_is_exactly_what_strip_removes():
    assert set(WHITESPACE) == {chr(point) for point in range(sys.maxunicode + 1) if chr(point).isspace()}


def test_requests_valid_by_the_document_are_never_refused_as_malformed(app, app_context):
    seed_demo_catalog()
    _, token = staff_tokens.issue("contract")
    db.session.commit()
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    spec = app.test_client().get("/api/v1/openapi.json").get_json()

    for operation in (result.ok() for result in schema.get_all_operations()):
        credentials = f"Bearer {token}" if "/staff/" in operation.path else f"tma {sign_init_data(BOT_TOKEN, PATIENT)}"
        allowed = REFUSED_BY_DATA.get(operation.label, set())
        documented_422 = spec["paths"][operation.path][operation.method]["responses"].get("422", {})
        assert all(f"`{field}`" in documented_422.get("description", "") for field in allowed), operation.label
        accepted_or_refused_as_documented(operation, {"Authorization": credentials}, allowed, spec)


def accepted_or_refused_as_documented(operation, headers: dict[str, str], allowed: set[str], spec: dict) -> None:
    """Valid requests of one operation: answered with a status the document lists for it, and that is a 2xx, or
    a refusal by auth, existence, state or rate (401/404/409/429), or a 422 naming only the fields whose rule the
    document states in words."""

    @given(case=operation.as_strategy(generation_mode=GenerationMode.POSITIVE))
    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, phases=[Phase.generate], derandomize=True,
              suppress_health_check=list(HealthCheck), database=None)
    def run(case) -> None:
        response = case.call(headers=headers)
        assert_listed_status(spec, operation, response.status_code, case)
        if response.status_code == 422 and set(response.json()["errors"]) <= allowed:
            return
        case.validate_response(response, checks=[positive_data_acceptance])

    run()


def test_the_reminder_run_takes_no_body_as_its_document_says(client, app_context):
    _, token = staff_tokens.issue("contract")
    db.session.commit()
    operation = client.get("/api/v1/openapi.json").get_json()["paths"]["/api/v1/staff/reminders/run"]["post"]

    response = client.post("/api/v1/staff/reminders/run", headers={"Authorization": f"Bearer {token}"})

    assert operation["requestBody"]["required"] is False
    assert response.status_code == 202 and response.get_json() == {"queued": 0}


@pytest.mark.parametrize("body, valid", [
    ({"doctor_id": 1}, True),
    ({"diagnostic_id": 1}, True),
    ({"doctor_id": 1, "diagnostic_id": None}, True),
    ({"doctor_id": 1, "diagnostic_id": 2}, False),
    ({}, False),
    ({"doctor_id": None, "diagnostic_id": None}, False),
])
def test_a_booking_names_exactly_one_of_doctor_or_diagnostic_in_the_document_too(client, body, valid):
    spec = client.get("/api/v1/openapi.json").get_json()
    rule = {"oneOf": spec["components"]["schemas"]["BookingCreate"]["oneOf"]}

    assert jsonschema_rs.Draft4Validator(rule).is_valid(body) is valid
