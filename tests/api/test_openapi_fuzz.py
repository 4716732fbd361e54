"""Property-based tests of the API's edge: generated requests (valid and invalid) never get a 5xx, and every error is
the one JSON shape.

- Schemathesis against /api/v1/openapi.json in-process, as a signed-in patient who has bookings and, on the staff
  routes, with a valid staff token; every response conforms to the documented schema.
- Generated Telegram users inside validly signed initData: ids at and past every integer edge, names with control
  characters, NUL and lone surrogates, on both booking surfaces.
- Every free-text field the spec documents refuses what PostgreSQL cannot store (NUL, lone surrogates) by name.

Examples are bounded and derandomized: the same cases run on every machine, well inside the suite's time budget.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import hypothesis.strategies as st
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance, response_schema_conformance, status_code_conformance,
)
from sqlalchemy import select

from medsync import clock
from medsync.auth.initdata import TELEGRAM_ID_LIMIT
from medsync.extensions import db
from medsync.models import Booking, ClinicDiagnostic, Doctor, StaffRole
from medsync.services import bookings, staff_tokens, users
from medsync.services.seed import seed_demo_catalog
from tests.api.conftest import book_slot_body, local_slot, v1_booking_body
from tests.conftest import BOT_TOKEN, PATIENT
from tests.support.initdata import sign_init_data
from tests.support.openapi import assert_listed_status
from tests.support.strategies import odd_text, telegram_user_ids

FUZZED_PATIENT = {"id": 700_000_001, "first_name": "Taras", "last_name": "Shevchenko", "username": "taras"}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES_PER_OPERATION = 12
# One fixed order of cases on every run (no flaky CI), no example database, generation only (no shrinking).
BOUNDED = settings(deadline=None, derandomize=True, database=None, phases=[Phase.explicit, Phase.generate],
                   suppress_health_check=list(HealthCheck))


# --- schemathesis over /api/v1 --------------------------------------------------------------------------------


@pytest.fixture
def fuzzed_world(app_context: None, frozen_now) -> dict[str, Any]:
    """The demo catalog, bookings of the fuzzed patient (so booking ids name real ones), and a staff token."""
    seed_demo_catalog()
    doctors = db.session.scalars(select(Doctor).order_by(Doctor.id).limit(3)).all()
    profile = users.Profile.of(FUZZED_PATIENT["id"], first_name=FUZZED_PATIENT["first_name"])
    booking_ids = [
        bookings.book(user_id=FUZZED_PATIENT["id"], profile=profile, clinic_id=doctor.clinic_id, doctor_id=doctor.id,
                      starts_at=local_slot(doctor.clinic, days_ahead=2 + number), patient=PATIENT).id
        for number, doctor in enumerate(doctors)
    ]
    _, token = staff_tokens.issue("Fuzzing desk")
    clinic_ids = sorted({doctor.clinic_id for doctor in doctors})
    _, admin_token = staff_tokens.issue("Fuzzing admin", role=StaffRole.ADMIN, clinic_ids=clinic_ids)
    offered = db.session.scalars(select(ClinicDiagnostic).where(ClinicDiagnostic.clinic_id == doctors[0].clinic_id)).first()
    db.session.commit()
    return {"booking_ids": booking_ids, "staff_token": token, "admin_token": admin_token,
            "ids": {"{doctor_id}": doctors[0].id, "{clinic_id}": doctors[0].clinic_id,
                    "{diagnostic_id}": offered.diagnostic_id}}


def test_generated_requests_get_documented_answers_and_never_a_server_error(app, client, fuzzed_world):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    fuzzed_world["spec"] = client.get("/api/v1/openapi.json").get_json()
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 18

    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            fuzz(operation, mode, fuzzed_world)


def fuzz(operation, mode: GenerationMode, world: dict[str, Any]) -> None:
    """Run one operation's generated cases; a failure names the operation and the case."""
    if operation.path.startswith("/api/v1/staff/"):
        headers = {"Authorization": f"Bearer {world['staff_token']}"}
    elif operation.path.startswith("/api/v1/admin/"):
        headers = {"Authorization": f"Bearer {world['admin_token']}"}
    else:
        headers = {"Authorization": f"tma {signed(FUZZED_PATIENT)}"}

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(BOUNDED, max_examples=EXAMPLES_PER_OPERATION, phases=[Phase.generate])
    def run(case) -> None:
        booking_id = (case.path_parameters or {}).get("booking_id")
        if mode is GenerationMode.POSITIVE and isinstance(booking_id, int):
            # A generated id almost never names a booking: point most at the real ones, where bodies are written.
            case.path_parameters["booking_id"] = world["booking_ids"][booking_id % len(world["booking_ids"])]
        for name, value in world["ids"].items():  # the admin's doctor, clinic and test: where bodies are written
            if mode is GenerationMode.POSITIVE and isinstance((case.path_parameters or {}).get(name[1:-1]), int):
                case.path_parameters[name[1:-1]] = value
        response = case.call_and_validate(headers=headers, checks=CHECKS)
        assert_listed_status(world["spec"], operation, response.status_code, case)

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


# --- generated Telegram users inside validly signed initData -----------------------------------------------------

