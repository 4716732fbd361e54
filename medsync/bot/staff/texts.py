"""Every text staff see, in their chat and in their clinic's group (HTML parse mode: anything not ours is escaped)."""
from __future__ import annotations

from datetime import date, datetime
from html import escape
from typing import TYPE_CHECKING

from medsync.bot.texts import STATUS_NAMES as PATIENT_STATUS_NAMES, local_time
from medsync.models import (
    Booking, BookingStatus, Clinic, GroupEventKind, MessageStatus, OutboxMessage, Result, StaffGroupEvent, StaffMember,
)

if TYPE_CHECKING:
    from medsync.services.staff_reminders import Progress

# --- signing in ------------------------------------------------------------------------------------

ACCESS_ENDED = ("Your access as clinic staff in MedSync has ended: the staff commands are gone from this chat. "
                "You can still use the bot as a patient: /start.")
# (command, description) for the command list of a staff member's own chat, after the patients' ones.
STAFF_COMMANDS = (
    ("today", "Today's visits"),
    ("agenda", "Another day's visits: /agenda tomorrow"),
    ("remind", "Send tomorrow's reminders now"),
    ("staff", "What clinic staff can do here"),
)
INVITE_INVALID = "This invite link is invalid, already used or expired. Ask your clinic's admin for a new one."
ALREADY_STAFF = "This Telegram account is already signed in as clinic staff."
ROLE_NAMES = {"reception": "reception", "doctor": "a doctor", "admin": "an admin"}
HELP = (
    "<b>Clinic staff</b>\n"
    "/today — today's visits; /agenda tomorrow, /agenda friday or /agenda 8 Dec — another day's.\n"
    "Open a visit to mark <b>Arrived</b>, <b>Missed</b> or <b>Completed</b>, or to cancel it (the patient is told).\n"
    "Reply to a visit's card with a PDF to send the patient their result (or send the PDF with the visit's "
    "number as its caption, then confirm the patient).\n"
    "/remind — send tomorrow's reminders now (/remind friday, /remind 8 Dec… for another day).\n"
    "/setgroup — sent in a group chat: it gets the clinic's news (admins)."
)


def welcome(member: StaffMember) -> str:
    """The answer to an opened invite."""
    clinics = ", ".join(escape(clinic.name) for clinic in member.clinics)
    role = ROLE_NAMES.get(member.role, member.role)
    if member.doctor is not None:
        role = f"{role} ({escape(member.doctor.full_name)})"
    return f"Welcome, {escape(member.name or 'colleague')}! You are {role} at {clinics}.\n\n{HELP}"


# --- the day's visits ------------------------------------------------------------------------------

AGENDA_DATE_HELP = ("Send the day like this: /agenda tomorrow, /agenda friday, /agenda 8 Dec, /agenda 08.12 or "
                    "/agenda 2026-12-08")
# The words for a day relative to the clinic's today that /agenda understands (with weekday and month names).
RELATIVE_DAYS = {"today": 0, "tomorrow": 1, "yesterday": -1}
BUTTON_CLINICS = "Clinics"
BUTTON_BACK_TO_DAY = "« The day"
BUTTON_REFRESH = "Refresh"
# The patients' words for a status (one vocabulary), in lower case inside a line.
STATUS_NAMES = {status: name.lower() for status, name in PATIENT_STATUS_NAMES.items()}
STATUS_ICONS = {
    BookingStatus.BOOKED.value: "🕘", BookingStatus.ARRIVED.value: "✅", BookingStatus.FULFILLED.value: "☑️",
    BookingStatus.CANCELLED.value: "❌", BookingStatus.NOSHOW.value: "🚫",
}


def day_name(day: date) -> str:
    """'Tuesday, 1 December 2026'."""
    return f"{day:%A}, {day.day} {day:%B %Y}"


def short_day(day: date) -> str:
    """'Tue 1 Dec'."""
    return f"{day:%a} {day.day} {day:%b}"


