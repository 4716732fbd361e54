"""Every text the bot shows, in one place, through gettext: constants are lazy (rendered in the language of the chat
being answered, see medsync.i18n), functions render at once. Messages use HTML parse mode: anything not ours is
escaped. Dates and times through medsync.formats, in the clinic's time zone."""
from __future__ import annotations

from datetime import date, datetime
from html import escape

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from medsync import formats
from medsync.models import Booking, BookingStatus, Result
from medsync.services import results
from medsync.services.bookings import BookingLine

# --- main menu ----------------------------------------------------------------------------------

WELCOME = _l(
    "Hello, {name}!\n\n"
    "MedSync books doctors' appointments and diagnostic tests at our clinics.\n"
    "Book in the app, and find your bookings and test results right here in the chat."
)
HELP = _l(
    "<b>What I can do</b>\n\n"
    "• <b>Book an appointment</b> or <b>Get tested</b> opens the booking app.\n"
    "• /bookings — your bookings: details, cancel, reschedule, add to calendar.\n"
    "• /results — your test results as documents.\n"
    "• /language — the language I write in.\n"
    "• /start — this menu."
)
BUTTON_MAIN_PAGE = _l("Main page")
BUTTON_BOOK_APPOINTMENT = _l("Book an appointment")
BUTTON_GET_TESTED = _l("Get tested")
BUTTON_MY_BOOKINGS = _l("My bookings")
BUTTON_MY_RESULTS = _l("My results")
MENU_BUTTON = _l("Open MedSync")

# (command, description) for setMyCommands.
COMMANDS = (
    ("start", _l("Main menu")),
    ("bookings", _l("My bookings")),
    ("results", _l("My test results")),
    ("language", _l("Change the language")),
    ("phone", _l("Booked by phone? See those visits here")),
    ("mydata", _l("Download or delete my data")),
    ("help", _l("What this bot can do")),
)

# --- /mydata: download or delete my data -----------------------------------------------------------

MY_DATA = _l(
    "<b>Your data</b>\n\n"
    "Download a copy of everything MedSync keeps about you (a ZIP file: your profile, bookings with their history, "
    "the messages we sent you and your test results), or delete your data."
)
BUTTON_EXPORT = _l("📦 Download my data")
BUTTON_ERASE = _l("🗑 Delete my data")
EXPORT_QUEUED = _l("We are preparing your data. It comes to this chat as a ZIP file in a few minutes.")
EXPORT_CAPTION = _l("Your MedSync data: data.json (your profile, bookings with their history, messages, results) and "
                    "your test results as PDF files.")
EXPORT_TOO_LARGE = _l("Your data is ready, but the file is too large to send in the chat. Download it in the app: "
                      "My bookings → Your data.")
ERASE_CONFIRM = _l(
    "<b>Delete your data?</b>\n\n"
    "Your upcoming visits will be cancelled, your test results deleted, and your name, phone, e-mail and Telegram "
    "profile removed from our records. This cannot be undone.\n\n"
    "If you want a copy, download your data first."
)
BUTTON_ERASE_YES = _l("Yes, delete my data")
BUTTON_ERASE_NO = _l("No, keep my data")
ERASE_KEPT_ALL = _l("Nothing was deleted.")

# --- /language -----------------------------------------------------------------------------------

CHOOSE_LANGUAGE = _l("Choose the language I write to you in:")
# Translators: sent in the language just chosen: name your own language here.
LANGUAGE_CHOSEN = _l("Done: I will write to you in English.")

# --- answers to a button press (callback query) --------------------------------------------------

NOT_FOUND = _l("Not found.")
NOT_AVAILABLE = _l("This button is no longer available.")
MESSAGE_UNREACHABLE = _l("This button does not work here any more. Send /start for a fresh menu.")
SOMETHING_WENT_WRONG = _l("Something went wrong on our side. Please try again.")

# --- "My bookings" -------------------------------------------------------------------------------

BOOKINGS_TITLE = {"upcoming": _l("<b>Your upcoming bookings</b>"), "past": _l("<b>Your past bookings</b>")}
BOOKINGS_HINT = _l("Tap a booking to see its details.")
BOOKINGS_EMPTY = {
    "upcoming": _l("You have no upcoming bookings yet."),
    "past": _l("You have no past bookings."),
}
BUTTON_SHOW_PAST = _l("Past bookings")
BUTTON_SHOW_UPCOMING = _l("Upcoming bookings")
BUTTON_BOOK = _l("Book an appointment")
BUTTON_PREVIOUS = "◀"
BUTTON_NEXT = "▶"
PAGE_LABEL = "{page}/{pages}"

