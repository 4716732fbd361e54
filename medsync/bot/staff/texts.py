"""Every text staff see, in their chat and in their clinic's group, through gettext (constants lazy, functions
rendering at once; see medsync/bot/texts.py). HTML parse mode: anything not ours is escaped."""
from __future__ import annotations

from datetime import date, datetime
from html import escape
from typing import TYPE_CHECKING

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from medsync import formats
from medsync.bot.texts import STATUS_NAMES as PATIENT_STATUS_NAMES, local_time
from medsync.i18n import N_, translated
from medsync.services.call_list import CallReason, PatientToCall
from medsync.models import (
    Booking, BookingStatus, Clinic, GroupEventKind, MessageStatus, OutboxMessage, Result, StaffGroupEvent, StaffMember,
    StaffRole,
)

if TYPE_CHECKING:
    from medsync.services.patient_search import Visit
    from medsync.services.reminder_runs import Progress

# --- signing in ------------------------------------------------------------------------------------

ACCESS_ENDED = _l("Your access as clinic staff in MedSync has ended: the staff commands are gone from this chat. "
                  "You can still use the bot as a patient: /start.")
# (command, description) for the command list of a staff member's own chat, after the patients' ones.
STAFF_COMMANDS = (
    ("today", _l("Today's visits")),
    ("agenda", _l("Another day's visits: /agenda tomorrow")),
    ("find", _l("Find a patient: /find name or phone")),
    ("tocall", _l("Call list")),
    ("remind", _l("Send tomorrow's reminders now")),
    ("staff", _l("What clinic staff can do here")),
)
INVITE_INVALID = _l("This invite link is invalid, already used or expired. Ask your clinic's admin for a new one.")
ALREADY_STAFF = _l("This Telegram account is already signed in as clinic staff.")
BUTTON_STAFF_PAGES = _l("🗂 Staff pages")
HELP = _l(
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
    values = {"name": escape(member.name or _("colleague")),
              "clinics": ", ".join(escape(clinic.name) for clinic in member.clinics)}
    if member.role == StaffRole.DOCTOR.value and member.doctor is not None:
        greeting = _("Welcome, {name}! You are a doctor ({doctor}) at {clinics}.").format(
            doctor=escape(member.doctor.full_name), **values)
    elif member.role == StaffRole.ADMIN.value:
        greeting = _("Welcome, {name}! You are an admin at {clinics}.").format(**values)
    else:
        greeting = _("Welcome, {name}! You are reception at {clinics}.").format(**values)
    return f"{greeting}\n\n{HELP}"


# --- the day's visits ------------------------------------------------------------------------------

AGENDA_DATE_HELP = _l("Send the day like this: /agenda tomorrow, /agenda friday, /agenda 8 Dec, /agenda 08.12 or "
                      "/agenda 2026-12-08")
BUTTON_CLINICS = _l("Clinics")
BUTTON_BACK_TO_DAY = _l("« The day")
BUTTON_REFRESH = _l("Refresh")
STATUS_ICONS = {
    BookingStatus.BOOKED.value: "🕘", BookingStatus.ARRIVED.value: "✅", BookingStatus.FULFILLED.value: "☑️",
    BookingStatus.CANCELLED.value: "❌", BookingStatus.NOSHOW.value: "🚫",
}


def status_name(status: str) -> str:
    """The patients' word for a status (one vocabulary), in lower case inside a line."""
    name = PATIENT_STATUS_NAMES.get(status)
    return str(name).lower() if name is not None else escape(status)


def day_name(day: date) -> str:
    """'Tuesday, December 1, 2026'."""
    return formats.full_day(day)


def short_day(day: date) -> str:
    """'Tue, Dec 1'."""
    return formats.short_day(day)


def choose_clinic(days: list[date]) -> str:
    """The question before a member of several clinics sees a day: the day, or each clinic's own when they differ."""
    if len(set(days)) == 1:
        heading = _("Agenda for {day}").format(day=day_name(days[0]))
    else:
        heading = _("Each clinic's own day")
    return "<b>{heading}</b>\n{question}".format(heading=heading, question=_("Choose a clinic:"))


def agenda(clinic: Clinic, day: date, visits: list[Booking], total: int) -> str:
    """The day's heading (saying which day was understood) and one line per visit on this page."""
    heading = "<b>{title}</b>\n{clinic} ({city})".format(
        title=_("Agenda for {day}").format(day=day_name(day)), clinic=escape(clinic.name),
        city=escape(formats.zone_city(clinic.timezone)))
    if total == 0:
        return "{heading}\n\n{none}".format(heading=heading, none=_("No visits."))
    lines = "\n".join(_agenda_line(booking) for booking in visits)
    count = ngettext("%(num)d visit", "%(num)d visits", total)
    hint = _("Tap a visit to open its card.")
    return f"{heading}\n{count}\n\n{lines}\n\n{hint}"


def _agenda_line(booking: Booking) -> str:
    return (f"{formats.clock_time(local_time(booking))} <b>{escape(patient_name(booking))}</b>{_marks(booking)} · "
            f"{escape(booking.service_name)} · {status_name(booking.status)}")


def _marks(booking: Booking) -> str:
    """👍 the patient said "I'll come"; ☎️ booked by phone, no Telegram: call them."""
    marks = [CONFIRMED_MARK] if booking.confirmed_at is not None else []
    if booking.user_id is None:
        marks.append(BY_PHONE_MARK)
    return "".join(f" {mark}" for mark in marks)


def visit_button(booking: Booking) -> str:
    """A visit on a button (plain text): icon, local time, patient."""
    return f"{STATUS_ICONS.get(booking.status, '')} {formats.clock_time(local_time(booking))} · {patient_name(booking)}"


TO_CALL_NOT_FOR_DOCTORS = _l("The call list is the front desk's: reception and clinic admins.")


def patients_to_call(rows: list[PatientToCall]) -> str:
    """The call list: when, who, their phone, why; soonest first."""
    if not rows:
        return _("Nobody to call.")
    lines = [f"☎️ <b>{escape(_('Call list'))}</b>"]
    for row in sorted(rows, key=lambda item: (item.starts_at, item.booking_id)):
        why = (_("remind them of the visit (no Telegram)") if row.reason is CallReason.REMINDER_DUE
               else _("the clinic cancelled the visit: {reason}").format(reason=row.cancel_reason or ""))
        lines.append(f"\n{day_name(row.starts_at.date())} {formats.clock_time(row.starts_at)} · "
                     f"<b>{escape(row.patient_first_name)} {escape(row.patient_last_name)}</b> · "
                     f"{escape(row.patient_phone)}\n  {escape(why)}")
    return "\n".join(lines)


def found_visit_button(patient_name: str, visit: Visit) -> str:
    """A found patient's visit on a button (plain text): icon, local time, patient."""
    return f"{STATUS_ICONS.get(visit.status, '')} {formats.clock_time(visit.starts_at)} · {patient_name}"


def patient_name(booking: Booking) -> str:
    """The patient's name as booked."""
    return f"{booking.patient_first_name} {booking.patient_last_name}"


def cancel_reason(booking: Booking) -> str:
    """Why the visit was cancelled: a reason chosen from a button is stored as its source text and read in the
    reader's language; one typed by the desk stays as it was typed."""
    return escape(translated(booking.cancel_reason)) if booking.cancel_reason else ""


def visit_card(booking: Booking) -> str:
    """Everything the desk needs about one visit, in clinic time."""
    start, end = local_time(booking), booking.ends_at.astimezone(booking.clinic.zone)
    label = _("Doctor") if booking.doctor_id is not None else _("Test")
    lines = [
        _("<b>Visit #{number}</b> · {status}").format(number=booking.id, status=status_name(booking.status)),
        _("Patient: {name}, {phone}").format(name=escape(patient_name(booking)),
                                             phone=escape(booking.patient_phone)),
        f"{label}: {escape(booking.service_name)}",
        _("When: {day}, {start}–{end} ({city})").format(
            day=day_name(start.date()), start=formats.clock_time(start), end=formats.clock_time(end),
            city=escape(formats.zone_city(booking.clinic.timezone))),
        _("Clinic: {clinic}").format(clinic=escape(booking.clinic.name)),
    ]
    if booking.user_id is None:
        lines.append(_("☎️ Booked by phone: no Telegram, call the patient."))
    if booking.confirmed_at is not None:
        lines.append(_("👍 The patient said they will come."))
    if booking.patient_message:
        lines.append(_("Note: {note}").format(note=escape(booking.patient_message)))
    if booking.note:
        lines.append(_("Desk note: {note}").format(note=escape(booking.note)))
    if booking.cancel_reason:
        lines.append(_("Cancelled: {reason}").format(reason=cancel_reason(booking)))
    lines.append("\n" + _("📄 To send a result, reply to this message with the PDF."))
    return "\n".join(lines)


BUTTON_MOVES = {
    BookingStatus.ARRIVED.value: _l("✅ Arrived"),
    BookingStatus.NOSHOW.value: _l("🚫 Missed"),
    BookingStatus.FULFILLED.value: _l("☑️ Completed"),
}
MOVED = {
    BookingStatus.ARRIVED.value: _l("Marked as arrived."),
    BookingStatus.NOSHOW.value: _l("Marked as missed."),
    BookingStatus.FULFILLED.value: _l("Marked as completed."),
}

# --- cancelling ------------------------------------------------------------------------------------

BUTTON_CANCEL = _l("❌ Cancel visit")
BUTTON_OTHER_REASON = _l("Other reason…")
BUTTON_KEEP = _l("« Keep the visit")
# Stored as written here (the booking's cancel_reason) and translated wherever it is shown (cancel_reason()).
CANCEL_REASONS = {
    "patient": N_("The patient asked to cancel"),
    "doctor": N_("The doctor is unavailable"),
    "clinic": N_("The clinic cannot take the visit"),
}
REASON_PLACEHOLDER = _l("Reason for cancelling")
CANCELLED = _l("Cancelled; the patient is told.")
TRY_AGAIN = _l("Telegram did not take that; please press again.")


def cancel_question(booking: Booking) -> str:
    """The card, asking for the reason to cancel."""
    return "{card}\n\n{question}".format(
        card=visit_card(booking), question=_("<b>Cancel this visit?</b> The patient will be told. Choose a reason:"))


def reason_prompt(booking: Booking) -> str:
    """The question answered by replying with the reason."""
    return _("Why is visit #{number} ({patient}) cancelled? Reply with the reason.").format(
        number=booking.id, patient=escape(patient_name(booking)))


def cancelled_with_reason(booking: Booking) -> str:
    """The answer to a typed reason."""
    return _("Visit #{number} ({patient}) is cancelled; the patient is told.").format(
        number=booking.id, patient=escape(patient_name(booking)))


# --- results ---------------------------------------------------------------------------------------

RESULT_HOW = _l("To send a result, reply to a visit's card with the PDF, or send the PDF with the visit's number "
                "as its caption (for example 42).")
RESULT_REPLY_TO_A_CARD = _l("Reply to a visit's card, or send the PDF with the visit number as the caption.")
RESULT_NOT_PDF = _l("This file is not a PDF. Results are accepted as PDF documents only.")
RESULT_NOT_FOUND = _l("There is no visit #{number} among yours.")
RESULT_DOWNLOAD_FAILED = _l("The file could not be fetched from Telegram; please send it again.")


def result_too_large(limit_bytes: int) -> str:
    """The refusal of a file over RESULT_MAX_BYTES."""
    if limit_bytes >= 1_048_576:
        size = _("%(size)s MB", size=formats.number(limit_bytes // 1_048_576))
    else:
        size = ngettext("%(size)s byte", "%(size)s bytes", limit_bytes, size=formats.number(limit_bytes))
    return _("This file is too large: a result can be at most {size}.").format(size=size)


BUTTON_SEND_RESULT = _l("📄 Send to the patient")
BUTTON_DONT_SEND = _l("Don't send")
RESULT_NOT_SENT = _l("Not sent: nothing was stored.")
RESULT_NOT_WAITING = _l("This PDF is no longer waiting to be sent. If it was not stored, send it again.")


def result_confirmation(booking: Booking, file_name: str) -> str:
    """The question before a PDF named by its caption is stored: whose visit it is, in full."""
    start = local_time(booking)
    return _("📄 Send <b>{file}</b> to <b>{patient}</b> as the result of visit #{number} ({day} {time}, {service})?"
             ).format(file=escape(file_name), patient=escape(patient_name(booking)), number=booking.id,
                      day=short_day(start.date()), time=formats.clock_time(start),
                      service=escape(booking.service_name))


def result_stored(booking: Booking) -> str:
    """The answer to a stored result."""
    return _("📄 The result for visit #{number} ({patient}) is stored and on its way to the patient. I will tell you "
             "when it is delivered.").format(number=booking.id, patient=escape(patient_name(booking)))


def result_sent_before(booking: Booking, result: Result, delivery: OutboxMessage | None, member: StaffMember) -> str:
    """The answer to a PDF that was already sent for this visit: nothing goes out again; when it went, and how."""
    text = _("📄 This PDF was already sent for visit #{number} ({patient}) on {when}, so it is not sent again.").format(
        number=booking.id, patient=escape(patient_name(booking)), when=_at(booking, result.created_at))
    if delivery is not None and delivery.status == MessageStatus.SENT.value and delivery.sent_at is not None:
        how = _("The patient received it on {when}.").format(when=_at(booking, delivery.sent_at))
    elif delivery is not None and delivery.status in (MessageStatus.FAILED.value, MessageStatus.SKIPPED.value):
        how = _("It could not be delivered to the patient: please call them.")
    elif result.uploaded_by == member.actor_id:
        how = _("It is still on its way to the patient; I will tell you when it is delivered.")
    else:
        how = _("It is still on its way to the patient.")
    return f"{text} {how}"


def _at(booking: Booking, instant: datetime) -> str:
    """'Tue, Dec 1 at 10:05', in the visit's clinic time."""
    local = instant.astimezone(booking.clinic.zone)
    return _("{day} at {time}").format(day=short_day(local.date()), time=formats.clock_time(local))


def result_delivered(booking: Booking) -> str:
    """The notice once the patient received the result."""
    return _("📬 The result for visit #{number} ({patient}) was delivered to the patient.").format(
        number=booking.id, patient=escape(patient_name(booking)))


# --- reminder runs ---------------------------------------------------------------------------------

REMIND_NOT_ALLOWED = _l("Reminder runs are for reception and admins.")
REMIND_DATE_HELP = _l("Send the day like this: /remind tomorrow, /remind friday, /remind 8 Dec, /remind 08.12 or "
                      "/remind 2026-12-08.")


def remind_nothing(days: list[date]) -> str:
    """The answer to a run with nothing to send (for the days asked, or tomorrow)."""
    if not days:
        return _("No reminders to send for tomorrow: no booked visits, or their reminders went out today already.")
    return _("No reminders to send for {days}: no booked visits, or their reminders went out today already.").format(
        days=_short_days(days))


def remind_queued(days: list[date], total: int) -> str:
    """The progress message as the run starts."""
    return ngettext("⏰ Reminders for %(days)s: %(num)d queued…", "⏰ Reminders for %(days)s: %(num)d queued…", total,
                    days=_short_days(days))


def remind_progress(days: list[date], progress: Progress, *, finished: bool) -> str:
    """queued → sent n/N → done (with the failures named)."""
    if not finished:
        return _("⏰ Reminders for {days}: sent {sent}/{total}…").format(
            days=_short_days(days), sent=progress.sent, total=progress.total)
    counts = [ngettext("%(num)d sent", "%(num)d sent", progress.sent)]
    if progress.skipped:
        counts.append(ngettext("%(num)d no longer needed", "%(num)d no longer needed", progress.skipped))
    if progress.failed:
        names = "; ".join(f"{escape(item.patient)} ({failure_reason(item.error)})" for item in progress.failed)
        counts.append(ngettext("%(num)d failed: %(names)s", "%(num)d failed: %(names)s", len(progress.failed),
                               names=names))
    done = progress.sent + progress.skipped + len(progress.failed)
    waiting = ""
    if done < progress.total:
        waiting = ngettext("; %(num)d still waiting (stopped following)", "; %(num)d still waiting (stopped following)",
                           progress.total - done)
    # Translators: {counts} lists what became of the reminders: "2 sent, 1 failed: …".
    return _("{icon} Reminders for {days}: done — {counts}{waiting}.").format(
        icon="✅" if progress.settled else "⏳", days=_short_days(days), counts=", ".join(counts), waiting=waiting)


def _short_days(days: list[date]) -> str:
    """The run's clinic days: one, unless the member's clinics are in zones on different dates."""
    return formats.listing([short_day(day) for day in days])


def failure_reason(error: str | None) -> str:
    """Why a message did not arrive, in the desk's words."""
    if error and error.startswith(("403", "the user has blocked")):
        return _("blocked the bot")
    return _("could not be delivered")


# --- the clinic's staff group ----------------------------------------------------------------------

GROUP_ADMINS_ONLY = _l("Only a clinic admin can choose the staff group.")


def group_set(clinics: list[Clinic]) -> str:
    """The answer to /setgroup."""
    names = ", ".join(escape(clinic.name) for clinic in clinics)
    return _("This group now gets {clinics}: new bookings, cancellations and failed deliveries, in digests.").format(
        clinics=names)


def group_unset(clinics: list[Clinic]) -> str:
    """The answer to /unsetgroup."""
    if not clinics:
        return _("This group was not a staff group of your clinics.")
    return _("This group no longer gets news of {clinics}.").format(
        clinics=", ".join(escape(clinic.name) for clinic in clinics))


_EVENT_ICONS = {GroupEventKind.BOOKED.value: "🆕", GroupEventKind.CANCELLED.value: "❌",
                GroupEventKind.DELIVERY_FAILED.value: "⚠️"}
_MESSAGE_NAMES = {"confirmation": _l("Confirmation"), "cancellation": _l("Cancellation notice"),
                  "reminder": _l("Reminder"), "result": _l("Result")}


def digest(events: list[StaffGroupEvent]) -> str:
    """One line per event, oldest first."""
    return "<b>{title}</b>\n".format(title=_("Clinic news")) + "\n".join(_digest_line(event) for event in events)


def _digest_line(event: StaffGroupEvent) -> str:
    booking = event.booking
    start = local_time(booking)
    visit = (f"#{booking.id} {short_day(start.date())} {formats.clock_time(start)} · "
             f"{escape(patient_name(booking))} · {escape(booking.service_name)}")
    icon = _EVENT_ICONS.get(event.kind, "•")
    if event.kind == GroupEventKind.DELIVERY_FAILED.value and event.failed_message is not None:
        what = _MESSAGE_NAMES.get(event.failed_message.kind) or _("Message")
        return _("{icon} {what} not delivered ({reason}): {visit}, call {phone}").format(
            icon=icon, what=what, reason=failure_reason(event.failed_message.last_error), visit=visit,
            phone=escape(booking.patient_phone))
    if event.kind == GroupEventKind.BOOKED.value and booking.rescheduled_from_id is not None:
        return _("🔁 Moved: {visit}").format(visit=visit)
    if event.kind == GroupEventKind.CANCELLED.value:
        return _("{icon} Cancelled: {visit}").format(icon=icon, visit=visit)
    return _("{icon} Booked: {visit}").format(icon=icon, visit=visit)


# --- the front desk: marks, taking them back -------------------------------------------------------

CONFIRMED_MARK = "👍"
BY_PHONE_MARK = "☎️"
BUTTON_UNDO = {
    BookingStatus.BOOKED.value: _l("↩️ Back to booked"),
    BookingStatus.ARRIVED.value: _l("↩️ Arrived after all"),
}
UNDONE = {
    BookingStatus.BOOKED.value: _l("Back to booked."),
    BookingStatus.ARRIVED.value: _l("Marked as arrived after all."),
}
UNDO_REASONS = {
    "late": N_("The patient came late"),
    "mistake": N_("Marked by mistake"),
}
BUTTON_KEEP_MARK = _l("Keep the mark")
UNDO_TOO_LATE = _l("A mark can be taken back only on the day of the visit.")


def undo_question(booking: Booking) -> str:
    """The card's question before a mark is taken back."""
    return _("Why is the mark of {name}'s visit taken back?").format(name=escape(patient_name(booking)))


# --- /find -------------------------------------------------------------------------------------------

FIND_HELP = _l("Write at least three characters of the patient's name or phone after the command: /find Koval, "
               "/find 4567.")
FIND_NOT_FOR_DOCTORS = _l("Finding patients is for reception and clinic admins; your visits are under /today.")


def found_patients(found: list, total: int) -> str:
    """The patients found: name, phone, whether they have Telegram, their next visit (buttons below open visits)."""
    if total == 0:
        return _("Nobody found. Try part of the surname or a few digits of the phone.")
    lines = [ngettext("%(num)d patient found:", "%(num)d patients found:", total)]
    for item in found:
        patient = item.patient
        telegram = _("Telegram") if patient.has_telegram else BY_PHONE_MARK + " " + _("no Telegram")
        lines.append(f"\n<b>{escape(patient.full_name)}</b> · {escape(patient.phone)} · {telegram}")
        for visit in item.upcoming[:2]:
            start = visit.starts_at  # in the clinic's time already
            lines.append(f"  {day_name(start.date())} {formats.clock_time(start)} · {escape(visit.service_name)}")
        if not item.upcoming:
            lines.append("  " + _("No visits ahead."))
    return "\n".join(lines)
