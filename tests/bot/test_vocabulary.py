"""One vocabulary for a booking's status: the patients' chat, the staff's chat and the Mini App use the same words."""
from __future__ import annotations

from medsync.bot import texts
from medsync.bot.staff import texts as staff_texts
from medsync.models import BookingStatus
from medsync.webapp.i18n import script_texts


def test_the_chat_and_the_mini_app_name_every_status_with_the_same_words(app):
    with app.test_request_context("/app/", headers={"Accept-Language": "en"}):
        mini_app = {status.value: script_texts()[f"status_{status.value}"] for status in BookingStatus}

    assert mini_app == texts.STATUS_NAMES == {
        "booked": "Booked", "arrived": "Arrived", "fulfilled": "Completed", "cancelled": "Cancelled",
        "noshow": "Missed",
    }
    assert staff_texts.STATUS_NAMES == {status: name.lower() for status, name in texts.STATUS_NAMES.items()}
    assert {staff_texts.BUTTON_MOVES[status].split(" ", 1)[1] for status in staff_texts.BUTTON_MOVES} <= set(
        texts.STATUS_NAMES.values())
