"""The front desk's fixtures (a receptionist booking callers, a token of some clinics), statement counting as the API
tests count, and the staff bot's member factory, for the CLI tests too."""
import pytest

from medsync.extensions import db
from medsync.models import StaffRole
from medsync.services import staff_tokens
from tests.api.conftest import count_queries
from tests.bot.staff.conftest import make_staff
from tests.conftest import next_local_slot

__all__ = ["count_queries", "make_staff"]

CALLER = {"first_name": "Olha", "last_name": "Kobylianska", "phone": "067 123 45 67"}


@pytest.fixture
def desk(client, staff_headers, frozen_now, make_doctor):
    """A receptionist's token, a doctor at their clinic, and a way to book a caller for tomorrow 10:00."""
    doctor = make_doctor()

    def book(patient=CALLER, *, hour=10, days_ahead=1, **overrides):
        body = {"doctor_id": doctor.id, "clinic_id": doctor.clinic_id,
                "starts_at": next_local_slot(doctor.clinic, days_ahead=days_ahead, hour=hour).isoformat(),
                "patient": patient, **overrides}
        return client.post("/api/v1/staff/bookings", json=body, headers=staff_headers)

    book.doctor = doctor
    return book


@pytest.fixture
def only_clinics(staff_headers):
    """From now on the requests carry a reception token of these clinics only (`--role reception --clinic …`)."""

    def limit(*clinic_ids: int) -> None:
        _, token = staff_tokens.issue("Another desk", role=StaffRole.RECEPTION, clinic_ids=clinic_ids)
        db.session.commit()
        staff_headers["Authorization"] = f"Bearer {token}"

    return limit
