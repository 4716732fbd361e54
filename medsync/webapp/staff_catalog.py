"""The staff pages that edit a clinic and a test (on the staff pages' blueprint), beside the doctor's: shells whose
scripts read and save through /api/v1/admin, so every rule stays in the API. A test's days and hours at each clinic
reuse the schedule pages' hours form (preview, then confirm)."""
from __future__ import annotations

from flask import Response

from medsync.webapp.staff_pages import blueprint, staff_page
from medsync.webapp.staff_schedules import schedule_texts, weekday_names


@blueprint.get("/clinics/new")
def new_clinic() -> Response:
    """The form for a new clinic (admins)."""
    return staff_page("staff/clinic.html", clinic_id=None, weekdays=weekday_names())


@blueprint.get("/clinics/<int(max=2147483647):clinic_id>")
def clinic(clinic_id: int) -> Response:
    """A clinic's name, address, time zone, currency, language and opening hours; admins change them."""
    return staff_page("staff/clinic.html", clinic_id=clinic_id, weekdays=weekday_names())


@blueprint.get("/diagnostics/new")
def new_diagnostic() -> Response:
    """The form for a new test (admins)."""
    return staff_page("staff/diagnostic.html", diagnostic_id=None, weekdays=weekday_names(),
                      schedule_texts=schedule_texts())


@blueprint.get("/diagnostics/<int(max=2147483647):diagnostic_id>")
def diagnostic(diagnostic_id: int) -> Response:
    """A test's name, description, price, duration and clinics, and its days and hours at each clinic."""
    return staff_page("staff/diagnostic.html", diagnostic_id=diagnostic_id, weekdays=weekday_names(),
                      schedule_texts=schedule_texts())