# The one vocabulary for a booking's status, for patients and staff alike: the staff texts use these words (in
# lower case) and the Mini App's catalog says the same (medsync/webapp/i18n.py, `status_*`; a test keeps them equal).
STATUS_NAMES = {
    BookingStatus.BOOKED.value: _l("Booked"),
    BookingStatus.ARRIVED.value: _l("Arrived"),
    BookingStatus.FULFILLED.value: _l("Completed"),
    BookingStatus.CANCELLED.value: _l("Cancelled"),
    BookingStatus.NOSHOW.value: _l("Missed"),
}
BUTTON_CANCEL = _l("Cancel")
BUTTON_RESCHEDULE = _l("Reschedule")
BUTTON_CALENDAR = _l("Add to calendar")
BUTTON_BACK = _l("Back")
BUTTON_CANCEL_YES = _l("Yes, cancel")
BUTTON_CANCEL_NO = _l("No, keep it")

CANCEL_QUESTION = _l("<b>Cancel this booking?</b>")
CANCELLED = _l("Your booking is cancelled.")
CANCEL_TOO_LATE = _l("It is too late to cancel this booking online. Please call the clinic.")
ALREADY_CANCELLED = _l("This booking is already cancelled.")
NO_LONGER_ACTIVE = _l("This booking is no longer active.")
CALENDAR_CAPTION = _l("Open the file to add booking #{number} to your calendar.")
CALENDAR_SENT = _l("Calendar file sent.")

# --- reminders (what a reminder says: medsync.services.reminders) ------------------------------------

ATTENDANCE_CONFIRMED = _l("Thank you! We look forward to seeing you.")

# --- "My results" --------------------------------------------------------------------------------

RESULTS_TITLE = _l("<b>Your test results</b>")
RESULTS_HINT = _l("Tap a result to receive it as a document.")
RESULTS_EMPTY = _l("You have no test results yet. We will send them here as soon as they are ready.")
RESULT_SENT = _l("Sending your result.")

# --- Web App -------------------------------------------------------------------------------------

BOOKING_CONFIRMED = _l("<b>Your booking is confirmed.</b>")
BOOKING_NOT_FOUND = _l("We could not find this booking. Open /bookings to see yours.")


def welcome(first_name: str) -> str:
    """The /start greeting; the name comes from the user's profile, so it is escaped."""
    # Translators: the greeting's name when the user's Telegram profile has none.
    return WELCOME.format(name=escape(first_name or _("there")))


def local_time(booking: Booking) -> datetime:
    """When the visit starts, in the clinic's time zone."""
    return booking.starts_at.astimezone(booking.clinic.zone)


def visit_time(booking: Booking) -> str:
    """'Wednesday, December 2, 2026, 10:00 (Kyiv)': the clinic's wall clock and its city, never UTC."""
    start = local_time(booking)
    # Translators: a visit's date and time on the clinic's clock; {city} names the clinic's time zone.
    return _("{day}, {time} ({city})").format(day=formats.full_day(start.date()), time=formats.clock_time(start),
                                              city=formats.zone_city(booking.clinic.timezone))


def booking_button(line: BookingLine) -> str:
    """One line on a list button: clinic-local date and time · doctor or diagnostic (buttons are plain text)."""
    start = line.starts_at.astimezone(line.zone)
    return f"{formats.short_day(start.date())} {formats.clock_time(start)} · {line.service_name}"


def bookings_list(when: str, total: int) -> str:
    """The text above a page of bookings."""
    if total == 0:
        return f"{BOOKINGS_TITLE[when]}\n\n{BOOKINGS_EMPTY[when]}"
    return f"{BOOKINGS_TITLE[when]}\n\n{BOOKINGS_HINT}"


def booking_details(booking: Booking, *, too_late: bool = False) -> str:
    """Number, service, clinic with address, local date and time with the zone's city, status; `too_late` adds
    that it can no longer be cancelled or moved here."""
    clinic = booking.clinic
    label = _("Doctor") if booking.doctor_id is not None else _("Test")
    text = _(
        "<b>Booking #{number}</b>\n\n"
        "{label}: {service}\n"
        "Clinic: {clinic}\n"
        "Address: {address}\n"
        "When: {when}\n"
        "Status: {status}"
    ).format(number=booking.id, label=label, service=escape(booking.service_name), clinic=escape(clinic.name),
             address=escape(clinic.address), when=escape(visit_time(booking)),
             status=STATUS_NAMES.get(booking.status, escape(booking.status)))
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
    return f"{results.title_of(result)} · {_visit_date(result)}"


def result_caption(result: Result) -> str:
    """The document's caption: the test name and the date of the visit."""
    return f"<b>{escape(results.title_of(result))}</b>\n{_visit_date(result)}"


