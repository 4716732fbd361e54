"""The Mini App's texts: templates use _(), the page scripts get theirs (and the clinics' cities) as JSON from
base.html."""
from __future__ import annotations

from flask_babel import gettext, ngettext

from medsync import formats
from medsync.config import current_settings
from medsync.i18n import current_language, in_language
from medsync.models import PATIENT_FIELD_LIMITS
from medsync.services import catalog


def script_texts() -> dict[str, str]:
    """Every text the page scripts show, translated; `{name}` marks a value the script fills in."""
    return {
        "network_error": gettext("No connection to MedSync. Check your internet and try again."),
        "server_error": gettext("Something went wrong on our side. Please try again."),
        "open_in_telegram": gettext("Open MedSync from our Telegram bot to book: booking needs your Telegram account."),
        "loading": gettext("Loading…"),
        "no_slots_day": gettext("No free times on this day."),
        "no_slots_at_all": ngettext("No free times in the next %(num)d day. Please try another doctor or clinic.",
                                    "No free times in the next %(num)d days. Please try another doctor or clinic.",
                                    current_settings().BOOKING_HORIZON_DAYS),
        "clinic_time": gettext("Times are the clinic's local time: {zone}. Below each, the same time where you are."),
        "clinic_and_your_time": gettext("{clinic} {city} · {yours} your time"),
        "zone_label": gettext("{city} time, UTC{offset}"),
        "choose_time": gettext("Choose a time"),
        "day_closed": gettext("{day}: no free times"),
        "confirm_booking": gettext("Confirm booking"),
        "confirm_move": gettext("Move my booking here"),
        "booking": gettext("Booking…"),
        "done": gettext("Done"),
        "booked_title": gettext("You are booked"),
        "moved_title": gettext("Your booking is moved"),
        "booked_chat": gettext("The confirmation is on its way to your Telegram chat."),
        "field_required": gettext("Please fill this in."),
        "phone_invalid": gettext("Use digits, spaces, +, -, ( and ) only (5 to %(most)d characters).",
                                 most=PATIENT_FIELD_LIMITS["phone"]),
        "email_invalid": gettext("This does not look like an e-mail address."),
        "too_long": gettext("This is too long."),
        "fix_fields": gettext("Please check the highlighted fields."),
        "upcoming_empty": gettext("You have no upcoming bookings."),
        "past_empty": gettext("You have no past bookings yet."),
        "results_empty": gettext("You have no test results yet. We send them to your chat as soon as they are ready."),
        "cancel": gettext("Cancel"),
        "reschedule": gettext("Reschedule"),
        "add_to_calendar": gettext("Add to calendar"),
        "cancel_confirm": gettext("Cancel your visit on {when}?"),
        "cancelled": gettext("Your booking is cancelled."),
        "too_late_to_change": gettext("It is too late to cancel or move this visit online. To change it, please call "
                                      "the clinic."),
        "show_more": gettext("Show more"),
        "open_pdf": gettext("Open"),
        "send_to_chat": gettext("Send to my chat"),
        "sent_to_chat": gettext("The bot is sending it to your chat."),
        "status_booked": gettext("Booked"),
        "status_arrived": gettext("Arrived"),
        "status_fulfilled": gettext("Completed"),
        "status_cancelled": gettext("Cancelled"),
        "status_noshow": gettext("Missed"),
        "reschedule_from": gettext("Now: {when}"),
        "not_movable": gettext("This booking can no longer be moved."),
        "size_kb": gettext("{size} KB"),
    }


def my_data_texts() -> dict[str, str]:
    """The texts of My bookings' "Your data" section: that page's own (#page-texts), so the other pages stay small."""
    return {
        "export_queued": gettext("We are preparing your data. It comes to your Telegram chat as a ZIP file, and you "
                                 "can save it here too once it is ready."),
        "export_ready": gettext("Your data is ready."),
        "erase_confirm": gettext("Delete your data? Your upcoming visits will be cancelled, your test results deleted, "
                                 "and your name, phone, e-mail and Telegram profile removed. This cannot be undone."),
    }


def zone_cities() -> dict[str, str]:
    """The city each clinic's time zone is named after, in the page's language ("Europe/Kyiv" → "Київ"): the scripts
    name a clinic's time by it. Built once per catalog snapshot and language."""
    return catalog.current_catalog(current_language()).rendered("zone_cities", _zone_cities)


def _zone_cities(snapshot: catalog.Catalog) -> dict[str, str]:
    with in_language(snapshot.language):
        return {clinic.timezone: formats.zone_city(clinic.timezone) for clinic in snapshot.clinics.values()}
