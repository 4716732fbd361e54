"""Texts the staff pages' scripts show (rendered into the page as #page-texts, read by app.js's t())."""
from __future__ import annotations

from flask_babel import gettext


def staff_texts() -> dict[str, str]:
    """Every text the staff scripts show, translated; `{name}` marks a value the script fills in."""
    return {
        "role_admin": gettext("Admin"),
        "role_reception": gettext("Reception"),
        "role_doctor": gettext("Doctor"),
        "role_none": gettext("Staff token"),
        "signed_in_as": gettext("{name} · {role}"),
        "loading": gettext("Loading…"),
        "inactive": gettext("Hidden from patients"),
        "no_doctors": gettext("No doctors match."),
        "price_minutes": gettext("{price} · {minutes} min"),
        "saved": gettext("Saved."),
        "photo_saved": gettext("The photo is saved."),
        "nothing_yet": gettext("Nothing here yet."),
        "weekday_1": gettext("Mon"), "weekday_2": gettext("Tue"), "weekday_3": gettext("Wed"),
        "weekday_4": gettext("Thu"), "weekday_5": gettext("Fri"), "weekday_6": gettext("Sat"),
        "weekday_7": gettext("Sun"),
        "closed": gettext("closed"),
        "audit_line": gettext("{when} · {who}"),
        "bad_hours": gettext("Write hours as 09:00-13:00, several separated by commas."),
        **desk_texts(),
        **patient_erase_texts(),
    }


def desk_texts() -> dict[str, str]:
    """The front desk page's texts (staff_desk.js)."""
    return {
        "desk_time": gettext("Time"),
        "desk_free": gettext("Free"),
        "desk_visit_summary": gettext("{time} · {name}, {phone} · {status}"),
        "desk_status_booked": gettext("booked"),
        "desk_status_arrived": gettext("arrived"),
        "desk_status_fulfilled": gettext("completed"),
        "desk_status_noshow": gettext("missed"),
        "desk_status_cancelled": gettext("cancelled"),
        "desk_move_booked_arrived": gettext("✅ Arrived"),
        "desk_move_booked_noshow": gettext("🚫 Missed"),
        "desk_move_booked_cancelled": gettext("❌ Cancel visit"),
        "desk_move_arrived_fulfilled": gettext("☑️ Completed"),
        "desk_move_arrived_booked": gettext("↩️ Back to booked"),
        "desk_move_noshow_arrived": gettext("↩️ Arrived after all"),
        "desk_move_noshow_booked": gettext("↩️ Back to booked"),
        "desk_note_saved": gettext("Note saved."),
        "desk_nobody": gettext("Nobody found. Try part of the surname or a few digits of the phone."),
        "desk_book_for": gettext("Book for this patient"),
        "desk_no_visits": gettext("No visits ahead."),
        "desk_slot": gettext("{day} {time} · {doctor}"),
        "desk_for_patient": gettext("For {name}, {phone}"),
        "desk_choose_time": gettext("Choose a free time in the day grid first."),
        "desk_booked": gettext("Booked: {name} at {time}."),
        "desk_patient_open": gettext("Visits"),
        "desk_last_visit": gettext("Last visit: {day}"),
        "desk_patient_visit": gettext("{day} {time} · {service} · {status}"),
        "desk_patient_none": gettext("None."),
        "desk_patient_more": gettext("…and more."),
        "desk_calls_none": gettext("Nobody to call."),
        "desk_call_line": gettext("{day} {time} · {name}"),
        "desk_call_reminder_due": gettext("remind them of the visit (no Telegram)"),
        "desk_call_cancelled": gettext("the clinic cancelled the visit: {reason}"),
    }


def patient_erase_texts() -> dict[str, str]:
    """Erasing a patient without Telegram on request (staff_patient_erase.js)."""
    return {
        "erase_button": gettext("Erase this patient's data…"),
        "erase_confirm": gettext("Erase all data of {name} at their request? Visits ahead cancelled: {visits}; results "
                                 "deleted: {results}. Past visits stay without name or phone. This cannot be undone."),
        "erase_done": gettext("The patient's data is erased."),
    }
