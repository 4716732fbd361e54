"""One vocabulary for a booking's status: the patients' chat, the staff's chat and the Mini App use the same words."""
from __future__ import annotations

from medsync.bot import texts
from medsync.bot.staff import texts as staff_texts
from medsync.models import ALLOWED_TRANSITIONS, Booking, BookingStatus
from medsync.services import bookings
from medsync.webapp.i18n import script_texts


def test_the_chat_and_the_mini_app_name_every_status_with_the_same_words(app):
    with app.test_request_context("/app/", headers={"Accept-Language": "en"}):
        mini_app = {status.value: script_texts()[f"status_{status.value}"] for status in BookingStatus}

    assert mini_app == texts.STATUS_NAMES == {
        "booked": "Booked", "arrived": "Arrived", "fulfilled": "Completed", "cancelled": "Cancelled",
        "noshow": "Missed",
    }
    assert {status.value: staff_texts.status_name(status.value) for status in BookingStatus} == {
        "booked": "booked", "arrived": "arrived", "fulfilled": "completed", "cancelled": "cancelled", "noshow": "missed",
    }
    assert {staff_texts.BUTTON_MOVES[status].split(" ", 1)[1] for status in staff_texts.BUTTON_MOVES} <= set(
        texts.STATUS_NAMES.values())


def test_every_refused_status_change_is_said_in_those_words_and_never_in_internal_ones():
    internal = ("noshow", "no-show", "fulfilled", "checked in", "a arrived")
    said = [bookings.transition_refusal(Booking(status=current.value), target)
            for current in BookingStatus for target in BookingStatus]
    refusals = [sentence for sentence in said if sentence is not None]

    assert len(refusals) == len(BookingStatus) ** 2 - sum(map(len, ALLOWED_TRANSITIONS.values()))
    assert [sentence for sentence in refusals if any(word in sentence.lower() for word in internal)] == []
    words = {name.lower() for name in texts.STATUS_NAMES.values()}
    assert all(any(word in sentence.lower() for word in words) for sentence in refusals), refusals
