"""The staff pages of schedules (on the staff pages' blueprint): the doctors and clinics an admin keeps the hours of,
a doctor's weekly hours, day overrides and absences, a clinic's closures. Each change is previewed first (the API's
dry run lists the visits it would cancel) and then confirmed; the pages hold no rule the API lacks."""
from __future__ import annotations

from flask import Response
from flask_babel import gettext

from medsync.webapp.staff_pages import blueprint, staff_page


@blueprint.get("/schedules")
def schedules() -> Response:
    """The caller's clinics, each with its doctors (their schedules) and its closures."""
    return staff_page("staff/schedules.html", schedule_texts=schedule_texts())


@blueprint.get("/doctors/<int:doctor_id>/schedule")
def doctor_schedule(doctor_id: int) -> Response:
    """A doctor's weekly hours editor, day overrides and absences, each with the affected-visits preview."""
    return staff_page("staff/doctor_schedule.html", doctor_id=doctor_id, schedule_texts=schedule_texts(),
                      weekdays=weekday_names())


@blueprint.get("/clinics/<int:clinic_id>/closures")
def clinic_closures(clinic_id: int) -> Response:
    """A clinic's closures (public holidays), with the affected-visits preview."""
    return staff_page("staff/clinic_closures.html", clinic_id=clinic_id, schedule_texts=schedule_texts())


def weekday_names() -> list[tuple[int, str]]:
    """(ISO weekday, its name in the page's language)."""
    from babel.dates import get_day_names

    from medsync.i18n import current_language

    names = get_day_names("wide", locale=current_language())  # Monday = 0
    return [(index + 1, names[index].capitalize()) for index in range(7)]


def schedule_texts() -> dict[str, str]:
    """What the schedule pages' script says, translated; `{name}` marks a value it fills in."""
    return {
        "preview": gettext("Check"),
        "confirm": gettext("Confirm"),
        "saved": gettext("Saved."),
        "remove": gettext("Remove"),
        "day_off": gettext("Day off"),
        "no_visits": gettext("No booked visit is affected."),
        "visits_affected": gettext("These booked visits will be cancelled and their patients told:"),
        "visits_cancelled": gettext("Saved. The affected visits are cancelled and their patients are being told."),
        "to_call": gettext("to be called"),
        "bad_hours": gettext("Write hours as 09:00-13:00, several separated by commas."),
        "clinic_hours": gettext("No hours of their own: the doctor works the clinic's opening hours."),
        "test_clinic_hours": gettext("No hours of its own here: the test is offered in the clinic's opening hours."),
        "from_day": gettext("From {day}"),
        "closures": gettext("Closures"),
        "schedule": gettext("Hours, days off and absences"),
        "nothing_yet": gettext("None yet."),
    }