def choose_clinic(days: list[date]) -> str:
    """The question before a member of several clinics sees a day: the day, or each clinic's own when they differ."""
    heading = f"Agenda for {day_name(days[0])}" if len(set(days)) == 1 else "Each clinic's own day"
    return f"<b>{heading}</b>\nChoose a clinic:"


def agenda(clinic: Clinic, day: date, visits: list[Booking], total: int) -> str:
    """The day's heading (saying which day was understood) and one line per visit on this page."""
    heading = f"<b>Agenda for {day_name(day)}</b>\n{escape(clinic.name)} ({escape(clinic.timezone)})"
    if total == 0:
        return f"{heading}\n\nNo visits."
    lines = "\n".join(_agenda_line(booking) for booking in visits)
    return f"{heading}\n{total} visit{'s' if total != 1 else ''}\n\n{lines}\n\nTap a visit to open its card."


def _agenda_line(booking: Booking) -> str:
    return (f"{local_time(booking):%H:%M} <b>{escape(patient_name(booking))}</b> · "
            f"{escape(booking.service_name)} · {STATUS_NAMES.get(booking.status, escape(booking.status))}")


def visit_button(booking: Booking) -> str:
    """A visit on a button (plain text): icon, local time, patient."""
    return f"{STATUS_ICONS.get(booking.status, '')} {local_time(booking):%H:%M} · {patient_name(booking)}"


def patient_name(booking: Booking) -> str:
    """The patient's name as booked."""
    return f"{booking.patient_first_name} {booking.patient_last_name}"


def visit_card(booking: Booking) -> str:
    """Everything the desk needs about one visit, in clinic time."""
    start, end = local_time(booking), booking.ends_at.astimezone(booking.clinic.zone)
    label = "Doctor" if booking.doctor_id is not None else "Test"
    lines = [
        f"<b>Visit #{booking.id}</b> · {STATUS_NAMES.get(booking.status, escape(booking.status))}",
        f"Patient: {escape(patient_name(booking))}, {escape(booking.patient_phone)}",
        f"{label}: {escape(booking.service_name)}",
        f"When: {day_name(start.date())}, {start:%H:%M}–{end:%H:%M} ({escape(booking.clinic.timezone)})",
        f"Clinic: {escape(booking.clinic.name)}",
    ]
    if booking.patient_message:
        lines.append(f"Note: {escape(booking.patient_message)}")
    if booking.cancel_reason:
        lines.append(f"Cancelled: {escape(booking.cancel_reason)}")
    lines.append("\n📄 To send a result, reply to this message with the PDF.")
    return "\n".join(lines)


BUTTON_MOVES = {
    BookingStatus.ARRIVED.value: "✅ Arrived",
    BookingStatus.NOSHOW.value: "🚫 Missed",
    BookingStatus.FULFILLED.value: "☑️ Completed",
}
MOVED = {
    BookingStatus.ARRIVED.value: "Marked as arrived.",
    BookingStatus.NOSHOW.value: "Marked as missed.",
    BookingStatus.FULFILLED.value: "Marked as completed.",
}

# --- cancelling ------------------------------------------------------------------------------------

BUTTON_CANCEL = "❌ Cancel visit"
BUTTON_OTHER_REASON = "Other reason…"
BUTTON_KEEP = "« Keep the visit"
CANCEL_REASONS = {
    "patient": "The patient asked to cancel",
    "doctor": "The doctor is unavailable",
    "clinic": "The clinic cannot take the visit",
}
REASON_PLACEHOLDER = "Reason for cancelling"
CANCELLED = "Cancelled; the patient is told."
TRY_AGAIN = "Telegram did not take that; please press again."


def cancel_question(booking: Booking) -> str:
    """The card, asking for the reason to cancel."""
    return f"{visit_card(booking)}\n\n<b>Cancel this visit?</b> The patient will be told. Choose a reason:"


