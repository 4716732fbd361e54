"""Inline keyboards. Callback buttons carry data built by the factories in callbacks.py only."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from telebot.types import InlineKeyboardButton, InlineKeyboardMarkup, WebAppInfo

from medsync.bot import callbacks, texts
from medsync.i18n import LANGUAGES
from medsync.models import Booking, Result
from medsync.models.booking import PatientActions
from medsync.services.bookings import BookingLine
from medsync.services.pagination import Page
from medsync.services.rebooking import Offer


def _web_app(text: str, url: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(str(text), web_app=WebAppInfo(url))  # str(): a lazy text rendered now


def _callback(text: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(str(text), callback_data=data)


def reschedule_url(webapp_url: str, booking_id: int) -> str:
    """The Mini App's page for moving this booking: WEBAPP_URL/reschedule/<booking id> (served by medsync.webapp,
    which calls POST /api/v1/bookings/<id>/reschedule)."""
    return f"{webapp_url}/reschedule/{booking_id}"


def main_menu(webapp_url: str) -> InlineKeyboardMarkup:
    """Three Web App pages, then the two lists kept in the chat."""
    return InlineKeyboardMarkup([
        [_web_app(texts.BUTTON_MAIN_PAGE, webapp_url)],
        [_web_app(texts.BUTTON_BOOK_APPOINTMENT, f"{webapp_url}/see_a_doctor")],
        [_web_app(texts.BUTTON_GET_TESTED, f"{webapp_url}/get_tested")],
        [
            _callback(texts.BUTTON_MY_BOOKINGS, callbacks.open_bookings.new()),
            _callback(texts.BUTTON_MY_RESULTS, callbacks.open_results.new()),
        ],
    ])


def my_data() -> InlineKeyboardMarkup:
    """Download my data; delete my data (asked again before anything is deleted)."""
    return InlineKeyboardMarkup([
        [_callback(texts.BUTTON_EXPORT, callbacks.my_data_export.new())],
        [_callback(texts.BUTTON_ERASE, callbacks.my_data_erase_ask.new())],
    ])


def erase_confirmation() -> InlineKeyboardMarkup:
    """The explicit confirmation an erasure needs; "keep it" is first, as the safe choice."""
    return InlineKeyboardMarkup([
        [_callback(texts.BUTTON_ERASE_NO, callbacks.my_data_erase_no.new())],
        [_callback(texts.BUTTON_ERASE_YES, callbacks.my_data_erase_yes.new())],
    ])


def languages() -> InlineKeyboardMarkup:
    """One button per language, named as its speakers write it."""
    return InlineKeyboardMarkup([[_callback(name, callbacks.choose_language.new(code))]
                                 for code, name in LANGUAGES.items()])


def page_navigation(page: Page, to_page: Callable[[int], str]) -> list[InlineKeyboardButton]:
    """◀ page/total ▶; empty on a single page (the staff screens page the same way)."""
    if page.pages == 1:
        return []
    row = []
    if page.has_previous:
        row.append(_callback(texts.BUTTON_PREVIOUS, to_page(page.page - 1)))
    row.append(_callback(texts.PAGE_LABEL.format(page=page.page, pages=page.pages), callbacks.page_label.new()))
    if page.has_next:
        row.append(_callback(texts.BUTTON_NEXT, to_page(page.page + 1)))
    return row


def bookings_page(page: Page[BookingLine], when: str, webapp_url: str) -> InlineKeyboardMarkup:
    """One button per booking, the navigation row, the upcoming/past toggle; a book button when empty."""
    rows = [
        [_callback(texts.booking_button(booking), callbacks.booking_details.new(booking.id, when, page.page))]
        for booking in page.items
    ]
    navigation = page_navigation(page, lambda number: callbacks.bookings_page.new(when, number))
    if navigation:
        rows.append(navigation)
    if page.total == 0:
        rows.append([_web_app(texts.BUTTON_BOOK, f"{webapp_url}/see_a_doctor")])
    other = "past" if when == "upcoming" else "upcoming"
    toggle = texts.BUTTON_SHOW_PAST if other == "past" else texts.BUTTON_SHOW_UPCOMING
    rows.append([_callback(toggle, callbacks.bookings_page.new(other, 1))])
    return InlineKeyboardMarkup(rows)


def booking_details(booking: Booking, when: str, page: int, webapp_url: str, now: datetime) -> InlineKeyboardMarkup:
    """Cancel and Reschedule while the booking allows them, Add to calendar while it is booked; Back to the page it
    came from."""
    rows = []
    actions = booking.patient_actions(now)
    changes = []
    if PatientActions.CANCEL in actions:
        changes.append(_callback(texts.BUTTON_CANCEL, callbacks.booking_cancel_ask.new(booking.id, when, page)))
    if PatientActions.MOVE in actions:
        changes.append(_web_app(texts.BUTTON_RESCHEDULE, reschedule_url(webapp_url, booking.id)))
    if changes:
        rows.append(changes)
    if PatientActions.CALENDAR in actions:
        rows.append([_callback(texts.BUTTON_CALENDAR, callbacks.booking_calendar.new(booking.id))])
    rows.append([_callback(texts.BUTTON_BACK, callbacks.bookings_page.new(when, page))])
    return InlineKeyboardMarkup(rows)


def cancel_confirmation(booking: Booking, when: str, page: int) -> InlineKeyboardMarkup:
    """Yes cancels; No goes back to the booking's details."""
    return InlineKeyboardMarkup([[
        _callback(texts.BUTTON_CANCEL_YES, callbacks.booking_cancel_yes.new(booking.id, when, page)),
        _callback(texts.BUTTON_CANCEL_NO, callbacks.booking_details.new(booking.id, when, page)),
    ]])