signed_users = st.fixed_dictionaries(
    {"id": telegram_user_ids, "first_name": odd_text},
    optional={"last_name": odd_text, "username": odd_text, "language_code": odd_text, "is_premium": st.booleans()},
)
USER_EXAMPLES = 40


def signed(user: dict[str, Any]) -> str:
    """initData Telegram signed for this user; the user's JSON as Telegram writes it (\\u escapes, so a lone
    surrogate travels)."""
    return sign_init_data(BOT_TOKEN, user, auth_date=int(clock.now().timestamp()), extra={"user": json.dumps(user)})


def assert_error_shape(response) -> None:
    body = response.get_json()
    assert set(body) == {"code", "status", "message", "errors"}, body
    assert body["code"] == response.status_code and body["message"]


@pytest.fixture
def a_doctor(app_context: None, frozen_now) -> Iterator[Doctor]:
    seed_demo_catalog()
    db.session.commit()
    yield db.session.scalars(select(Doctor).order_by(Doctor.id)).first()


def free_slots(client, doctor: Doctor) -> Iterator[datetime]:
    """The doctor's free slot starts over the next 31 days, as the API lists them."""
    today = clock.now().date()
    slots = client.get(f"/api/v1/doctors/{doctor.id}/slots?from={today}&to={today + timedelta(days=30)}").get_json()
    return iter([datetime.fromisoformat(slot["starts_at"]) for slot in slots])


def test_any_signed_telegram_user_books_or_is_refused_401_never_a_server_error(client, a_doctor):
    slots = free_slots(client, a_doctor)

    @given(user=signed_users, surface=st.sampled_from(["v1", "compat", "my bookings"]))
    @settings(BOUNDED, max_examples=USER_EXAMPLES)
    def run(user: dict[str, Any], surface: str) -> None:
        starts_at = next(slots)  # a free slot for each example, so a refusal is about the user
        if surface == "v1":
            response = client.post("/api/v1/bookings", json=v1_booking_body(a_doctor, starts_at),
                                   headers={"Authorization": f"tma {signed(user)}"})
        elif surface == "compat":
            response = client.post("/api/doctors/book_slot", json=book_slot_body(a_doctor, starts_at, signed(user)))
        else:
            response = client.get("/api/v1/me/bookings", headers={"Authorization": f"tma {signed(user)}"})

        a_telegram_user = 0 < user["id"] <= TELEGRAM_ID_LIMIT
        assert response.status_code in ({200, 201} if a_telegram_user else {401}), response.get_json()
        if not a_telegram_user:
            assert_error_shape(response)

    run()
    db.session.expire_all()
    assert all(0 < booking.user_id <= TELEGRAM_ID_LIMIT for booking in db.session.scalars(select(Booking)))


# --- every documented free text refuses what PostgreSQL cannot store ----------------------------------------------

UNSTORABLE = {"NUL": "Ta\x00ras", "lone surrogate": "Ta\ud800ras"}


def text_fields(schema: dict[str, Any], components: dict[str, Any], path: tuple[str, ...] = ()) -> Iterator[tuple]:
    """The JSON paths of every string property of a request body schema (nested objects followed)."""
    if "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[1]]
    for name, field in schema.get("properties", {}).items():
        if "$ref" in field or field.get("type") == "object":
            yield from text_fields(field, components, (*path, name))
        elif field.get("type") == "string" and "enum" not in field:
            yield (*path, name)


def documented_text_fields(spec: dict[str, Any]) -> Iterator[tuple[str, str, tuple[str, ...]]]:
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method not in ("post", "put", "patch"):
                continue
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body:
                for field in text_fields(body["schema"], spec["components"]["schemas"]):
                    yield method, path, field


def nested(field: tuple[str, ...], value: Any) -> dict[str, Any]:
    for name in reversed(field):
        value = {name: value}
    return value


def test_every_documented_text_field_refuses_what_postgresql_cannot_store_by_name(client, fuzzed_world):
    spec = client.get("/api/v1/openapi.json").get_json()
    fields = list(documented_text_fields(spec))
    assert ("post", "/api/v1/staff/bookings/{booking_id}/status", ("reason",)) in fields
    assert ("post", "/api/v1/bookings", ("patient", "first_name")) in fields
    staff = {"Authorization": f"Bearer {fuzzed_world['staff_token']}"}
    patient = {"Authorization": f"tma {signed(FUZZED_PATIENT)}"}
    booking_id = fuzzed_world["booking_ids"][0]

    admin = {"Authorization": f"Bearer {fuzzed_world['admin_token']}"}
    for method, path, field in fields:
        url = path.replace("{booking_id}", str(booking_id)).replace("{result_id}", "1")
        for name, value in fuzzed_world["ids"].items():
            url = url.replace(name, str(value))
        for kind, value in UNSTORABLE.items():
            headers = admin if "/admin/" in path else staff if "/staff/" in path else patient
            response = client.open(url, method=method.upper(), json=nested(field, value), headers=headers)

            assert response.status_code == 422, (path, field, kind, response.get_json())
            assert_error_shape(response)
            errors = response.get_json()["errors"]
            for name in field:
                assert name in errors, (path, field, kind, errors)
                errors = errors[name]
    db.session.expire_all()
    assert {booking.status for booking in db.session.scalars(select(Booking))} == {"booked"}