def reason_prompt(booking: Booking) -> str:
    """The question answered by replying with the reason."""
    return f"Why is visit #{booking.id} ({escape(patient_name(booking))}) cancelled? Reply with the reason."


def cancelled_with_reason(booking: Booking) -> str:
    """The answer to a typed reason."""
    return f"Visit #{booking.id} ({escape(patient_name(booking))}) is cancelled; the patient is told."


# --- results ---------------------------------------------------------------------------------------

RESULT_HOW = ("To send a result, reply to a visit's card with the PDF, or send the PDF with the visit's number "
              "as its caption (for example 42).")
RESULT_REPLY_TO_A_CARD = "Reply to a visit's card, or send the PDF with the visit number as the caption."
RESULT_NOT_PDF = "This file is not a PDF. Results are accepted as PDF documents only."
RESULT_NOT_FOUND = "There is no visit #{number} among yours."
RESULT_DOWNLOAD_FAILED = "The file could not be fetched from Telegram; please send it again."


def result_too_large(limit_bytes: int) -> str:
    """The refusal of a file over RESULT_MAX_BYTES."""
    size = f"{limit_bytes // 1_048_576} MB" if limit_bytes >= 1_048_576 else f"{limit_bytes:,} bytes"
    return f"This file is too large: a result can be at most {size}."


BUTTON_SEND_RESULT = "📄 Send to the patient"
BUTTON_DONT_SEND = "Don't send"
RESULT_NOT_SENT = "Not sent: nothing was stored."
RESULT_NOT_WAITING = "This PDF is no longer waiting to be sent. If it was not stored, send it again."


def result_confirmation(booking: Booking, file_name: str) -> str:
    """The question before a PDF named by its caption is stored: whose visit it is, in full."""
    start = local_time(booking)
    return (f"📄 Send <b>{escape(file_name)}</b> to <b>{escape(patient_name(booking))}</b> as the result of visit "
            f"#{booking.id} ({short_day(start.date())} {start:%H:%M}, {escape(booking.service_name)})?")


def result_stored(booking: Booking) -> str:
    """The answer to a stored result."""
    return (f"📄 The result for visit #{booking.id} ({escape(patient_name(booking))}) is stored and on its way to "
            "the patient. I will tell you when it is delivered.")


def result_sent_before(booking: Booking, result: Result, delivery: OutboxMessage | None, member: StaffMember) -> str:
    """The answer to a PDF that was already sent for this visit: nothing goes out again; when it went, and how."""
    visit = f"visit #{booking.id} ({escape(patient_name(booking))})"
    text = f"📄 This PDF was already sent for {visit} on {_at(booking, result.created_at)}, so it is not sent again."
    if delivery is not None and delivery.status == MessageStatus.SENT.value and delivery.sent_at is not None:
        return f"{text} The patient received it on {_at(booking, delivery.sent_at)}."
    if delivery is not None and delivery.status in (MessageStatus.FAILED.value, MessageStatus.SKIPPED.value):
        return f"{text} It could not be delivered to the patient: please call them."
    if result.uploaded_by == member.actor_id:
        return f"{text} It is still on its way to the patient; I will tell you when it is delivered."
    return f"{text} It is still on its way to the patient."


def _at(booking: Booking, instant: datetime) -> str:
    """'Tue 1 Dec at 10:05', in the visit's clinic time."""
    local = instant.astimezone(booking.clinic.zone)
    return f"{short_day(local.date())} at {local:%H:%M}"


def result_delivered(booking: Booking) -> str:
    """The notice once the patient received the result."""
    return f"📬 The result for visit #{booking.id} ({escape(patient_name(booking))}) was delivered to the patient."


# --- reminder runs ---------------------------------------------------------------------------------

REMIND_NOT_ALLOWED = "Reminder runs are for reception and admins."
REMIND_DATE_HELP = ("Send the day like this: /remind tomorrow, /remind friday, /remind 8 Dec, /remind 08.12 or "
                    "/remind 2026-12-08.")


