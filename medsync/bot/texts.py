"""Every text the bot shows, in one place. Messages use HTML parse mode: anything not ours is escaped."""
from __future__ import annotations

from datetime import datetime
from html import escape

from medsync.models import Booking, BookingStatus, Result
from medsync.services.bookings import BookingLine

# --- main menu ----------------------------------------------------------------------------------

WELCOME = (
    "Hello, {name}!\n\n"
    "MedSync books doctors' appointments and diagnostic tests at our clinics.\n"
    "Book in the app, and find your bookings and test results right here in the chat."
)
HELP = (
    "<b>What I can do</b>\n\n"
    "• <b>Book an appointment</b> or <b>Get tested</b> opens the booking app.\n"
    "• /bookings — your bookings: details, cancel, reschedule, add to calendar.\n"
    "• /results — your test results as documents.\n"
    "• /start — this menu."
)
BUTTON_MAIN_PAGE = "Main page"
BUTTON_BOOK_APPOINTMENT = "Book an appointment"
BUTTON_GET_TESTED = "Get tested"
BUTTON_MY_BOOKINGS = "My bookings"
BUTTON_MY_RESULTS = "My results"
MENU_BUTTON = "Open MedSync"

# (command, description) for setMyCommands.
COMMANDS = (
    ("start", "Main menu"),
    ("bookings", "My bookings"),
    ("results", "My test results"),
    ("help", "What this bot can do"),
)

# --- answers to a button press (callback query) --------------------------------------------------

NOT_FOUND = "Not found."
NOT_AVAILABLE = "This button is no longer available."
MESSAGE_UNREACHABLE = "This button does not work here any more. Send /start for a fresh menu."
SOMETHING_WENT_WRONG = "Something went wrong on our side. Please try again."

# --- "My bookings" -------------------------------------------------------------------------------

BOOKINGS_TITLE = {"upcoming": "<b>Your upcoming bookings</b>", "past": "<b>Your past bookings</b>"}
BOOKINGS_HINT = "Tap a booking to see its details."
BOOKINGS_EMPTY = {
    "upcoming": "You have no upcoming bookings yet.",
    "past": "You have no past bookings.",
}
BUTTON_SHOW_PAST = "Past bookings"
BUTTON_SHOW_UPCOMING = "Upcoming bookings"
BUTTON_BOOK = "Book an appointment"
BUTTON_PREVIOUS = "◀"
BUTTON_NEXT = "▶"
PAGE_LABEL = "{page}/{pages}"

# The one vocabulary for a booking's status, for patients and staff alike: the staff texts use these words (in
# lower case) and the Mini App's catalog says the same (medsync/webapp/i18n.py, `status_*`; a test keeps them equal).
STATUS_NAMES = {
    BookingStatus.BOOKED.value: "Booked",
    BookingStatus.ARRIVED.value: "Arrived",
    BookingStatus.FULFILLED.value: "Completed",
    BookingStatus.CANCELLED.value: "Cancelled",
    BookingStatus.NOSHOW.value: "Missed",
}
BUTTON_CANCEL = "Cancel"
BUTTON_RESCHEDULE = "Reschedule"
BUTTON_CALENDAR = "Add to calendar"
BUTTON_BACK = "Back"
BUTTON_CANCEL_YES = "Yes, cancel"
BUTTON_CANCEL_NO = "No, keep it"

CANCEL_QUESTION = "<b>Cancel this booking?</b>"
CANCELLED = "Your booking is cancelled."
CANCEL_TOO_LATE = "It is too late to cancel this booking online. Please call the clinic."
ALREADY_CANCELLED = "This booking is already cancelled."
NO_LONGER_ACTIVE = "This booking is no longer active."
CALENDAR_CAPTION = "Open the file to add booking #{number} to your calendar."
CALENDAR_SENT = "Calendar file sent."

# --- reminders -----------------------------------------------------------------------------------

ATTENDANCE_CONFIRMED = "Thank you! We look forward to seeing you."

# --- "My results" --------------------------------------------------------------------------------

RESULTS_TITLE = "<b>Your test results</b>"
RESULTS_HINT = "Tap a result to receive it as a document."
RESULTS_EMPTY = "You have no test results yet. We will send them here as soon as they are ready."
RESULT_SENT = "Sending your result."

# --- Web App -------------------------------------------------------------------------------------

BOOKING_CONFIRMED = "<b>Your booking is confirmed.</b>"
BOOKING_NOT_FOUND = "We could not find this booking. Open /bookings to see yours."


def welcome(first_name: str) -> str:
    """The /start greeting; the name comes from the user's profile, so it is escaped."""
    return WELCOME.format(name=escape(first_name or "there"))


def local_time(booking: Booking) -> datetime:
    """When the visit starts, in the clinic's time zone."""
    return booking.starts_at.astimezone(booking.clinic.zone)


