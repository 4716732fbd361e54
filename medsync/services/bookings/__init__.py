"""Bookings: the commands that change them (`commands`), the statement a new one is written by (`statement`), its
audit trail (`audit`) and the read side (`queries`). Import the names below from here."""
from medsync.errors import BookingNotFound
from medsync.services.bookings.commands import (
    PatientDetails, book, cancel, cancel_by_clinic, cancel_by_staff, change_status, confirm_attendance, mark_missed,
    queue_reminders, reschedule, reschedule_by_staff, resource_of, set_note, transition_refusal,
)
from medsync.services.bookings.queries import (
    BookingDetails, BookingLine, details, get_booking, get_booking_for_staff, list_for_user, list_lines_for_user,
)

__all__ = [
    "BookingDetails", "BookingLine", "BookingNotFound", "PatientDetails", "book", "cancel", "cancel_by_clinic",
    "cancel_by_staff",
    "change_status", "confirm_attendance", "details", "get_booking", "get_booking_for_staff", "list_for_user",
    "list_lines_for_user", "mark_missed", "queue_reminders", "reschedule", "reschedule_by_staff", "resource_of",
    "set_note", "transition_refusal",
]
