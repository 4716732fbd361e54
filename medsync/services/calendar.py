"""A booking as an iCalendar (.ics) event: stable UID across reschedules, SEQUENCE bumped on each move."""
from __future__ import annotations

from datetime import timezone

from flask_babel import gettext as _
from icalendar import Calendar, Event

from medsync import clock
from medsync.models import Booking, BookingStatus

PRODID = "-//MedSync//Clinic bookings//EN"


def booking_ics(booking: Booking) -> bytes:
    """The booking's event; a cancelled booking is a cancelled event (higher SEQUENCE) so calendars drop it."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", booking.ical_uid)
    event.add("sequence", booking.ical_sequence)
    event.add("dtstamp", clock.now().astimezone(timezone.utc))
    # UTC instants: every calendar shows them in its own zone without needing our VTIMEZONE.
    event.add("dtstart", booking.starts_at.astimezone(timezone.utc))
    event.add("dtend", booking.ends_at.astimezone(timezone.utc))
    event.add("summary", f"{booking.service_name} — {booking.clinic.name}")
    event.add("location", f"{booking.clinic.name}, {booking.clinic.address}")
    event.add("description", _("MedSync booking #{number}").format(number=booking.id))
    event.add("status", "CANCELLED" if booking.status == BookingStatus.CANCELLED.value else "CONFIRMED")
    calendar.add_component(event)
    return calendar.to_ical()


def ics_file_name(booking: Booking) -> str:
    return f"medsync-booking-{booking.id}.ics"