def remind_nothing(days: list[date]) -> str:
    """The answer to a run with nothing to send (for the days asked, or tomorrow)."""
    when = _short_days(days) if days else "tomorrow"
    return f"No reminders to send for {when}: no booked visits, or their reminders went out today already."


def remind_queued(days: list[date], total: int) -> str:
    """The progress message as the run starts."""
    return f"⏰ Reminders for {_short_days(days)}: {total} queued…"


def remind_progress(days: list[date], progress: Progress, *, finished: bool) -> str:
    """queued → sent n/N → done (with the failures named)."""
    done = progress.sent + progress.skipped + len(progress.failed)
    if not finished:
        return f"⏰ Reminders for {_short_days(days)}: sent {progress.sent}/{progress.total}…"
    head = "✅" if progress.settled else "⏳"
    text = f"{head} Reminders for {_short_days(days)}: done — {progress.sent} sent"
    if progress.skipped:
        text += f", {progress.skipped} no longer needed"
    if progress.failed:
        names = "; ".join(f"{escape(item.patient)} ({failure_reason(item.error)})" for item in progress.failed)
        text += f", {len(progress.failed)} failed: {names}"
    if done < progress.total:
        text += f"; {progress.total - done} still waiting (stopped following)"
    return text + "."


def _short_days(days: list[date]) -> str:
    """The run's clinic days: one, unless the member's clinics are in zones on different dates."""
    return ", ".join(short_day(day) for day in days)


def failure_reason(error: str | None) -> str:
    """Why a message did not arrive, in the desk's words."""
    if error and error.startswith(("403", "the user has blocked")):
        return "blocked the bot"
    return "could not be delivered"


# --- the clinic's staff group ----------------------------------------------------------------------

GROUP_ADMINS_ONLY = "Only a clinic admin can choose the staff group."


def group_set(clinics: list[Clinic]) -> str:
    """The answer to /setgroup."""
    names = ", ".join(escape(clinic.name) for clinic in clinics)
    return f"This group now gets {names}: new bookings, cancellations and failed deliveries, in digests."


def group_unset(clinics: list[Clinic]) -> str:
    """The answer to /unsetgroup."""
    if not clinics:
        return "This group was not a staff group of your clinics."
    return f"This group no longer gets news of {', '.join(escape(clinic.name) for clinic in clinics)}."


_EVENT_ICONS = {GroupEventKind.BOOKED.value: "🆕", GroupEventKind.CANCELLED.value: "❌",
                GroupEventKind.DELIVERY_FAILED.value: "⚠️"}
_MESSAGE_NAMES = {"confirmation": "Confirmation", "cancellation": "Cancellation notice", "reminder": "Reminder",
                  "result": "Result"}


def digest(events: list[StaffGroupEvent]) -> str:
    """One line per event, oldest first."""
    return "<b>Clinic news</b>\n" + "\n".join(_digest_line(event) for event in events)


def _digest_line(event: StaffGroupEvent) -> str:
    booking = event.booking
    start = local_time(booking)
    visit = (f"#{booking.id} {short_day(start.date())} {start:%H:%M} · {escape(patient_name(booking))} · "
             f"{escape(booking.service_name)}")
    icon = _EVENT_ICONS.get(event.kind, "•")
    if event.kind == GroupEventKind.DELIVERY_FAILED.value and event.failed_message is not None:
        what = _MESSAGE_NAMES.get(event.failed_message.kind, "Message")
        return (f"{icon} {what} not delivered ({failure_reason(event.failed_message.last_error)}): {visit}, "
                f"call {escape(booking.patient_phone)}")
    if event.kind == GroupEventKind.BOOKED.value and booking.rescheduled_from_id is not None:
        return f"🔁 Moved: {visit}"
    if event.kind == GroupEventKind.CANCELLED.value:
        return f"{icon} Cancelled: {visit}"
    return f"{icon} Booked: {visit}"
