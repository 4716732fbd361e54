"""Callback data factories (each refuses data over Telegram's 64 bytes). Never split strings by hand."""
from __future__ import annotations

from telebot.callback_data import CallbackData

# Buttons on reminder messages sent by the workers.
reminder_confirm = CallbackData("booking_id", prefix="rc")
reminder_cancel = CallbackData("booking_id", prefix="rx")

# The main menu's buttons.
open_bookings = CallbackData(prefix="mb")
open_results = CallbackData(prefix="mr")

# "My bookings": a page of a list ("upcoming" or "past"), and a booking opened from that page.
# Every screen reached from a page carries the page, so Back returns to it.
bookings_page = CallbackData("when", "page", prefix="bl")
booking_details = CallbackData("booking_id", "when", "page", prefix="bd")
booking_cancel_ask = CallbackData("booking_id", "when", "page", prefix="bc")
booking_cancel_yes = CallbackData("booking_id", "when", "page", prefix="by")
booking_calendar = CallbackData("booking_id", prefix="bi")

# "My results": a page, and one result to receive as a document.
results_page = CallbackData("page", prefix="rl")
result_document = CallbackData("result_id", prefix="rd")

# /mydata: download my data; delete it (asked, then confirmed or declined).
my_data_export = CallbackData(prefix="dx")
my_data_erase_ask = CallbackData(prefix="de")
my_data_erase_yes = CallbackData(prefix="dy")
my_data_erase_no = CallbackData(prefix="dn")

# /language: the language chosen (one of medsync.i18n.LANGUAGES).
choose_language = CallbackData("language", prefix="lg")

# The "2/3" label between ◀ and ▶: pressing it only answers the callback.
page_label = CallbackData(prefix="pg")

# Under a visit the clinic cancelled (its schedule changed): book an offered time instead. doctor_id "0": the
# visit's own test; at: the slot's start in minutes since the Unix epoch (UTC).
rebook = CallbackData("booking_id", "doctor_id", "at", prefix="rb")