def _visit_date(result: Result) -> str:
    return formats.short_date(local_time(result.booking).date())


# --- notifications (outbox messages) ---
# HTML parse mode: the caller escapes every value it puts in.

VISIT_DETAILS = "<b>{service}</b>\n🗓 {when}\n🏥 {clinic}, {address}"
CONFIRMATION = _l("✅ Your visit is booked.\n\n{details}")
REMINDER_CONFIRM_BUTTON = _l("✅ I'll come")
REMINDER_CANCEL_BUTTON = _l("❌ Cancel")
RESULT_CAPTION = _l("📄 Your result is ready: <b>{title}</b>\n{service}, {day}")

# --- notifications: moves, cancellations and their buttons -----------------------------------------
# What a patient can do from a message in the chat. HTML parse mode: the caller escapes every value.

MOVED = _l(
    "🔁 Your visit has been moved.\n\n<b>{service}</b>\n🗓 From: <s>{old}</s>\n🗓 To: <b>{new}</b>\n"
    "🏥 {clinic}, {address}"
)
CANCELLED_BY_PATIENT = _l("❌ Your visit is cancelled, as you asked.\n\n{details}\n\nNeed another time? Book again below.")
CANCELLED_BY_CLINIC = _l(
    "❌ The clinic has cancelled your visit.{reason}\n\n{details}\n\n"
    "We are sorry. Please book another time below."
)
CANCEL_REASON_LINE = _l("\nReason: {reason}")
TOO_LATE_TO_CHANGE = _l("It is too late to cancel or move this visit online. To change it, please call the clinic.")
BUTTON_BOOK_AGAIN = _l("📅 Book again")
BUTTON_OPEN_BOOKING = _l("Open booking")

# --- a visit the clinic cancelled because its schedule changed, and booking another time -------------------
# Under CANCELLED_BY_CLINIC's {reason}: what happened (each line starts with a line break), then the admin's reason.

WHY_ABSENT = _l("\n{doctor} is away from {first} to {last}.")
WHY_ABSENT_ONE_DAY = _l("\n{doctor} is away on {day}.")
WHY_CLOSED = _l("\nThe clinic is closed from {first} to {last}.")
WHY_CLOSED_ONE_DAY = _l("\nThe clinic is closed on {day}.")
WHY_DAY_OFF = _l("\n{doctor} does not see patients on {day}.")
WHY_HOURS = _l("\nThe working hours have changed and no longer include this time.")
OFFERS_HINT = _l("Tap a time below to book it at once, or choose another time in the app.")
NO_OFFERS_HINT = _l("Choose another time in the app.")
BUTTON_CHOOSE_ANOTHER_TIME = _l("📅 Choose another time")
REBOOKED = _l("✅ Booked. Your confirmation follows.")
REBOOKED_LINE = _l("✅ You booked a new time: {when}, {service}.")
OFFER_TAKEN = _l("This time has just been taken. Here are the free times now.")
OFFER_GONE = _l("This offer is no longer available.")


def offer_button(starts_at: datetime, name: str) -> str:
    """An offered time on a button: clinic-local day and time · doctor (or test)."""
    return f"🗓 {formats.short_day(starts_at.date())} {formats.clock_time(starts_at)} · {name}"


def why_cancelled(change: dict, booking: Booking) -> str:
    """What took the visit's time away, from the schedule change a cancellation message carries."""
    kind, doctor = change.get("kind"), escape(booking.service_name)
    first, last = change.get("first_day"), change.get("last_day")
    if kind in ("absence", "closure", "day_off") and first and last:
        first_day, last_day = (formats.long_date(date.fromisoformat(day)) for day in (first, last))
        if kind == "day_off":
            return WHY_DAY_OFF.format(doctor=doctor, day=first_day)
        if first == last:
            one_day = WHY_ABSENT_ONE_DAY if kind == "absence" else WHY_CLOSED_ONE_DAY
            return one_day.format(doctor=doctor, day=first_day)
        several = WHY_ABSENT if kind == "absence" else WHY_CLOSED
        return several.format(doctor=doctor, first=first_day, last=last_day)
    return str(WHY_HOURS)

# --- /phone: linking the visits booked by phone -------------------------------------------------------

ASK_PHONE = _l(
    "Booked a visit by phone or at the front desk? Share your phone number with the button below: the visits booked "
    "with it will appear under My bookings, and I will remind you of them here."
)
BUTTON_SHARE_PHONE = _l("📱 Share my phone number")
NOT_YOUR_CONTACT = _l("Please share your own number, with the button under the message.")
PHONE_UNREADABLE = _l("I could not read this phone number. Please call the clinic.")
NOTHING_BOOKED_BY_PHONE = _l("There are no visits booked by phone with this number.")