def visit_time(booking: Booking) -> str:
    """'Wednesday, 2 December 2026, 10:00 (Europe/Kyiv)': the clinic's wall clock and zone, never UTC."""
    start = local_time(booking)
    return f"{start:%A}, {start.day} {start:%B %Y}, {start:%H:%M} ({booking.clinic.timezone})"


def booking_button(line: BookingLine) -> str:
    """One line on a list button: clinic-local date and time · doctor or diagnostic (buttons are plain text)."""
    start = line.starts_at.astimezone(line.zone)
    return f"{start:%a} {start.day} {start:%b} {start:%H:%M} · {line.service_name}"


def bookings_list(when: str, total: int) -> str:
    """The text above a page of bookings."""
    if total == 0:
        return f"{BOOKINGS_TITLE[when]}\n\n{BOOKINGS_EMPTY[when]}"
    return f"{BOOKINGS_TITLE[when]}\n\n{BOOKINGS_HINT}"


def booking_details(booking: Booking, *, too_late: bool = False) -> str:
    """Number, service, clinic with address, local date and time with the zone's name, status; `too_late` adds
    that it can no longer be cancelled or moved here."""
    clinic = booking.clinic
    text = (
        f"<b>Booking #{booking.id}</b>\n\n"
        f"{_service_label(booking)}: {escape(booking.service_name)}\n"
        f"Clinic: {escape(clinic.name)}\n"
        f"Address: {escape(clinic.address)}\n"
        f"When: {escape(visit_time(booking))}\n"
        f"Status: {STATUS_NAMES.get(booking.status, escape(booking.status))}"
    )
    return f"{text}\n\n{TOO_LATE_TO_CHANGE}" if too_late else text


def cancel_question(booking: Booking) -> str:
    return f"{booking_details(booking)}\n\n{CANCEL_QUESTION}"


def cancelled(booking: Booking) -> str:
    return f"{booking_details(booking)}\n\n<b>{CANCELLED}</b>"


def booking_confirmed(booking: Booking) -> str:
    """The answer to the Web App's "booking_confirmed" data."""
    return f"{BOOKING_CONFIRMED}\n\n{booking_details(booking)}"


def calendar_caption(booking: Booking) -> str:
    return CALENDAR_CAPTION.format(number=booking.id)


def results_list(total: int) -> str:
    """The text above a page of results."""
    return f"{RESULTS_TITLE}\n\n{RESULTS_EMPTY if total == 0 else RESULTS_HINT}"


def result_button(result: Result) -> str:
    """One result on a list button: test name · date of the visit."""
    return f"{result.title} · {_visit_date(result)}"


def result_caption(result: Result) -> str:
    """The document's caption: the test name and the date of the visit."""
    return f"<b>{escape(result.title)}</b>\n{_visit_date(result)}"


def _visit_date(result: Result) -> str:
    start = local_time(result.booking)
    return f"{start.day} {start:%b %Y}"


def _service_label(booking: Booking) -> str:
    return "Doctor" if booking.doctor_id is not None else "Test"


# --- notifications (outbox messages) ---
# HTML parse mode: the caller escapes every value it puts in.

VISIT_DETAILS = "<b>{service}</b>\n🗓 {when}\n🏥 {clinic}, {address}"
CONFIRMATION = "✅ Your visit is booked.\n\n{details}"
REMINDER = "⏰ Reminder: your visit is coming up.\n\n{details}\n\nWill you come?"
REMINDER_CONFIRM_BUTTON = "✅ I'll come"
REMINDER_CANCEL_BUTTON = "❌ Cancel"
RESULT_CAPTION = "📄 Your result is ready: <b>{title}</b>\n{service}, {day}"

# --- notifications: moves, cancellations and their buttons -----------------------------------------
# What a patient can do from a message in the chat. HTML parse mode: the caller escapes every value.

MOVED = (
    "🔁 Your visit has been moved.\n\n<b>{service}</b>\n🗓 From: <s>{old}</s>\n🗓 To: <b>{new}</b>\n"
    "🏥 {clinic}, {address}"
)
CANCELLED_BY_PATIENT = "❌ Your visit is cancelled, as you asked.\n\n{details}\n\nNeed another time? Book again below."
CANCELLED_BY_CLINIC = (
    "❌ The clinic has cancelled your visit.{reason}\n\n{details}\n\n"
    "We are sorry. Please book another time below."
)
CANCEL_REASON_LINE = "\nReason: {reason}"
TOO_LATE_TO_CHANGE = "It is too late to cancel or move this visit online. To change it, please call the clinic."
BUTTON_BOOK_AGAIN = "📅 Book again"
BUTTON_OPEN_BOOKING = "Open booking"