def back_to_bookings(when: str, page: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[_callback(texts.BUTTON_BACK, callbacks.bookings_page.new(when, page))]])


def results_page(page: Page[Result]) -> InlineKeyboardMarkup:
    """One button per result and the navigation row."""
    rows = [
        [_callback(texts.result_button(result), callbacks.result_document.new(result.id))]
        for result in page.items
    ]
    navigation = page_navigation(page, lambda number: callbacks.results_page.new(number))
    if navigation:
        rows.append(navigation)
    return InlineKeyboardMarkup(rows)


# --- under the messages the workers send (confirmation, move, cancellation, reminder) ------------------
# Their buttons lead into the same handlers as "My bookings" (a booking's Cancel opens from the first page
# of upcoming bookings, where its Back returns) and to the same Mini App pages.


def rebook_url(webapp_url: str, booking: Booking) -> str:
    """The Mini App's booking page for the same doctor, or the same test at the same clinic."""
    if booking.doctor_id is not None:
        return f"{webapp_url}/doctors/{booking.doctor_id}/book"
    return f"{webapp_url}/diagnostics/{booking.diagnostic_id}/clinics/{booking.clinic_id}/book"


def booked_notification(
    booking: Booking, webapp_url: str, *, may_cancel: bool, may_move: bool
) -> InlineKeyboardMarkup:
    """Under a confirmation or a move: Cancel and Reschedule while still allowed, the booking itself (its details
    card, as My bookings opens it), Add to calendar, My bookings."""
    changes = []
    if may_cancel:
        changes.append(_callback(texts.BUTTON_CANCEL, callbacks.booking_cancel_ask.new(booking.id, "upcoming", 1)))
    if may_move:
        changes.append(_web_app(texts.BUTTON_RESCHEDULE, reschedule_url(webapp_url, booking.id)))
    rows = [changes] if changes else []
    rows.append([_callback(texts.BUTTON_OPEN_BOOKING, callbacks.booking_details.new(booking.id, "upcoming", 1)),
                 _callback(texts.BUTTON_CALENDAR, callbacks.booking_calendar.new(booking.id))])
    rows.append([_callback(texts.BUTTON_MY_BOOKINGS, callbacks.open_bookings.new())])
    return InlineKeyboardMarkup(rows)


def cancellation_notification(booking: Booking, webapp_url: str) -> InlineKeyboardMarkup:
    """Under a cancellation: Book again (the same doctor or test) and My bookings."""
    return InlineKeyboardMarkup([
        [_web_app(texts.BUTTON_BOOK_AGAIN, rebook_url(webapp_url, booking))],
        [_callback(texts.BUTTON_MY_BOOKINGS, callbacks.open_bookings.new())],
    ])


def reminder_notification(
    booking: Booking, webapp_url: str, *, may_cancel: bool, may_move: bool
) -> InlineKeyboardMarkup:
    """Under a reminder: "I'll come", and Cancel / Reschedule while the patient still may."""
    rows = [[_callback(texts.REMINDER_CONFIRM_BUTTON, callbacks.reminder_confirm.new(booking_id=booking.id))]]
    if may_cancel:
        rows[0].append(_callback(texts.REMINDER_CANCEL_BUTTON, callbacks.reminder_cancel.new(booking_id=booking.id)))
    if may_move:
        rows.append([_web_app(texts.BUTTON_RESCHEDULE, reschedule_url(webapp_url, booking.id))])
    return InlineKeyboardMarkup(rows)


def rebooking_offers(booking: Booking, offers: list[Offer], webapp_url: str) -> InlineKeyboardMarkup:
    """Under a visit the clinic cancelled: one button per offered time (booked at once), "Choose another time" in the
    Mini App, My bookings."""
    rows = [
        [_callback(texts.offer_button(offer.starts_at, offer.name),
                   callbacks.rebook.new(booking.id, offer.doctor_id or 0, int(offer.starts_at.timestamp()) // 60))]
        for offer in offers
    ]
    rows.append([_web_app(texts.BUTTON_CHOOSE_ANOTHER_TIME, rebook_url(webapp_url, booking))])
    rows.append([_callback(texts.BUTTON_MY_BOOKINGS, callbacks.open_bookings.new())])
    return InlineKeyboardMarkup(rows)


def rebooked(booking: Booking) -> InlineKeyboardMarkup:
    """After an offered time was booked: the new booking's card, My bookings."""
    return InlineKeyboardMarkup([
        [_callback(texts.BUTTON_OPEN_BOOKING, callbacks.booking_details.new(booking.id, "upcoming", 1))],
        [_callback(texts.BUTTON_MY_BOOKINGS, callbacks.open_bookings.new())],
    ])
