"""Callback data of the staff screens (ids only; every press re-checks the member's role and clinics)."""
from __future__ import annotations

from telebot.callback_data import CallbackData

# A clinic day's visits: the clinic, the clinic-local day as YYYYMMDD, the page.
agenda_page = CallbackData("clinic_id", "day", "page", prefix="sa")
# The clinic choice for members of several clinics.
agenda_clinics = CallbackData("day", prefix="sk")
# A visit's card, opened from a page of its day (Back returns there).
visit_card = CallbackData("booking_id", "page", prefix="sv")
# The card's own Refresh: only a card carries it, so a PDF replied to a message with it is for that visit.
visit_refresh = CallbackData("booking_id", "page", prefix="sf")
# Arrived / no-show / completed.
visit_move = CallbackData("booking_id", "status", "page", prefix="sm")
# Taking a mark back on the visit's day (back to booked, or arrived after a no-show): the reason question, then a reason.
visit_undo = CallbackData("booking_id", "status", "page", prefix="sb")
visit_undo_reason = CallbackData("booking_id", "status", "reason", "page", prefix="sy")
# Cancel: the reason question, a chosen reason, or "other" (asked as a reply).
visit_cancel = CallbackData("booking_id", "page", prefix="sc")
visit_cancel_reason = CallbackData("booking_id", "reason", "page", prefix="sr")
visit_cancel_other = CallbackData("booking_id", prefix="so")
# A PDF sent with a visit's number as its caption: send it to the patient named, or not (the upload waits in Redis).
result_send = CallbackData("upload", prefix="su")
result_drop = CallbackData("upload", prefix="sd")
